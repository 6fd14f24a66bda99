"""Message Center: the inbox (threads newest activity first, filtered, lazily paged), and for
customer service the work queue and the reference-number look-up; enter opens a thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import one_line
from portal_tui.display_text import when as show_when
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.messages import ThreadFilter, ThreadSummary

PAGE_SIZE = 100
"""Threads fetched per page."""

STATUS_CHOICES = [
    ("Waiting for the payer", "awaiting_payer"),
    ("Answered", "awaiting_provider"),
    ("Open", "open"),
    ("Closed", "closed"),
]

STATUS_WORDS = dict((value, label) for label, value in STATUS_CHOICES)
"""A thread status in words."""


def status_words(status: str) -> str:
    """`awaiting_payer` as "Waiting for the payer"."""
    return STATUS_WORDS.get(status, status)


when = show_when
"""`11/23/2026 14:05 CST` on the payer's clock (the thread screen uses it too)."""


THREAD_COLUMNS: list[Column[ThreadSummary]] = [
    Column("", 1, lambda t: "●" if t.unread else " "),
    Column("Reference", 15, lambda t: t.reference),
    Column("Subject", 0, lambda t: one_line(t.subject)),
    Column("Status", 21, lambda t: status_words(t.status)),
    Column("Last activity", 20, lambda t: when(t.last_post_at)),
]

QUEUE_COLUMNS: list[Column[ThreadSummary]] = [
    Column("", 1, lambda t: "●" if t.unread else " "),
    Column("Reference", 15, lambda t: t.reference),
    Column("Organization", 20, lambda t: one_line(t.organization)),
    Column("Subject", 0, lambda t: one_line(t.subject)),
    Column("Waiting since", 20, lambda t: when(t.waiting_since or t.last_post_at)),
]


class MessagesScreen(MenuScreen):
    """The inbox of the signed-in user (every thread for customer service)."""

    MENU = "messages"
    GUIDE = "messages"
    CSS_PATH = stylesheet("messages")
    AUTO_FOCUS = "#messages-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="messages.filter"),
        Binding("n", "compose", "New message", id="messages.compose"),
        Binding("w", "queue", "Queue", id="messages.queue"),
        Binding("l", "lookup", "Look up", id="messages.lookup"),
        Binding("f5", "refresh", "Refresh", id="messages.refresh"),
        Binding("escape", "to_table", "List", show=False, id="messages.to_table"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | / | messages.filter | Search: text, reference number, status. |
    | n | messages.compose | Write a new message. |
    | w | messages.queue | Customer service: the queue, oldest waiting first (again: inbox). |
    | l | messages.lookup | Customer service: look up a caller's reference number. |
    | f5 | messages.refresh | Fetch again. |
    | escape | messages.to_table | Back to the list. |
    """
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "compose": ("send_messages",),
        "queue": ("answer_messages",),
        "lookup": ("answer_messages",),
    }

    def __init__(self) -> None:
        super().__init__()
        self.queue = False
        """True while the customer-service queue is shown instead of the inbox."""

    def compose_content(self) -> ComposeResult:
        yield Static("Messages", classes="screen-title", id="messages-title")
        with Horizontal(id="messages-filters"):
            yield Input(placeholder='Words, "a phrase", prefix*  (/)', id="messages-text")
            yield Input(placeholder="MSG-YYYY-NNNNNN", id="messages-reference")
            yield Select[str](STATUS_CHOICES, prompt="Any status", id="messages-status")
        yield ResultTable["ThreadSummary"](
            THREAD_COLUMNS,
            key=lambda t: t.reference,
            empty_text="No message matches.",
            id="messages-table",
        )

    @property
    def table(self) -> ResultTable[ThreadSummary]:
        return self.query_one("#messages-table", ResultTable)

    @property
    def is_csr(self) -> bool:
        """Whether the signed-in user is customer service."""
        from portal_core.models.identity import Role

        account = self.portal.account
        return account is not None and account.payer_role == Role.CSR

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "compose" and self.is_csr:
            return False  # the CSR answers from the queue
        return super().check_action(action, parameters)

    def on_mount(self) -> None:
        self.load()

    def reload_after(self, _: object) -> None:
        """Fetch again once a pushed screen closes (a thread read, answered or sent)."""
        self.load()

    def current_filter(self) -> ThreadFilter:
        """The filter the controls describe."""
        from portal_core.models.messages import ThreadFilter

        status = self.query_one("#messages-status", Select).value
        text = self.query_one("#messages-text", Input).value.strip()
        reference = self.query_one("#messages-reference", Input).value.strip()
        return ThreadFilter(
            text=text or None,
            reference=reference or None,
            status=None if status is Select.NULL else str(status),
        )

    @on(Input.Submitted, "#messages-text")
    @on(Input.Submitted, "#messages-reference")
    @on(Select.Changed, "#messages-status")
    def _filter_changed(self) -> None:
        self.load()
        self.table.focus()

    def action_to_table(self) -> None:
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one("#messages-text", Input).focus()

    def action_refresh(self) -> None:
        self.load()

    def action_queue(self) -> None:
        """Switch between the queue (oldest waiting first) and the inbox."""
        self.queue = not self.queue
        self.query_one("#messages-title", Static).update(
            "Messages: queue, oldest waiting first" if self.queue else "Messages"
        )
        self.query_one("#messages-filters").display = not self.queue
        self.table.set_columns(QUEUE_COLUMNS if self.queue else THREAD_COLUMNS)
        self.load()
        self.table.focus()

    @on(ResultTable.NeedMore, "#messages-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="messages-list")
    async def load(self, after: str | None = None) -> None:
        """Fetch the first page of the inbox or queue (or the page after `after`)."""
        table = self.table
        if after is None:
            table.reset()
        try:
            if self.queue:
                page = await self.client.message_queue(after=after, limit=PAGE_SIZE)
            else:
                page = await self.client.list_threads(
                    self.current_filter(), after=after, limit=PAGE_SIZE
                )
        except PortalError as error:
            table.show_error(error.message)
            self.report(error)
            return
        table.append_page(page.items, page.next_cursor, page.total)

    @on(ResultTable.Opened, "#messages-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        self.open_thread(event.row.reference)  # type: ignore[attr-defined]

    def open_thread(self, reference: str, lookup: bool = False) -> None:
        """Show one thread (with the caller's organization for a look-up)."""
        from portal_tui.screens.message_thread import ThreadScreen

        self.app.push_screen(ThreadScreen(reference, lookup=lookup), self.reload_after)

    @work(exclusive=True, group="messages-dialog")
    async def action_compose(self) -> None:
        """Write a general message (about a record: from that record's screen)."""
        from portal_tui.modals.message_compose import ComposeMessageModal

        reference = await self.app.push_screen_wait(ComposeMessageModal())
        if reference is not None:
            self.open_thread(reference)
        self.load()

    @work(exclusive=True, group="messages-dialog")
    async def action_lookup(self) -> None:
        """Ask for the caller's reference number and open the thread with their organization."""
        from portal_tui.modals.reference_lookup import ReferenceLookupModal

        reference = await self.app.push_screen_wait(ReferenceLookupModal())
        if reference:
            self.open_thread(reference, lookup=True)


MENU_SCREEN = MessagesScreen
"""The screen the messages menu opens on."""
