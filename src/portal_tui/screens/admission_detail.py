"""One admission notification: its facts, the notice (late or on time), the concurrent review's
history (initial and continued-stay determinations), its letters (read as text, saved 0600), the
discharge; and what the user may do about it: change or send a draft, cancel, record the
discharge, or (reviewers) record the next determination."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import LoadingIndicator, Static

from portal_core.errors import PortalError, SessionExpired
from portal_tui.admission_text import admission_text
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable, when
from portal_tui.screens.admissions import is_provider_side, is_reviewer
from portal_tui.screens.base import MenuScreen

if TYPE_CHECKING:
    from portal_core.models.admissions import AdmissionDetail
    from portal_core.models.documents import DocumentSummary

OPEN = ("notified", "in_review")
"""Statuses of a notification whose review is open."""


class AdmissionDetailScreen(MenuScreen):
    """An admission the user may see, with the review history and letters."""

    MENU = "admissions"
    GUIDE = "admissions"
    CSS_PATH = stylesheet("admission_detail")
    AUTO_FOCUS = "#adm-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="admission.back"),
        Binding("l", "open_letter", "Letter", id="admission.letter"),
        Binding("s", "save_letter", "Save letter", id="admission.save_letter"),
        Binding("e", "edit", "Edit draft", id="admission.edit"),
        Binding("d", "determine", "Determination", id="admission.determine"),
        Binding("g", "discharge", "Discharge", id="admission.discharge"),
        Binding("x", "cancel", "Cancel it", id="admission.cancel"),
        Binding("f5", "refresh", "Refresh", show=False, id="admission.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | admission.back | Back. |
    | l | admission.letter | Read a determination letter. |
    | s | admission.save_letter | Save a letter to a file only you can read. |
    | e | admission.edit | Change (and send) a draft. |
    | d | admission.determine | Record the next determination (reviewers). |
    | g | admission.discharge | Record the discharge (closes the review). |
    | x | admission.cancel | Cancel a draft or a notification not yet reviewed. |
    | f5 | admission.refresh | Fetch again. |
    """

    def __init__(self, number: str, note: str = "", menu: str = "admissions") -> None:
        super().__init__()
        self.number = number.strip().upper()
        """The admission shown."""
        self.note = note
        """A line to show first (what the form just did)."""
        self.menu = menu
        """The menu the admission was opened from."""
        self.admission: AdmissionDetail | None = None
        """The admission as last loaded."""

    @property
    def menu_mode(self) -> str:
        return self.menu

    def compose_content(self) -> ComposeResult:
        yield Static(printable(f"Admission {self.number}"), classes="screen-title", markup=False)
        yield Static(printable(self.note), id="adm-message", markup=False)
        yield LoadingIndicator(id="adm-loading")
        with VerticalScroll(id="adm-body"):
            yield Static("", id="adm-facts", markup=False)

    def on_mount(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def say(self, text: str, error: bool = False) -> None:
        """The line under the title (red for a problem)."""
        message = self.query_one("#adm-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def fail(self, error: PortalError) -> None:
        """Say what went wrong; an ended session goes back to sign-in."""
        self.say(error.message, error=True)
        if isinstance(error, SessionExpired):
            self.report(error)

    def show(self, admission: AdmissionDetail) -> None:
        """Put the admission on screen and offer what may be done with it."""
        self.admission = admission
        self.query_one("#adm-facts", Static).update(printable(admission_text(admission)))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        admission = self.admission
        if action in {"back", "refresh"}:
            return True
        if admission is None:
            return False
        status = admission.status.value
        if action in {"open_letter", "save_letter"}:
            return bool(admission.letters)
        if action == "edit":
            return status == "draft" and is_provider_side(self.portal)
        if action == "determine":
            planned = not admission.reviews or admission.next_review_date is not None
            return status in OPEN and planned and is_reviewer(self.portal)
        if action == "discharge":
            return status in OPEN and is_provider_side(self.portal)
        if action == "cancel":
            cancellable = status == "draft" or (status in OPEN and not admission.reviews)
            return cancellable and is_provider_side(self.portal)
        return True

    @work(exclusive=True, group="admission-detail")
    async def load(self) -> None:
        """Fetch the admission."""
        loading = self.query_one("#adm-loading")
        loading.display = True
        try:
            admission = await self.client.get_admission(self.number)
        except PortalError as error:
            self.fail(error)
            return
        finally:
            loading.display = False
        self.show(admission)

    # -- letters -----------------------------------------------------------------------------------
    async def pick_letter(self, verb: str) -> DocumentSummary | None:
        """The letter to open or save: the only one, or the one the user picks (newest last)."""
        from portal_core.models.documents import DocumentSummary
        from portal_tui.modals.choice import ChoiceModal

        letters = self.admission.letters if self.admission is not None else []
        if len(letters) <= 1:
            return letters[0] if letters else None
        choices = [
            (letter, f"{n}. {letter.file_name} ({when(letter.created_at, 'day')})")
            for n, letter in enumerate(letters, start=1)
        ]
        return await self.app.push_screen_wait(
            ChoiceModal[DocumentSummary](f"{verb} which letter?", choices)
        )

    @work(exclusive=True, group="admission-file")
    async def action_open_letter(self) -> None:
        """Show a letter in the document viewer (text as text; `s` there saves it)."""
        from portal_tui.screens.documents import DocumentViewerScreen

        letter = await self.pick_letter("Open")
        if letter is not None:
            await self.app.push_screen(DocumentViewerScreen(letter.id))

    @work(exclusive=True, group="admission-file")
    async def action_save_letter(self) -> None:
        """Save a letter to a file readable only by the user (0600)."""
        from portal_tui.screens.documents import save_document

        letter = await self.pick_letter("Save")
        if letter is None:
            return
        said = await save_document(self, letter.id, letter.file_name)
        if said:
            self.say(said, error=not said.startswith("Saved"))

    # -- actions -----------------------------------------------------------------------------------
    def action_edit(self) -> None:
        """Open the draft in the form."""
        from portal_tui.screens.admission_form import AdmissionFormScreen

        if self.admission is not None:
            self.app.switch_screen(AdmissionFormScreen(self.admission))

    def action_determine(self) -> None:
        """Record the next determination (reviewers)."""
        from portal_tui.screens.admission_review import DeterminationScreen

        if self.admission is not None:
            self.app.push_screen(DeterminationScreen([self.number]), self._after_determination)

    def _after_determination(self, _result: object = None) -> None:
        self.load()

    @work(exclusive=True, group="admission-write")
    async def action_discharge(self) -> None:
        """Record the discharge; the review closes."""
        from portal_tui.modals.admission_discharge import DischargeModal

        admission = await self.app.push_screen_wait(DischargeModal(self.number))
        if admission is None:
            return
        self.show(admission)
        self.say("Discharge recorded; the review is closed.")

    @work(exclusive=True, group="admission-write")
    async def action_cancel(self) -> None:
        """Cancel, after a confirmation with the reason."""
        from portal_tui.modals.justification import JustificationModal

        reason = await self.app.push_screen_wait(
            JustificationModal(
                f"Cancel admission {self.number}?",
                "The notification is withdrawn; this cannot be undone. Say why.",
                "Cancel the notification",
            )
        )
        if reason is None:
            return
        try:
            admission = await self.client.cancel_admission(self.number, reason)
        except PortalError as error:
            self.fail(error)
            return
        self.show(admission)
        self.say("Notification cancelled.")
