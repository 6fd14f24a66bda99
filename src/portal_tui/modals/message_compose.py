"""Write a new message or a reply, with up to five attached files.

A new message is a general question with a category, or one about a record: opened from that
record's screen it is already linked; from the inbox the user picks the kind of record and types its
number (the portal refuses a record the user cannot see, and says so). Ctrl+T picks files to attach
(picking again replaces the list), ctrl+S sends; the compose dialog closes with the reference
number, the reply dialog with the text and files to post.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static, TextArea

from portal_core.errors import PortalError
from portal_core.models.messages import CATEGORIES
from portal_tui.display_text import plain_label, printable
from portal_tui.modals.confirm import MODAL_CSS
from portal_tui.screens.base import PortalModal

if TYPE_CHECKING:
    from portal_core.models.claims import UploadFile

MAX_FILES = 5
"""Files one post may carry (the portal checks it again)."""

GENERAL = "general"
"""The "about" choice of a general question."""

RECORD_KINDS = (
    ("claim", "A claim", "Claim number, e.g. C2026000123456"),
    ("member", "A member", "Member ID, e.g. NW100000001"),
    ("preauth", "A preauthorization", "Preauthorization number, PA-…"),
    ("referral", "A referral", "Referral number, REF-…"),
    ("admission", "An admission", "Admission number, ADM-…"),
)
"""(kind, label, what to type) of the records a message can be about."""

_PLACEHOLDER = {kind: hint for kind, _, hint in RECORD_KINDS}

ResultT = TypeVar("ResultT")


def attachment_line(files: list[UploadFile]) -> str:
    """`Attached: a.pdf (12,345 bytes), b.txt (20 bytes)`, or a hint when there is none."""
    if not files:
        return "No files attached (ctrl+t attaches up to 5)."
    return "Attached: " + ", ".join(f"{f.file_name} ({len(f.content):,} bytes)" for f in files)


class AttachingModal(PortalModal[ResultT]):
    """What compose and reply share: the list of files picked and ctrl+t to pick them."""

    files: list[UploadFile]
    """The files to send with the post."""

    def show_files(self) -> None:
        """Say which files go with the post."""
        self.query_one("#attached", Static).update(printable(attachment_line(self.files)))

    def error(self, text: str) -> None:
        """Say why nothing was sent (or attached)."""
        self.query_one(".modal-error", Static).update(printable(text))

    @work(exclusive=True, group="compose-attach")
    async def action_attach(self) -> None:
        """Pick up to 5 files and read them off the event loop; they replace the list."""
        from portal_tui.modals.upload_files import UploadFilesModal
        from portal_tui.screens.claim_detail import read_uploads

        paths = await self.app.push_screen_wait(UploadFilesModal("Attach files to the message"))
        if not paths:
            return
        try:
            files = await asyncio.to_thread(read_uploads, paths)
        except ValueError as error:
            self.error(str(error))
            return
        except OSError as error:
            self.error(f"A file could not be read: {error.strerror}")
            return
        self.files = files[:MAX_FILES]
        self.error("")
        self.show_files()

    def report_if_session_ended(self, error: PortalError) -> None:
        """Send an ended session or a lost server to the app (they are not about this form)."""
        from portal_core.errors import BackendUnavailable, SessionExpired

        if isinstance(error, SessionExpired | BackendUnavailable):
            self.report(error)


class ComposeMessageModal(AttachingModal[str | None]):
    """Dismisses with the new thread's reference number, or None (escape)."""

    DEFAULT_CSS = (
        "ComposeMessageModal {" + MODAL_CSS + "} ComposeMessageModal > Vertical { width: 80; }"
        " ComposeMessageModal TextArea { height: 6; }"
        " ComposeMessageModal #compose-about-row { height: auto; }"
        " ComposeMessageModal #compose-about { width: 1fr; }"
        " ComposeMessageModal #compose-category, ComposeMessageModal #compose-record"
        " { width: 1fr; }"
        " ComposeMessageModal #attached { color: $text-muted; }"
        " ComposeMessageModal .modal-error { color: $error; text-style: bold; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="compose.cancel"),
        Binding("ctrl+s", "send", "Send", id="compose.send"),
        Binding("ctrl+t", "attach", "Attach files", id="compose.attach"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | compose.cancel | Close without sending. |
    | ctrl+s | compose.send | Send the message. |
    | ctrl+t | compose.attach | Attach up to 5 files (picking again replaces them). |
    """

    def __init__(
        self, tin: str | None = None, linked_kind: str | None = None, linked_id: str | None = None
    ) -> None:
        super().__init__()
        self.tin = tin
        """The Tax ID the thread belongs to (a linked claim's); None: the user picks one."""
        self.linked_kind = linked_kind
        """The kind of record the message is about when opened from its screen; None: the user
        chooses (a general question or a record typed in)."""
        self.linked_id = linked_id
        """The record's number."""
        self.files = []

    def _tins(self) -> list[tuple[str, str]]:
        """(tin, label) of the user's active Tax IDs, the active one first."""
        account = self.portal.account
        if account is None:
            return []
        tins = [(r.tin, f"{r.tin_name} ({r.tin})") for r in account.roles if r.status == "active"]
        tins.sort(key=lambda pair: pair[0] != account.active_tin)
        return list(dict.fromkeys(tins))

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.linked_kind:
                title = f"Message about {self.linked_kind} {self.linked_id}"
            else:
                title = "New message"
            yield Static(printable(title), classes="modal-title", markup=False)
            if self.tin is None:
                tins = self._tins()
                yield Select[str](
                    [(plain_label(label), tin) for tin, label in tins],
                    value=tins[0][0] if tins else Select.NULL,
                    prompt="Tax ID",
                    id="compose-tin",
                )
            if not self.linked_kind:
                with Horizontal(id="compose-about-row"):
                    yield Select[str](
                        [("A general question", GENERAL)]
                        + [(label, kind) for kind, label, _ in RECORD_KINDS],
                        value=GENERAL,
                        allow_blank=False,
                        id="compose-about",
                    )
                    yield Select[str](
                        [(c.replace("_", " ").capitalize(), c) for c in CATEGORIES],
                        prompt="Category",
                        id="compose-category",
                    )
                    yield Input(placeholder="Record number", id="compose-record")
            yield Input(placeholder="Subject", id="compose-subject")
            yield TextArea(id="compose-body")
            yield Static(attachment_line([]), id="attached", markup=False)
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Attach (ctrl+t)", id="attach")
                yield Button("Send (ctrl+s)", id="ok", variant="primary")

    def on_mount(self) -> None:
        if not self.linked_kind:
            self.query_one("#compose-record", Input).display = False
        self.query_one("#compose-subject", Input).focus()

    @property
    def about(self) -> str:
        """`general`, or the kind of record the message is about."""
        if self.linked_kind:
            return self.linked_kind
        value = self.query_one("#compose-about", Select).value
        return GENERAL if value is Select.NULL else str(value)

    @on(Select.Changed, "#compose-about")
    def _about_changed(self) -> None:
        """A general question asks for a category; one about a record, for its number."""
        general = self.about == GENERAL
        self.query_one("#compose-category", Select).display = general
        record = self.query_one("#compose-record", Input)
        record.display = not general
        if not general:
            record.placeholder = _PLACEHOLDER.get(self.about, "Record number")

    @on(Button.Pressed, "#ok")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#attach")
    def _attach_pressed(self) -> None:
        self.action_attach()

    @work(exclusive=True, group="compose-send")
    async def action_send(self) -> None:
        """Send the message; the portal checks subject, body, category, the record and files."""
        from portal_core.models.messages import NewThread

        subject = self.query_one("#compose-subject", Input).value
        body = self.query_one("#compose-body", TextArea).text
        tin = self.tin
        if tin is None:
            tin_value = self.query_one("#compose-tin", Select).value
            if tin_value is Select.NULL:
                self.error("Choose the Tax ID the message is for.")
                return
            tin = str(tin_value)
        about = self.about
        fields: dict[str, str | None]
        if about == GENERAL:
            category = self.query_one("#compose-category", Select).value
            fields = {
                "topic": "general",
                "category": None if category is Select.NULL else str(category),
            }
        else:
            record = self.linked_id
            if not self.linked_kind:
                record = self.query_one("#compose-record", Input).value.strip()
                if not record:
                    self.error(f"Type the {about} number the message is about.")
                    self.query_one("#compose-record", Input).focus()
                    return
            fields = {"topic": "transaction", "linked_kind": about, "linked_id": record}
        try:
            thread = await self.client.send_message(
                NewThread(tin=tin, subject=subject, body=body, attachments=self.files, **fields)
            )
        except PortalError as error:
            self.error(error.message)
            self.report_if_session_ended(error)
            return
        self.app.notify(f"Message sent. Reference number {thread.reference}.")
        self.dismiss(thread.reference)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ReplyModal(AttachingModal["tuple[str, list[UploadFile]] | None"]):
    """Dismisses with (text, files) to post, or None (escape); the screen sends it."""

    DEFAULT_CSS = (
        "ReplyModal {" + MODAL_CSS + "} ReplyModal > Vertical { width: 80; }"
        " ReplyModal TextArea { height: 8; }"
        " ReplyModal #attached { color: $text-muted; }"
        " ReplyModal .modal-error { color: $error; text-style: bold; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="reply.cancel"),
        Binding("ctrl+s", "send", "Send", id="reply.send"),
        Binding("ctrl+t", "attach", "Attach files", id="reply.attach"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | reply.cancel | Close without sending. |
    | ctrl+s | reply.send | Send the reply. |
    | ctrl+t | reply.attach | Attach up to 5 files (picking again replaces them). |
    """

    def __init__(self, reference: str) -> None:
        super().__init__()
        self.reference = reference
        """The thread replied to."""
        self.files = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                printable(f"Reply to {self.reference}"), classes="modal-title", markup=False
            )
            yield Static("Plain text; ctrl+s sends.", classes="modal-text")
            yield TextArea(id="reply-body")
            yield Static(attachment_line([]), id="attached", markup=False)
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Attach (ctrl+t)", id="attach")
                yield Button("Send (ctrl+s)", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#reply-body", TextArea).focus()

    @on(Button.Pressed, "#attach")
    def _attach_pressed(self) -> None:
        self.action_attach()

    @on(Button.Pressed, "#ok")
    def action_send(self) -> None:
        text = self.query_one("#reply-body", TextArea).text
        if not text.strip():
            self.error("Write your reply.")
            return
        self.dismiss((text, list(self.files)))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
