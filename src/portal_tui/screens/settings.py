"""Settings in sections, one shown at a time under a section bar with a key each: theme and TINs
(and who manages my access), email address (changed with a code mailed to the new one),
password, two-step sign-in, notifications, other TINs and accounts (consolidation),
administrator handover, and the mail sent to my account."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, Tab, Tabs

from portal_core.errors import PortalError, SessionExpired
from portal_core.rules.identifiers import format_tin
from portal_tui.assets import stylesheet
from portal_tui.display_text import plain_label, printable, when
from portal_tui.messages import AccountChanged
from portal_tui.qr_text import QR_STYLE, qr_text
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.ticks import TickBox

if TYPE_CHECKING:
    from portal_core.models.identity import Account, AdminHandover, RecoveryCodes, TotpEnrollment

NOTIFICATION_KINDS = {
    "message_reply": "A reply to one of my messages",
    "preauth_decided": "A preauthorization is decided",
    "letter_filed": "A letter is filed",
    "review_due": "A user review is due",
    "admission_review_due": "An admission review is due",
}


SECTIONS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "look": ("l", "Look and TINs", "Look", ("sec-look", "sec-admins")),
    "email": ("e", "Email", "Email", ("sec-email",)),
    "password": ("p", "Password", "Password", ("sec-password",)),
    "totp": ("t", "Two-step sign-in", "Two-step", ("sec-totp",)),
    "notify": ("n", "Notifications", "Notify", ("sec-notify",)),
    "accounts": ("a", "Other TINs and accounts", "Accounts", ("sec-tin", "sec-merge")),
    "handover": ("h", "Handover", "Handover", ("sec-handover",)),
    "mail": ("m", "Mail", "Mail", ("sec-outbox",)),
}
"""Each section of the bar: its key, its name, its short name (in the bar and the footer), and the
parts of the page it shows."""

SUBMITS = {
    "email-new": "email-send",
    "email-code": "email-confirm",
    "pw-current": "change-password",
    "pw-new": "change-password",
    "totp-code": "totp-confirm",
    "totp-password": "totp-remove",
    "add-tin": "add-tin-go",
    "add-code": "add-tin-go",
    "add-claim": "add-tin-go",
    "add-amount": "add-tin-go",
    "merge-username": "merge-go",
    "merge-password": "merge-go",
    "handover-user": "handover-offer",
}
"""Enter in a field presses its form's button."""


class SettingsScreen(MenuScreen):
    """The signed-in user's own settings, a section at a time (`SECTIONS`).

    The section keys act while the section bar has the focus (the screen opens there); in a
    section's form letters are typed, and escape comes back to the bar."""

    MENU = "settings"
    CSS_PATH = stylesheet("settings")
    AUTO_FOCUS = "#settings-sections"
    BINDINGS: ClassVar[list[BindingType]] = [
        *[
            Binding(key, f"section('{name}')", short, id=f"settings.{name}")
            for name, (key, _, short, _) in SECTIONS.items()
        ],
        Binding("f5", "refresh", "Refresh", id="settings.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | l, e, p, t, n, a, h, m | settings.NAME | Show a section (from the section bar). |
    | f5 | settings.refresh | Fetch the server parts again. |
    """

    @property
    def account(self) -> Account:
        account = self.portal.account
        assert account is not None
        return account

    def compose_content(self) -> ComposeResult:
        account = self.account
        tins = [
            (plain_label(f"{format_tin(r.tin)} {r.tin_name}"), r.tin)
            for r in account.roles
            if r.status == "active"
        ]
        themes = [(plain_label(name), name) for name in self.portal.portal_themes]
        yield Static("Settings", classes="screen-title")
        yield Tabs(
            *[Tab(f"{key} {short}", id=name) for name, (key, _, short, _) in SECTIONS.items()],
            id="settings-sections",
        )
        with VerticalScroll(id="settings-body"):
            with Vertical(classes="section", id="sec-look"):
                yield Static("Look and TINs", classes="section-title")
                yield Label("Theme")
                yield Select(
                    themes,
                    value=self.app.theme
                    if self.app.theme in self.portal.portal_themes
                    else Select.NULL,
                    id="theme",
                    allow_blank=True,
                )
                yield Label("Default TIN (used at sign-in)")
                yield Select(tins, value=account.default_tin or Select.NULL, id="default-tin")
                yield Label("Work at TIN (this session)")
                yield Select(tins, value=account.active_tin or Select.NULL, id="active-tin")
                yield Static("", classes="answer", id="ans-look", markup=False)
            with Vertical(classes="section", id="sec-email"):
                yield Static("Email address", classes="section-title")
                yield Static(email_state(account), id="email-state", markup=False)
                yield Input(id="email-new", placeholder="New email address")
                yield Button("Mail a code to it", id="email-send")
                yield Input(id="email-code", placeholder="Code from that mail (8 digits)")
                yield Button("Confirm the address", id="email-confirm")
                yield Static("", classes="answer", id="ans-email", markup=False)
            with Vertical(classes="section", id="sec-notify"):
                yield Static("Notify me when", classes="section-title")
                for kind, label in NOTIFICATION_KINDS.items():
                    yield TickBox(label, account.notification_prefs.get(kind, True), id=f"n-{kind}")
                yield Button("Save notification choices", id="save-notify")
                yield Static("", classes="answer", id="ans-notify", markup=False)
            with Vertical(classes="section", id="sec-password"):
                yield Static("Change password", classes="section-title")
                yield Input(id="pw-current", password=True, placeholder="Current password")
                yield Input(id="pw-new", password=True, placeholder="New password (15+ characters)")
                yield Button("Change password", id="change-password")
                yield Static("", classes="answer", id="ans-password", markup=False)
            with Vertical(classes="section", id="sec-totp"):
                yield Static("Two-step sign-in (authenticator app)", classes="section-title")
                yield Static(totp_state(account), id="totp-state", markup=False)
                yield Button("Set up an authenticator app", id="totp-begin")
                yield Static("", id="totp-qr", markup=False)
                yield Static("", id="totp-secret", markup=False)
                yield Input(id="totp-code", placeholder="6-digit code from the app")
                yield Button("Turn two-step sign-in on", id="totp-confirm")
                yield Static("", id="totp-recovery", markup=False)
                yield Input(
                    id="totp-password",
                    password=True,
                    placeholder="Password, to turn it off or make new recovery codes",
                )
                with Horizontal(classes="pair"):
                    yield Button("Turn two-step sign-in off", id="totp-remove")
                    yield Button("Make new recovery codes", id="totp-recovery-new")
                yield Static("", classes="answer", id="ans-totp", markup=False)
            with Vertical(classes="section", id="sec-admins"):
                yield Static("Who manages my access?", classes="section-title")
                yield Static("", id="admins", markup=False)
            with Vertical(classes="section", id="sec-tin"):
                yield Static("Add another TIN", classes="section-title")
                yield Input(id="add-tin", placeholder="TIN, 9 digits")
                yield Input(id="add-code", placeholder="Registration code")
                with Horizontal(classes="pair"):
                    yield Input(id="add-claim", placeholder="or claim number")
                    yield Input(id="add-amount", placeholder="and paid amount")
                yield Button("Ask for access", id="add-tin-go")
                yield Static("", classes="answer", id="ans-tin", markup=False)
            with Vertical(classes="section", id="sec-merge"):
                yield Static("Bring another account into this one", classes="section-title")
                yield Input(id="merge-username", placeholder="The other account's username")
                yield Input(id="merge-password", password=True, placeholder="Its password")
                yield Button("Consolidate", id="merge-go")
                yield Static("", classes="answer", id="ans-merge", markup=False)
            with Vertical(classes="section", id="sec-handover"):
                yield Static("Hand over the administrator role", classes="section-title")
                yield Input(id="handover-user", placeholder="Username of the new administrator")
                yield Select(
                    [
                        ("Practice maintenance", "practice_maintenance"),
                        ("Staff", "staff"),
                        ("Provider", "provider"),
                        ("Billing", "billing"),
                    ],
                    prompt="My role afterwards",
                    id="handover-role",
                )
                yield Button("Offer the role", id="handover-offer")
                yield Static("", id="handovers", markup=False)
                with Horizontal(classes="pair"):
                    yield Button("Accept offer", id="handover-accept")
                    yield Button("Decline offer", id="handover-decline")
                yield Static("", classes="answer", id="ans-handover", markup=False)
            with Vertical(classes="section", id="sec-outbox"):
                yield Static("Mail sent to my account", classes="section-title")
                yield Static(
                    "Mail the portal sent to your confirmed address. A code proving a new "
                    "address is read in that mailbox (on the demo: `portal mail outbox`).",
                    classes="hint",
                )
                yield Static("", id="outbox", markup=False)

    def __init__(self) -> None:
        super().__init__()
        self.handovers: list[AdminHandover] = []
        """Handover offers to or by the user, as last fetched."""
        self._ready = False

    def on_mount(self) -> None:
        # Selects announce their first value on mount; only changes the user makes are saved.
        self.call_after_refresh(self._arm)
        self.show_section("look")
        self.load()

    def show_section(self, name: str) -> None:
        """Show one section's parts of the page, and mark it in the bar."""
        shown = SECTIONS[name][3]
        for section in self.query(".section"):
            section.display = section.id in shown
        self.query_one("#settings-body", VerticalScroll).scroll_home(animate=False)
        tabs = self.query_one("#settings-sections", Tabs)
        if tabs.active != name:
            tabs.active = name

    @on(Tabs.TabActivated, "#settings-sections")
    def _section_chosen(self, event: Tabs.TabActivated) -> None:
        if event.tab.id in SECTIONS:
            self.show_section(event.tab.id)

    def action_section(self, name: str) -> None:
        """Show a section and go to its first field."""
        self.show_section(name)
        self.call_after_refresh(self._enter_section, name)

    def _enter_section(self, name: str) -> None:
        chain = self.focus_chain
        for section_id in SECTIONS[name][3]:
            for widget in self.query_one(f"#{section_id}").query("*"):
                if widget in chain:
                    self.set_focus(widget)
                    return

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        """Enter in a field submits its form (presses the form's button)."""
        button = SUBMITS.get(event.input.id or "")
        if button is not None:
            self.query_one(f"#{button}", Button).press()

    def _arm(self) -> None:
        self._ready = True

    def on_screen_suspend(self) -> None:
        # Recovery codes are shown once: leaving Settings (another menu, signing out) takes them
        # off; a dialog or the palette over it does not.
        if self not in self.app.screen_stack:
            self.query_one("#totp-recovery", Static).update("")

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="settings-load")
    async def load(self) -> None:
        """Fetch the parts that live on the server: administrators, handovers, outbox."""
        account = self.account
        try:
            admins = (
                await self.client.administrators_of(account.active_tin)
                if account.active_tin
                else []
            )
            self.handovers = await self.client.pending_handovers()
            mails = await self.client.outbox(limit=10)
            fresh = await self.client.account()
        except PortalError as error:
            self.report(error)
            return
        if fresh != account:
            # A handover answered meanwhile (by either side) changes the role the bar shows.
            self.post_message(AccountChanged(fresh))
        self.query_one("#admins", Static).update(
            "\n".join(printable(f"{a.full_name} ({a.username}) {a.email}") for a in admins)
            or "No administrator is recorded for this TIN."
        )
        offers = [h for h in self.handovers if h.to_user.id == account.id]
        self.query_one("#handovers", Static).update(
            "\n".join(
                f"Offer from {h.from_user.username} for TIN {format_tin(h.tin)}" for h in offers
            )
            or "No offer waits for your answer."
        )
        self.query_one("#outbox", Static).update(
            "\n\n".join(
                printable(f"{when(m.created_at, 'short')}  {m.subject}\n{m.body}") for m in mails
            )
            or "No mail."
        )

    @work(group="settings-call")
    async def call(
        self, answer_id: str, make: Callable[[], Awaitable[Any]], done: str | Callable[[Any], str]
    ) -> None:
        """Run one client call and answer under its section."""
        answer = self.query_one(f"#{answer_id}", Static)
        answer.remove_class("error")
        answer.update("Working…")
        try:
            result = await make()
        except SessionExpired as error:
            self.report(error)
            return
        except PortalError as error:
            answer.add_class("error")
            answer.update(error.message)
            return
        answer.update(done(result) if callable(done) else done)
        from portal_core.models.identity import Account

        if isinstance(result, Account):
            self.post_message(AccountChanged(result))

    def value(self, name: str) -> str:
        """The trimmed text of an input."""
        return self.query_one(f"#{name}", Input).value.strip()

    # -- look and TINs ----------------------------------------------------------------------------
    @on(Select.Changed, "#theme")
    def _theme(self, event: Select.Changed) -> None:
        if not self._ready:
            return
        from portal_core.models.identity import AccountSettings

        if event.value is Select.NULL or event.value == self.account.theme:
            return
        name = str(event.value)
        self.app.theme = name
        self.call(
            "ans-look",
            lambda: self.client.update_settings(AccountSettings(theme=name)),
            f"Theme {name} saved.",
        )

    @on(Select.Changed, "#default-tin")
    def _default_tin(self, event: Select.Changed) -> None:
        if not self._ready:
            return
        from portal_core.models.identity import AccountSettings

        if event.value is Select.NULL or event.value == self.account.default_tin:
            return
        tin = str(event.value)
        self.call(
            "ans-look",
            lambda: self.client.update_settings(AccountSettings(default_tin=tin)),
            "Default TIN saved.",
        )

    @on(Select.Changed, "#active-tin")
    def _active_tin(self, event: Select.Changed) -> None:
        if not self._ready:
            return
        if event.value is Select.NULL or event.value == self.account.active_tin:
            return
        tin = str(event.value)
        self.call("ans-look", lambda: self.client.set_active_tin(tin), "You now work at that TIN.")

    @on(Button.Pressed, "#save-notify")
    def _notify_prefs(self) -> None:
        from portal_core.models.identity import AccountSettings

        prefs = {kind: self.query_one(f"#n-{kind}", Checkbox).value for kind in NOTIFICATION_KINDS}
        self.call(
            "ans-notify",
            lambda: self.client.update_settings(AccountSettings(notification_prefs=prefs)),
            "Notification choices saved.",
        )

    # -- email address ----------------------------------------------------------------------------
    @on(Button.Pressed, "#email-send")
    def _email_send(self) -> None:
        address = self.value("email-new")
        if not address:
            self.query_one("#ans-email", Static).update("Type the new address first.")
            return

        async def send() -> Account:
            await self.client.request_email_change(address)
            return await self.client.account()

        def sent(account: Account) -> str:
            self.query_one("#email-state", Static).update(email_state(account))
            self.query_one("#email-code", Input).focus()
            return (
                "A code is on its way to the new address; your old address was told. "
                "Type the code below."
            )

        self.call("ans-email", send, sent)

    @on(Button.Pressed, "#email-confirm")
    def _email_confirm(self) -> None:
        code = self.value("email-code").replace(" ", "")
        self.query_one("#email-code", Input).value = ""

        async def confirm() -> Account:
            await self.client.confirm_email_change(code)
            return await self.client.account()

        def confirmed(account: Account) -> str:
            self.query_one("#email-state", Static).update(email_state(account))
            self.query_one("#email-new", Input).value = ""
            return f"Your address is now {account.email}."

        self.call("ans-email", confirm, confirmed)

    # -- password and two-step --------------------------------------------------------------------
    @on(Button.Pressed, "#change-password")
    def _change_password(self) -> None:
        current = self.query_one("#pw-current", Input).value
        new = self.query_one("#pw-new", Input).value
        self.query_one("#pw-current", Input).value = ""
        self.query_one("#pw-new", Input).value = ""
        self.call(
            "ans-password",
            lambda: self.client.change_password(current, new),
            "Password changed. Other sessions were ended.",
        )

    @on(Button.Pressed, "#totp-begin")
    def _totp_begin(self) -> None:
        def shown(enrollment: TotpEnrollment) -> str:
            qr = self.query_one("#totp-qr", Static)
            qr.update(Text(qr_text(enrollment.provisioning_uri), style=QR_STYLE))
            qr.add_class("shown")
            self.query_one("#totp-secret", Static).update(
                "Scan the code with your authenticator app, or type this secret into it:\n"
                f"Secret: {enrollment.secret}"
            )
            self.query_one("#totp-recovery", Static).update("")
            self.query_one("#totp-code", Input).focus(scroll_visible=False)
            self.call_after_refresh(qr.scroll_visible, top=True, animate=False)
            return "Add the secret to your app, then type the code it shows."

        self.call("ans-totp", self.client.begin_totp_enrollment, shown)

    def _show_recovery_codes(self, codes: RecoveryCodes) -> None:
        """Show a new set of recovery codes, this once, in view."""
        shown = self.query_one("#totp-recovery", Static)
        shown.update(recovery_codes_text(codes.codes))
        self.call_after_refresh(shown.scroll_visible, animate=False)

    @on(Button.Pressed, "#totp-confirm")
    @on(Input.Submitted, "#totp-code")
    def _totp_confirm(self) -> None:
        code = self.value("totp-code").replace(" ", "")
        self.query_one("#totp-code", Input).value = ""

        async def confirm() -> tuple[RecoveryCodes, Account]:
            codes = await self.client.confirm_totp_enrollment(code)
            return codes, await self.client.account()

        def turned_on(result: tuple[RecoveryCodes, Account]) -> str:
            codes, account = result
            qr = self.query_one("#totp-qr", Static)
            qr.update("")
            qr.remove_class("shown")
            self.query_one("#totp-secret", Static).update("")
            self._show_recovery_codes(codes)
            self._account_changed(account)
            return "Two-step sign-in is on."

        self.call("ans-totp", confirm, turned_on)

    @on(Button.Pressed, "#totp-recovery-new")
    def _totp_recovery_new(self) -> None:
        password = self.query_one("#totp-password", Input).value
        self.query_one("#totp-password", Input).value = ""

        async def regenerate() -> tuple[RecoveryCodes, Account]:
            codes = await self.client.regenerate_recovery_codes(password)
            return codes, await self.client.account()

        def made(result: tuple[RecoveryCodes, Account]) -> str:
            codes, account = result
            self._show_recovery_codes(codes)
            self._account_changed(account)
            return "New recovery codes made; the old ones no longer work."

        self.call("ans-totp", regenerate, made)

    @on(Button.Pressed, "#totp-remove")
    def _totp_remove(self) -> None:
        password = self.query_one("#totp-password", Input).value
        self.query_one("#totp-password", Input).value = ""

        async def remove() -> Account:
            await self.client.remove_totp(password)
            return await self.client.account()

        def removed(account: Account) -> str:
            self.query_one("#totp-recovery", Static).update("")
            self._account_changed(account)
            return "Two-step sign-in is off."

        self.call("ans-totp", remove, removed)

    def _account_changed(self, account: Account) -> None:
        """Refresh what this screen and the app show of the account."""
        self.query_one("#totp-state", Static).update(totp_state(account))
        self.post_message(AccountChanged(account))

    # -- other TINs and accounts ------------------------------------------------------------------
    @on(Button.Pressed, "#add-tin-go")
    def _add_tin(self) -> None:
        from portal_core.models.identity import RegistrationProof

        tin = self.value("add-tin").replace("-", "")
        code = self.value("add-code")
        proof = RegistrationProof(
            registration_code=code or None,
            claim_number=None if code else self.value("add-claim") or None,
            paid_amount=None if code else self.value("add-amount") or None,
        )
        self.call(
            "ans-tin",
            lambda: self.client.register_additional_tin(tin, proof),
            lambda outcome: outcome.message,
        )

    @on(Button.Pressed, "#merge-go")
    @work(exclusive=True, group="settings-merge")
    async def _merge(self) -> None:
        from portal_tui.modals.confirm import ConfirmModal

        username = self.value("merge-username")
        password_field = self.query_one("#merge-password", Input)
        password = password_field.value
        me = self.account.username
        # Said in words before anything moves; escape leaves both fields as they were.
        if (
            username
            and password
            and not await self.app.push_screen_wait(
                ConfirmModal(
                    f"Bring {username} into {me}?",
                    f"The TINs and provider affiliations of {username} move to your account "
                    f"{me}, and {username} is deactivated: it can no longer sign in. Where both "
                    "hold a role at one TIN, the broader role is kept.",
                    yes="Consolidate",
                )
            )
        ):
            return
        password_field.value = ""
        self.call(
            "ans-merge",
            lambda: self.client.consolidate_account(username, password),
            lambda result: (
                "Moved: "
                + (", ".join(format_tin(t) for t in result.moved_tins) or "nothing")
                + ". "
                + " ".join(result.notes)
            ),
        )

    @on(Button.Pressed, "#handover-offer")
    def _offer(self) -> None:
        from portal_core.models.identity import Role
        from portal_core.models.users import UserFilter

        tin = self.account.active_tin
        username = self.value("handover-user")
        role = self.query_one("#handover-role", Select).value
        if not tin or not username or role is Select.NULL:
            self.query_one("#ans-handover", Static).update(
                "Type a username and pick your role afterwards."
            )
            return

        async def offer() -> int:
            page = await self.client.list_users(UserFilter(tin=tin, text=username), limit=20)
            match = next((u for u in page.items if u.username.lower() == username.lower()), None)
            if match is None:
                from portal_core.errors import NotFound

                raise NotFound("No active user of this TIN has that username.")
            return await self.client.offer_admin_handover(tin, match.id, Role(str(role)))

        self.call("ans-handover", offer, "Offer made. They take over once they accept.")

    @on(Button.Pressed, "#handover-accept, #handover-decline")
    def _answer(self, event: Button.Pressed) -> None:
        accept = event.button.id == "handover-accept"
        offers = [h for h in self.handovers if h.to_user.id == self.account.id]
        if not offers:
            self.query_one("#ans-handover", Static).update("No offer waits for your answer.")
            return
        offer_id = offers[0].id

        async def answer() -> Account:
            # The role changes with the answer: the account (status bar, menus) is fetched anew.
            await self.client.answer_admin_handover(offer_id, accept)
            return await self.client.account()

        def answered(_: Account) -> str:
            self.load()
            return "Accepted: you are now an administrator." if accept else "Declined."

        self.call("ans-handover", answer, answered)


def totp_state(account: Account) -> str:
    """Whether two-step sign-in is on, and how many recovery codes are left."""
    if not account.totp_enabled:
        return "Off."
    left = account.recovery_codes_left
    if left == 0:
        return "On. No recovery code is left: make new ones below."
    return f"On. {left} recovery code{'s' if left != 1 else ''} left."


def recovery_codes_text(codes: list[str]) -> str:
    """A set of recovery codes as shown once after it is made."""
    rows = ["   ".join(codes[i : i + 2]) for i in range(0, len(codes), 2)]
    return (
        "Recovery codes, shown only this once: write them down or print them and keep them "
        "away from your phone. Each works once, in place of a code from the app, if the phone "
        "is lost.\n\n" + "\n".join(f"  {row}" for row in rows)
    )


def email_state(account: Account) -> str:
    """The address on file, whether it is confirmed, and any address waiting for its code."""
    state = (
        "confirmed"
        if account.email_verified
        else "not confirmed: no recovery mail goes there until you confirm it"
    )
    text = f"{account.email} ({state})"
    if account.pending_email:
        text += f"\nWaiting for the code mailed to {account.pending_email}."
    return printable(text)


MENU_SCREEN = SettingsScreen
"""The screen the settings menu opens on."""
