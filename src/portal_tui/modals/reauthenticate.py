"""The idle lock: covers the screens (which stay as they were) until the password is typed again."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from portal_core.errors import PortalError, SessionExpired
from portal_tui.messages import SessionLost
from portal_tui.modals.confirm import MODAL_CSS
from portal_tui.screens.base import PortalModal


class ReauthenticateModal(PortalModal[bool]):
    """Asks for the password; dismisses with True once the server accepts it."""

    DEFAULT_CSS = (
        "ReauthenticateModal {" + MODAL_CSS + "} ReauthenticateModal { background: $background; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = []
    AUTO_FOCUS = "#lock-password"

    def compose(self) -> ComposeResult:
        account = self.portal.account
        who = account.username if account else ""
        with Vertical():
            yield Static("Screen locked", classes="modal-title")
            yield Static(
                f"You were away for a while. Type the password of {who} to go on; "
                "your work is kept as you left it.",
                classes="modal-text",
                markup=False,
            )
            yield Input(id="lock-password", password=True, placeholder="Password")
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Sign out", id="lock-sign-out")
                yield Button("Unlock", id="unlock", variant="primary")

    @on(Input.Submitted)
    @on(Button.Pressed, "#unlock")
    def _submit(self) -> None:
        self.unlock()

    @on(Button.Pressed, "#lock-sign-out")
    def _sign_out(self) -> None:
        self.portal.action_sign_out()

    @work(exclusive=True, group="unlock")
    async def unlock(self) -> None:
        """Check the password with the server."""
        field = self.query_one("#lock-password", Input)
        error_line = self.query_one(".modal-error", Static)
        if not field.value:
            error_line.update("Type your password.")
            return
        error_line.update("Checking…")
        try:
            await self.client.verify_password(field.value)
        except SessionExpired as error:
            self.post_message(SessionLost(error.message))
        except PortalError as error:
            field.value = ""
            error_line.update(error.message)
        else:
            field.value = ""
            self.dismiss(True)
