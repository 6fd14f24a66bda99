"""Preauthorizations: the requests in the user's scope (filtered by number, member, TIN, status),
newest first, each pending one with the time left on its decision clock; for `reviewer` users the
review queue, least time left first. From here: a new request (template picker), the "does this
need a preauthorization?" check, and enter to open a request (a draft reopens in its form)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable, when
from portal_tui.screens.base import MenuScreen
from portal_tui.screens.members import end_if_expired
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from datetime import date

    from portal_core.models.identity import Account
    from portal_core.models.preauth import PreauthQuery, PreauthSummary, PreauthTemplateSummary
    from portal_tui.app import PortalApp

PAGE_SIZE = 100
"""Requests fetched per page."""

PENDING = "pending"
"""The status choice meaning "submitted or pended": a clock is running."""

STATUS_CHOICES = [
    ("pending (clock running)", PENDING),
    ("draft", "draft"),
    ("pended", "pended"),
    ("approved", "approved"),
    ("partly approved", "partially_approved"),
    ("denied", "denied"),
    ("cancelled", "cancelled"),
    ("withdrawn", "withdrawn"),
]
"""(label, value) of the status filter."""

STATUS_WORDS = {
    "draft": "draft",
    "submitted": "submitted",
    "pended": "pended",
    "approved": "approved",
    "partially_approved": "partial",
    "denied": "denied",
    "cancelled": "cancelled",
    "withdrawn": "withdrawn",
}
"""A status as it fits the list's column."""


def clock_text(summary: PreauthSummary) -> str:
    """The time left for a pending request, the expiry of a draft, else nothing."""
    if summary.status in ("submitted", "pended") and summary.time_left_text:
        return summary.time_left_text
    if summary.status == "draft" and summary.draft_expires_at is not None:
        return f"draft, ends {when(summary.draft_expires_at, 'day')[:5]}"
    return ""


PREAUTH_COLUMNS: list[Column[PreauthSummary]] = [
    Column("Number", 14, lambda p: p.number),
    Column("Status", 9, lambda p: STATUS_WORDS.get(p.status, str(p.status))),
    Column("Member", 14, lambda p: p.member_name),
    Column("Request", 0, lambda p: p.template_name),
    Column("Clock", 22, clock_text),
]
"""The request list's columns (fits 80 columns)."""

QUEUE_COLUMNS: list[Column[PreauthSummary]] = [
    Column("Number", 14, lambda p: p.number),
    Column("Urg.", 4, lambda p: "exp" if p.urgency == "expedited" else "std"),
    Column("Member", 14, lambda p: p.member_name),
    Column("Request", 0, lambda p: p.template_name),
    Column("Time left", 22, clock_text),
]
"""The review queue's columns: every row is pending, so the urgency shows instead."""


def may_request(account: Account | None) -> bool:
    """Whether the user makes requests (clinical provider-side roles; not billing, not payer
    staff). The service checks it again; this only hides keys that would be refused."""
    from portal_core.rules.permissions import MATRIX, Action

    if account is None or account.payer_role is not None:
        return False
    permitted = MATRIX[Action.REQUEST_PREAUTH]
    return any(role.role in permitted and role.status == "active" for role in account.roles)


def field(label: str, field_id: str, placeholder: str, width: int) -> tuple[Label, Input]:
    """A labelled one-line field."""
    box = Input(placeholder=placeholder, id=field_id, compact=True)
    box.styles.width = width
    return Label(label, classes="field-label"), box


class PreauthListScreen(MenuScreen):
    """The preauthorization requests (or, for reviewers, the review queue)."""

    MENU = "preauth"
    GUIDE = "preauth"
    CSS_PATH = stylesheet("preauth")
    AUTO_FOCUS = "#preauth-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "search", "Search", id="preauth.search"),
        Binding("slash", "form", "Filter", id="preauth.form"),
        Binding("escape", "to_table", "List", show=False, id="preauth.to_table"),
        Binding("n", "new", "New request", id="preauth.new"),
        Binding("c", "check", "Check", id="preauth.check"),
        Binding("q", "queue", "Queue/list", id="preauth.queue"),
        Binding("t", "templates", "Templates", id="preauth.templates"),
        Binding("f5", "refresh", "Refresh", show=False, id="preauth.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | enter, ctrl+s | preauth.search | Search with the filter. |
    | / | preauth.form | To the filter (from the list). |
    | escape | preauth.to_table | To the list (from the filter). |
    | n | preauth.new | A new request: pick its template. |
    | c | preauth.check | Does this code need a preauthorization? |
    | q | preauth.queue | Reviewers: the review queue or the request list. |
    | t | preauth.templates | Payer administrators: manage the templates. |
    | f5 | preauth.refresh | Fetch again. |
    """

    def __init__(self) -> None:
        super().__init__()
        self.query_shown: PreauthQuery | None = None
        """The filter of the list shown (None in the queue)."""
        self.showing_queue = False
        """Whether the list is the review queue (reviewers)."""
        self.templates: list[PreauthTemplateSummary] | None = None
        """The templates, fetched once for the picker."""
        self.left = False
        """Whether another screen covered this one (the list is fetched again on return)."""

    @property
    def is_reviewer(self) -> bool:
        """Whether the user works the review queue."""
        account = self.portal.account
        return account is not None and account.payer_role == "reviewer"

    @property
    def templates_only(self) -> bool:
        """Whether the user manages templates but may read no request (payer administrators)."""
        from portal_core.rules.permissions import MATRIX, Action
        from portal_tui.screens.preauth_templates import manages_templates

        account = self.portal.account
        return (
            manages_templates(account)
            and account is not None
            and account.payer_role not in MATRIX[Action.READ_PREAUTH]
        )

    def compose_content(self) -> ComposeResult:
        yield Static("Preauthorizations", id="preauth-title", classes="screen-title")
        with Horizontal(classes="field-row"):
            yield from field("Number", "pa-number", "PA-YYYY-NNNNNN", 16)
            yield from field("Member", "pa-member", "member ID", 13)
            yield from field("TIN", "pa-tin", "9-digit TIN", 12)
        with Horizontal(classes="field-row"):
            yield Label("Status", classes="field-label")
            yield Select[str](STATUS_CHOICES, prompt="any", id="pa-status", compact=True)
        yield Static("", id="preauth-message", markup=False)
        yield ResultTable["PreauthSummary"](
            PREAUTH_COLUMNS,
            key=lambda p: p.number,
            empty_text="No request matches.",
            before_text="Search by request number, member or Tax ID, or pick a status.",
            id="preauth-table",
        )

    @property
    def table(self) -> ResultTable[PreauthSummary]:
        return self.query_one("#preauth-table", ResultTable)

    def on_mount(self) -> None:
        self.showing_queue = self.is_reviewer
        self.show_mode()
        self.refetch()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "queue":
            return self.is_reviewer
        if action == "new":
            return may_request(self.portal.account)
        if action == "templates":
            from portal_tui.screens.preauth_templates import manages_templates

            return manages_templates(self.portal.account)
        return True

    def show_mode(self) -> None:
        """Title and filter for the list or the queue."""
        title = (
            "Preauth review queue (least time left first)"
            if self.showing_queue
            else ("Preauthorizations")
        )
        self.query_one("#preauth-title", Static).update(title)
        self.table.set_columns(QUEUE_COLUMNS if self.showing_queue else PREAUTH_COLUMNS)
        for row in self.query(".field-row"):
            row.display = not self.showing_queue

    def say(self, text: str, error: bool = False) -> None:
        """The line above the list (red for a problem)."""
        message = self.query_one("#preauth-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def value(self, field_id: str) -> str:
        """A field's text, stripped."""
        return self.query_one(f"#{field_id}", Input).value.strip()

    def query_from_form(self) -> PreauthQuery:
        """The filter the form describes (the service checks every field)."""
        from portal_core.models.preauth import PreauthQuery, PreauthStatus

        status = self.query_one("#pa-status", Select).value
        pending = status == PENDING
        statuses = [] if status is Select.NULL or pending else [PreauthStatus(str(status))]
        return PreauthQuery(
            number=self.value("pa-number").upper() or None,
            member_id=self.value("pa-member").upper() or None,
            tin=self.value("pa-tin").replace("-", "") or None,
            statuses=statuses,
            pending_only=pending,
        )

    def refetch(self) -> None:
        """Load the list or the queue from the top."""
        if self.showing_queue:
            self.query_shown = None
        elif self.query_shown is None:
            from portal_core.models.preauth import PreauthQuery

            self.query_shown = PreauthQuery()
        self.load()

    @on(Input.Submitted)
    @on(Select.Changed, "#pa-status")
    def action_search(self) -> None:
        if self.showing_queue:
            self.showing_queue = False
            self.show_mode()
        try:
            self.query_shown = self.query_from_form()
        except ValueError:
            self.say("Check the filter: a field is not valid.", error=True)
            return
        self.load()

    def action_form(self) -> None:
        if self.showing_queue:
            self.showing_queue = False
            self.show_mode()
        self.query_one("#pa-number", Input).focus()

    def action_to_table(self) -> None:
        self.table.focus()

    def action_refresh(self) -> None:
        self.load()

    def action_queue(self) -> None:
        self.showing_queue = not self.showing_queue
        self.show_mode()
        self.refetch()
        self.table.focus()

    @on(ResultTable.NeedMore, "#preauth-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="preauth-list")
    async def load(self, after: str | None = None) -> None:
        """Fetch the first page of the list or queue (or the page after `after`)."""
        table = self.table
        if after is None:
            table.reset()
        if self.templates_only:
            # Payer administrators read no requests: ask for none (a refusal is audited).
            table.stop_loading()
            self.say("Payer administrators: t opens the preauthorization templates.")
            return
        try:
            if self.showing_queue:
                page = await self.client.preauth_queue(after=after, limit=PAGE_SIZE)
            else:
                query = self.query_shown
                if query is None:
                    table.stop_loading()
                    return
                page = await self.client.list_preauths(query, after=after, limit=PAGE_SIZE)
        except PortalError as error:
            table.show_error(error.message)
            self.say(error.message, error=True)
            end_if_expired(self, error)
            return
        table.append_page(page.items, page.next_cursor, page.total)
        if after is None:
            if self.showing_queue:
                self.say("Enter opens a request to decide it; q shows the request list.")
            else:
                self.say("Enter opens a request; n new request; c check; / the filter.")

    @on(ResultTable.Opened, "#preauth-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        row: PreauthSummary = event.row  # type: ignore[assignment]
        if row.status == "draft":
            from portal_tui.screens.preauth_form import PreauthFormScreen

            self.app.push_screen(PreauthFormScreen(draft_number=row.number))
        else:
            self.open_request(row.number)

    def open_request(self, number: str) -> None:
        """Show one request (from the queue: with the next one after a decision)."""
        from portal_tui.screens.preauth_detail import PreauthDetailScreen

        self.app.push_screen(PreauthDetailScreen(number, from_queue=self.showing_queue))

    def on_screen_suspend(self) -> None:
        self.left = True

    def on_screen_resume(self) -> None:
        # Back from a request or a form: statuses and clocks may have changed.
        if self.left:
            self.left = False
            self.load()

    @work(exclusive=True, group="preauth-new")
    async def action_new(self) -> None:
        """Pick a template (the list is fetched once), then open its form."""
        from portal_tui.modals.template_picker import TemplatePickerModal

        if self.templates is None:
            self.say("Fetching the templates…")
            try:
                self.templates = await self.client.preauth_templates()
            except PortalError as error:
                self.say(error.message, error=True)
                end_if_expired(self, error)
                return
            self.say("")
        template_id = await self.app.push_screen_wait(TemplatePickerModal(self.templates))
        if template_id is not None:
            self.start_request(template_id)

    def start_request(
        self,
        template_id: str,
        member_id: str = "",
        procedure_code: str = "",
        service_date: date | None = None,
    ) -> None:
        """Open a new request's form on a template."""
        from portal_tui.screens.preauth_form import PreauthFormScreen

        self.app.push_screen(
            PreauthFormScreen(
                template_id=template_id,
                member_id=member_id,
                procedure_code=procedure_code,
                service_date=service_date,
            )
        )

    def action_templates(self) -> None:
        """Payer administrators: every template, to read and (de)activate."""
        from portal_tui.screens.preauth_templates import PreauthTemplatesScreen

        self.app.push_screen(PreauthTemplatesScreen())

    @work(exclusive=True, group="preauth-check")
    async def action_check(self) -> None:
        """The check; a required answer can start a request with its template."""
        from portal_tui.modals.preauth_check import PreauthCheckModal

        start = await self.app.push_screen_wait(PreauthCheckModal())
        if start is not None:
            self.start_request(
                start.template_id, start.member_id, start.procedure_code, start.service_date
            )


async def open_linked(app: PortalApp, record_id: str) -> None:
    """Open a request named elsewhere (palette, notification, recent item, document link)."""
    from portal_tui.screens.preauth_detail import PreauthDetailScreen

    await app.action_menu("preauth")
    await app.push_screen(PreauthDetailScreen(record_id.strip().upper()))


MENU_SCREEN = PreauthListScreen
"""The screen the preauth menu opens on."""
