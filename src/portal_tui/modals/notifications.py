"""The notifications panel: the user's notifications newest first, `•` on the unread ones; mark
one or all read; enter opens the record a notification is about."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from portal_core.errors import PortalError
from portal_tui.display_text import printable, when
from portal_tui.modals.confirm import MODAL_CSS
from portal_tui.record_links import can_open, kind_label
from portal_tui.screens.base import PortalModal
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.identity import Notification

PANEL_SIZE = 100
"""Notifications the panel fetches (the newest)."""


def _link(n: Notification) -> str:
    if not can_open(n.link_kind):
        return ""
    return f"{kind_label(n.link_kind or '')} {n.link_id or ''}".strip()


NOTIFICATION_COLUMNS: list[Column[Notification]] = [
    Column("", 1, lambda n: " " if n.read_at else "•"),
    Column("When", 15, lambda n: when(n.created_at, "short")),
    Column("Notification", 0, lambda n: printable(n.text)),
    Column("About", 22, lambda n: printable(_link(n))),
]


class NotificationsModal(PortalModal["Notification | None"]):
    """Dismisses with the notification whose record to open, or None."""

    DEFAULT_CSS = (
        "NotificationsModal {"
        + MODAL_CSS
        + """
        & > Vertical { width: 100; height: 20; }
        & #notifications { height: 1fr; }
        & .modal-hint { color: $text-muted; height: 1; }
    }"""
    )
    AUTO_FOCUS = "#notifications"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="notifications.close"),
        Binding("r", "mark_read", "Mark read", id="notifications.read"),
        Binding("a", "mark_all_read", "Mark all read", id="notifications.read_all"),
        Binding("f5", "refresh", "Refresh", show=False, id="notifications.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | notifications.close | Close the panel. |
    | r | notifications.read | Mark the notification under the cursor read. |
    | a | notifications.read_all | Mark every notification read. |
    | f5 | notifications.refresh | Fetch again. |
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Notifications", classes="modal-title")
            yield ResultTable["Notification"](
                NOTIFICATION_COLUMNS,
                key=lambda n: n.id,
                empty_text="No notifications.",
                id="notifications",
            )
            yield Static(
                "enter opens what it is about · r mark read · a mark all read · esc close",
                classes="modal-hint",
            )

    @property
    def table(self) -> ResultTable[Notification]:
        return self.query_one("#notifications", ResultTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="notifications")
    async def load(self) -> None:
        """Fetch the newest notifications."""
        self.table.reset()
        try:
            items = await self.client.notifications(limit=PANEL_SIZE)
        except PortalError as error:
            self.table.stop_loading()
            self.report(error)
            return
        self.table.append_page(items, None, len(items))
        self.portal.show_unread(sum(1 for n in items if n.read_at is None))

    async def _mark(self, notifications: list[Notification]) -> bool:
        unread = [n.id for n in notifications if n.read_at is None]
        if not unread:
            return True
        try:
            await self.client.mark_notifications_read(unread)
        except PortalError as error:
            self.report(error)
            return False
        return True

    @work(exclusive=True, group="notifications-mark")
    async def action_mark_read(self) -> None:
        """Mark the notification under the cursor read."""
        current = self.table.current
        if current is None:
            return
        if current.read_at is not None:
            self.notify("That notification is read already.")
            return
        if await self._mark([current]):
            self.load()

    @work(exclusive=True, group="notifications-mark")
    async def action_mark_all_read(self) -> None:
        """Mark every notification read."""
        if not any(n.read_at is None for n in self.table.rows):
            self.notify("No unread notifications.")
            return
        if await self._mark(list(self.table.rows)):
            self.load()

    @on(ResultTable.Opened, "#notifications")
    @work(exclusive=True, group="notifications-mark")
    async def _open(self, event: ResultTable.Opened) -> None:
        notification: Notification = event.row  # type: ignore[assignment]
        if not can_open(notification.link_kind):
            await self._mark([notification])
            self.notify("This notification has no record to open.")
            self.load()
            return
        if await self._mark([notification]):
            self.dismiss(notification)
