"""The concurrent review, for `reviewer` users: the queue of open reviews (soonest review date
first; a new notification is due for review the day it is sent) and the determination form
(initial or continued stay, outcome, approved days, next review date, reason). After a
determination the form moves on to the next admission of the queue."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from portal_core.errors import PortalError, SessionExpired, ValidationFailed
from portal_tui.admission_text import local, long_time, review_line, short_time, words
from portal_tui.assets import stylesheet
from portal_tui.display_text import one_line, printable
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable
from portal_tui.widgets.ticks import TickBox

if TYPE_CHECKING:
    from portal_core.models.admissions import (
        AdmissionDetail,
        AdmissionDetermination,
        AdmissionSummary,
    )

PAGE_SIZE = 100
"""Queue rows fetched per page."""


def review_day(admission: AdmissionSummary) -> date | None:
    """The day the next determination is due: the next review date, or for a notification not
    yet reviewed the day it was sent (the queue's order)."""
    if admission.next_review_date is not None:
        return admission.next_review_date
    if admission.notified_at is not None:
        return local(admission.notified_at).date()
    return None


def review_due(admission: AdmissionSummary) -> str:
    """`11/25/2026`, or `new 11/23` before the initial determination."""
    day = review_day(admission)
    if day is None:
        return ""
    return f"new {day:%m/%d}" if admission.next_review_date is None else f"{day:%m/%d/%Y}"


QUEUE_COLUMNS: list[Column[AdmissionSummary]] = [
    Column("Review", 10, review_due),
    Column("Number", 15, lambda a: a.number),
    Column("Admitted", 15, lambda a: short_time(a.admitted_at)),
    Column("Member", 0, lambda a: one_line(a.member_name or a.member_id)),
    Column("Facility", 14, lambda a: one_line(a.facility_name)),
    Column("Days", 4, lambda a: str(a.approved_days)),
]


class AdmissionQueueScreen(MenuScreen):
    """Open concurrent reviews, the soonest review first."""

    MENU = "admissions"
    GUIDE = "admissions"
    CSS_PATH = stylesheet("admission_review")
    AUTO_FOCUS = "#queue-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="admission_queue.back"),
        Binding("d", "determine", "Determination", id="admission_queue.determine"),
        Binding("f5", "refresh", "Refresh", id="admission_queue.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | admission_queue.back | Back to the admissions list. |
    | d | admission_queue.determine | Record a determination, from this row on through the queue. |
    | f5 | admission_queue.refresh | Fetch the queue again. |
    """

    def __init__(self) -> None:
        super().__init__()
        self.stale = False
        """Whether a determination may have been recorded since the queue was fetched."""

    def compose_content(self) -> ComposeResult:
        yield Static("Admission review queue", classes="screen-title")
        yield Static("", id="queue-message", markup=False)
        yield ResultTable["AdmissionSummary"](
            QUEUE_COLUMNS,
            key=lambda a: a.number,
            empty_text="No review is waiting.",
            id="queue-table",
        )

    @property
    def table(self) -> ResultTable[AdmissionSummary]:
        return self.query_one("#queue-table", ResultTable)

    def on_mount(self) -> None:
        self.load()

    @on(events.ScreenResume)
    def _resumed(self) -> None:
        # Back from the determination form: the queue has moved on.
        if self.stale:
            self.stale = False
            self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.load()

    def say(self, text: str, error: bool = False) -> None:
        """The line above the queue (red for a problem)."""
        message = self.query_one("#queue-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    @on(ResultTable.NeedMore, "#queue-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="admission-queue")
    async def load(self, after: str | None = None) -> None:
        """Fetch a page of the queue."""
        table = self.table
        if after is None:
            table.reset()
        try:
            page = await self.client.admission_review_queue(after=after, limit=PAGE_SIZE)
        except PortalError as error:
            table.show_error(error.message)
            self.say(error.message, error=True)
            if isinstance(error, SessionExpired):
                self.report(error)
            return
        table.append_page(page.items, page.next_cursor, page.total)
        if after is None:
            self.say("d records a determination and moves on through the queue; enter opens.")

    @on(ResultTable.Opened, "#queue-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        from portal_tui.screens.admission_detail import AdmissionDetailScreen

        self.stale = True
        self.app.push_screen(AdmissionDetailScreen(event.row.number))  # type: ignore[attr-defined]

    def action_determine(self) -> None:
        table = self.table
        if table.current is None:
            return
        numbers = [row.number for row in table.rows[table.cursor :]]
        self.stale = True
        self.app.push_screen(DeterminationScreen(numbers))


KIND_CHOICES = [("initial", "initial"), ("continued stay", "continued_stay")]
OUTCOME_CHOICES = [
    ("approved", "approved"),
    ("partially approved", "partially_approved"),
    ("denied", "denied"),
]


class DeterminationScreen(MenuScreen):
    """Record determinations one admission after another."""

    MENU = "admissions"
    GUIDE = "admissions"
    CSS_PATH = stylesheet("admission_review")
    AUTO_FOCUS = "#outcome"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="determination.back"),
        Binding("ctrl+s", "record", "Record", id="determination.record"),
        Binding("ctrl+n", "skip", "Skip", id="determination.skip"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | determination.back | Back (nothing recorded). |
    | ctrl+s | determination.record | Record the determination, file its letter, go to the next. |
    | ctrl+n | determination.skip | Go to the next admission without recording. |
    """

    def __init__(self, numbers: list[str]) -> None:
        super().__init__()
        self.numbers = list(numbers)
        """The admissions still to decide, the one shown first."""
        self.admission: AdmissionDetail | None = None
        """The admission shown."""
        self.recorded = 0
        """Determinations recorded on this screen."""

    def compose_content(self) -> ComposeResult:
        yield Static("Determination", id="det-title", classes="screen-title", markup=False)
        with VerticalScroll(id="det-form"):
            yield Static("", id="det-facts", markup=False)
            with Horizontal(classes="field-row"):
                yield Label("Review", classes="field-label")
                yield Select[str](KIND_CHOICES, allow_blank=False, id="kind", compact=True)
                yield Label("Outcome", classes="field-label")
                yield Select[str](OUTCOME_CHOICES, allow_blank=False, id="outcome", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Days approved", classes="field-label")
                yield Input(placeholder="days", id="approved_days", compact=True)
                yield Label("Next review", classes="field-label")
                yield Input(placeholder="YYYY-MM-DD", id="next_review_date", compact=True)
            with Horizontal(classes="field-row"):
                yield TickBox("Final: approved through discharge", id="final", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Reason", classes="field-label")
                yield Input(
                    placeholder="required for a denial or partial approval",
                    id="reason",
                    compact=True,
                )
            yield Static("", id="det-message", markup=False)
            with Horizontal(id="det-buttons"):
                yield Button("Record (ctrl+s)", id="record", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def say(self, text: str, error: bool = False) -> None:
        """The line under the form (red for a problem)."""
        message = self.query_one("#det-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")
        message.scroll_visible(animate=False)

    def fail(self, error: PortalError) -> None:
        """The portal's message; the field at fault gets the focus."""
        if isinstance(error, SessionExpired):
            self.report(error)
            return
        self.say(error.message, error=True)
        if error.field and self.query(f"#{error.field}"):
            self.query_one(f"#{error.field}").focus()

    def facts(self, admission: AdmissionDetail) -> str:
        """What the reviewer decides on: the stay and the history so far."""
        lines = [
            f"Member {admission.member_id} {admission.member_name}".rstrip(),
            f"{admission.facility_name or admission.facility_npi}; admitted "
            f"{long_time(admission.admitted_at)} ({words(admission.admission_type)})",
            "Diagnosis: " + ", ".join(admission.diagnosis_codes),
            f"Days approved so far: {admission.approved_days}",
        ]
        if admission.notes:
            lines.append("Notes: " + admission.notes)
        lines += ["  " + review_line(entry) for entry in admission.reviews]
        left = len(self.numbers) - 1
        lines.append(f"({left} more in the queue after this one)" if left else "(last in queue)")
        return "\n".join(lines)

    @work(exclusive=True, group="determination")
    async def load(self) -> None:
        """Fetch the admission at the head of the list, or close when none is left."""
        while self.numbers:
            try:
                admission = await self.client.get_admission(self.numbers[0])
            except PortalError as error:
                self.fail(error)
                return
            if admission.status.value in ("notified", "in_review"):
                break
            self.numbers.pop(0)  # decided or closed meanwhile: move on
        else:
            self.app.notify(f"Done: {self.recorded} determination(s) recorded.")
            self.dismiss(None)
            return
        self.admission = admission
        self.query_one("#det-title", Static).update(
            printable(f"Determination: admission {admission.number}")
        )
        self.query_one("#det-facts", Static).update(printable(self.facts(admission)))
        self.query_one("#kind", Select).value = "continued_stay" if admission.reviews else "initial"
        self.query_one("#outcome", Select).value = "approved"
        for field_id in ("approved_days", "next_review_date", "reason"):
            self.query_one(f"#{field_id}", Input).value = ""
        self.query_one("#final", Checkbox).value = False
        self.query_one("#outcome", Select).focus()

    def determination_from_form(self) -> AdmissionDetermination:
        """The determination typed (`ValidationFailed` for a number or date that is not one)."""
        from portal_core.models.admissions import (
            AdmissionDetermination,
            DeterminationOutcome,
            ReviewKind,
        )
        from portal_core.rules.service_dates import parse_date

        days_text = self.query_one("#approved_days", Input).value.strip()
        if days_text and not days_text.isdigit():
            raise ValidationFailed("Days approved is a whole number.", field="approved_days")
        next_text = self.query_one("#next_review_date", Input).value.strip()
        return AdmissionDetermination(
            kind=ReviewKind(str(self.query_one("#kind", Select).value)),
            outcome=DeterminationOutcome(str(self.query_one("#outcome", Select).value)),
            approved_days=int(days_text or 0),
            next_review_date=parse_date(next_text, "next_review_date") if next_text else None,
            final=self.query_one("#final", Checkbox).value,
            reason=self.query_one("#reason", Input).value,
        )

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#record")
    def _record_pressed(self) -> None:
        self.action_record()

    @work(exclusive=True, group="determination-write")
    async def action_record(self) -> None:
        """Record the determination (its letter is filed), then go to the next admission."""
        admission = self.admission
        if admission is None:
            return
        try:
            determination = self.determination_from_form()
        except ValidationFailed as error:
            self.fail(error)
            return
        try:
            await self.client.record_admission_review(admission.number, determination)
        except PortalError as error:
            self.fail(error)
            return
        self.recorded += 1
        self.app.notify(
            f"{admission.number}: {words(determination.outcome.value)} recorded; letter filed."
        )
        self.numbers.pop(0)
        self.load()

    def action_skip(self) -> None:
        """Leave this admission for later and show the next."""
        if self.numbers:
            self.numbers.pop(0)
        self.load()
