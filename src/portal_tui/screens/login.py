"""The sign-in screen: username and password, then a TOTP code when the account asks for one.

Kept light on imports: this is the first screen painted, before the backend is open.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.widgets import Button, Footer, Input, Label, Static

from portal_core.errors import MigrationRequired, PortalError, SecondFactorRequired
from portal_tui.assets import stylesheet
from portal_tui.messages import SignedIn
from portal_tui.screens.base import PortalScreen


class LoginScreen(PortalScreen[None]):
    """Sign in to the portal."""

    CSS_PATH = stylesheet("login")
    AUTO_FOCUS = "#username"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "register", "Register", id="login.register"),
        Binding("f3", "recover", "Forgot username or password", id="login.recover"),
    ]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static("Provider portal", id="login-title")
            yield Label("Username", classes="field-label")
            yield Input(id="username", placeholder="Username")
            yield Label("Password", classes="field-label")
            yield Input(id="password", password=True, placeholder="Password")
            yield Label("Code from your authenticator app", classes="field-label totp")
            yield Input(
                id="totp", placeholder="6 digits", max_length=8, classes="totp", restrict=r"[0-9 ]*"
            )
            yield Static("", id="login-message")
            yield Button("Sign in", id="sign-in", variant="primary")
        yield Footer()

    @property
    def _message(self) -> Static:
        return self.query_one("#login-message", Static)

    def _say(self, text: str, *, error: bool = False) -> None:
        self._message.update(text)
        self._message.set_class(error, "error")

    @on(Input.Submitted, "#username")
    def _to_password(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password, #totp")
    @on(Button.Pressed, "#sign-in")
    def _submit(self) -> None:
        self.sign_in()

    @work(exclusive=True, group="sign-in")
    async def sign_in(self) -> None:
        """Check the credentials and start a session."""
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        code = self.query_one("#totp", Input).value.replace(" ", "") or None
        if not username or not password:
            self._say("Type your username and password.", error=True)
            return
        button = self.query_one("#sign-in", Button)
        button.disabled = True
        self._say("Signing in…")
        try:
            client = await self.portal.wait_for_client()
            result = await client.sign_in(username, password, code)
        except MigrationRequired:
            from portal_tui.screens.migration import MigrationScreen

            self._say("")
            self.app.push_screen(MigrationScreen(username, password))
        except SecondFactorRequired as error:
            self.add_class("needs-totp")
            self._say(error.message or "Enter the code from your authenticator app.")
            self.query_one("#totp", Input).focus()
        except PortalError as error:
            self._say(error.message, error=True)
            if code is None:
                self.query_one("#password", Input).value = ""
                self.query_one("#password", Input).focus()
            else:
                self.query_one("#totp", Input).value = ""
        else:
            self._say("")
            self.post_message(SignedIn(result.account))
        finally:
            button.disabled = False

    def action_register(self) -> None:
        from portal_tui.screens.register import RegisterScreen

        self.app.push_screen(RegisterScreen())

    def action_recover(self) -> None:
        from portal_tui.screens.recover import RecoverScreen

        self.app.push_screen(RecoverScreen())
