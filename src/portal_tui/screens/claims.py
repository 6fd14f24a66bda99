"""Claims: the search form with its four ways (claim number; member + service dates; TIN or NPI +
status + dates; payment number), results lazily paged; enter opens a claim. From here, the
denied-claims worklist and, for customer service, the open inquiries and appeals."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, Static

from portal_core.rules.claim_order import CLAIM_SORTS, DEFAULT_SORT, next_sort
from portal_tui.assets import stylesheet
from portal_tui.claim_text import claim_row_status
from portal_tui.display_text import printable
from portal_tui.member_text import money
from portal_tui.messages import OpenClaim
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.claims import ClaimSearch, ClaimSummary

PAGE_SIZE = 100
"""Claims fetched per page."""

STATUS_CHOICES = [
    (status, status) for status in ("received", "pending", "paid", "denied", "adjusted", "rejected")
]

SORT_COLUMNS = {
    "service_date": "Service",
    "billed": "Billed",
    "paid": "Paid",
    "status": "Status",
    "claim_number": "Claim",
}
"""The column each sort order is marked on."""

CLAIM_COLUMNS: list[Column[ClaimSummary]] = [
    Column("Claim", 14, lambda c: c.claim_number),
    Column("Service", 10, lambda c: f"{c.service_from:%m/%d/%Y}"),
    Column("Member", 0, lambda c: c.member_name),
    Column("Status", 12, claim_row_status),
    Column("Billed", 10, lambda c: money(c.billed)),
    Column("Paid", 10, lambda c: money(c.paid)),
]


def field(label: str, field_id: str, placeholder: str, width: int) -> tuple[Label, Input]:
    """A labelled one-line field."""
    box = Input(placeholder=placeholder, id=field_id, compact=True)
    box.styles.width = width
    return Label(label, classes="field-label"), box


class ClaimSearchScreen(MenuScreen):
    """Search claims one of four ways; results page in as the cursor goes down."""

    MENU = "claims"
    GUIDE = "claims"
    CSS_PATH = stylesheet("claims")
    AUTO_FOCUS = "#claims-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "search", "Search", id="claims.search"),
        Binding("slash", "form", "Form", id="claims.form"),
        Binding("escape", "to_table", "List", show=False, id="claims.to_table"),
        Binding("f6", "denied", "Denied", id="claims.denied"),
        Binding("f7", "queue", "Open requests", id="claims.queue"),
        Binding("o", "sort", "Sort", id="claims.sort"),
        Binding("f8", "reports", "Reports", id="claims.reports"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | enter, ctrl+s | claims.search | Search with the form. |
    | / | claims.form | Back to the form (from the list). |
    | escape | claims.to_table | To the list (from the form). |
    | f6 | claims.denied | The denied-claims worklist. |
    | f7 | claims.queue | Open inquiries and appeals (customer service). |
    | o | claims.sort | Next sort order: each column newest or largest first, then the reverse. |
    | f8 | claims.reports | The custom claims report builder. |
    """
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "reports": ("run_claim_reports",),
        "denied": ("read_claims",),
        "queue": ("answer_inquiries",),
    }

    def __init__(self) -> None:
        super().__init__()
        self.search_shown: ClaimSearch | None = None
        """The search of the list shown."""
        self.sort = DEFAULT_SORT
        """The results' order (a key of `CLAIM_SORTS`)."""
        self.descending = True
        """Whether the order is largest, latest or last first."""

    def compose_content(self) -> ComposeResult:
        yield Static("Claims", classes="screen-title")
        with Horizontal(classes="field-row"):
            yield from field("Claim", "claim-number", "claim number", 16)
            yield from field("Member", "member-id", "member ID", 13)
            yield from field("Payment", "payment-number", "payment no.", 14)
        with Horizontal(classes="field-row"):
            yield from field("TIN  ", "tin", "9-digit TIN", 12)
            yield from field("NPI", "npi", "10-digit NPI", 12)
            yield Label("Status", classes="field-label")
            yield Select[str](STATUS_CHOICES, prompt="any", id="status", compact=True)
        with Horizontal(classes="field-row"):
            yield from field("From ", "service-from", "YYYY-MM-DD", 12)
            yield from field("To ", "service-to", "YYYY-MM-DD", 12)
        yield Static(
            "/ goes to the form: fill one way in and press enter. f6 denied worklist.",
            id="claims-message",
            markup=False,
        )
        yield ResultTable["ClaimSummary"](
            CLAIM_COLUMNS,
            key=lambda c: c.claim_number,
            empty_text="No claim matches.",
            before_text="Search by claim number, member, payment, Tax ID or NPI: fill one way in "
            "and press enter.",
            id="claims-table",
        )

    @property
    def table(self) -> ResultTable[ClaimSummary]:
        return self.query_one("#claims-table", ResultTable)

    def on_mount(self) -> None:
        self.table.stop_loading()
        self.table.show_sort(SORT_COLUMNS[self.sort], self.descending)

    def value(self, field_id: str) -> str:
        """A field's text, stripped."""
        return self.query_one(f"#{field_id}", Input).value.strip()

    def search_from_form(self) -> ClaimSearch:
        """The search the form describes (the service checks every field)."""
        from portal_core.models.claims import ClaimSearch

        status = self.query_one("#status", Select).value
        return ClaimSearch(
            claim_number=self.value("claim-number") or None,
            member_id=self.value("member-id") or None,
            tin=self.value("tin").replace("-", "") or None,
            npi=self.value("npi") or None,
            status=None if status is Select.NULL else str(status),
            service_from=self.value("service-from") or None,
            service_to=self.value("service-to") or None,
            payment_number=self.value("payment-number") or None,
            sort=self.sort,
            descending=self.descending,
        )

    def say(self, text: str, error: bool = False) -> None:
        """The line above the results (red for a problem)."""
        message = self.query_one("#claims-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    @on(Input.Submitted)
    def action_search(self) -> None:
        self.search_shown = self.search_from_form()
        self.load()

    def action_form(self) -> None:
        self.query_one("#claim-number", Input).focus()

    def action_to_table(self) -> None:
        self.table.focus()

    def action_sort(self) -> None:
        """Cycle the order and search again in it (the service sorts: the rows held are a page)."""
        self.sort, self.descending = next_sort(self.sort, self.descending)
        self.table.show_sort(SORT_COLUMNS[self.sort], self.descending)
        self.say(f"{self.order_text()}; o changes it.")
        if self.search_shown is not None:
            self.search_shown = self.search_shown.model_copy(
                update={"sort": self.sort, "descending": self.descending}
            )
            self.load()

    def order_text(self) -> str:
        """The order in words, e.g. "Sorted by billed, descending"."""
        direction = "descending" if self.descending else "ascending"
        return f"Sorted by {CLAIM_SORTS[self.sort].lower()}, {direction}"

    def action_reports(self) -> None:
        from portal_tui.screens.claim_reports import ClaimReportScreen

        self.app.push_screen(ClaimReportScreen())

    @on(ResultTable.NeedMore, "#claims-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="claims")
    async def load(self, after: str | None = None) -> None:
        """Fetch the first page of the search (or the page after `after`)."""
        search = self.search_shown
        if search is None:
            return
        table = self.table
        if after is None:
            self.say("Searching…")
        page = await self.fill_table(
            table, after, lambda: self.client.search_claims(search, after=after, limit=PAGE_SIZE)
        )
        if page is None:
            return
        if after is None:
            self.say(f"{self.order_text()} (o changes it). Enter opens a claim; / the form.")
            if page.items:
                table.focus()

    @on(ResultTable.Opened, "#claims-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        self.open_claim(event.row.claim_number)  # type: ignore[attr-defined]

    def open_claim(self, claim_number: str) -> None:
        """Show one claim."""
        from portal_tui.screens.claim_detail import ClaimDetailScreen

        self.app.push_screen(ClaimDetailScreen(claim_number))

    def on_open_claim(self, message: OpenClaim) -> None:
        self.open_claim(message.claim_number)

    def action_denied(self) -> None:
        from portal_tui.screens.denied_claims import DeniedWorklistScreen

        self.app.push_screen(DeniedWorklistScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return super().check_action(action, parameters)

    def action_queue(self) -> None:
        from portal_tui.screens.claim_requests import OpenRequestsScreen

        self.app.push_screen(OpenRequestsScreen())


MENU_SCREEN = ClaimSearchScreen
"""The screen the claims menu opens on."""
