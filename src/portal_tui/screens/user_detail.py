"""One user: contact, status, roles and affiliations, and every action an administrator may take."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import LoadingIndicator, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable, when
from portal_tui.screens.base import MenuScreen

if TYPE_CHECKING:
    from portal_core.models.identity import Role, TinRole
    from portal_core.models.users import SignInEvent, UserDetail


class UserDetailScreen(MenuScreen):
    """A user as an administrator sees them."""

    MENU = "users"
    CSS_PATH = stylesheet("user_detail")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=False, id="user.back"),
        Binding("e", "edit", "Edit", id="user.edit"),
        Binding("r", "change_role", "Role", id="user.role"),
        Binding("a", "affiliations", "Providers", id="user.affiliations"),
        Binding("p", "send_reset", "Reset password", id="user.reset"),
        Binding("u", "unlock", "Unlock", id="user.unlock"),
        Binding("d", "deactivate", "Deactivate", id="user.deactivate"),
        Binding("v", "reactivate", "Reactivate", id="user.reactivate"),
        Binding("y", "approve", "Approve", id="user.approve"),
        Binding("n", "reject", "Reject", id="user.reject"),
        Binding("h", "sign_ins", "Sign-ins", id="user.sign_ins"),
    ]

    def __init__(self, user_id: int) -> None:
        super().__init__()
        self.user_id = user_id
        """The user shown."""
        self.user: UserDetail | None = None
        """The user as last loaded."""

    def compose_content(self) -> ComposeResult:
        yield Static("User", classes="screen-title", id="user-title", markup=False)
        yield LoadingIndicator(id="user-loading")
        with VerticalScroll(id="user-body"):
            yield Static("", id="user-facts", markup=False)
            yield Static("", id="user-roles", markup=False)
            yield Static("", id="user-sign-ins", markup=False)

    def reload_after(self, _: object) -> None:
        """Fetch again once a pushed screen closes (it may have changed something)."""
        self.load()

    def on_mount(self) -> None:
        self.load()

    # -- which TIN and role -----------------------------------------------------------------------
    @property
    def tin(self) -> str | None:
        """The TIN the actions apply to: the active TIN (None for payer staff)."""
        account = self.portal.account
        return account.active_tin if account else None

    def tin_role(self) -> TinRole | None:
        """The shown user's role at the active TIN."""
        if self.user is None:
            return None
        return next((r for r in self.user.roles if r.tin == self.tin), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.user is None:
            return action == "back"
        role = self.tin_role()
        pending = role is not None and role.status == "pending"
        removed = self.user.status == "deactivated" or (
            role is not None and role.status == "removed"
        )
        if action in {"approve", "reject"}:
            return pending
        if action == "unlock":
            return self.user.locked
        if action == "reactivate":
            return removed
        if action in {"deactivate", "change_role", "affiliations"}:
            return not pending and not removed
        return True

    # -- loading ----------------------------------------------------------------------------------
    @work(exclusive=True, group="user-detail")
    async def load(self) -> None:
        """Fetch the user."""
        self.query_one("#user-loading").display = True
        try:
            self.user = await self.client.get_user(self.user_id)
        except PortalError as error:
            self.report(error)
            return
        finally:
            self.query_one("#user-loading").display = False
        self._show(self.user)
        self.refresh_bindings()

    def _show(self, user: UserDetail) -> None:
        from portal_core.rules.identifiers import format_tin
        from portal_tui.screens.users import standing_word

        self.query_one("#user-title", Static).update(printable(f"User {user.username}"))
        locked = ", locked after failed sign-ins" if user.locked else ""
        state = standing_word(user.status) + locked
        facts = [
            f"Name          {user.full_name}",
            f"Username      {user.username}",
            f"Email         {user.email}"
            + ("" if user.email_verified else " (not confirmed)")
            + (f", waiting for its code: {user.pending_email}" if user.pending_email else ""),
            f"Phone         {user.phone or '—'}",
            f"Status        {state}",
            f"Two-step      {'on' if user.totp_enabled else 'off'}",
            f"Last sign-in  {when(user.last_sign_in_at)}"
            if user.last_sign_in_at
            else "Last sign-in  never",
        ]
        if user.payer_role is not None:
            facts.append(f"Payer role    {user.payer_role.label}")
        self.query_one("#user-facts", Static).update(printable("\n".join(facts)))
        roles = ["", "Roles"]
        for role in user.roles:
            roles.append(
                f"  {format_tin(role.tin)}  {role.tin_name}: {role.role.label}"
                f" ({standing_word(role.status)})"
            )
            roles.append(
                "      affiliated with: " + (", ".join(role.affiliations) or "no providers")
            )
        if not user.roles:
            roles.append("  none")
        self.query_one("#user-roles", Static).update(printable("\n".join(roles)))

    # -- sign-in history ---------------------------------------------------------------------------
    @work(exclusive=True, group="user-sign-ins")
    async def action_sign_ins(self) -> None:
        """The user's last sign-ins and failed attempts, from the audit log (the look is
        audited)."""
        shown = self.query_one("#user-sign-ins", Static)
        shown.update("\nSign-ins: loading…")
        try:
            events = await self.client.sign_in_history(self.user_id, SIGN_INS_SHOWN)
        except PortalError as error:
            shown.update("")
            self.report(error)
            return
        shown.update(printable(sign_in_text(events)))
        self.call_after_refresh(shown.scroll_visible, animate=False)

    # -- running an action ------------------------------------------------------------------------
    @work(exclusive=True, group="user-action")
    async def run(self, call: Callable[[], Awaitable[object]], done: str) -> None:
        """Run one client call; say `done` and reload when it worked."""
        try:
            await call()
        except PortalError as error:
            self.report(error)
            return
        self.notify(done)
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_edit(self) -> None:
        from portal_tui.screens.user_forms import EditContactScreen

        if self.user is not None:
            self.app.push_screen(EditContactScreen(self.user), self.reload_after)

    def _role_choices(self) -> list[tuple[Role, str]]:
        from portal_core.models.identity import PAYER_ROLES, PROVIDER_ROLES

        roles = PROVIDER_ROLES if self.tin else PAYER_ROLES
        return [(role, role.label) for role in roles]

    @work(group="user-dialog")
    async def action_change_role(self) -> None:
        from portal_core.rules.identifiers import format_tin
        from portal_tui.modals.choice import ChoiceModal
        from portal_tui.modals.confirm import ConfirmModal

        user, tin, current = self.user, self.tin, self.tin_role()
        if user is None or tin is None:
            self.notify("Payer staff roles are changed by deactivating and creating.")
            return
        role = await self.app.push_screen_wait(
            ChoiceModal["Role"]("New role for " + user.username, self._role_choices())
        )
        if role is None:
            return
        if current is not None and role is current.role:
            self.notify(f"{user.username} is {role.label} at this TIN already.")
            return
        at = f"TIN {format_tin(tin)}" + (f" ({current.tin_name})" if current else "")
        was = f"from {current.role.label} " if current else ""
        if await self.app.push_screen_wait(
            ConfirmModal(
                f"Change the role of {user.username}?",
                f"{user.full_name} ({user.username}) changes {was}to {role.label} at {at}. "
                "What they may see and do there changes at once.",
                yes="Change role",
            )
        ):
            self.run(lambda: self.client.change_role(user.id, tin, role), "Role changed.")

    async def _pick_affiliations(self, title: str, chosen: list[str]) -> list[str] | None:
        from portal_tui.modals.affiliations import AffiliationsModal

        assert self.tin is not None
        try:
            providers = await self.client.tin_providers(self.tin)
        except PortalError as error:
            self.report(error)
            return None
        return await self.app.push_screen_wait(AffiliationsModal(title, providers, chosen))

    @work(group="user-dialog")
    async def action_affiliations(self) -> None:
        user, tin, role = self.user, self.tin, self.tin_role()
        if user is None or tin is None:
            return
        npis = await self._pick_affiliations(
            f"Providers {user.username} works for", role.affiliations if role else []
        )
        if npis is not None:
            self.run(
                lambda: self.client.change_affiliations(user.id, tin, npis), "Affiliations saved."
            )

    @work(group="user-dialog")
    async def action_send_reset(self) -> None:
        from portal_tui.modals.confirm import ConfirmModal

        user = self.user
        if user is None:
            return
        if await self.app.push_screen_wait(
            ConfirmModal(
                "Send a password reset?",
                f"{user.username} gets a mail with a code to choose a new password.",
            )
        ):
            self.run(lambda: self.client.send_password_reset(user.id), "Password reset sent.")

    @work(group="user-dialog")
    async def action_unlock(self) -> None:
        from portal_tui.modals.confirm import ConfirmModal

        user = self.user
        if user is None:
            return
        if await self.app.push_screen_wait(
            ConfirmModal(
                f"Unlock {user.username}?",
                f"{user.full_name} ({user.username}) was locked after failed sign-ins. Unlocking "
                "clears the failed attempts: anyone with the password can sign in as them again.",
                yes="Unlock",
            )
        ):
            self.run(lambda: self.client.unlock_user(user.id), "User unlocked.")

    @work(group="user-dialog")
    async def action_deactivate(self) -> None:
        from portal_tui.modals.justification import JustificationModal

        user, tin = self.user, self.tin
        if user is None:
            return
        reason = await self.app.push_screen_wait(
            JustificationModal(
                f"Deactivate {user.username}?",
                "They lose access at this TIN at once and are signed out. Why?",
                "Deactivate",
            )
        )
        if reason is not None:
            self.run(lambda: self.client.deactivate_user(user.id, tin, reason), "User deactivated.")

    @work(group="user-dialog")
    async def action_reactivate(self) -> None:
        from portal_tui.modals.confirm import ConfirmModal

        user, tin = self.user, self.tin
        if user is None:
            return
        if await self.app.push_screen_wait(
            ConfirmModal(f"Reactivate {user.username}?", "They get their access back.")
        ):
            self.run(lambda: self.client.reactivate_user(user.id, tin), "User reactivated.")

    @work(group="user-dialog")
    async def action_approve(self) -> None:
        from portal_tui.modals.choice import ChoiceModal

        user, tin = self.user, self.tin
        if user is None or tin is None:
            return
        role = await self.app.push_screen_wait(
            ChoiceModal["Role"](f"Approve {user.username} as", self._role_choices())
        )
        if role is None:
            return
        npis = await self._pick_affiliations(f"Providers {user.username} works for", [])
        if npis is None:
            return
        self.run(lambda: self.client.approve_user(user.id, tin, role, npis), "Registrant approved.")

    @work(group="user-dialog")
    async def action_reject(self) -> None:
        from portal_tui.modals.justification import JustificationModal

        user, tin = self.user, self.tin
        if user is None or tin is None:
            return
        reason = await self.app.push_screen_wait(
            JustificationModal(
                f"Refuse {user.username}?", "They will not get access to this TIN. Why?", "Refuse"
            )
        )
        if reason is not None:
            self.run(lambda: self.client.reject_user(user.id, tin, reason), "Registrant refused.")


SIGN_INS_SHOWN = 20
"""How many sign-in events `h` shows."""

SIGN_IN_REASONS = {
    "wrong_password": "wrong password",
    "wrong_code": "wrong authenticator code",
    "wrong_recovery_code": "wrong recovery code",
    "replayed_code": "authenticator code used twice",
    "throttled": "refused: too many failures, waiting",
    "locked": "refused: account locked",
    "pending": "refused: registration not yet approved",
    "deactivated": "refused: account deactivated",
    "no_access": "refused: no active access at any TIN",
    "legacy": "old-portal account, asked to move over",
}
"""Plain words for why an attempt failed or was refused."""


def sign_in_event_text(event: SignInEvent) -> str:
    """One line: when (the payer's time, with its zone) and what happened."""
    from portal_core.rules.deadlines import PAYER_TIME_ZONE

    when = f"{event.at.astimezone(PAYER_TIME_ZONE):%m/%d/%Y %H:%M %Z}"
    if event.outcome == "ok":
        what = "signed in"
        if event.recovery_code:
            what += " with a recovery code"
        elif event.second_factor:
            what += " with the authenticator code"
    else:
        reason = event.reason or ""
        what = SIGN_IN_REASONS.get(reason, reason.replace("_", " ") or event.outcome)
        if event.outcome == "failed" and not what.startswith("refused"):
            what = f"failed: {what}"
    return f"  {when}  {what}"


def sign_in_text(events: list[SignInEvent]) -> str:
    """The sign-in history section."""
    if not events:
        return "\nSign-ins: none recorded."
    return "\n".join(
        ["", f"Sign-ins (last {len(events)}, newest first)"]
        + [sign_in_event_text(e) for e in events]
    )
