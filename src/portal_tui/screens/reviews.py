"""Reviews: the user review campaigns of the active TIN (enter opens the worklist, `o` opens a new
review); payer administrators see which TINs are overdue."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from portal_core.errors import PortalError
from portal_core.rules.identifiers import format_tin
from portal_tui.assets import stylesheet
from portal_tui.display_text import when
from portal_tui.messages import OpenReview
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.reviews import CampaignSummary


def campaign_state(campaign: CampaignSummary) -> str:
    """`open`, `OVERDUE` or `signed off`."""
    if campaign.status == "signed_off":
        return "signed off"
    return "OVERDUE" if campaign.overdue else "open"


CAMPAIGN_COLUMNS: list[Column[CampaignSummary]] = [
    Column("TIN", 10, lambda c: format_tin(c.tin)),
    Column("Practice", 0, lambda c: c.tin_name),
    Column("Opened", 10, lambda c: when(c.opened_at, "day")),
    Column("Due", 10, lambda c: f"{c.due_date:%m/%d/%Y}"),
    Column("Decided", 13, lambda c: f"{c.decided:,} of {c.total:,}"),
    Column("State", 10, campaign_state),
]


class ReviewsScreen(MenuScreen):
    """Review campaigns (or, for payer administrators, the overdue ones across TINs)."""

    MENU = "reviews"
    CSS_PATH = stylesheet("reviews")
    AUTO_FOCUS = "#campaigns"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open_campaign", "New review", id="reviews.open_campaign"),
        Binding("f5", "refresh", "Refresh", id="reviews.refresh"),
    ]
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {"open_campaign": ("run_reviews",)}
    NEEDS_AT_ACTIVE_TIN = True

    def __init__(self) -> None:
        super().__init__()
        self._open_current_when_loaded = False

    @property
    def overseer(self) -> bool:
        """A payer administrator: sees overdue reviews across TINs."""
        account = self.portal.account
        return account is not None and account.payer_role is not None and not account.active_tin

    def compose_content(self) -> ComposeResult:
        title = "Overdue user reviews" if self.overseer else "User reviews"
        yield Static(title, classes="screen-title")
        yield ResultTable["CampaignSummary"](
            CAMPAIGN_COLUMNS,
            key=lambda c: c.id,
            empty_text="No overdue reviews."
            if self.overseer
            else "No reviews yet. Press o to open one."
            if self.may("open_campaign")
            else "No reviews yet.",
            id="campaigns",
        )

    @property
    def table(self) -> ResultTable[CampaignSummary]:
        return self.query_one("#campaigns", ResultTable)

    def reload_after(self, _: object) -> None:
        """Fetch again once a pushed screen closes (it may have changed something)."""
        self.load()

    def on_mount(self) -> None:
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_campaign" and self.overseer:
            return False
        return super().check_action(action, parameters)

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="campaigns")
    async def load(self) -> None:
        """Fetch the campaigns."""
        table = self.table
        table.reset()
        account = self.portal.account
        try:
            if self.overseer:
                campaigns = await self.client.overdue_campaigns()
            else:
                campaigns = await self.client.list_campaigns(
                    account.active_tin if account else None
                )
        except PortalError as error:
            table.show_error(error.message)
            self.report(error)
            return
        table.append_page(campaigns, None, len(campaigns))
        if self._open_current_when_loaded:
            self._open_current_when_loaded = False
            current = next((c for c in campaigns if c.status == "open"), None)
            if current is None:
                hint = " Press o to open one." if self.may("open_campaign") else ""
                self.notify(f"There is no open review.{hint}")
            else:
                self.open_worklist(current)

    @on(ResultTable.Opened, "#campaigns")
    def _opened(self, event: ResultTable.Opened) -> None:
        self.open_worklist(event.row)  # type: ignore[arg-type]

    def open_worklist(self, campaign: CampaignSummary) -> None:
        """Show a campaign's items."""
        from portal_tui.screens.review_worklist import ReviewWorklistScreen

        self.app.push_screen(ReviewWorklistScreen(campaign), self.reload_after)

    def on_open_review(self, message: OpenReview) -> None:
        if isinstance(self.app.screen, ReviewsScreen):
            self._open_current_when_loaded = True
            self.load()

    @work(group="reviews-dialog")
    async def action_open_campaign(self) -> None:
        from portal_tui.modals.confirm import ConfirmModal

        account = self.portal.account
        if account is None or not account.active_tin:
            return
        tin = account.active_tin
        if not await self.app.push_screen_wait(
            ConfirmModal(
                "Open a user review?",
                "Every active user of this TIN becomes an item to decide. It is due in 30 days.",
                yes="Open",
            )
        ):
            return
        try:
            campaign = await self.client.open_campaign(tin)
        except PortalError as error:
            self.report(error)
            return
        self.notify(
            f"Review opened: {campaign.total} users to decide by {campaign.due_date:%m/%d/%Y}."
        )
        self.open_worklist(campaign)


MENU_SCREEN = ReviewsScreen
"""The screen the reviews menu opens on."""
