"""One preauthorization request: status and decision clock, codes, units and dates, the answers
(not for billing users), the status history and the determination letters (enter reads one, `s`
saves it to a file only the user can read). From here the provider's office changes units or
dates, cancels, withdraws, attaches files and writes a message about the request; a `reviewer`
decides it (from the queue, the next request follows)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import LoadingIndicator, Static

from portal_core.errors import PortalError, SessionExpired
from portal_core.rules.identifiers import format_tin
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable, when
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.documents import DocumentSummary
    from portal_core.models.preauth import PreauthDetail, PreauthTemplate

QUEUE_LOOKAHEAD = 5
"""Queue rows fetched to find the next request after a decision."""

LETTER_COLUMNS: list[Column[DocumentSummary]] = [
    Column("Filed", 20, lambda d: when(d.created_at)),
    Column("Letter", 0, lambda d: d.file_name),
]


def status_words(status: str) -> str:
    """`partially_approved` → `partly approved`."""
    return "partly approved" if status == "partially_approved" else status.replace("_", " ")


def outcome_text(detail: PreauthDetail) -> str:
    """What the portal decided, in a sentence (after a submission or a decision)."""
    number = detail.number
    if detail.status == "approved":
        units = detail.approved_units or detail.units
        return f"{number} is approved: {units} unit(s), {detail.start_date:%m/%d/%Y} to " + (
            f"{detail.end_date:%m/%d/%Y}."
        )
    if detail.status == "partially_approved":
        return f"{number} is partly approved: {detail.approved_units} of {detail.units} unit(s)."
    if detail.status == "denied":
        reason = detail.decision_reason_text or detail.decision_reason or ""
        return f"{number} is denied. {reason}".strip()
    if detail.status in ("pended", "submitted"):
        clock = detail.time_left_text or ""
        due = f" (decision due {when(detail.due_at)})" if detail.due_at else ""
        info = " Information was requested." if detail.information_requested else ""
        return f"{number} is pended for review: {clock}{due}.{info}"
    return f"{number} is {status_words(detail.status)}."


def detail_text(detail: PreauthDetail, template: PreauthTemplate | None) -> str:
    """The request in words, section by section."""
    lines: list[str] = []
    status = f"{status_words(detail.status)} · {detail.urgency}"
    if detail.status in ("submitted", "pended") and detail.time_left_text:
        status += f" · {detail.time_left_text} (due {when(detail.due_at)})"
    elif detail.status == "draft" and detail.draft_expires_at:
        status += f" · draft kept until {when(detail.draft_expires_at)}"
    lines.append(f"Status     {status}")
    lines.append(f"Member     {detail.member_name} ({detail.member_id})")
    lines.append(f"Request    {detail.template_name}")
    codes = ", ".join(detail.procedure_codes)
    diagnoses = ", ".join(detail.diagnosis_codes) or "none given"
    lines.append(f"Codes      {codes} · diagnoses {diagnoses}")
    unit_label = template.unit_label if template else "units"
    units = f"{detail.units} {unit_label}"
    if detail.approved_units is not None:
        units += f" (approved {detail.approved_units})"
    lines.append(f"Units      {units}")
    lines.append(f"Dates      {detail.start_date:%m/%d/%Y} to {detail.end_date:%m/%d/%Y}")
    lines.append(
        f"TIN        {format_tin(detail.tin)} · requesting NPI {detail.requesting_npi} · "
        f"servicing NPI {detail.servicing_npi}"
    )
    requested = f"Requested  by {detail.requested_by} on {when(detail.created_at)}"
    if detail.submitted_at:
        requested += f"; submitted {when(detail.submitted_at)}"
    lines.append(requested)
    if detail.decided_at:
        decision = f"Decision   {status_words(detail.status)} on {when(detail.decided_at)}"
        if detail.decision_reason_text:
            decision += f": {detail.decision_reason_text}"
        lines.append(decision)
        if detail.decision_note:
            lines.append(f"           {detail.decision_note}")
    if detail.information_requested:
        lines.append(f"Asked for  {detail.information_requested} (c sends it as a change note)")
    lines.append("")
    if detail.answers is None:
        lines.append("Answers and attachments: clinical detail is not shown to billing users.")
    else:
        lines.append("Answers")
        labels = {q.id: q.label for q in template.questions} if template else {}
        if not detail.answers:
            lines.append("  none yet")
        for question_id, answer in detail.answers.items():
            lines.append(f"  {labels.get(question_id, question_id)}: {answer}")
        lines.append("")
        attached = ", ".join(d.file_name for d in detail.attachments or []) or "none"
        lines.append(f"Attachments  {attached}")
        if detail.required_attachments:
            lines.append(f"Asked for    {', '.join(detail.required_attachments)}")
    lines.append("")
    lines.append("History")
    for entry in detail.history:
        note = f" · {entry.note}" if entry.note else ""
        lines.append(f"  {when(entry.at)}  {status_words(entry.status):<15} {entry.by}{note}")
    lines.append("")
    count = len(detail.letters)
    lines.append(
        f"Letters: {count} (l goes to them; enter reads one, s saves it)"
        if count
        else "Letters: none"
    )
    return "\n".join(lines)


class PreauthDetailScreen(MenuScreen):
    """A request the user may see, with what they can do about it."""

    MENU = "preauth"
    GUIDE = "preauth"
    CSS_PATH = stylesheet("preauth_detail")
    AUTO_FOCUS = "#pa-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="preauth_detail.back"),
        Binding("e", "edit", "Edit draft", id="preauth_detail.edit"),
        Binding("d", "decide", "Decide", id="preauth_detail.decide"),
        Binding("c", "change", "Change", id="preauth_detail.change"),
        Binding("u", "attach", "Attach", id="preauth_detail.attach"),
        Binding("x", "cancel", "Cancel", id="preauth_detail.cancel"),
        Binding("w", "withdraw", "Withdraw", id="preauth_detail.withdraw"),
        Binding("m", "message", "Message", id="preauth_detail.message"),
        Binding("l", "letters", "Letters", id="preauth_detail.letters"),
        Binding("s", "save_letter", "Save letter", show=False, id="preauth_detail.save_letter"),
        Binding("f5", "refresh", "Refresh", show=False, id="preauth_detail.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | preauth_detail.back | Back. |
    | e | preauth_detail.edit | Reopen a draft in its form. |
    | d | preauth_detail.decide | Reviewers: decide the request. |
    | c | preauth_detail.change | New units or dates, or a note (until decided). |
    | u | preauth_detail.attach | Attach up to 5 files. |
    | x | preauth_detail.cancel | Cancel the request (asks for a reason). |
    | w | preauth_detail.withdraw | Withdraw a submitted request (asks for a reason). |
    | m | preauth_detail.message | Write a message about this request. |
    | l | preauth_detail.letters | To the letters (enter reads one). |
    | s | preauth_detail.save_letter | Save the letter under the cursor to a file. |
    | f5 | preauth_detail.refresh | Fetch again. |
    """

    def __init__(self, number: str, from_queue: bool = False, notice: str = "") -> None:
        super().__init__()
        self.number = number.strip().upper()
        """The request shown."""
        self.from_queue = from_queue
        """Opened from the review queue: after a decision the next request follows."""
        self.notice = notice
        """What to say first (e.g. the outcome of the submission that opened this screen)."""
        self.detail: PreauthDetail | None = None
        """The request as last loaded."""
        self.template: PreauthTemplate | None = None
        """Its template (for the questions' words), when the user may read it."""

    def compose_content(self) -> ComposeResult:
        yield Static(printable(f"Preauthorization {self.number}"), id="pa-title", markup=False)
        yield Static(printable(self.notice), id="pa-message", markup=False)
        yield LoadingIndicator(id="pa-loading")
        with VerticalScroll(id="pa-body"):
            yield Static("", id="pa-facts", markup=False)
        yield ResultTable["DocumentSummary"](
            LETTER_COLUMNS, key=lambda d: d.id, empty_text="No letters.", id="pa-letters"
        )

    @property
    def letters(self) -> ResultTable[DocumentSummary]:
        return self.query_one("#pa-letters", ResultTable)

    def on_mount(self) -> None:
        self.letters.display = False
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def say(self, text: str, error: bool = False) -> None:
        """The line under the title (red for a problem)."""
        message = self.query_one("#pa-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def fail(self, error: PortalError) -> None:
        """Say what went wrong under the title; an ended session goes back to sign-in."""
        self.say(error.message, error=True)
        if isinstance(error, SessionExpired):
            self.report(error)

    @property
    def is_reviewer(self) -> bool:
        account = self.portal.account
        return account is not None and account.payer_role == "reviewer"

    @property
    def is_provider_side(self) -> bool:
        """Whether the user makes (and so changes, cancels, withdraws) requests."""
        from portal_tui.screens.preauth import may_request

        return may_request(self.portal.account)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        detail = self.detail
        if detail is None:
            return action in {"back", "refresh"}
        status = detail.status
        open_ = status in ("submitted", "pended")
        if action == "decide":
            return self.is_reviewer and open_
        if action == "edit":
            return status == "draft" and self.is_provider_side
        if action == "change":
            return open_ and self.is_provider_side
        if action == "cancel":
            return (open_ or status == "draft") and self.is_provider_side
        if action == "withdraw":
            return open_ and self.is_provider_side
        if action == "attach":
            return (open_ or status == "draft") and self.is_provider_side
        if action in {"letters", "save_letter"}:
            return bool(detail.letters)
        return True

    @work(exclusive=True, group="preauth-detail")
    async def load(self) -> None:
        """Fetch the request (and, once, its template for the questions' words)."""
        loading = self.query_one("#pa-loading")
        loading.display = True
        try:
            try:
                detail = await self.client.get_preauth(self.number)
            except PortalError as error:
                self.fail(error)
                return
            if self.template is None or self.template.id != detail.template_id:
                try:
                    self.template = await self.client.get_preauth_template(detail.template_id)
                except PortalError:
                    # The words of the questions are a nicety: their ids show instead.
                    self.template = None
        finally:
            loading.display = False
        self.show(detail)

    def show(self, detail: PreauthDetail) -> None:
        """Show the request and its letters."""
        self.detail = detail
        self.query_one("#pa-title", Static).update(
            printable(f"Preauthorization {detail.number} · {status_words(detail.status)}")
        )
        self.query_one("#pa-facts", Static).update(printable(detail_text(detail, self.template)))
        letters = self.letters
        letters.reset()
        letters.append_page(detail.letters, None, len(detail.letters))
        letters.display = bool(detail.letters)
        self.refresh_bindings()

    # -- letters ----------------------------------------------------------------------------------
    def action_letters(self) -> None:
        self.letters.focus()

    @on(ResultTable.Opened, "#pa-letters")
    def _letter_opened(self, event: ResultTable.Opened) -> None:
        summary: DocumentSummary = event.row  # type: ignore[assignment]
        self.read_letter(summary)

    def read_letter(self, summary: DocumentSummary) -> None:
        """Show a letter in the document viewer (fetched with `get_document`, text shown as
        text; `s` there saves it)."""
        from portal_tui.screens.documents import DocumentViewerScreen

        self.app.push_screen(DocumentViewerScreen(summary.id))

    @work(exclusive=True, group="preauth-letter")
    async def action_save_letter(self) -> None:
        """Save the letter under the cursor (the latest when none is) to a 0600 file."""
        from portal_tui.screens.documents import save_document

        summary = self.letters.current
        if summary is None and self.detail and self.detail.letters:
            summary = self.detail.letters[0]
        if summary is None:
            return
        said = await save_document(self, summary.id, summary.file_name)
        if said:
            self.say(said, error=not said.startswith("Saved"))

    # -- the provider's actions ---------------------------------------------------------------
    def action_edit(self) -> None:
        from portal_tui.screens.preauth_form import PreauthFormScreen

        self.app.switch_screen(PreauthFormScreen(draft_number=self.number))

    @work(exclusive=True, group="preauth-write")
    async def action_change(self) -> None:
        """New units or dates, or a note (the information asked for)."""
        from portal_tui.modals.preauth_change import PreauthChangeModal

        if self.detail is None:
            return
        changed = await self.app.push_screen_wait(PreauthChangeModal(self.detail))
        if changed is not None:
            self.show(changed)
            self.say("Change saved.")

    @work(exclusive=True, group="preauth-write")
    async def action_cancel(self) -> None:
        await self.end("cancel")

    @work(exclusive=True, group="preauth-write")
    async def action_withdraw(self) -> None:
        await self.end("withdraw")

    async def end(self, how: str) -> None:
        """Cancel or withdraw, after a reason (the reason is the confirmation)."""
        from portal_tui.modals.justification import JustificationModal

        verb = "Cancel" if how == "cancel" else "Withdraw"
        reason = await self.app.push_screen_wait(
            JustificationModal(
                f"{verb} preauthorization {self.number}?",
                "It cannot be undone: a new request would be needed. Why?",
                verb,
            )
        )
        if reason is None:
            return
        try:
            if how == "cancel":
                detail = await self.client.cancel_preauth(self.number, reason)
            else:
                detail = await self.client.withdraw_preauth(self.number, reason)
        except PortalError as error:
            self.fail(error)
            return
        self.show(detail)
        self.say(outcome_text(detail))

    @work(exclusive=True, group="preauth-write")
    async def action_attach(self) -> None:
        """Pick up to 5 files, read them off the event loop and attach them all or none."""
        from portal_tui.modals.upload_files import UploadFilesModal
        from portal_tui.screens.claim_detail import read_uploads

        paths = await self.app.push_screen_wait(
            UploadFilesModal(f"Attach files to preauthorization {self.number}")
        )
        if not paths:
            return
        try:
            files = await asyncio.to_thread(read_uploads, paths)
        except ValueError as error:
            self.say(str(error), error=True)
            return
        except OSError as error:
            self.say(f"A file could not be read: {error.strerror}", error=True)
            return
        try:
            detail = await self.client.attach_preauth_files(self.number, files)
        except PortalError as error:
            self.fail(error)
            return
        self.show(detail)
        self.say(f"Attached {len(files)} file(s).")

    @work(exclusive=True, group="preauth-write")
    async def action_message(self) -> None:
        """Write a message about this request, already linked to it."""
        from portal_tui.modals.message_compose import ComposeMessageModal

        tin = self.detail.tin if self.detail else None
        reference = await self.app.push_screen_wait(
            ComposeMessageModal(tin, "preauth", self.number)
        )
        if reference is not None:
            self.say(f"Message sent. Reference number {reference}.")

    # -- the reviewer's decision ----------------------------------------------------------------
    @work(exclusive=True, group="preauth-write")
    async def action_decide(self) -> None:
        """Decide; from the queue, go on to the next request."""
        from portal_tui.modals.preauth_decision import PreauthDecisionModal

        if self.detail is None:
            return
        decided = await self.app.push_screen_wait(PreauthDecisionModal(self.detail))
        if decided is None:
            return
        done = outcome_text(decided)
        if not self.from_queue:
            self.show(decided)
            self.say(done)
            return
        try:
            page = await self.client.preauth_queue(limit=QUEUE_LOOKAHEAD)
        except PortalError as error:
            self.show(decided)
            self.fail(error)
            return
        following = [row for row in page.items if row.number != decided.number]
        if not following:
            self.show(decided)
            self.say(f"{done} The queue is empty.")
            return
        self.number = following[0].number
        self.notice = f"{done} Next: {self.number}."
        self.say(self.notice)
        self.load()
