"""A new referral: member, TIN, referring PCP, specialist, diagnosis, visits, start and end dates
(the end defaults to the start + 90 days, shown as the start is typed), reason and notes. The
portal's refusals (the referring provider is not the member's PCP, the specialist is out of
network, dates out of order) show on the form and nothing is written."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from portal_core.errors import PortalError, SessionExpired, ValidationFailed
from portal_core.models.referrals import DEFAULT_VALID_DAYS
from portal_core.rules.service_dates import parse_date
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen

if TYPE_CHECKING:
    from portal_core.models.referrals import NewReferral

FIELDS = (
    "member_id",
    "tin",
    "referring_npi",
    "specialist_npi",
    "diagnosis_codes",
    "visits_authorized",
    "start_date",
    "end_date",
    "reason",
    "notes",
)
"""The form's inputs, named as the portal names the fields it checks."""


def default_end(start: date) -> date:
    """The end date a referral gets when none is given."""
    return start + timedelta(days=DEFAULT_VALID_DAYS)


class ReferralFormScreen(MenuScreen):
    """Write a referral from the member's PCP to an in-network specialist."""

    MENU = "referrals"
    GUIDE = "referrals"
    CSS_PATH = stylesheet("referral_form")
    AUTO_FOCUS = "#member_id"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="referral_form.back"),
        Binding("ctrl+s", "create", "Create", id="referral_form.create"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | referral_form.back | Back (nothing is written). |
    | ctrl+s | referral_form.create | Create the referral. |
    """

    def compose_content(self) -> ComposeResult:
        account = self.portal.account
        tin = (account.active_tin or "") if account else ""
        yield Static("New referral", classes="screen-title")
        with VerticalScroll(id="ref-form"):
            with Horizontal(classes="field-row"):
                yield Label("Member ID", classes="field-label")
                yield Input(placeholder="NW100000007", id="member_id", compact=True)
                yield Label("TIN", classes="field-label")
                yield Input(tin, placeholder="461234567", id="tin", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Referring PCP NPI", classes="field-label")
                yield Input(placeholder="1234567893", id="referring_npi", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Specialist NPI", classes="field-label")
                yield Input(placeholder="1234567893", id="specialist_npi", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Diagnosis", classes="field-label")
                yield Input(placeholder="M17.11, M25.561", id="diagnosis_codes", compact=True)
                yield Label("Visits", classes="field-label")
                yield Input("1", placeholder="1-99", id="visits_authorized", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Start", classes="field-label")
                yield Input(placeholder="YYYY-MM-DD", id="start_date", compact=True)
                yield Label("End", classes="field-label")
                yield Input(placeholder="start + 90 days", id="end_date", compact=True)
            yield Static("", id="ref-validity", markup=False)
            with Horizontal(classes="field-row"):
                yield Label("Reason", classes="field-label")
                yield Input(placeholder="why the member is referred", id="reason", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Notes", classes="field-label")
                yield Input(placeholder="for the specialist", id="notes", compact=True)
            yield Static("", id="ref-form-message", markup=False)
            with Horizontal(id="ref-form-buttons"):
                yield Button("Create (ctrl+s)", id="create", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.show_validity()

    def text(self, field_id: str) -> str:
        """A field's text, stripped."""
        return self.query_one(f"#{field_id}", Input).value.strip()

    def say(self, text: str, error: bool = False) -> None:
        """The line under the form (red for a problem)."""
        message = self.query_one("#ref-form-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")
        message.scroll_visible(animate=False)

    def fail(self, error: PortalError) -> None:
        """The portal's message under the form; the field at fault gets the focus."""
        if isinstance(error, SessionExpired):
            self.report(error)
            return
        self.say(error.message, error=True)
        if error.field in FIELDS:
            self.query_one(f"#{error.field}").focus()

    @on(Input.Changed, "#start_date, #end_date")
    def show_validity(self) -> None:
        """How long the referral runs, the default end date included."""
        line = self.query_one("#ref-validity", Static)
        try:
            start = parse_date(self.text("start_date"), "start_date")
        except ValidationFailed:
            line.update(f"Valid {DEFAULT_VALID_DAYS} days from the start unless an end is given.")
            return
        if self.text("end_date"):
            try:
                end = parse_date(self.text("end_date"), "end_date")
            except ValidationFailed:
                line.update("The end date is not a date yet.")
                return
            days = (end - start).days
            line.update(f"Valid {start:%m/%d/%Y} to {end:%m/%d/%Y} ({days} days).")
            return
        line.update(
            f"Valid {start:%m/%d/%Y} to {default_end(start):%m/%d/%Y} "
            f"(the default {DEFAULT_VALID_DAYS} days)."
        )

    def referral_from_form(self) -> NewReferral:
        """The referral the form describes (`ValidationFailed` for a number or date that is not
        one; the portal checks the rest)."""
        from portal_core.models.referrals import NewReferral

        visits = self.text("visits_authorized")
        if not visits.isdigit():
            raise ValidationFailed("Visits is a whole number, 1 to 99.", field="visits_authorized")
        if not self.text("start_date"):
            raise ValidationFailed("Give the start date.", field="start_date")
        end = self.text("end_date")
        codes = [c.strip() for c in self.text("diagnosis_codes").replace(";", ",").split(",")]
        return NewReferral(
            tin=self.text("tin").replace("-", ""),
            member_id=self.text("member_id"),
            referring_npi=self.text("referring_npi"),
            specialist_npi=self.text("specialist_npi"),
            diagnosis_codes=[c for c in codes if c],
            visits_authorized=int(visits),
            start_date=parse_date(self.text("start_date"), "start_date"),
            end_date=parse_date(end, "end_date") if end else None,
            reason=self.text("reason"),
            notes=self.text("notes"),
        )

    def action_back(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _next_field(self) -> None:
        # Enter moves on, as tab does: creating is a deliberate ctrl+s.
        self.focus_next()

    @on(Button.Pressed, "#create")
    def _create_pressed(self) -> None:
        self.action_create()

    @work(exclusive=True, group="referral-form")
    async def action_create(self) -> None:
        """Create the referral and show it; or show why not (nothing is written)."""
        from portal_tui.screens.referral_detail import ReferralDetailScreen

        try:
            referral = self.referral_from_form()
        except ValidationFailed as error:
            self.fail(error)
            return
        if not referral.tin:
            self.fail(ValidationFailed("Give the referring PCP's Tax ID.", field="tin"))
            return
        self.say("Creating…")
        try:
            created = await self.client.create_referral(referral)
        except PortalError as error:
            self.fail(error)
            return
        note = (
            f"Created {created.number}: {created.visits_authorized} visit(s), "
            f"{created.start_date:%m/%d/%Y} to {created.end_date:%m/%d/%Y}."
        )
        self.app.switch_screen(ReferralDetailScreen(created.number, note=note))
