"""The denied-claims worklist: denials of the last days grouped by reason code with the next step
for each; enter lists the claims of a reason (lazily paged), and enter again opens one."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from portal_core.errors import PortalError
from portal_core.rules.identifiers import format_tin
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.member_text import money
from portal_tui.screens.base import MenuScreen
from portal_tui.screens.claims import CLAIM_COLUMNS, PAGE_SIZE
from portal_tui.screens.members import end_if_expired
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.claims import ClaimSummary, DenialReasonGroup

GROUP_COLUMNS: list[Column[DenialReasonGroup]] = [
    Column("CARC", 5, lambda g: g.carc),
    Column("Reason", 0, lambda g: g.carc_text),
    Column("Claims", 7, lambda g: f"{g.claim_count:,}"),
    Column("Billed", 12, lambda g: money(g.billed)),
    Column("Next step", 18, lambda g: g.next_step_title),
]


class DeniedWorklistScreen(MenuScreen):
    """Denials grouped by reason, with what to do about each."""

    MENU = "claims"
    GUIDE = "claims"
    CSS_PATH = stylesheet("denied_claims")
    AUTO_FOCUS = "#denied-groups"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="denied.back"),
        Binding("slash", "days", "Days", id="denied.days"),
        Binding("f5", "refresh", "Refresh", show=False, id="denied.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | denied.back | Back to the claim search. |
    | / | denied.days | How many days back (1-730). |
    | enter | table.open | The claims of the reason. |
    """

    def compose_content(self) -> ComposeResult:
        yield Static("Denied claims", classes="screen-title")
        with Horizontal(classes="field-row"):
            yield Label("Decided in the last", classes="field-label")
            yield Input("30", id="denied-days", compact=True)
            yield Label("days", classes="field-label")
        yield ResultTable["DenialReasonGroup"](
            GROUP_COLUMNS,
            key=lambda g: g.carc,
            empty_text="No denials in that time.",
            id="denied-groups",
        )
        with VerticalScroll(id="denied-next"):
            yield Static("", id="next-step", markup=False)

    @property
    def table(self) -> ResultTable[DenialReasonGroup]:
        return self.query_one("#denied-groups", ResultTable)

    def on_mount(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.load()

    def action_days(self) -> None:
        self.query_one("#denied-days", Input).focus()

    @on(Input.Submitted, "#denied-days")
    def _days(self) -> None:
        self.load()
        self.table.focus()

    def days(self) -> int:
        """The days typed (0 when not a number: the portal says what it accepts)."""
        text = self.query_one("#denied-days", Input).value.strip()
        return int(text) if text.isdigit() else 0

    @work(exclusive=True, group="denied")
    async def load(self) -> None:
        """Fetch the groups."""
        from portal_core.models.claims import DeniedQuery

        table = self.table
        table.reset()
        try:
            groups = await self.client.denied_worklist(DeniedQuery(days=self.days()))
        except PortalError as error:
            table.show_error(error.message)
            self.query_one("#next-step", Static).update("")
            end_if_expired(self, error)
            return
        table.append_page(groups, None, len(groups))
        if not groups:
            self.query_one("#next-step", Static).update("")

    @on(ResultTable.Highlighted, "#denied-groups")
    def _highlighted(self, event: ResultTable.Highlighted) -> None:
        group = event.row
        self.query_one("#next-step", Static).update(
            printable(
                f"{group.carc} {group.carc_text}\n"  # type: ignore[attr-defined]
                f"Next step: {group.next_step_title}. {group.next_step}"  # type: ignore[attr-defined]
            )
        )

    @on(ResultTable.Opened, "#denied-groups")
    def _opened(self, event: ResultTable.Opened) -> None:
        group = event.row
        self.app.push_screen(DeniedClaimsScreen(group, self.days()))  # type: ignore[arg-type]


class DeniedClaimsScreen(MenuScreen):
    """The denied claims of one reason code."""

    MENU = "claims"
    GUIDE = "claims"
    CSS_PATH = stylesheet("denied_claims")
    AUTO_FOCUS = "#denied-claims"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="denied_claims.back"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | denied_claims.back | Back to the reasons. |
    | enter | table.open | Open the claim. |
    """

    def __init__(self, group: DenialReasonGroup, days: int) -> None:
        super().__init__()
        self.group = group
        """The reason whose claims are listed."""
        self.days = days
        """How many days back."""

    def compose_content(self) -> ComposeResult:
        group = self.group
        yield Static(
            printable(f"Denied: {group.carc} {group.carc_text}"),
            classes="screen-title",
            markup=False,
        )
        yield Static(
            printable(f"Next step: {group.next_step_title}. {group.next_step}"),
            id="denied-step",
            markup=False,
        )
        yield ResultTable["ClaimSummary"](
            self.columns(),
            key=lambda c: c.claim_number,
            empty_text="No claims.",
            id="denied-claims",
        )

    def columns(self) -> list[Column[ClaimSummary]]:
        """The claim columns, with the Tax ID after the claim number when the worklist spans
        several (a user with two TINs, or the payer's staff)."""
        account = self.portal.account
        tins = {r.tin for r in account.roles if r.status == "active"} if account else set()
        if account is None or (account.payer_role is None and len(tins) < 2):
            return CLAIM_COLUMNS
        tin = Column["ClaimSummary"]("TIN", 10, lambda c: format_tin(c.tin))
        return [CLAIM_COLUMNS[0], tin, *CLAIM_COLUMNS[1:]]

    @property
    def table(self) -> ResultTable[ClaimSummary]:
        return self.query_one("#denied-claims", ResultTable)

    def on_mount(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    @on(ResultTable.NeedMore, "#denied-claims")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="denied-claims")
    async def load(self, after: str | None = None) -> None:
        """Fetch a page of the reason's claims."""
        from portal_core.models.claims import DeniedQuery

        query = DeniedQuery(days=self.days, carc=self.group.carc)
        table = self.table
        if after is None:
            table.reset()
        try:
            page = await self.client.denied_claims(query, after=after, limit=PAGE_SIZE)
        except PortalError as error:
            table.show_error(error.message)
            self.report(error)
            return
        table.append_page(page.items, page.next_cursor, page.total)

    @on(ResultTable.Opened, "#denied-claims")
    def _opened(self, event: ResultTable.Opened) -> None:
        from portal_tui.screens.claim_detail import ClaimDetailScreen

        self.app.push_screen(ClaimDetailScreen(event.row.claim_number))  # type: ignore[attr-defined]
