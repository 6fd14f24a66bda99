"""Home: what needs action, built from what exists: pending approvals, the open user review with
its due date and progress, locked users, unread notifications, recent notifications, and for payer
administrators the overdue reviews."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import LoadingIndicator, Static

from portal_core.errors import PermissionDenied, PortalError, SessionExpired
from portal_core.rules.identifiers import format_tin
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen

if TYPE_CHECKING:
    from portal_core.models.identity import Notification
    from portal_core.models.reviews import CampaignSummary

T = TypeVar("T")


@dataclass
class HomeFacts:
    """What the home screen shows; None where the user may not see it."""

    pending_approvals: int | None = None
    locked_users: int | None = None
    open_review: CampaignSummary | None = None
    overdue_reviews: list[CampaignSummary] | None = None
    unread: list[Notification] = field(default_factory=list)
    recent: list[Notification] = field(default_factory=list)


def _count(number: int, singular: str, plural: str | None = None) -> str:
    """`1 user is`, `3 users are`: a count in plain words."""
    return f"{number:,} {singular if number == 1 else (plural or singular + 's')}"


class HomeScreen(MenuScreen):
    """What needs action today."""

    MENU = "home"
    CSS_PATH = stylesheet("home")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "open_review", "Review", id="home.review"),
        Binding("u", "users", "Users", id="home.users"),
        Binding("m", "mark_read", "Mark read", id="home.mark_read"),
        Binding("f5", "refresh", "Refresh", id="home.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.facts: HomeFacts | None = None
        """What was loaded last."""

    def compose_content(self) -> ComposeResult:
        yield Static("Home", classes="screen-title")
        yield LoadingIndicator(id="home-loading")
        with VerticalScroll(id="home-body"):
            yield Static("", id="home-actions", markup=False)
            yield Static("Recent notifications", classes="section-title")
            yield Static("", id="home-recent", markup=False)

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.facts is not None:
            self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="home")
    async def load(self) -> None:
        """Fetch every fact at once; a fact the user may not see is left out."""
        self.query_one("#home-loading").display = True
        try:
            self.facts = await self._gather()
        except PortalError as error:
            self.report(error)
            return
        finally:
            self.query_one("#home-loading").display = False
        self._show(self.facts)

    async def _gather(self) -> HomeFacts:
        from portal_core.models.identity import Role
        from portal_core.models.users import UserFilter

        account = self.portal.account
        client = self.client
        tin = account.active_tin if account else None
        is_payer_admin = account is not None and account.payer_role == Role.PAYER_ADMIN

        async def allowed(call: Awaitable[T]) -> T | None:
            try:
                return await call
            except PermissionDenied:
                return None

        async def none() -> None:
            return None

        pending, locked, campaigns, overdue, unread, recent = await asyncio.gather(
            allowed(client.list_users(UserFilter(tin=tin, status="pending"), limit=1))
            if tin
            else none(),
            allowed(client.list_users(UserFilter(tin=tin, status="locked"), limit=1))
            if tin
            else none(),
            allowed(client.list_campaigns(tin)) if tin else none(),
            allowed(client.overdue_campaigns()) if is_payer_admin else none(),
            client.notifications(unread_only=True, limit=50),
            client.notifications(limit=5),
            return_exceptions=True,
        )
        for result in (pending, locked, campaigns, overdue, unread, recent):
            if isinstance(result, SessionExpired):
                raise result
        facts = HomeFacts()
        if pending is not None and not isinstance(pending, BaseException):
            facts.pending_approvals = pending.total or len(pending.items)
        if locked is not None and not isinstance(locked, BaseException):
            facts.locked_users = locked.total or len(locked.items)
        if campaigns is not None and not isinstance(campaigns, BaseException):
            facts.open_review = next((c for c in campaigns if c.status == "open"), None)
        if overdue is not None and not isinstance(overdue, BaseException):
            facts.overdue_reviews = overdue
        if not isinstance(unread, BaseException):
            facts.unread = unread
        if not isinstance(recent, BaseException):
            facts.recent = recent
        return facts

    def _show(self, facts: HomeFacts) -> None:
        lines: list[str] = []
        if facts.open_review is not None:
            review = facts.open_review
            late = "  OVERDUE" if review.overdue else ""
            lines.append(
                f"• User review of {review.tin_name} due {review.due_date:%m/%d/%Y}: "
                f"decided {review.decided} of {review.total}{late}   (r to open)"
            )
        if facts.pending_approvals:
            lines.append(
                f"• {_count(facts.pending_approvals, 'registrant waits', 'registrants wait')}"
                " for approval   (u)"
            )
        if facts.locked_users:
            lines.append(f"• {_count(facts.locked_users, 'user is', 'users are')} locked   (u)")
        if facts.unread:
            lines.append(f"• {_count(len(facts.unread), 'unread notification')}   (m to mark read)")
        if facts.overdue_reviews is not None:
            if facts.overdue_reviews:
                lines.append(
                    f"• {_count(len(facts.overdue_reviews), 'TIN has', 'TINs have')}"
                    " an overdue user review:"
                )
                lines.extend(
                    f"    {c.tin_name} ({format_tin(c.tin)}) due {c.due_date:%m/%d/%Y}, "
                    f"decided {c.decided} of {c.total}"
                    for c in facts.overdue_reviews[:10]
                )
            else:
                lines.append("• No user review is overdue.")
        text = "Needs action\n" + ("\n".join(lines) if lines else "Nothing needs action right now.")
        self.query_one("#home-actions", Static).update(text)
        recent = [
            f"{'  ' if n.read_at else '• '}{n.created_at:%m/%d %H:%M}  {printable(n.text)}"
            for n in facts.recent
        ]
        self.query_one("#home-recent", Static).update(
            "\n".join(recent) if recent else "No notifications yet."
        )

    async def action_open_review(self) -> None:
        await self.portal.open_review()

    async def action_users(self) -> None:
        await self.portal.action_menu("users")

    @work(exclusive=True, group="home-mark")
    async def action_mark_read(self) -> None:
        """Mark every unread notification read."""
        if not self.facts or not self.facts.unread:
            self.notify("No unread notifications.")
            return
        try:
            await self.client.mark_notifications_read([n.id for n in self.facts.unread])
        except PortalError as error:
            self.report(error)
            return
        self.load()


MENU_SCREEN = HomeScreen
"""The screen the home menu opens on."""
