"""The sign-in screen: username and password, then a TOTP code when the account asks for one.

Kept light on imports: this is the first screen painted, before the backend is open.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.widgets import Button, Footer, Input, Label, Static

from portal_core.errors import (
    BackendUnavailable,
    MigrationRequired,
    PortalError,
    SecondFactorRequired,
)
from portal_tui.assets import stylesheet
from portal_tui.messages import SignedIn
from portal_tui.screens.base import TypeAheadForm


class LoginScreen(TypeAheadForm[None]):
    """Sign in to the portal.

    A fast typist sends `name`, tab (or enter), `password`, enter in one burst, often before the
    backend is open. Tab and enter are priority bindings, so the focus moves before the next key
    is read; keys read before the username field has the focus are typed into it.
    """

    CSS_PATH = stylesheet("login")
    GUIDE = "sign-in"
    AUTO_FOCUS = "#username"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "register", "Register", id="login.register"),
        Binding("f3", "recover", "Forgot password", id="login.recover"),
        Binding("enter", "submit_field", "Sign in", show=False, priority=True, id="login.submit"),
    ]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static("Provider portal", id="login-title")
            yield Label("Username", classes="field-label")
            # Not select-on-focus: keys typed before the focus arrived stay when it does.
            yield Input(id="username", placeholder="Username", select_on_focus=False)
            yield Label("Password", classes="field-label")
            yield Input(id="password", password=True, placeholder="Password")
            yield Label(
                "Code from your authenticator app, or a recovery code", classes="field-label totp"
            )
            yield Input(
                id="totp",
                placeholder="6 digits, or xxxxx-xxxxx",
                max_length=14,
                classes="totp",
                restrict=r"[0-9A-Za-z -]*",
            )
            yield Static("", id="login-message", markup=False)
            yield Button("Sign in", id="sign-in", variant="primary")
        yield Footer()

    @property
    def _message(self) -> Static:
        return self.query_one("#login-message", Static)

    def _say(self, text: str, *, error: bool = False) -> None:
        self._message.update(text)
        self._message.set_class(error, "error")

    def action_submit_field(self) -> None:
        """Enter: from the username go to the password (at once), else sign in."""
        focused = self.focused
        if isinstance(focused, Input) and focused.id == "username":
            self.set_focus(self.query_one("#password", Input))
        elif isinstance(focused, Button) and focused.id != "sign-in":
            focused.press()
        else:
            self.sign_in()

    def on_key(self, event: events.Key) -> None:
        # A key that reached the screen itself came before any field had the focus (the first
        # frame): it belongs in the username.
        if self.focused is None and event.is_printable and event.character:
            event.stop()
            username = self.query_one("#username", Input)
            username.insert_text_at_cursor(event.character)
            self.set_focus(username)

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
        except BackendUnavailable as error:
            # Not the user's fault: keep what was typed, so the retry key signs in as it is.
            self._say(f"{error.message} Press {self.portal.retry_key} to try again.", error=True)
            self.portal.backend_lost(error)
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
