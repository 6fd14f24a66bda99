"""The members menu's other lookups: batch eligibility (up to 50 pasted lines), the in-network
check, and a PCP's member panel (lazily paged, exported to a file only the user can read)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, LoadingIndicator, Select, Static, TextArea

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen
from portal_tui.screens.members import end_if_expired, field_row
from portal_tui.widgets.record_view import RecordView
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.members import EligibilityBatchItem, EligibilityQuery, PanelMember

BATCH_LIMIT = 50
"""Lookups in one batch (the portal refuses more)."""

PANEL_PAGE_SIZE = 100
"""Panel members fetched per page."""

_SEPARATORS = re.compile(r"\s*[,;\t]\s*")


def parse_batch_line(line: str) -> EligibilityQuery:
    """One pasted line: `member ID, birth date[, service date]` or `last, first, birth date[,
    service date]`; commas, semicolons or tabs separate fields (spaces too for a member ID)."""
    from portal_core.models.members import EligibilityQuery

    parts = [p for p in _SEPARATORS.split(line.strip()) if p]
    if len(parts) == 1:
        parts = line.split()
    if parts and any(ch.isdigit() for ch in parts[0]):
        return EligibilityQuery(
            member_id=parts[0],
            birth_date=parts[1] if len(parts) > 1 else "",
            service_date=parts[2] if len(parts) > 2 else None,
        )
    return EligibilityQuery(
        last_name=parts[0] if parts else None,
        first_name=parts[1] if len(parts) > 1 else None,
        birth_date=parts[2] if len(parts) > 2 else "",
        service_date=parts[3] if len(parts) > 3 else None,
    )


def _batch_name(item: EligibilityBatchItem) -> str:
    result = item.result
    return f"{result.last_name}, {result.first_name}" if result else ""


def _batch_answer(item: EligibilityBatchItem) -> str:
    result = item.result
    if result is None:
        return item.error or ""
    if not result.active:
        return "NOT COVERED"
    plan = result.plan.name if result.plan else ""
    return f"covered · {plan}"


BATCH_COLUMNS: list[Column[EligibilityBatchItem]] = [
    Column("#", 3, lambda i: str(i.index + 1)),
    Column("Member", 12, lambda i: i.result.member_id if i.result else ""),
    Column("Name", 18, _batch_name),
    Column("Answer", 0, _batch_answer),
]


class BatchEligibilityScreen(MenuScreen):
    """Check up to 50 members at once; each line gets its own answer or its own error."""

    MENU = "members"
    GUIDE = "members"
    CSS_PATH = stylesheet("member_lookups")
    AUTO_FOCUS = "#batch-lines"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="batch.back"),
        Binding("ctrl+s", "run", "Check all", id="batch.run"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | batch.back | Back to eligibility. |
    | ctrl+s | batch.run | Check every line. |
    """

    def compose_content(self) -> ComposeResult:
        yield Static("Batch eligibility", classes="screen-title")
        yield Static(
            "One member a line, up to 50: member ID, birth date[, service date]  or  "
            "last, first, birth date[, service date]. ctrl+s checks.",
            classes="hint",
        )
        yield TextArea(id="batch-lines", soft_wrap=False, show_line_numbers=True)
        yield Static("", id="batch-message", markup=False)
        yield ResultTable["EligibilityBatchItem"](
            BATCH_COLUMNS,
            key=lambda i: i.index,
            empty_text="The answers show here.",
            id="batch-results",
        )

    def on_mount(self) -> None:
        self.query_one("#batch-results", ResultTable).stop_loading()

    def action_back(self) -> None:
        self.dismiss(None)

    def say(self, text: str, error: bool = False) -> None:
        """A line between the list and the answers."""
        message = self.query_one("#batch-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def action_run(self) -> None:
        lines = [
            line for line in self.query_one("#batch-lines", TextArea).text.splitlines() if line
        ]
        if not lines:
            self.say("Paste or type at least one member.", error=True)
            return
        if len(lines) > BATCH_LIMIT:
            self.say(f"{len(lines)} lines: check at most {BATCH_LIMIT} at a time.", error=True)
            return
        self.run([parse_batch_line(line) for line in lines])

    @work(exclusive=True, group="batch")
    async def run(self, queries: list[EligibilityQuery]) -> None:
        """Ask the portal for every line and list the answers."""
        table: ResultTable[EligibilityBatchItem] = self.query_one("#batch-results", ResultTable)
        table.reset()
        self.say(f"Checking {len(queries)}…")
        try:
            items = await self.client.check_eligibility_batch(queries)
        except PortalError as error:
            table.stop_loading()
            self.say(error.message, error=True)
            end_if_expired(self, error)
            return
        table.append_page(items, None, len(items))
        covered = sum(1 for i in items if i.result and i.result.active)
        failed = sum(1 for i in items if i.result is None)
        self.say(
            f"{covered} covered, {len(items) - covered - failed} not covered, {failed} not found."
        )
        table.focus()

    @on(ResultTable.Opened, "#batch-results")
    def _opened(self, event: ResultTable.Opened) -> None:
        from portal_tui.screens.member_detail import MemberDetailScreen

        item = event.row
        result = item.result  # type: ignore[attr-defined]
        if result is not None:
            self.app.push_screen(MemberDetailScreen(result.member_id))


class NetworkCheckScreen(MenuScreen):
    """Is this provider in network for this plan on this date, and why?"""

    MENU = "members"
    GUIDE = "members"
    CSS_PATH = stylesheet("member_lookups")
    AUTO_FOCUS = "#network-npi"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="network.back"),
        Binding("ctrl+s", "check", "Check", id="network.check"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | network.back | Back to eligibility. |
    | enter, ctrl+s | network.check | Check the network. |
    """

    def compose_content(self) -> ComposeResult:
        yield Static("In-network check", classes="screen-title")
        with Horizontal(classes="field-row"):
            yield Label("NPI", classes="field-label")
            yield Input(placeholder="1234567893", id="network-npi", compact=True)
            yield Label("On", classes="field-label")
            yield Input(placeholder="today", id="network-date", compact=True)
        with Horizontal(classes="field-row"):
            yield Label("Plan", classes="field-label")
            yield Select[str]([], prompt="Loading plans…", id="network-plan", compact=True)
        yield Static("", id="network-message", markup=False)
        yield LoadingIndicator(id="network-loading")
        with VerticalScroll(id="network-body"):
            yield RecordView(id="network-result")

    def on_mount(self) -> None:
        self.load_plans()

    def action_back(self) -> None:
        self.dismiss(None)

    def say(self, text: str, error: bool = False) -> None:
        """A line above the answer."""
        message = self.query_one("#network-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    @work(exclusive=True, group="network-plans")
    async def load_plans(self) -> None:
        """Fill the plan picker."""
        from portal_tui.display_text import plain_label

        loading = self.query_one("#network-loading")
        try:
            plans = await self.client.list_plans()
        except PortalError as error:
            self.say(error.message, error=True)
            end_if_expired(self, error)
            return
        finally:
            loading.display = False
        picker: Select[str] = self.query_one("#network-plan", Select)
        picker.set_options(
            [(plain_label(f"{p.name} ({p.product_line})"), p.plan_id) for p in plans]
        )
        picker.prompt = "Choose a plan"

    @on(Input.Submitted)
    def action_check(self) -> None:
        from portal_core.models.members import NetworkQuery

        npi = self.query_one("#network-npi", Input).value.strip()
        plan = self.query_one("#network-plan", Select).value
        self.query_one("#network-result", RecordView).start()
        if not npi:
            self.say("Enter the provider's NPI.", error=True)
            return
        if plan is Select.NULL:
            self.say("Choose a plan.", error=True)
            self.query_one("#network-plan", Select).focus()
            return
        on_date = self.query_one("#network-date", Input).value.strip() or None
        self.check(NetworkQuery(npi=npi, plan_id=str(plan), on_date=on_date))

    @work(exclusive=True, group="network")
    async def check(self, query: object) -> None:
        """Ask the portal."""
        from portal_core.models.members import NetworkQuery
        from portal_tui.member_text import network_text

        assert isinstance(query, NetworkQuery)
        loading = self.query_one("#network-loading")
        loading.display = True
        self.say("Checking…")
        try:
            await self.query_one("#network-result", RecordView).look_up(
                lambda: self.client.check_network(query), network_text, report=self.report
            )
        finally:
            loading.display = False
        self.say("")


def _panel_member_name(member: PanelMember) -> str:
    return f"{member.last_name}, {member.first_name}"


PANEL_COLUMNS: list[Column[PanelMember]] = [
    Column("Member", 12, lambda m: m.member_id),
    Column("Name", 0, _panel_member_name),
    Column("Born", 10, lambda m: f"{m.birth_date:%m/%d/%Y}"),
    Column("Since", 10, lambda m: f"{m.assigned_since:%m/%d/%Y}"),
    Column("Covered", 7, lambda m: "yes" if m.active else "NO"),
    Column("Product", 10, lambda m: m.product_line or ""),
]


class PcpPanelScreen(MenuScreen):
    """The members assigned to a PCP on a date, by member ID; `x` exports them as CSV."""

    MENU = "members"
    GUIDE = "members"
    CSS_PATH = stylesheet("member_lookups")
    AUTO_FOCUS = "#panel-npi"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="panel.back"),
        Binding("slash", "form", "NPI", id="panel.form"),
        Binding("x", "export", "Export CSV", id="panel.export"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | panel.back | Back to eligibility. |
    | / | panel.form | Back to the NPI field. |
    | x | panel.export | Save the panel as CSV, readable only by you. |
    | enter | table.open | Open the member. |
    """

    def __init__(self) -> None:
        super().__init__()
        self.query_shown: object | None = None
        """The `PanelQuery` of the list shown."""

    def compose_content(self) -> ComposeResult:
        yield Static("PCP panel", classes="screen-title")
        yield field_row(("NPI", "panel-npi", "1234567893", 12), ("On", "panel-date", "today", 12))
        yield Static("Enter lists the panel. x exports it.", id="panel-message", markup=False)
        yield ResultTable["PanelMember"](
            PANEL_COLUMNS,
            key=lambda m: m.member_id,
            empty_text="No member on this panel.",
            id="panel-table",
        )

    @property
    def table(self) -> ResultTable[PanelMember]:
        return self.query_one("#panel-table", ResultTable)

    def on_mount(self) -> None:
        self.table.stop_loading()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_form(self) -> None:
        self.query_one("#panel-npi", Input).focus()

    def say(self, text: str, error: bool = False) -> None:
        """A line above the list."""
        message = self.query_one("#panel-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        from portal_core.models.members import PanelQuery

        npi = self.query_one("#panel-npi", Input).value.strip()
        if not npi:
            self.query_shown = None
            self.table.reset()
            self.table.stop_loading()
            self.say("Enter the PCP's NPI.", error=True)
            return
        on_date = self.query_one("#panel-date", Input).value.strip() or None
        self.query_shown = PanelQuery(npi=npi, on_date=on_date)
        self.load()

    @on(ResultTable.NeedMore, "#panel-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="panel")
    async def load(self, after: str | None = None) -> None:
        """Fetch a page of the panel."""
        from portal_core.models.members import PanelQuery

        query = self.query_shown
        assert isinstance(query, PanelQuery)
        table = self.table
        if after is None:
            table.reset()
            self.say("Loading the panel…")
        try:
            page = await self.client.pcp_panel(query, after=after, limit=PANEL_PAGE_SIZE)
        except PortalError as error:
            table.stop_loading()
            self.say(error.message, error=True)
            end_if_expired(self, error)
            return
        table.append_page(page.items, page.next_cursor, page.total)
        if after is None:
            self.say("Enter opens a member. x exports the panel.")
            table.focus()

    @on(ResultTable.Opened, "#panel-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        from portal_tui.screens.member_detail import MemberDetailScreen

        self.app.push_screen(MemberDetailScreen(event.row.member_id))  # type: ignore[attr-defined]

    @work(exclusive=True, group="panel-export")
    async def action_export(self) -> None:
        """Save the panel as CSV to a 0600 file."""
        from portal_core.models.members import PanelQuery
        from portal_core.paths import data_dir, write_private_file
        from portal_tui.modals.file_path import FilePathModal

        query = self.query_shown
        if not isinstance(query, PanelQuery):
            self.say("List a panel first: enter the PCP's NPI.", error=True)
            return
        default = data_dir() / "exports" / f"pcp-panel-{query.npi}.csv"
        path = await self.app.push_screen_wait(FilePathModal("Export the PCP panel", default))
        if path is None:
            return
        self.say("Exporting…")
        try:
            content = await self.client.export_pcp_panel(query)
        except PortalError as error:
            self.say(error.message, error=True)
            end_if_expired(self, error)
            return
        try:
            await asyncio.to_thread(write_private_file, Path(path), content)
        except OSError as error:
            self.say(f"The file could not be written: {error.strerror}", error=True)
            return
        self.say(f"Saved to {path}.")
        self.notify(f"Saved to {path}.")
