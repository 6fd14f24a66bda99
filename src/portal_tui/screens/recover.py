"""Recover access: forgot username, forgot password, and reset with the mailed code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button, Footer, Input, Label, Static, TabbedContent, TabPane

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.screens.base import TypeAheadForm


class RecoverScreen(TypeAheadForm[None]):
    """Three tabs: forgot username, forgot password, reset password."""

    CSS_PATH = stylesheet("recover")
    GUIDE = "sign-in"
    AUTO_FOCUS = "#forgot-email"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to sign-in", id="recover.back"),
    ]

    def compose(self) -> ComposeResult:
        yield Static("Recover access", classes="screen-title")
        with TabbedContent(id="recover-tabs"):
            with TabPane("Forgot username", id="tab-username"):
                yield Label("Email address you registered with")
                yield Input(id="forgot-email")
                yield Button("Mail my usernames", id="send-usernames", variant="primary")
                yield Static("", classes="answer", id="answer-username", markup=False)
            with TabPane("Forgot password", id="tab-password"):
                yield Label("Username")
                yield Input(id="reset-username")
                yield Label("Email address")
                yield Input(id="reset-email")
                yield Button("Mail me a reset code", id="send-reset", variant="primary")
                yield Static("", classes="answer", id="answer-password", markup=False)
            with TabPane("Reset with code", id="tab-reset"):
                yield Label("Code from the mail")
                yield Input(id="reset-code")
                yield Label("New password (at least 15 characters)")
                yield Input(id="new-password", password=True)
                yield Button("Set new password", id="do-reset", variant="primary")
                yield Static("", classes="answer", id="answer-reset", markup=False)
        yield Footer()

    def action_back(self) -> None:
        self.dismiss(None)

    def value(self, name: str) -> str:
        """The trimmed text of an input."""
        return self.query_one(f"#{name}", Input).value.strip()

    @work(exclusive=True, group="recover")
    async def _run(self, answer_id: str, call: Callable[[], Awaitable[None]], done: str) -> None:
        answer = self.query_one(f"#{answer_id}", Static)
        answer.remove_class("error")
        answer.update("Sending…")
        try:
            await self.portal.wait_for_client()
            await call()
        except PortalError as error:
            answer.add_class("error")
            answer.update(error.message)
            return
        answer.update(done)

    @on(Input.Submitted, "#forgot-email")
    @on(Button.Pressed, "#send-usernames")
    def _forgot_username(self) -> None:
        email = self.value("forgot-email")
        if not email:
            self.query_one("#answer-username", Static).update("Type your email address.")
            return
        self._run(
            "answer-username",
            lambda: self.client.forgot_username(email),
            "If that address is registered, its usernames are on their way by mail.",
        )

    @on(Input.Submitted, "#reset-username, #reset-email")
    @on(Button.Pressed, "#send-reset")
    def _forgot_password(self) -> None:
        username, email = self.value("reset-username"), self.value("reset-email")
        if not username or not email:
            self.query_one("#answer-password", Static).update("Type your username and email.")
            return
        self._run(
            "answer-password",
            lambda: self.client.request_password_reset(username, email),
            "If they match an account, a reset code is on its way by mail. It is valid 30 "
            "minutes; type it on the 'Reset with code' tab.",
        )

    @on(Input.Submitted, "#reset-code, #new-password")
    @on(Button.Pressed, "#do-reset")
    def _reset(self) -> None:
        code = self.value("reset-code")
        password = self.query_one("#new-password", Input).value
        if not code or not password:
            self.query_one("#answer-reset", Static).update("Type the code and a new password.")
            return
        self._run(
            "answer-reset",
            lambda: self.client.reset_password(code, password),
            "Your password is set. Press escape and sign in with it.",
        )
