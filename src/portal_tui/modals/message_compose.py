"""Write a new message: a general question with a category, or one about a record (opened from
that record's screen, already linked). Ctrl+S sends; the dialog closes with the reference number."""

from __future__ import annotations

from typing import ClassVar

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


class ComposeMessageModal(PortalModal[str | None]):
    """Dismisses with the new thread's reference number, or None (escape)."""

    DEFAULT_CSS = (
        "ComposeMessageModal {" + MODAL_CSS + "} ComposeMessageModal > Vertical { width: 80; }"
        " ComposeMessageModal TextArea { height: 8; }"
        " ComposeMessageModal .modal-error { color: $error; text-style: bold; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="compose.cancel"),
        Binding("ctrl+s", "send", "Send", id="compose.send"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | compose.cancel | Close without sending. |
    | ctrl+s | compose.send | Send the message. |
    """

    def __init__(
        self, tin: str | None = None, linked_kind: str | None = None, linked_id: str | None = None
    ) -> None:
        super().__init__()
        self.tin = tin
        """The Tax ID the thread belongs to (a linked claim's); None: the user picks one."""
        self.linked_kind = linked_kind
        """`claim` or `member` for a message about a record; None for a general one."""
        self.linked_id = linked_id
        """The record's number."""

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
                yield Select[str](
                    [(c.replace("_", " ").capitalize(), c) for c in CATEGORIES],
                    prompt="Category",
                    id="compose-category",
                )
            yield Input(placeholder="Subject", id="compose-subject")
            yield TextArea(id="compose-body")
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Send (ctrl+s)", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#compose-subject", Input).focus()

    def error(self, text: str) -> None:
        """Say why nothing was sent."""
        self.query_one(".modal-error", Static).update(printable(text))

    @on(Button.Pressed, "#ok")
    def _send_pressed(self) -> None:
        self.action_send()

    @work(exclusive=True, group="compose-send")
    async def action_send(self) -> None:
        """Send the message; the portal checks subject, body, category and the record."""
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
        if self.linked_kind:
            fields: dict[str, str | None] = {
                "topic": "transaction",
                "linked_kind": self.linked_kind,
                "linked_id": self.linked_id,
            }
        else:
            category = self.query_one("#compose-category", Select).value
            fields = {
                "topic": "general",
                "category": None if category is Select.NULL else str(category),
            }
        try:
            thread = await self.client.send_message(
                NewThread(tin=tin, subject=subject, body=body, **fields)
            )
        except PortalError as error:
            self.error(error.message)
            self.report_if_session_ended(error)
            return
        self.app.notify(f"Message sent. Reference number {thread.reference}.")
        self.dismiss(thread.reference)

    def report_if_session_ended(self, error: PortalError) -> None:
        """Send an ended session or a lost server to the app (they are not about this form)."""
        from portal_core.errors import BackendUnavailable, SessionExpired

        if isinstance(error, SessionExpired | BackendUnavailable):
            self.report(error)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
