"""Customer service's queues: open inquiries and open grievances/appeals, oldest first; enter
answers the one under the cursor (an appeal is upheld or overturned)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import when
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.claims import ClaimAppeal, ClaimInquiry

PAGE_SIZE = 100
"""Requests fetched per page."""

INQUIRY_COLUMNS: list[Column[ClaimInquiry]] = [
    Column("Opened", 10, lambda i: when(i.opened_at, "day")),
    Column("Claim", 14, lambda i: i.claim_number),
    Column("Reason", 18, lambda i: i.reason),
    Column("Asks", 0, lambda i: i.text),
]

APPEAL_COLUMNS: list[Column[ClaimAppeal]] = [
    Column("Opened", 10, lambda a: when(a.opened_at, "day")),
    Column("Claim", 14, lambda a: a.claim_number),
    Column("Kind", 9, lambda a: a.kind),
    Column("Text", 0, lambda a: a.text),
]

OUTCOMES = [("upheld", "Upheld (the decision stands)"), ("overturned", "Overturned")]


class OpenRequestsScreen(MenuScreen):
    """Open inquiries and appeals for customer service to answer."""

    MENU = "claims"
    GUIDE = "claims"
    CSS_PATH = stylesheet("claim_requests")
    AUTO_FOCUS = "#inquiries"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="requests.back"),
        Binding("tab", "switch", "Inquiries/appeals", id="requests.switch"),
        Binding("c", "claim", "Claim", id="requests.claim"),
        Binding("f5", "refresh", "Refresh", show=False, id="requests.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | requests.back | Back to the claim search. |
    | tab | requests.switch | Between the inquiries and the appeals. |
    | enter | table.open | Answer the request. |
    | c | requests.claim | Open the request's claim. |
    """

    def compose_content(self) -> ComposeResult:
        yield Static("Open inquiries", classes="screen-title")
        yield ResultTable["ClaimInquiry"](
            INQUIRY_COLUMNS, key=lambda i: i.id, empty_text="No open inquiry.", id="inquiries"
        )
        yield Static("Open grievances and appeals", classes="screen-title")
        yield ResultTable["ClaimAppeal"](
            APPEAL_COLUMNS, key=lambda a: a.id, empty_text="No open appeal.", id="appeals"
        )

    def on_mount(self) -> None:
        self.load_inquiries()
        self.load_appeals()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.load_inquiries()
        self.load_appeals()

    def action_switch(self) -> None:
        target = "#appeals" if getattr(self.focused, "id", None) == "inquiries" else "#inquiries"
        self.query_one(target, ResultTable).focus()

    @on(ResultTable.NeedMore, "#inquiries")
    def _more_inquiries(self, event: ResultTable.NeedMore) -> None:
        self.load_inquiries(event.after)

    @on(ResultTable.NeedMore, "#appeals")
    def _more_appeals(self, event: ResultTable.NeedMore) -> None:
        self.load_appeals(event.after)

    @work(exclusive=True, group="inquiries")
    async def load_inquiries(self, after: str | None = None) -> None:
        """Fetch a page of open inquiries."""
        table: ResultTable[ClaimInquiry] = self.query_one("#inquiries", ResultTable)
        if after is None:
            table.reset()
        try:
            page = await self.client.open_inquiries(after=after, limit=PAGE_SIZE)
        except PortalError as error:
            table.show_error(error.message)
            self.report(error)
            return
        table.append_page(page.items, page.next_cursor, page.total)

    @work(exclusive=True, group="appeals")
    async def load_appeals(self, after: str | None = None) -> None:
        """Fetch a page of open grievances and appeals."""
        table: ResultTable[ClaimAppeal] = self.query_one("#appeals", ResultTable)
        if after is None:
            table.reset()
        try:
            page = await self.client.open_appeals(after=after, limit=PAGE_SIZE)
        except PortalError as error:
            table.show_error(error.message)
            self.report(error)
            return
        table.append_page(page.items, page.next_cursor, page.total)

    def action_claim(self) -> None:
        from portal_tui.screens.claim_detail import ClaimDetailScreen

        focused = self.focused
        if isinstance(focused, ResultTable) and focused.current is not None:
            self.app.push_screen(ClaimDetailScreen(focused.current.claim_number))

    @on(ResultTable.Opened, "#inquiries")
    @work(exclusive=True, group="answer")
    async def _answer_inquiry(self, event: ResultTable.Opened) -> None:
        from portal_core.models.claims import ClaimInquiry, InquiryAnswer
        from portal_tui.modals.claim_request import ClaimRequestModal

        inquiry = event.row
        assert isinstance(inquiry, ClaimInquiry)
        answer = await self.app.push_screen_wait(
            ClaimRequestModal(
                f"Answer the inquiry on {inquiry.claim_number}",
                f"{inquiry.reason}: {inquiry.text}",
                action="Answer",
            )
        )
        if answer is None:
            return
        try:
            await self.client.answer_inquiry(inquiry.id, InquiryAnswer(text=answer[1]))
        except PortalError as error:
            self.report(error)
            return
        self.notify("Answer recorded.")
        self.load_inquiries()

    @on(ResultTable.Opened, "#appeals")
    @work(exclusive=True, group="answer")
    async def _answer_appeal(self, event: ResultTable.Opened) -> None:
        from portal_core.models.claims import AppealAnswer, ClaimAppeal
        from portal_tui.modals.claim_request import ClaimRequestModal

        appeal = event.row
        assert isinstance(appeal, ClaimAppeal)
        answer = await self.app.push_screen_wait(
            ClaimRequestModal(
                f"Decide the {appeal.kind} on {appeal.claim_number}",
                appeal.text,
                OUTCOMES,
                "Decide",
            )
        )
        if answer is None:
            return
        outcome, text = answer
        try:
            await self.client.answer_appeal(appeal.id, AppealAnswer(outcome=outcome, text=text))
        except PortalError as error:
            self.report(error)
            return
        self.notify(f"Decision recorded: {outcome}.")
        self.load_appeals()
