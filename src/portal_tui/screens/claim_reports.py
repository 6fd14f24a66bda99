"""The custom claims report builder: filters (Tax ID, NPI, status, service dates, denial reason)
and columns, saved under a name; run shows up to 10,000 rows in the result table, export writes
them as CSV to a file only the user can read. The user's saved reports are listed to load or
delete."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, Static

from portal_core.errors import PortalError
from portal_core.rules.claim_reports import REPORT_COLUMNS
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable, when
from portal_tui.screens.base import MenuScreen
from portal_tui.screens.claims import STATUS_CHOICES, field
from portal_tui.screens.members import end_if_expired
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.claims import ClaimReportDefinition, SavedClaimReport

SAVED_COLUMNS: list[Column[SavedClaimReport]] = [
    Column("Saved report", 0, lambda r: r.name),
    Column("Updated", 10, lambda r: when(r.updated_at, "day")),
]

WIDE_COLUMNS = {"member_name": 0, "patient_account": 14, "claim_number": 14}
"""Report columns wider than the rest (0 shares what is left)."""


def result_columns(columns: list[str]) -> list[Column[list[str]]]:
    """Table columns for a report's text cells, titled with each column's heading."""
    return [
        Column(REPORT_COLUMNS[name], WIDE_COLUMNS.get(name, 11), _cell(i))
        for i, name in enumerate(columns)
    ]


def _cell(index: int) -> Callable[[list[str]], str]:
    return lambda row: row[index]


class ClaimReportScreen(MenuScreen):
    """Build, save, run and export custom claims reports."""

    MENU = "claims"
    GUIDE = "claims"
    CSS_PATH = stylesheet("claim_reports")
    AUTO_FOCUS = "#report-name"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "run", "Run", id="report.run"),
        Binding("f2", "save", "Save", id="report.save"),
        Binding("f3", "export", "Export CSV", id="report.export"),
        Binding("f4", "saved", "Saved", id="report.saved"),
        Binding("delete", "delete", "Delete saved", id="report.delete"),
        Binding("slash", "form", "Form", show=False, id="report.form"),
        Binding("escape", "back", "Back", id="report.back"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | enter, ctrl+s | report.run | Run the report (up to 10,000 rows). |
    | f2 | report.save | Save the report under its name. |
    | f3 | report.export | Export the report as CSV to a file only you can read. |
    | f4 | report.saved | To the saved reports (enter loads one into the form). |
    | delete | report.delete | Delete the saved report under the cursor. |
    | / | report.form | Back to the form. |
    | escape | report.back | Back to the claim search. |
    """

    def compose_content(self) -> ComposeResult:
        yield Static("Claims reports", classes="screen-title")
        with Horizontal(classes="field-row"):
            yield from field("Name", "report-name", "report name", 22)
            yield from field("TIN", "report-tin", "9-digit TIN", 12)
            yield from field("NPI", "report-npi", "10-digit NPI", 12)
        with Horizontal(classes="field-row"):
            yield Label("Status", classes="field-label")
            yield Select[str](STATUS_CHOICES, prompt="any", id="report-status", compact=True)
            yield from field("Denial", "report-carc", "CARC", 6)
            yield from field("From", "report-from", "YYYY-MM-DD", 12)
            yield from field("To", "report-to", "YYYY-MM-DD", 12)
        with Horizontal(classes="field-row"):
            yield from field("Columns", "report-columns", "all, or e.g. claim_number,billed", 60)
        yield Static(
            "Columns: " + ", ".join(REPORT_COLUMNS),
            id="report-column-names",
            markup=False,
        )
        yield Static(
            "enter runs; f2 saves; f3 exports CSV; f4 goes to your saved reports.",
            id="report-message",
            markup=False,
        )
        with Horizontal(id="report-lists"):
            yield ResultTable["SavedClaimReport"](
                SAVED_COLUMNS,
                key=lambda r: r.id,
                empty_text="No saved reports.",
                id="report-saved",
            )
            yield ResultTable[list[str]](
                result_columns(list(REPORT_COLUMNS)),
                key=lambda row: id(row),
                openable=False,
                empty_text="Run the report to see its rows.",
                id="report-rows",
            )

    @property
    def saved(self) -> ResultTable[SavedClaimReport]:
        return self.query_one("#report-saved", ResultTable)

    @property
    def rows(self) -> ResultTable[list[str]]:
        return self.query_one("#report-rows", ResultTable)

    def on_mount(self) -> None:
        self.rows.stop_loading()
        self.load_saved()

    def value(self, field_id: str) -> str:
        """A field's text, stripped."""
        return self.query_one(f"#{field_id}", Input).value.strip()

    def definition(self) -> ClaimReportDefinition:
        """The report the form describes (the service checks every field)."""
        from portal_core.models.claims import ClaimReportDefinition

        status = self.query_one("#report-status", Select).value
        columns = [c.strip().lower() for c in self.value("report-columns").split(",")]
        return ClaimReportDefinition(
            name=self.value("report-name"),
            columns=[c for c in columns if c and c != "all"],
            tin=self.value("report-tin").replace("-", "") or None,
            npi=self.value("report-npi") or None,
            status=None if status is Select.NULL else str(status),
            service_from=self.value("report-from") or None,
            service_to=self.value("report-to") or None,
            denial_carc=self.value("report-carc") or None,
        )

    def show(self, report: SavedClaimReport) -> None:
        """Put a saved report's definition into the form."""
        definition = report.definition
        values = {
            "report-name": report.name,
            "report-tin": definition.tin or "",
            "report-npi": definition.npi or "",
            "report-carc": definition.denial_carc or "",
            "report-from": definition.service_from or "",
            "report-to": definition.service_to or "",
            "report-columns": ",".join(definition.columns),
        }
        for field_id, text in values.items():
            self.query_one(f"#{field_id}", Input).value = text
        status = self.query_one("#report-status", Select)
        typed = (definition.status or "").strip().lower()
        if typed in {value for value, _ in STATUS_CHOICES}:
            status.value = typed
        else:  # none, or saved from the command line in a form the list does not hold
            status.clear()

    def say(self, text: str, error: bool = False) -> None:
        """The line above the lists (red for a problem)."""
        message = self.query_one("#report-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def failed(self, error: PortalError) -> None:
        """Say what went wrong (and end an expired session)."""
        self.say(error.message, error=True)
        end_if_expired(self, error)

    # -- actions ------------------------------------------------------------------------------
    def action_form(self) -> None:
        self.query_one("#report-name", Input).focus()

    def action_saved(self) -> None:
        self.saved.focus()

    def action_back(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_run()

    @on(ResultTable.Opened, "#report-saved")
    def _load(self, event: ResultTable.Opened) -> None:
        report: SavedClaimReport = event.row  # type: ignore[assignment]
        self.show(report)
        self.say(f"Loaded {report.name}; enter runs it.")
        self.action_form()

    @work(exclusive=True, group="report-saved")
    async def load_saved(self, select_id: int | None = None) -> None:
        """Fetch the user's saved reports."""
        table = self.saved
        table.reset()
        try:
            reports = await self.client.list_claim_reports()
        except PortalError as error:
            table.show_error(error.message)
            self.failed(error)
            return
        table.append_page(reports, None, len(reports))
        for index, report in enumerate(reports):
            if report.id == select_id:
                table.cursor = index

    @work(exclusive=True, group="report-run")
    async def action_run(self) -> None:
        """Run the report and show its rows."""
        definition = self.definition()
        table = self.rows
        table.reset()
        self.say("Running the report…")
        try:
            result = await self.client.run_claim_report(definition)
        except PortalError as error:
            table.show_error(error.message)
            self.failed(error)
            return
        table.set_columns(result_columns(result.columns))
        table.append_page(result.rows, None, len(result.rows))
        more = " (the first 10,000; narrow the filters for the rest)" if result.truncated else ""
        self.say(f"{len(result.rows):,} claims{more}. f3 exports them as CSV.")

    @work(exclusive=True, group="report-save")
    async def action_save(self) -> None:
        """Save the form under its name (replacing a saved report of that name)."""
        try:
            saved = await self.client.save_claim_report(self.definition())
        except PortalError as error:
            self.failed(error)
            return
        self.say(f"Saved {saved.name}.")
        self.load_saved(saved.id)

    @work(exclusive=True, group="report-export")
    async def action_export(self) -> None:
        """Ask where, run the report as CSV and write it 0600."""
        from portal_core.paths import data_dir, write_private_file
        from portal_tui.modals.file_path import FilePathModal

        definition = self.definition()
        name = "".join(c if c.isalnum() else "-" for c in definition.name.lower()).strip("-")
        default = data_dir() / "exports" / f"claims-report-{name or 'unsaved'}.csv"
        path = await self.app.push_screen_wait(FilePathModal("Export the report as CSV", default))
        if path is None:
            return
        self.say("Exporting…")
        try:
            content = await self.client.export_claim_report(definition)
        except PortalError as error:
            self.failed(error)
            return
        try:
            await asyncio.to_thread(write_private_file, Path(path), content)
        except OSError as error:
            self.say(f"The file could not be written: {error.strerror}", error=True)
            return
        self.say(f"Exported to {path}.")

    @work(exclusive=True, group="report-delete")
    async def action_delete(self) -> None:
        """Delete the saved report under the cursor, once confirmed."""
        from portal_tui.modals.confirm import ConfirmModal

        report = self.saved.current
        if report is None:
            return
        question = ConfirmModal("Delete the saved report?", f"{report.name} will be gone.")
        if not await self.app.push_screen_wait(question):
            return
        try:
            await self.client.delete_claim_report(report.id)
        except PortalError as error:
            self.failed(error)
            return
        self.say(f"Deleted {report.name}.")
        self.load_saved()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete":
            return self.focused is self.saved
        return True
