"""One claim: status with its 277 category, lines with decoded adjustments (group, CARC in words,
amount) and remarks (RARC in words), the next step for a denial; its documents, inquiries and
appeals. From here the user attaches documents, files an inquiry or a grievance/appeal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import LoadingIndicator, Static

from portal_core.errors import PortalError, SessionExpired
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.record_view import RecordView

if TYPE_CHECKING:
    from portal_core.models.claims import (
        ClaimAppeal,
        ClaimDetail,
        ClaimDocument,
        ClaimInquiry,
        UploadFile,
    )

INQUIRY_REASONS = [
    ("Payment amount", "Payment amount"),
    ("Denial", "Denial"),
    ("Coding or bundling", "Coding or bundling"),
    ("Patient responsibility", "Patient responsibility"),
    ("Other", "Other"),
]
"""Why a provider asks the payer to reconsider."""

APPEAL_KINDS = [("appeal", "Appeal of the decision"), ("grievance", "Grievance")]


def read_uploads(paths: list[Path]) -> list[UploadFile]:
    """Read the files to attach (in a thread); `ValueError` in plain words when one is missing or
    over 25 MB, before any is read whole."""
    from portal_core.models.claims import UploadFile
    from portal_core.rules.uploads import MAX_BYTES

    for path in paths:
        if not path.is_file():
            raise ValueError(f"{path.name} is not a file; nothing was attached.")
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(
                f"{path.name} is larger than {MAX_BYTES // (1024 * 1024)} MB; nothing was attached."
            )
    return [UploadFile(file_name=path.name, content=path.read_bytes()) for path in paths]


class ClaimDetailScreen(MenuScreen):
    """A claim the user may see, with what they can do about it."""

    MENU = "claims"
    GUIDE = "claims"
    CSS_PATH = stylesheet("claim_detail")
    AUTO_FOCUS = "#claim-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="claim.back"),
        Binding("u", "attach", "Attach", id="claim.attach"),
        Binding("i", "inquiry", "Inquiry", id="claim.inquiry"),
        Binding("a", "appeal", "Appeal", id="claim.appeal"),
        Binding("m", "message", "Message", id="claim.message"),
        Binding("f5", "refresh", "Refresh", show=False, id="claim.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | claim.back | Back. |
    | u | claim.attach | Attach up to 5 documents. |
    | i | claim.inquiry | Ask the payer to reconsider. |
    | a | claim.appeal | File a grievance or appeal (within 180 days of a denial). |
    | m | claim.message | Write a message about this claim (shows its reference number). |
    | f5 | claim.refresh | Fetch again. |
    """
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "attach": ("submit_claim_documents",),
        "inquiry": ("file_inquiries",),
        "appeal": ("file_inquiries",),
        "message": ("send_messages",),
    }

    def __init__(self, claim_number: str, menu: str = "claims") -> None:
        super().__init__()
        self.claim_number = claim_number.strip().upper()
        """The claim shown."""
        self.menu = menu
        """The menu the claim was opened from (the sidebar highlights it)."""
        self.claim: ClaimDetail | None = None
        """The claim as last loaded."""

    @property
    def menu_mode(self) -> str:
        return self.menu

    def compose_content(self) -> ComposeResult:
        yield Static(printable(f"Claim {self.claim_number}"), classes="screen-title", markup=False)
        yield Static("", id="claim-message", markup=False)
        yield LoadingIndicator(id="claim-loading")
        with VerticalScroll(id="claim-body"):
            yield RecordView(id="claim-facts")
            yield RecordView(id="claim-requests")

    def on_mount(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def say(self, text: str, error: bool = False) -> None:
        """The line under the title (red for a problem)."""
        message = self.query_one("#claim-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def fail(self, error: PortalError) -> None:
        """Say what went wrong under the title; an ended session goes back to sign-in."""
        self.say(error.message, error=True)
        if isinstance(error, SessionExpired):
            self.report(error)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"attach", "inquiry", "appeal", "message"} and self.claim is None:
            return False
        return super().check_action(action, parameters)

    @work(exclusive=True, group="claim-detail")
    async def load(self) -> None:
        """Fetch the claim, then its documents, inquiries and appeals."""
        from portal_tui.claim_text import claim_text, requests_text

        self.claim = None
        self.refresh_bindings()
        loading = self.query_one("#claim-loading")
        loading.display = True
        requests = self.query_one("#claim-requests", RecordView)
        requests.start()
        try:
            self.claim = await self.query_one("#claim-facts", RecordView).look_up(
                lambda: self.client.get_claim(self.claim_number), claim_text, report=self.report
            )
            self.refresh_bindings()
            if self.claim is None:
                return

            async def related() -> tuple[
                list[ClaimDocument], list[ClaimInquiry], list[ClaimAppeal]
            ]:
                return await asyncio.gather(
                    self.client.claim_documents(self.claim_number),
                    self.client.claim_inquiries(self.claim_number),
                    self.client.claim_appeals(self.claim_number),
                )

            await requests.look_up(
                related, lambda found: "\n" + requests_text(*found), report=self.report
            )
        finally:
            loading.display = False

    @work(exclusive=True, group="claim-write")
    async def action_attach(self) -> None:
        """Pick up to 5 files, read them off the event loop and attach them all or none."""
        from portal_tui.modals.upload_files import UploadFilesModal

        paths = await self.app.push_screen_wait(
            UploadFilesModal(f"Attach documents to claim {self.claim_number}")
        )
        if not paths:
            return
        self.say("Attaching…")
        try:
            files = await asyncio.to_thread(read_uploads, paths)
        except ValueError as error:
            self.say(str(error), error=True)
            return
        except OSError as error:
            self.say(f"A file could not be read: {error.strerror}", error=True)
            return
        try:
            await self.client.submit_claim_documents(self.claim_number, files)
        except PortalError as error:
            self.fail(error)
            return
        self.say(f"Attached {len(files)} file(s).")
        self.load()

    @work(exclusive=True, group="claim-write")
    async def action_inquiry(self) -> None:
        """Ask the payer to reconsider the claim."""
        from portal_core.models.claims import NewInquiry
        from portal_tui.modals.claim_request import ClaimRequestModal

        answer = await self.app.push_screen_wait(
            ClaimRequestModal(
                f"Inquiry on claim {self.claim_number}",
                "Ask the payer to reconsider: what is wrong and what you expect.",
                INQUIRY_REASONS,
            )
        )
        if answer is None:
            return
        reason, text = answer
        try:
            await self.client.file_inquiry(self.claim_number, NewInquiry(reason=reason, text=text))
        except PortalError as error:
            self.fail(error)
            return
        self.say("Inquiry sent; customer service answers it here.")
        self.load()

    @work(exclusive=True, group="claim-write")
    async def action_appeal(self) -> None:
        """File a grievance or appeal (the portal checks the 180 days and one open at a time)."""
        from portal_core.models.claims import NewAppeal
        from portal_tui.modals.claim_request import ClaimRequestModal

        deadline = self.claim.appeal_deadline if self.claim else None
        by = f" File by {deadline:%m/%d/%Y}." if deadline else ""
        answer = await self.app.push_screen_wait(
            ClaimRequestModal(
                f"Grievance or appeal on claim {self.claim_number}",
                "Within 180 days of the denial, one open at a time." + by,
                APPEAL_KINDS,
                "File",
            )
        )
        if answer is None:
            return
        kind, text = answer
        try:
            await self.client.file_appeal(self.claim_number, NewAppeal(kind=kind, text=text))
        except PortalError as error:
            self.fail(error)
            return
        self.say(f"{kind.capitalize()} filed.")
        self.load()

    @work(exclusive=True, group="claim-write")
    async def action_message(self) -> None:
        """Write a message about this claim, already linked to it."""
        from portal_tui.modals.message_compose import ComposeMessageModal

        tin = self.claim.tin if self.claim else None
        reference = await self.app.push_screen_wait(
            ComposeMessageModal(tin, "claim", self.claim_number)
        )
        if reference is not None:
            self.say(f"Message sent. Reference number {reference}.")
