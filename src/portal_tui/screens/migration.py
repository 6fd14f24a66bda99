"""Move over from the old portal: an imported account's first sign-in chooses a new username and
password and gives an email address, which is used once the code mailed to it is entered."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.messages import SignedIn
from portal_tui.screens.base import TypeAheadForm

if TYPE_CHECKING:
    from portal_core.models.identity import SignInResult


class MigrationScreen(TypeAheadForm[None]):
    """Choose a new username and password for an account from the old portal."""

    CSS_PATH = stylesheet("migration")
    GUIDE = "sign-in"
    AUTO_FOCUS = "#new-username"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to sign-in", id="migration.back"),
        Binding("ctrl+s", "submit", "Move account", id="migration.submit"),
    ]

    def __init__(self, legacy_username: str, legacy_password: str) -> None:
        super().__init__()
        self.legacy_username = legacy_username
        """The old portal's username, as typed on the sign-in screen."""
        self._legacy_password = legacy_password
        self.result: SignInResult | None = None
        """The signed-in result of the move, kept until the address step is done."""

    def compose(self) -> ComposeResult:
        yield Static("Move your account from the old portal", classes="screen-title")
        with VerticalScroll(id="migration-form"):
            yield Static(
                f"{self.legacy_username} comes from the old portal. Choose a new username and "
                "password and confirm your email address; then you are signed in.",
                classes="hint",
                markup=False,
            )
            yield Label("New username (6-30 letters, digits, . _ -)")
            yield Input(id="new-username")
            yield Label("New password (at least 15 characters)")
            yield Input(id="new-password", password=True)
            yield Label("Email address")
            yield Input(id="email")
            yield Static("", id="form-message", markup=False)
            yield Button("Move my account (ctrl+s)", id="submit", variant="primary")
            with VerticalScroll(id="email-proof"):
                yield Label("Code mailed to that address (on the demo: `portal mail outbox`)")
                yield Input(id="email-code")
                with Horizontal():
                    yield Button("Confirm the address", id="confirm-email", variant="primary")
                    yield Button("Later (Settings)", id="later")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#email-proof").display = False

    def action_back(self) -> None:
        self._legacy_password = ""
        self.dismiss(None)

    def say(self, text: str, *, error: bool = False) -> None:
        """Show a line under the form."""
        message = self.query_one("#form-message", Static)
        message.update(text)
        message.set_class(error, "error")
        message.scroll_visible(animate=False)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted, "#email")
    def _submit(self) -> None:
        if self.result is None:
            self.action_submit()

    @work(exclusive=True, group="migration")
    async def action_submit(self) -> None:
        """Move the account and sign in."""
        from portal_core.models.identity import LegacyMigration

        username = self.query_one("#new-username", Input).value.strip()
        password = self.query_one("#new-password", Input).value
        email = self.query_one("#email", Input).value.strip()
        if not username or not password or not email:
            self.say("Fill in the new username, the new password and your email.", error=True)
            return
        self.say("Moving your account…")
        try:
            client = await self.portal.wait_for_client()
            result = await client.migrate_legacy_account(
                LegacyMigration(
                    legacy_username=self.legacy_username,
                    legacy_password=self._legacy_password,
                    new_username=username,
                    new_password=password,
                    email=email,
                )
            )
        except PortalError as error:
            self.say(error.message, error=True)
            return
        self._legacy_password = ""
        self.result = result
        self.say(
            "Your account is moved over. We mailed a code to the address you gave: enter it to "
            "use that address (recovery mail goes only to a confirmed address)."
        )
        proof = self.query_one("#email-proof")
        proof.display = True
        self.query_one("#email-code", Input).focus(scroll_visible=False)
        # Once laid out, bring the whole code part into view (the form may run below the fold).
        self.call_after_refresh(proof.scroll_visible, animate=False)

    @on(Button.Pressed, "#later")
    def _later(self) -> None:
        if self.result is not None:
            self.post_message(SignedIn(self.result.account))

    @on(Button.Pressed, "#confirm-email")
    @on(Input.Submitted, "#email-code")
    def _confirm_pressed(self) -> None:
        self.confirm_email()

    @work(exclusive=True, group="migration-email")
    async def confirm_email(self) -> None:
        """Send the code mailed to the new address, then go on signed in."""
        code = self.query_one("#email-code", Input).value.strip().replace(" ", "")
        if self.result is None or not code:
            self.say("Type the code from the mail.", error=True)
            return
        try:
            client = await self.portal.wait_for_client()
            await client.confirm_email_change(code)
            account = await client.account()
        except PortalError as error:
            self.say(error.message, error=True)
            return
        self.post_message(SignedIn(account))
