"""Register: a new user for a TIN, with proof of the relationship (the TIN's registration code, or a
claim paid to the TIN and its paid amount), then the code mailed to the address given, which
confirms it (recovery mail goes only to a confirmed address)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.screens.base import TypeAheadForm

FIELDS = (
    ("full_name", "Full name", False),
    ("email", "Email", False),
    ("phone", "Phone", False),
    ("username", "Username (6-30 letters, digits, . _ -)", False),
    ("password", "Password (at least 15 characters)", True),
    ("tin", "Tax ID (TIN), 9 digits", False),
)


class RegisterScreen(TypeAheadForm[None]):
    """The registration form."""

    CSS_PATH = stylesheet("register")
    GUIDE = "sign-in"
    AUTO_FOCUS = "#full_name"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to sign-in", id="register.back"),
        Binding("ctrl+s", "submit", "Register", id="register.submit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.registered: str | None = None
        """The username just registered, whose address waits for its code."""

    def compose(self) -> ComposeResult:
        yield Static("Register for the provider portal", classes="screen-title")
        with VerticalScroll(id="register-form"):
            for name, label, secret in FIELDS:
                yield Label(label)
                yield Input(id=name, password=secret)
            yield Static(
                "Prove your tie to the TIN: its registration code, or a claim paid to it in the "
                "last 24 months and the amount paid.",
                classes="hint",
            )
            yield Label("Registration code")
            yield Input(id="registration_code")
            with Horizontal(id="claim-proof"):
                with VerticalScroll():
                    yield Label("or claim number")
                    yield Input(id="claim_number")
                with VerticalScroll():
                    yield Label("and paid amount")
                    yield Input(id="paid_amount", placeholder="123.45")
            yield Static("", id="form-message", markup=False)
            yield Button("Register (ctrl+s)", id="submit", variant="primary")
            with VerticalScroll(id="email-proof"):
                yield Static(
                    "We mailed a code to your address. Enter it to confirm the address (password "
                    "and username recovery use only a confirmed one). On the demo, "
                    "`portal mail outbox` shows it. You can also confirm later in Settings.",
                    classes="hint",
                )
                yield Label("Code from the mail")
                yield Input(id="email-code")
                yield Button("Confirm my address", id="confirm-email")
                yield Static("", id="proof-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#email-proof").display = False

    def value(self, name: str) -> str:
        """The trimmed text of an input."""
        return self.query_one(f"#{name}", Input).value.strip()

    def say(self, text: str, *, error: bool = False) -> None:
        """Show a line under the form."""
        message = self.query_one("#form-message", Static)
        message.update(text)
        message.set_class(error, "error")
        message.scroll_visible(animate=False)

    def action_back(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#submit")
    def _pressed(self) -> None:
        self.action_submit()

    @work(exclusive=True, group="register")
    async def action_submit(self) -> None:
        """Check the form and register."""
        from portal_core.models.identity import Registration, RegistrationProof

        missing = [label for name, label, _ in FIELDS if name != "phone" and not self.value(name)]
        if missing:
            self.say(f"Fill in: {missing[0].split(' (')[0]}.", error=True)
            return
        code = self.value("registration_code")
        claim, amount = self.value("claim_number"), self.value("paid_amount")
        if not code and not (claim and amount):
            self.say(
                "Give the registration code, or a claim number and its paid amount.", error=True
            )
            return
        registration = Registration(
            full_name=self.value("full_name"),
            email=self.value("email"),
            phone=self.value("phone"),
            username=self.value("username"),
            password=self.query_one("#password", Input).value,
            tin=self.value("tin").replace("-", ""),
            proof=RegistrationProof(
                registration_code=code or None,
                claim_number=None if code else claim,
                paid_amount=None if code else amount,
            ),
        )
        self.say("Registering…")
        try:
            client = await self.portal.wait_for_client()
            outcome = await client.register(registration)
        except PortalError as error:
            self.say(error.message, error=True)
            if error.field and self.query(f"#{error.field}"):
                self.query_one(f"#{error.field}").focus()
            return
        self.query_one("#password", Input).value = ""
        self.registered = registration.username
        self.say(outcome.message + "  Press escape to go back and sign in.")
        proof = self.query_one("#email-proof")
        proof.display = True
        self.query_one("#email-code", Input).focus(scroll_visible=False)
        # Once laid out, scroll the outcome to the top: it and the code part below it then show
        # together (the form runs below the fold).
        outcome_line = self.query_one("#form-message")
        self.call_after_refresh(outcome_line.scroll_visible, top=True, animate=False)

    @on(Button.Pressed, "#confirm-email")
    @on(Input.Submitted, "#email-code")
    def _confirm_pressed(self) -> None:
        self.confirm_email()

    @work(exclusive=True, group="register-email")
    async def confirm_email(self) -> None:
        """Send the code mailed to the registered address."""
        message = self.query_one("#proof-message", Static)
        code = self.value("email-code").replace(" ", "")
        if self.registered is None or not code:
            message.update("Type the code from the mail.")
            return
        try:
            client = await self.portal.wait_for_client()
            await client.confirm_registration_email(self.registered, code)
        except PortalError as error:
            message.update(error.message)
            message.add_class("error")
            message.scroll_visible(animate=False)
            return
        message.remove_class("error")
        message.update("Your address is confirmed. Press escape to go back and sign in.")
        message.scroll_visible(animate=False)
