"""Forms of the users menu: create a user, edit a user's contact data."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.screens.base import MenuScreen

if TYPE_CHECKING:
    from portal_core.models.users import UserDetail


class UserForm(MenuScreen):
    """A form in the users menu: labelled inputs, an inline message, ctrl+s to save."""

    MENU = "users"
    CSS_PATH = stylesheet("user_forms")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "save", "Save", id="form.save"),
    ]

    def field(self, name: str) -> Input:
        """The input called `name`."""
        return self.query_one(f"#{name}", Input)

    def say(self, text: str, error: bool = False) -> None:
        """Show a line under the form."""
        message = self.query_one("#form-message", Static)
        message.update(text)
        message.set_class(error, "error")
        message.scroll_visible(animate=False)

    def show_error(self, error: PortalError) -> None:
        """An inline error; the field at fault gets the focus."""
        from portal_core.errors import SessionExpired

        if isinstance(error, SessionExpired):
            self.report(error)
            return
        self.say(error.message, error=True)
        if error.field:
            matches = self.query(f"#{error.field}")
            if matches:
                matches.first().focus()

    def action_back(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    async def _save(self) -> None:
        await self.run_action("save")


class CreateUserScreen(UserForm):
    """Create a user at the active TIN; they are mailed a link to set their password."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+a", "affiliations", "Affiliations", id="form.affiliations"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.affiliations: list[str] = []
        """NPIs picked so far."""

    def compose_content(self) -> ComposeResult:
        from portal_core.models.identity import PAYER_ROLES, PROVIDER_ROLES

        account = self.portal.account
        roles = PROVIDER_ROLES if account and account.active_tin else PAYER_ROLES
        yield Static("New user", classes="screen-title")
        with VerticalScroll(id="form"):
            yield Label("Username (6-30 letters, digits, . _ -)")
            yield Input(id="username")
            yield Label("Full name")
            yield Input(id="full_name")
            yield Label("Email")
            yield Input(id="email")
            yield Label("Phone")
            yield Input(id="phone")
            yield Label("Role")
            yield Select[str]([(r.label, r.value) for r in roles], id="role", prompt="Pick a role")
            yield Static(
                "Affiliated with: no providers  (ctrl+a to choose)", id="affiliations", markup=False
            )
            yield Static("", id="form-message", markup=False)
            yield Button("Create (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.field("username").focus()

    @work(group="form-dialog")
    async def action_affiliations(self) -> None:
        from portal_tui.modals.affiliations import AffiliationsModal

        account = self.portal.account
        if account is None or not account.active_tin:
            self.say("Payer staff have no provider affiliations.")
            return
        try:
            providers = await self.client.tin_providers(account.active_tin)
        except PortalError as error:
            self.show_error(error)
            return
        chosen = await self.app.push_screen_wait(
            AffiliationsModal("Providers the new user works for", providers, self.affiliations)
        )
        if chosen is not None:
            self.affiliations = chosen
            self.query_one("#affiliations", Static).update(
                "Affiliated with: " + (", ".join(chosen) or "no providers") + "  (ctrl+a)"
            )

    @work(exclusive=True, group="form-save")
    async def action_save(self) -> None:
        from pydantic import ValidationError

        from portal_core.models.identity import Role
        from portal_core.models.users import NewUser

        role_value = self.query_one("#role", Select).value
        if role_value is Select.NULL:
            self.say("Pick a role.", error=True)
            self.query_one("#role", Select).focus()
            return
        account = self.portal.account
        try:
            new_user = NewUser(
                username=self.field("username").value.strip(),
                full_name=self.field("full_name").value.strip(),
                email=self.field("email").value.strip(),
                phone=self.field("phone").value.strip(),
                tin=account.active_tin if account else None,
                role=Role(str(role_value)),
                affiliations=self.affiliations,
            )
        except ValidationError:
            self.say("Fill in every field.", error=True)
            return
        self.say("Creating…")
        try:
            created = await self.client.create_user(new_user)
        except PortalError as error:
            self.show_error(error)
            return
        self.notify(f"User {created.username} created; they were mailed a link to set a password.")
        self.dismiss(None)


class EditContactScreen(UserForm):
    """Edit a user's name, email and phone."""

    def __init__(self, user: UserDetail) -> None:
        super().__init__()
        self.user = user
        """The user being edited."""

    def compose_content(self) -> ComposeResult:
        yield Static(f"Contact of {self.user.username}", classes="screen-title", markup=False)
        with VerticalScroll(id="form"):
            yield Label("Full name")
            yield Input(self.user.full_name, id="full_name")
            yield Label("Email")
            yield Input(self.user.email, id="email")
            yield Label("Phone")
            yield Input(self.user.phone, id="phone")
            yield Static("", id="form-message", markup=False)
            yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.field("full_name").focus()

    @work(exclusive=True, group="form-save")
    async def action_save(self) -> None:
        from portal_core.models.users import ContactUpdate

        values = {name: self.field(name).value.strip() for name in ("full_name", "email", "phone")}
        if not values["full_name"] or not values["email"]:
            self.say("Name and email cannot be empty.", error=True)
            return
        changes = ContactUpdate(**{k: v for k, v in values.items() if v != getattr(self.user, k)})
        try:
            saved = await self.client.update_user_contact(self.user.id, changes)
        except PortalError as error:
            self.show_error(error)
            return
        if changes.email is not None and saved.pending_email:
            self.notify(
                f"Contact saved. {saved.pending_email} was mailed a code: it becomes the user's "
                "address when they enter it in Settings, signed in. Their old address was told."
            )
        else:
            self.notify("Contact saved.")
        self.dismiss(None)
