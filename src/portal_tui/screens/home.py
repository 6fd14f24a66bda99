"""Home: what needs action, each section only where the user's role may see it, every section
fetched by its own worker at once so none waits for another: current announcements; the open user
review, approvals, locked users and unread notifications; unread message threads; pending
preauthorizations with the time left; denied claims of the last 30 days with the top reasons;
the records opened most recently (enter opens one); and the latest notifications."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from portal_core.errors import PermissionDenied, PortalError, SessionExpired
from portal_core.rules.identifiers import format_tin
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable, when
from portal_tui.record_links import kind_label
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.announcements import Announcement
    from portal_core.models.claims import DenialReasonGroup
    from portal_core.models.identity import AdminHandover, Notification
    from portal_core.models.recent_items import RecentItem
    from portal_core.models.reviews import CampaignSummary

T = TypeVar("T")

DENIED_DAYS = 30
"""How far back the denied-claims section looks."""

PREAUTHS_SHOWN = 5
"""Pending preauthorizations listed (the count covers them all)."""

RECENT_SHOWN = 10
"""Recent items listed."""


@dataclass
class HomeFacts:
    """What the "needs action" section shows; None where the user may not see it."""

    pending_approvals: int | None = None
    locked_users: int | None = None
    open_review: CampaignSummary | None = None
    overdue_reviews: list[CampaignSummary] | None = None
    unread: list[Notification] = field(default_factory=list)
    recent: list[Notification] = field(default_factory=list)
    handover_offers: list[AdminHandover] = field(default_factory=list)
    """Offers of the administrator role made to the user, waiting for their answer."""


def _count(number: int, singular: str, plural: str | None = None) -> str:
    """`1 user is`, `3 users are`: a count in plain words."""
    return f"{number:,} {singular if number == 1 else (plural or singular + 's')}"


def _short(text: str, width: int) -> str:
    """`text` cut to `width` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def announcement_text(items: list[Announcement]) -> str:
    """The current announcements, newest first: date, title, and the text below."""
    if not items:
        return "No announcements."
    blocks = []
    for item in items:
        head = f"{when(item.published_at, 'day')}  {printable(item.title)}"
        if item.review_campaign_id is not None and item.review_due is not None:
            head += f"   (your review is due {item.review_due:%m/%d/%Y}: r opens it)"
        blocks.append(f"{head}\n  {printable(item.body)}")
    return "\n".join(blocks)


def denied_text(groups: list[DenialReasonGroup]) -> str:
    """`12 denied claims in the last 30 days` and the top three reasons."""
    total = sum(g.claim_count for g in groups)
    if not total:
        return f"No claim was denied in the last {DENIED_DAYS} days."
    top = sorted(groups, key=lambda g: (-g.claim_count, g.carc))[:3]
    lines = [f"{_count(total, 'denied claim')} in the last {DENIED_DAYS} days   (d opens them)"]
    lines += [
        f"  {g.claim_count:>5,}  {g.carc:<5} {_short(printable(g.carc_text), 60)}" for g in top
    ]
    return "\n".join(lines)


RECENT_COLUMNS: list[Column[RecentItem]] = [
    Column("Opened", 15, lambda r: when(r.opened_at, "short")),
    Column("Record", 14, lambda r: kind_label(r.record_kind)),
    Column("Number", 0, lambda r: printable(r.record_id)),
]


class HomeScreen(MenuScreen):
    """What needs action today."""

    MENU = "home"
    CSS_PATH = stylesheet("home")
    # The page scrolls under the arrow keys; tab reaches the recent items (enter opens one).
    AUTO_FOCUS = "#home-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "open_review", "Review", id="home.review"),
        Binding("u", "users", "Users", show=False, id="home.users"),
        Binding("n", "notifications", "Notifications", id="home.notifications"),
        Binding("m", "mark_read", "Mark read", show=False, id="home.mark_read"),
        Binding("t", "messages", "Messages", id="home.messages"),
        Binding("d", "denied", "Denied", id="home.denied"),
        Binding("p", "publish", "Publish", id="home.publish"),
        Binding("w", "withdraw", "Withdraw", show=False, id="home.withdraw"),
        Binding("h", "handover", "Handover", show=False, id="home.handover"),
        Binding("f5", "refresh", "Refresh", id="home.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | r | home.review | The open user review. |
    | u | home.users | The Users menu (approvals, locked users). |
    | n | home.notifications | The notifications panel. |
    | m | home.mark_read | Mark every notification read. |
    | t | home.messages | The Message Center (unread threads). |
    | d | home.denied | The denied-claims worklist. |
    | p | home.publish | Publish an announcement (payer administrators). |
    | w | home.withdraw | Withdraw an announcement (payer administrators). |
    | h | home.handover | Settings, to answer an offer of the administrator role. |
    | f5 | home.refresh | Fetch everything again. |
    | enter | table.open | Open the recent item under the cursor. |
    """
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "publish": ("publish_announcements",),
        "withdraw": ("publish_announcements",),
        "messages": ("send_messages", "answer_messages"),
        "denied": ("read_claims",),
    }

    def __init__(self) -> None:
        super().__init__()
        self.facts: HomeFacts | None = None
        """What "needs action" showed last."""
        self.announcements: list[Announcement] = []
        """The announcements shown."""

    def compose_content(self) -> ComposeResult:
        yield Static("Home", classes="screen-title")
        with VerticalScroll(id="home-body"):
            yield Static("Announcements", classes="section-title", id="announcements-title")
            yield Static("Loading…", id="home-announcements", markup=False)
            yield Static("Needs action", classes="section-title")
            yield Static("Loading…", id="home-actions", markup=False)
            yield Static("Messages", classes="section-title", id="threads-title")
            yield Static("Loading…", id="home-threads", markup=False)
            yield Static("Pending preauthorizations", classes="section-title", id="preauth-title")
            yield Static("Loading…", id="home-preauths", markup=False)
            yield Static("Denied claims", classes="section-title", id="denied-title")
            yield Static("Loading…", id="home-denied", markup=False)
            yield Static(
                "Recently opened (tab to the list, enter opens)",
                classes="section-title",
                id="recent-items-title",
            )
            yield ResultTable["RecentItem"](
                RECENT_COLUMNS,
                key=lambda r: (r.record_kind, r.record_id),
                empty_text="Nothing opened yet.",
                id="home-recent-items",
            )
            yield Static("Recent notifications (n opens them all)", classes="section-title")
            yield Static("", id="home-recent", markup=False)

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.facts is not None:
            self.load()

    def action_refresh(self) -> None:
        self.load()

    def load(self) -> None:
        """Start every section's worker at once."""
        self.load_actions()
        self.load_announcements()
        self.load_threads()
        self.load_preauths()
        self.load_denied()
        self.load_recent()

    def _hide(self, *ids: str) -> None:
        for widget_id in ids:
            self.query_one(f"#{widget_id}").display = False

    def _show_section(self, *ids: str) -> None:
        for widget_id in ids:
            self.query_one(f"#{widget_id}").display = True

    def _failed(self, error: PortalError, *ids: str) -> None:
        """A section could not load: a refusal hides it; anything else is reported."""
        if isinstance(error, PermissionDenied):
            self._hide(*ids)
        else:
            self.report(error)
            self.query_one(f"#{ids[-1]}", Static).update("Could not be loaded (f5 tries again).")

    # -- announcements -------------------------------------------------------------------------
    @work(exclusive=True, group="home-announcements")
    async def load_announcements(self) -> None:
        """The current announcements meant for the user."""
        try:
            self.announcements = await self.client.current_announcements()
        except PortalError as error:
            self._failed(error, "announcements-title", "home-announcements")
            return
        text = announcement_text(self.announcements)
        if self.may("publish"):
            text += "\n(p publishes an announcement; w withdraws one)"
        self.query_one("#home-announcements", Static).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The users and review keys act at the active TIN, as those menus do.
        if action == "open_review":
            return self.portal.may("run_reviews", at_active_tin=True)
        if action == "users":
            return self.portal.may("view_users", "manage_payer_staff", at_active_tin=True)
        if action == "handover":
            return self.facts is not None and bool(self.facts.handover_offers)
        return super().check_action(action, parameters)

    @work(exclusive=True, group="home-dialog")
    async def action_publish(self) -> None:
        """Publish an announcement (payer administrators)."""
        from portal_tui.modals.announcement_form import AnnouncementFormModal

        published = await self.app.push_screen_wait(AnnouncementFormModal())
        if published is not None:
            self.notify(f"Published: {published.title}")
            self.load_announcements()

    @work(exclusive=True, group="home-dialog")
    async def action_withdraw(self) -> None:
        """Withdraw one of the current announcements (payer administrators)."""
        from portal_tui.modals.choice import ChoiceModal

        if not self.announcements:
            self.notify("No announcement is showing.")
            return
        choices = [(a.id, f"{when(a.published_at, 'day')} {a.title}") for a in self.announcements]
        chosen = await self.app.push_screen_wait(
            ChoiceModal[int]("Withdraw which announcement?", choices)
        )
        if chosen is None:
            return
        try:
            await self.client.withdraw_announcement(chosen)
        except PortalError as error:
            self.report(error)
            return
        self.notify("The announcement was withdrawn.")
        self.load_announcements()

    # -- needs action --------------------------------------------------------------------------
    @work(exclusive=True, group="home")
    async def load_actions(self) -> None:
        """The review, approvals, locked users and notifications; a fact the user may not see is
        left out."""
        try:
            self.facts = await self._gather()
        except PortalError as error:
            self.report(error)
            return
        self._show(self.facts)
        self.portal.show_unread(len(self.facts.unread))

    async def _gather(self) -> HomeFacts:
        from portal_core.models.identity import Role
        from portal_core.models.users import UserFilter

        account = self.portal.account
        client = self.client
        tin = account.active_tin if account else None
        is_payer_admin = account is not None and account.payer_role == Role.PAYER_ADMIN
        # Only what the role may see is asked for (and so shown, with its key).
        sees_users = self.portal.may("view_users", at_active_tin=True)
        runs_reviews = self.portal.may("run_reviews", at_active_tin=True)

        async def allowed(call: Awaitable[T]) -> T | None:
            try:
                return await call
            except PermissionDenied:
                return None

        async def none() -> None:
            return None

        pending, locked, campaigns, overdue, unread, recent = await asyncio.gather(
            allowed(client.list_users(UserFilter(tin=tin, status="pending"), limit=1))
            if tin and sees_users
            else none(),
            allowed(client.list_users(UserFilter(tin=tin, status="locked"), limit=1))
            if tin and sees_users
            else none(),
            allowed(client.list_campaigns(tin)) if tin and runs_reviews else none(),
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
        if account is not None and not account.payer_role:
            facts.handover_offers = await self._handover_offers(account.id)
        return facts

    async def _handover_offers(self, user_id: int) -> list[AdminHandover]:
        """Offers of the administrator role waiting for this user's answer; none when they
        cannot be fetched (the rest of Home still shows)."""
        try:
            offers = await self.client.pending_handovers()
        except SessionExpired:
            raise
        except PortalError:
            return []
        return [h for h in offers if h.to_user.id == user_id]

    def _show(self, facts: HomeFacts) -> None:
        lines: list[str] = []
        if facts.open_review is not None:
            review = facts.open_review
            late = "  OVERDUE" if review.overdue else ""
            lines.append(
                f"• User review of {review.tin_name} due {review.due_date:%m/%d/%Y}: "
                f"decided {review.decided} of {review.total}{late}   (r to open)"
            )
        for offer in facts.handover_offers:
            lines.append(
                f"• {offer.from_user.full_name} ({offer.from_user.username}) offers you the "
                f"administrator role for TIN {format_tin(offer.tin)}   (h to answer in Settings)"
            )
        if facts.pending_approvals:
            lines.append(
                f"• {_count(facts.pending_approvals, 'registrant waits', 'registrants wait')}"
                " for approval   (u)"
            )
        if facts.locked_users:
            lines.append(f"• {_count(facts.locked_users, 'user is', 'users are')} locked   (u)")
        if facts.unread:
            lines.append(
                f"• {_count(len(facts.unread), 'unread notification')}   (n to read, m mark read)"
            )
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
        text = "\n".join(lines) if lines else "Nothing needs action right now."
        self.query_one("#home-actions", Static).update(printable(text))
        recent = [
            f"{'  ' if n.read_at else '• '}{when(n.created_at, 'short')}  {printable(n.text)}"
            for n in facts.recent
        ]
        self.query_one("#home-recent", Static).update(
            "\n".join(recent) if recent else "No notifications yet."
        )

    # -- messages ------------------------------------------------------------------------------
    @work(exclusive=True, group="home-threads")
    async def load_threads(self) -> None:
        """How many threads have unread posts (not asked when the role has no Message Center)."""
        if not self.may("messages"):
            self._hide("threads-title", "home-threads")
            return
        try:
            count = await self.client.unread_thread_count()
        except PortalError as error:
            self._failed(error, "threads-title", "home-threads")
            return
        text = (
            f"{_count(count, 'thread')} with unread posts   (t opens Messages)"
            if count
            else "No unread messages."
        )
        self.query_one("#home-threads", Static).update(text)

    async def action_messages(self) -> None:
        await self.portal.action_menu("messages")

    # -- preauthorizations ---------------------------------------------------------------------
    @work(exclusive=True, group="home-preauths")
    async def load_preauths(self) -> None:
        """Pending requests with the time left on their clocks, soonest due first."""
        try:
            from portal_core.models.preauth import PreauthQuery
        except ImportError:  # the preauthorization area is not installed
            self._hide("preauth-title", "home-preauths")
            return
        try:
            page = await self.client.list_preauths(
                PreauthQuery(pending_only=True), limit=PREAUTHS_SHOWN * 10
            )
        except PortalError as error:
            self._failed(error, "preauth-title", "home-preauths")
            return
        items = sorted(
            page.items, key=lambda p: (p.due_at is None, p.due_at or p.created_at, p.number)
        )
        total = page.total if page.total is not None else len(items)
        if not items:
            self.query_one("#home-preauths", Static).update("No request waits for a decision.")
            return
        lines = [f"{_count(total, 'request')} waiting for a decision   (5 opens Preauth)"]
        lines += [
            f"  {p.number}  {p.urgency!s:<9} "
            f"{printable(p.time_left_text) or '—':<20} {_short(printable(p.template_name), 30)}"
            for p in items[:PREAUTHS_SHOWN]
        ]
        self.query_one("#home-preauths", Static).update("\n".join(lines))

    # -- denied claims -------------------------------------------------------------------------
    @work(exclusive=True, group="home-denied")
    async def load_denied(self) -> None:
        """Denials of the last 30 days, counted, with the top reasons: the worklist's own scope
        (every Tax ID of the user, as `d` then shows them), so the two counts agree."""
        from portal_core.models.claims import DeniedQuery

        try:
            groups = await self.client.denied_worklist(DeniedQuery(days=DENIED_DAYS))
        except PortalError as error:
            self._failed(error, "denied-title", "home-denied")
            return
        self.query_one("#home-denied", Static).update(denied_text(groups))

    async def action_denied(self) -> None:
        from portal_tui.screens.denied_claims import DeniedWorklistScreen

        await self.portal.action_menu("claims")
        await self.app.push_screen(DeniedWorklistScreen())

    # -- recent items --------------------------------------------------------------------------
    @property
    def recent_table(self) -> ResultTable[RecentItem]:
        return self.query_one("#home-recent-items", ResultTable)

    @work(exclusive=True, group="home-recent")
    async def load_recent(self) -> None:
        """The records the user opened most recently."""
        table = self.recent_table
        table.reset()
        try:
            items = await self.client.recent_items(RECENT_SHOWN)
        except PortalError as error:
            table.show_error(error.message)
            if isinstance(error, PermissionDenied):
                self._hide("recent-items-title", "home-recent-items")
            else:
                self.report(error)
            return
        table.append_page(items, None, len(items))

    @on(ResultTable.Opened, "#home-recent-items")
    async def _open_recent(self, event: ResultTable.Opened) -> None:
        from portal_tui.record_links import open_record

        item: RecentItem = event.row  # type: ignore[assignment]
        await open_record(self.portal, item.record_kind, item.record_id)

    # -- keys ----------------------------------------------------------------------------------
    async def action_open_review(self) -> None:
        await self.portal.open_review()

    async def action_handover(self) -> None:
        """Settings, where an offer of the administrator role is accepted or declined."""
        await self.portal.action_menu("settings")

    async def action_users(self) -> None:
        await self.portal.action_menu("users")

    def action_notifications(self) -> None:
        self.portal.action_notifications()

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
        self.load_actions()


MENU_SCREEN = HomeScreen
"""The screen the home menu opens on."""
