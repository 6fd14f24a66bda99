"""A new (or draft) emergent inpatient admission notification: member, TIN, facility and
admitting NPIs, admission date and time, diagnosis codes, admission type and notes. The notice
deadline shows as the time is typed, with "late" said plainly; ctrl+s keeps a draft (96 hours),
ctrl+t sends it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from portal_core.errors import PortalError, SessionExpired, ValidationFailed
from portal_tui.admission_text import long_time, notice_deadline, now_utc, parse_admitted_at
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen

if TYPE_CHECKING:
    from portal_core.models.admissions import AdmissionDetail, AdmissionDraft

FIELD_WIDGETS = {
    "admitted_at": "admitted_date",
    "tin": "tin",
    "member_id": "member_id",
    "facility_npi": "facility_npi",
    "admitting_npi": "admitting_npi",
    "diagnosis_codes": "diagnosis_codes",
    "admission_type": "admission_type",
    "notes": "notes",
    "admitted_date": "admitted_date",
    "admitted_time": "admitted_time",
}
"""The widget that gets the focus when the portal names a field at fault."""

TYPE_CHOICES = [
    ("emergency", "emergency"),
    ("urgent", "urgent"),
    ("elective", "elective"),
    ("maternity", "maternity"),
    ("trauma", "trauma"),
]


class AdmissionFormScreen(MenuScreen):
    """Write an admission notification: save it as a draft, send it."""

    MENU = "admissions"
    GUIDE = "admissions"
    CSS_PATH = stylesheet("admission_form")
    AUTO_FOCUS = "#member_id"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="admission_form.back"),
        Binding("ctrl+s", "save", "Save draft", id="admission_form.save"),
        Binding("ctrl+t", "send", "Send", id="admission_form.send"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | admission_form.back | Back (a draft saved stays for 96 hours). |
    | ctrl+s | admission_form.save | Save as a draft. |
    | ctrl+t | admission_form.send | Send the notification. |
    """

    def __init__(self, draft: AdmissionDetail | None = None) -> None:
        super().__init__()
        self.draft = draft
        """The draft being changed; None for a new notification."""
        self.number: str | None = draft.number if draft is not None else None
        """The draft's number once saved."""

    def compose_content(self) -> ComposeResult:
        account = self.portal.account
        title = f"Draft {self.number}" if self.number else "New admission notification"
        yield Static(printable(title), id="adm-form-title", classes="screen-title", markup=False)
        with VerticalScroll(id="adm-form"):
            with Horizontal(classes="field-row"):
                yield Label("Member ID", classes="field-label")
                yield Input(placeholder="NW100000007", id="member_id", compact=True)
                yield Label("TIN", classes="field-label")
                yield Input(
                    account.active_tin or "" if account else "",
                    placeholder="461234567",
                    id="tin",
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Label("Facility NPI", classes="field-label")
                yield Input(placeholder="hospital", id="facility_npi", compact=True)
                yield Label("Admitting NPI", classes="field-label")
                yield Input(placeholder="physician", id="admitting_npi", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Admitted on", classes="field-label")
                yield Input(placeholder="YYYY-MM-DD", id="admitted_date", compact=True)
                yield Label("at (CT)", classes="field-label")
                yield Input(placeholder="08:30", id="admitted_time", compact=True)
            yield Static("", id="adm-deadline", markup=False)
            with Horizontal(classes="field-row"):
                yield Label("Diagnosis", classes="field-label")
                yield Input(
                    placeholder="I21.4, I50.9 (admitting first)", id="diagnosis_codes", compact=True
                )
            with Horizontal(classes="field-row"):
                yield Label("Type", classes="field-label")
                yield Select[str](
                    TYPE_CHOICES,
                    value="emergency",
                    allow_blank=False,
                    id="admission_type",
                    compact=True,
                )
            yield Label("Notes for the reviewer", classes="field-label")
            yield TextArea(id="notes", soft_wrap=True)
            yield Static("", id="adm-form-message", markup=False)
            with Horizontal(id="adm-form-buttons"):
                yield Button("Save draft (ctrl+s)", id="save", compact=True)
                yield Button("Send (ctrl+t)", id="send", variant="primary", compact=True)

    def on_mount(self) -> None:
        draft = self.draft
        if draft is None:
            return
        self.value_of("member_id").value = draft.member_id
        self.value_of("tin").value = draft.tin
        self.value_of("facility_npi").value = draft.facility_npi
        self.value_of("admitting_npi").value = draft.admitting_npi
        if draft.admitted_at is not None:
            from portal_tui.admission_text import local

            at = local(draft.admitted_at)
            self.value_of("admitted_date").value = f"{at:%Y-%m-%d}"
            self.value_of("admitted_time").value = f"{at:%H:%M}"
        self.value_of("diagnosis_codes").value = ", ".join(draft.diagnosis_codes)
        self.query_one("#admission_type", Select).value = draft.admission_type.value
        self.query_one("#notes", TextArea).text = draft.notes
        if draft.draft_expires_at is not None:
            self.say(f"Draft kept until {long_time(draft.draft_expires_at)}.")

    def value_of(self, field_id: str) -> Input:
        """The input `field_id`."""
        return self.query_one(f"#{field_id}", Input)

    def say(self, text: str, error: bool = False) -> None:
        """The line under the form (red for a problem)."""
        message = self.query_one("#adm-form-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")
        message.scroll_visible(animate=False)

    def fail(self, error: PortalError) -> None:
        """The portal's message under the form; the field at fault gets the focus."""
        if isinstance(error, SessionExpired):
            self.report(error)
            return
        self.say(error.message, error=True)
        widget = FIELD_WIDGETS.get(error.field or "")
        if widget:
            self.query_one(f"#{widget}").focus()

    @on(Input.Changed, "#admitted_date, #admitted_time")
    def show_deadline(self) -> None:
        """The notice deadline of the time typed so far, and whether sending now is late."""
        deadline = self.query_one("#adm-deadline", Static)
        try:
            at = parse_admitted_at(
                self.value_of("admitted_date").value, self.value_of("admitted_time").value
            )
        except ValidationFailed:
            at = None
        if at is None:
            deadline.update("Notice due within 24 hours of admission (next business day).")
            deadline.set_class(False, "late")
            return
        text, late = notice_deadline(at, now_utc())
        deadline.update(text)
        deadline.set_class(late, "late")

    def draft_from_form(self) -> AdmissionDraft:
        """The notification the form describes (`ValidationFailed` for a date or time that is
        not one; the portal checks the rest)."""
        from portal_core.models.admissions import AdmissionDraft, AdmissionType

        codes = [
            code.strip()
            for code in self.value_of("diagnosis_codes").value.replace(";", ",").split(",")
            if code.strip()
        ]
        kind = self.query_one("#admission_type", Select).value
        return AdmissionDraft(
            number=self.number,
            tin=self.value_of("tin").value.strip().replace("-", ""),
            member_id=self.value_of("member_id").value.strip(),
            facility_npi=self.value_of("facility_npi").value.strip(),
            admitting_npi=self.value_of("admitting_npi").value.strip(),
            admitted_at=parse_admitted_at(
                self.value_of("admitted_date").value, self.value_of("admitted_time").value
            ),
            diagnosis_codes=codes,
            admission_type=AdmissionType(str(kind)),
            notes=self.query_one("#notes", TextArea).text,
        )

    def action_back(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        # Enter in a field moves on, as tab does: sending is a deliberate ctrl+t.
        self.focus_next()

    async def keep(self) -> AdmissionDetail | None:
        """Save the form as a draft; None (and the reason shown) when it cannot be."""
        try:
            draft = self.draft_from_form()
        except ValidationFailed as error:
            self.fail(error)
            return None
        if not draft.tin:
            self.fail(ValidationFailed("Give the Tax ID the facility bills under.", field="tin"))
            return None
        try:
            saved = await self.client.save_admission_draft(draft)
        except PortalError as error:
            self.fail(error)
            return None
        self.number = saved.number
        self.draft = saved
        self.query_one("#adm-form-title", Static).update(printable(f"Draft {saved.number}"))
        return saved

    @work(exclusive=True, group="admission-form")
    async def action_save(self) -> None:
        """Keep the form as a draft."""
        self.say("Saving…")
        saved = await self.keep()
        if saved is not None:
            until = long_time(saved.draft_expires_at)
            self.say(f"Draft {saved.number} saved; kept until {until}. ctrl+t sends it.")

    @work(exclusive=True, group="admission-form")
    async def action_send(self) -> None:
        """Save, then send the notification; show it sent (late or on time)."""
        from portal_tui.screens.admission_detail import AdmissionDetailScreen

        self.say("Sending…")
        saved = await self.keep()
        if saved is None:
            return
        try:
            sent = await self.client.submit_admission(saved.number)
        except PortalError as error:
            self.fail(error)
            return
        when = "LATE: sent after it was due" if sent.late else "on time"
        note = f"Sent {sent.number} ({when}, due {long_time(sent.due_at)}); the review is open."
        self.app.switch_screen(AdmissionDetailScreen(sent.number, note=note))
