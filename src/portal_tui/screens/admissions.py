"""Admissions: inpatient admission notifications in the user's scope, newest first, filtered by
status, member and lateness; `n` writes a new notification, enter opens one, and reviewers reach
the concurrent-review queue with f7."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label, Select, Static

from portal_tui.admission_text import STATUS_WORDS, due_or_notified, next_review, short_time
from portal_tui.assets import stylesheet
from portal_tui.display_text import one_line, printable
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable
from portal_tui.widgets.ticks import TickBox

if TYPE_CHECKING:
    from portal_core.models.admissions import AdmissionQuery, AdmissionSummary
    from portal_tui.app import PortalApp

PAGE_SIZE = 100
"""Admissions fetched per page."""

ADMISSION_COLUMNS: list[Column[AdmissionSummary]] = [
    Column("Number", 15, lambda a: a.number),
    Column("Admitted", 15, lambda a: short_time(a.admitted_at)),
    Column("Member", 0, lambda a: one_line(a.member_name or a.member_id)),
    Column("Status", 10, lambda a: STATUS_WORDS.get(a.status.value, a.status.value)),
    Column("Sent/due", 19, due_or_notified),
    Column("Late", 4, lambda a: "LATE" if a.late else ""),
    Column("Days", 4, lambda a: str(a.approved_days) if a.approved_days else ""),
    Column("Next", 5, next_review),
]
"""The list's columns (fit 80 columns: the member's name takes what is left)."""


def is_reviewer(app: PortalApp) -> bool:
    """Whether the signed-in user works the utilization-review queues."""
    account = app.account
    return (
        account is not None
        and account.payer_role is not None
        and (account.payer_role.value == "reviewer")
    )


def is_provider_side(app: PortalApp) -> bool:
    """Whether the user does clinical work for a provider organization at the active TIN (and
    so may notify admissions and write referrals): not billing, not payer staff."""
    from portal_core.rules.permissions import CLINICAL_PROVIDER_SIDE

    account = app.account
    if account is None or account.active_tin is None:
        return False
    return any(
        role.tin == account.active_tin
        and role.status == "active"
        and role.role in CLINICAL_PROVIDER_SIDE
        for role in account.roles
    )


class AdmissionsScreen(MenuScreen):
    """The admission notifications the user may see, with filters."""

    MENU = "admissions"
    GUIDE = "admissions"
    CSS_PATH = stylesheet("admissions")
    AUTO_FOCUS = "#admissions-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New notification", id="admissions.new"),
        Binding("ctrl+s", "search", "Filter", id="admissions.search"),
        Binding("slash", "form", "Filters", id="admissions.form"),
        Binding("escape", "to_table", "List", show=False, id="admissions.to_table"),
        Binding("f7", "queue", "Review queue", id="admissions.queue"),
        Binding("f5", "refresh", "Refresh", id="admissions.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | n | admissions.new | Write a new admission notification. |
    | enter, ctrl+s | admissions.search | List with the filters. |
    | / | admissions.form | To the filters. |
    | escape | admissions.to_table | To the list. |
    | f7 | admissions.queue | The concurrent-review queue (reviewers). |
    | f5 | admissions.refresh | Fetch the list again. |
    """
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "new": ("notify_admissions",),
        "queue": ("review_admissions",),
    }

    def __init__(self) -> None:
        super().__init__()
        self.stale = False
        """Whether a screen opened from here may have changed the list (fetched again on return)."""

    def compose_content(self) -> ComposeResult:
        from portal_core.models.admissions import AdmissionStatus

        yield Static("Admissions", classes="screen-title")
        with Horizontal(classes="field-row"):
            yield Label("Status", classes="field-label")
            yield Select[str](
                [(STATUS_WORDS[s.value], s.value) for s in AdmissionStatus],
                prompt="any",
                id="adm-status",
                compact=True,
            )
            yield Label("Member", classes="field-label")
            yield Input(placeholder="NW100000007", id="adm-member", compact=True)
            yield TickBox("Late only", id="adm-late", compact=True)
        yield Static("", id="admissions-message", markup=False)
        yield ResultTable["AdmissionSummary"](
            ADMISSION_COLUMNS,
            key=lambda a: a.number,
            empty_text="No admission notification matches.",
            id="admissions-table",
        )

    @property
    def table(self) -> ResultTable[AdmissionSummary]:
        return self.query_one("#admissions-table", ResultTable)

    def on_mount(self) -> None:
        self.load()

    @on(events.ScreenResume)
    def _resumed(self) -> None:
        # Back from a screen opened here: what it did may have changed the list (a notification
        # sent, a discharge, a determination). Other returns (help, another menu) keep the cursor.
        if self.stale:
            self.stale = False
            self.load()

    def say(self, text: str, error: bool = False) -> None:
        """The line above the list (red for a problem)."""
        message = self.query_one("#admissions-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def query_from_form(self) -> AdmissionQuery:
        """The filters as a query (the service checks the member ID)."""
        from portal_core.models.admissions import AdmissionQuery, AdmissionStatus

        status = self.query_one("#adm-status", Select).value
        member = self.query_one("#adm-member", Input).value.strip()
        return AdmissionQuery(
            status=None if status is Select.NULL else AdmissionStatus(str(status)),
            member_id=member or None,
            late_only=self.query_one("#adm-late", Checkbox).value,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new" and not is_provider_side(self.portal):
            return False  # notifying is done at the active TIN
        return super().check_action(action, parameters)

    @on(Input.Submitted)
    def action_search(self) -> None:
        self.load()

    @on(Checkbox.Changed)
    @on(Select.Changed)
    def _filter_changed(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_form(self) -> None:
        self.query_one("#adm-status", Select).focus()

    def action_to_table(self) -> None:
        self.table.focus()

    @on(ResultTable.NeedMore, "#admissions-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="admissions")
    async def load(self, after: str | None = None) -> None:
        """Fetch the first page of the list (or the page after `after`)."""
        table = self.table
        query = self.query_from_form()
        page = await self.fill_table(
            table, after, lambda: self.client.list_admissions(query, after=after, limit=PAGE_SIZE)
        )
        if page is None:
            return
        if after is None:
            hint = "Enter opens; / the filters"
            hint += "; n new notification." if is_provider_side(self.portal) else "."
            if is_reviewer(self.portal):
                hint += " f7 the review queue."
            self.say(hint)

    @on(ResultTable.Opened, "#admissions-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        self.open_admission(event.row.number)  # type: ignore[attr-defined]

    def open_admission(self, number: str) -> None:
        """Show one admission (a draft opens in the form)."""
        from portal_tui.screens.admission_detail import AdmissionDetailScreen

        self.stale = True
        self.app.push_screen(AdmissionDetailScreen(number))

    def action_new(self) -> None:
        from portal_tui.screens.admission_form import AdmissionFormScreen

        self.stale = True
        self.app.push_screen(AdmissionFormScreen())

    def action_queue(self) -> None:
        from portal_tui.screens.admission_review import AdmissionQueueScreen

        self.stale = True
        self.app.push_screen(AdmissionQueueScreen())


async def open_linked(app: PortalApp, record_id: str) -> None:
    """Open an admission from a link (a notification, the palette)."""
    from portal_tui.screens.admission_detail import AdmissionDetailScreen

    await app.action_menu("admissions")
    if isinstance(app.screen, AdmissionsScreen):
        app.screen.stale = True
    await app.push_screen(AdmissionDetailScreen(record_id))


MENU_SCREEN = AdmissionsScreen
"""The screen the admissions menu opens on."""
