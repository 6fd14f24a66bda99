"""Referrals: the referrals in the user's scope, newest start first, searched by member, provider
(referring or specialist) and status; `n` writes a new referral, enter opens one."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, Static

from portal_tui.assets import stylesheet
from portal_tui.display_text import one_line, printable
from portal_tui.screens.admissions import is_provider_side
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.referrals import ReferralQuery, ReferralSummary
    from portal_tui.app import PortalApp

PAGE_SIZE = 100
"""Referrals fetched per page."""

REFERRAL_COLUMNS: list[Column[ReferralSummary]] = [
    Column("Number", 15, lambda r: r.number),
    Column("Status", 9, lambda r: r.status.value),
    Column("Visits", 6, lambda r: f"{r.visits_used}/{r.visits_authorized}"),
    Column("Start", 10, lambda r: f"{r.start_date:%m/%d/%Y}"),
    Column("End", 10, lambda r: f"{r.end_date:%m/%d/%Y}"),
    Column("Member", 0, lambda r: one_line(r.member_name or r.member_id)),
    Column("Specialist", 0, lambda r: one_line(r.specialist_name)),
]
"""The list's columns (visits used of authorized)."""

STATUS_CHOICES = [(s, s) for s in ("active", "used", "expired", "cancelled")]


class ReferralsScreen(MenuScreen):
    """Search referrals; results page in as the cursor goes down."""

    MENU = "referrals"
    GUIDE = "referrals"
    CSS_PATH = stylesheet("referrals")
    AUTO_FOCUS = "#referrals-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New referral", id="referrals.new"),
        Binding("ctrl+s", "search", "Search", id="referrals.search"),
        Binding("slash", "form", "Search form", id="referrals.form"),
        Binding("escape", "to_table", "List", show=False, id="referrals.to_table"),
        Binding("f5", "refresh", "Refresh", id="referrals.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | n | referrals.new | Write a new referral. |
    | enter, ctrl+s | referrals.search | Search with the form. |
    | / | referrals.form | To the search form. |
    | escape | referrals.to_table | To the list. |
    | f5 | referrals.refresh | Fetch the list again. |
    """
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "new": ("manage_referrals",),
    }

    def __init__(self) -> None:
        super().__init__()
        self.stale = False
        """Whether a screen opened from here may have changed the list (fetched again on return)."""

    def compose_content(self) -> ComposeResult:
        yield Static("Referrals", classes="screen-title")
        with Horizontal(classes="field-row"):
            yield Label("Member", classes="field-label")
            yield Input(placeholder="NW100000007", id="ref-member", compact=True)
            yield Label("NPI", classes="field-label")
            yield Input(placeholder="1234567893", id="ref-npi", compact=True)
            yield Label("Status", classes="field-label")
            yield Select[str](STATUS_CHOICES, prompt="any", id="ref-status", compact=True)
        yield Static("", id="referrals-message", markup=False)
        yield ResultTable["ReferralSummary"](
            REFERRAL_COLUMNS,
            key=lambda r: r.number,
            empty_text="No referral matches.",
            id="referrals-table",
        )

    @property
    def table(self) -> ResultTable[ReferralSummary]:
        return self.query_one("#referrals-table", ResultTable)

    def on_mount(self) -> None:
        self.load()

    @on(events.ScreenResume)
    def _resumed(self) -> None:
        # Back from a referral or the form: a visit, a cancellation or a new referral shows.
        if self.stale:
            self.stale = False
            self.load()

    def say(self, text: str, error: bool = False) -> None:
        """The line above the list (red for a problem)."""
        message = self.query_one("#referrals-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def query_from_form(self) -> ReferralQuery:
        """The search the form describes (the service checks the member ID and NPI)."""
        from portal_core.models.referrals import ReferralQuery, ReferralStatus

        status = self.query_one("#ref-status", Select).value
        return ReferralQuery(
            member_id=self.query_one("#ref-member", Input).value.strip() or None,
            npi=self.query_one("#ref-npi", Input).value.strip() or None,
            status=None if status is Select.NULL else ReferralStatus(str(status)),
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new" and not is_provider_side(self.portal):
            return False  # referrals are written at the active TIN
        return super().check_action(action, parameters)

    @on(Input.Submitted)
    def action_search(self) -> None:
        self.load()

    @on(Select.Changed)
    def _status_changed(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_form(self) -> None:
        self.query_one("#ref-member", Input).focus()

    def action_to_table(self) -> None:
        self.table.focus()

    @on(ResultTable.NeedMore, "#referrals-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="referrals")
    async def load(self, after: str | None = None) -> None:
        """Fetch the first page of the search (or the page after `after`)."""
        table = self.table
        query = self.query_from_form()
        page = await self.fill_table(
            table, after, lambda: self.client.list_referrals(query, after=after, limit=PAGE_SIZE)
        )
        if page is None:
            return
        if after is None:
            hint = "Enter opens; / the search form"
            self.say(hint + ("; n new referral." if is_provider_side(self.portal) else "."))
            if page.items and self.focused is None:
                table.focus()

    @on(ResultTable.Opened, "#referrals-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        from portal_tui.screens.referral_detail import ReferralDetailScreen

        self.stale = True
        self.app.push_screen(ReferralDetailScreen(event.row.number))  # type: ignore[attr-defined]

    def action_new(self) -> None:
        from portal_tui.screens.referral_form import ReferralFormScreen

        self.stale = True
        self.app.push_screen(ReferralFormScreen())


async def open_linked(app: PortalApp, record_id: str) -> None:
    """Open a referral from a link (a notification, the palette)."""
    from portal_tui.screens.referral_detail import ReferralDetailScreen

    await app.action_menu("referrals")
    if isinstance(app.screen, ReferralsScreen):
        app.screen.stale = True
    await app.push_screen(ReferralDetailScreen(record_id))


MENU_SCREEN = ReferralsScreen
"""The screen the referrals menu opens on."""
