"""Members: the eligibility lookup (member ID + date of birth, or names + date of birth, on a date
of service) and its answer; from here, batch eligibility, the in-network check, the PCP panel and
the member's detail."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, LoadingIndicator, Static

from portal_core.errors import PortalError, SessionExpired
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.messages import OpenMember
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.record_view import RecordView

if TYPE_CHECKING:
    from portal_core.models.members import EligibilityQuery, EligibilityResult


def end_if_expired(screen: MenuScreen, error: PortalError) -> None:
    """For an error said in the form: an ended session still goes back to sign-in."""
    if isinstance(error, SessionExpired):
        screen.report(error)


def field_row(*fields: tuple[str, str, str, int]) -> Horizontal:
    """A row of labelled one-line fields: (label, id, placeholder, width) each."""
    widgets: list[Label | Input] = []
    for label, field_id, placeholder, width in fields:
        widgets.append(Label(label, classes="field-label"))
        field = Input(placeholder=placeholder, id=field_id, compact=True)
        field.styles.width = width
        widgets.append(field)
    return Horizontal(*widgets, classes="field-row")


class MembersScreen(MenuScreen):
    """Look up a member's eligibility on a date of service."""

    MENU = "members"
    GUIDE = "members"
    CSS_PATH = stylesheet("members")
    AUTO_FOCUS = "#members-result"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "check", "Check", id="members.check"),
        Binding("slash", "form", "Form", id="members.form"),
        Binding("f6", "batch", "Batch", id="members.batch"),
        Binding("f7", "network", "In network", id="members.network"),
        Binding("f8", "panel", "PCP panel", id="members.panel"),
        Binding("f9", "detail", "Member", id="members.detail"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | enter, ctrl+s | members.check | Check eligibility with the form. |
    | / | members.form | To the form (the menu opens on the answer, so number keys switch menus). |
    | f6 | members.batch | Batch eligibility (up to 50). |
    | f7 | members.network | In-network check. |
    | f8 | members.panel | PCP panel report. |
    | f9 | members.detail | The member of the answer: coverage, PCPs, care plans. |
    """

    def __init__(self) -> None:
        super().__init__()
        self.result: EligibilityResult | None = None
        """The last answer shown."""

    def compose_content(self) -> ComposeResult:
        yield Static("Eligibility", classes="screen-title")
        yield field_row(
            ("Member ID", "member-id", "NW100000007", 14),
            ("or Last", "last-name", "", 14),
            ("First", "first-name", "", 12),
        )
        yield field_row(
            ("Born     ", "birth-date", "1961-03-02", 14),
            ("Service", "service-date", "today", 12),
            ("NPI", "npi", "yours", 12),
        )
        yield Static(
            "/ goes to the form, enter checks. f6 batch · f7 network · f8 PCP panel",
            id="members-message",
            markup=False,
        )
        yield LoadingIndicator(id="members-loading")
        with VerticalScroll(id="members-result"):
            yield RecordView(id="eligibility")

    def on_mount(self) -> None:
        self.query_one("#members-loading").display = False

    def action_form(self) -> None:
        self.query_one("#member-id", Input).focus()

    def value(self, field_id: str) -> str:
        """A field's text, stripped."""
        return self.query_one(f"#{field_id}", Input).value.strip()

    def query_from_form(self) -> EligibilityQuery:
        """The lookup the form describes (the service checks every field)."""
        from portal_core.models.members import EligibilityQuery

        return EligibilityQuery(
            member_id=self.value("member-id") or None,
            last_name=self.value("last-name") or None,
            first_name=self.value("first-name") or None,
            birth_date=self.value("birth-date"),
            service_date=self.value("service-date") or None,
            npi=self.value("npi") or None,
        )

    def say(self, text: str, error: bool = False) -> None:
        """Put a line above the answer (red for a problem)."""
        message = self.query_one("#members-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    @on(Input.Submitted)
    def action_check(self) -> None:
        if not self.value("birth-date"):
            self.result = None
            self.query_one("#eligibility", RecordView).start()
            self.refresh_bindings()
            self.say("Enter the date of birth.", error=True)
            self.query_one("#birth-date", Input).focus()
            return
        self.check(self.query_from_form())

    @work(exclusive=True, group="eligibility")
    async def check(self, query: EligibilityQuery) -> None:
        """Ask the portal and show the answer, or the error in its place (never the last
        member's answer: the view is cleared as the lookup starts)."""
        from portal_tui.member_text import eligibility_text

        self.result = None
        self.refresh_bindings()
        loading = self.query_one("#members-loading")
        loading.display = True
        self.say("Checking…")
        try:
            self.result = await self.query_one("#eligibility", RecordView).look_up(
                lambda: self.client.check_eligibility(query),
                eligibility_text,
                report=self.report,
            )
        finally:
            loading.display = False
        self.refresh_bindings()
        if self.result is None:
            self.say("/ goes to the form, enter checks.")
            return
        self.say("f9 opens the member: coverage, PCPs and care plans.")
        # Off the form, so the menu keys (1-9) and f9 act instead of typing into a field.
        self.query_one("#members-result").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "detail":
            return self.result is not None
        return True

    def action_detail(self) -> None:
        if self.result is not None:
            self.open_member(self.result.member_id)

    def open_member(self, member_id: str) -> None:
        """Show a member's detail."""
        from portal_tui.screens.member_detail import MemberDetailScreen

        self.app.push_screen(MemberDetailScreen(member_id))

    def on_open_member(self, message: OpenMember) -> None:
        self.open_member(message.member_id)

    def action_batch(self) -> None:
        from portal_tui.screens.member_lookups import BatchEligibilityScreen

        self.app.push_screen(BatchEligibilityScreen())

    def action_network(self) -> None:
        from portal_tui.screens.member_lookups import NetworkCheckScreen

        self.app.push_screen(NetworkCheckScreen())

    def action_panel(self) -> None:
        from portal_tui.screens.member_lookups import PcpPanelScreen

        self.app.push_screen(PcpPanelScreen())


MENU_SCREEN = MembersScreen
"""The screen the members menu opens on."""
