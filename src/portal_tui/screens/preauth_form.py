"""A preauthorization request, built from its template: member, TIN and providers, codes, units,
dates and urgency, then the template's questions as typed inputs (required ones marked `*`), and
the files to attach. Ctrl+S saves a draft (kept 96 hours), F9 submits; the portal's answer (approved
at once, or pended with its decision clock) shows on the request's screen. Whatever the portal
refuses is said next to the form and nothing typed is lost."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, LoadingIndicator, Select, Static

from portal_core.errors import PortalError, SessionExpired
from portal_core.rules.identifiers import format_tin
from portal_tui.assets import stylesheet
from portal_tui.display_text import plain_label, printable, when
from portal_tui.screens.base import MenuScreen

if TYPE_CHECKING:
    from portal_core.models.claims import UploadFile
    from portal_core.models.preauth import (
        PreauthDetail,
        PreauthDraft,
        PreauthTemplate,
        TemplateQuestion,
    )

YES_NO = [("Yes", "yes"), ("No", "no")]
"""(label, value) of a yes/no question (answers travel as `yes` / `no`)."""

URGENCIES = [("standard (7 days)", "standard"), ("expedited (72 hours)", "expedited")]
"""(label, value) of the urgency choice."""

_CODE_SPLIT = re.compile(r"[\s,;]+")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def split_codes(text: str) -> list[str]:
    """`95810, 95811` → `["95810", "95811"]` (upper case, no blanks)."""
    return [code.upper() for code in _CODE_SPLIT.split(text.strip()) if code]


def answer_problem(question: TemplateQuestion, answer: str, submitting: bool) -> str | None:
    """What is wrong with one answer, in plain words; None when it is fine."""
    if not answer:
        return "Required." if question.required and submitting else None
    if question.kind == "number":
        try:
            Decimal(answer)
        except InvalidOperation:
            return "Type a number, e.g. 12 or 31.5."
    elif question.kind == "date":
        try:
            date.fromisoformat(answer)
        except ValueError:
            return "Type a date as YYYY-MM-DD."
    elif question.kind == "yes_no" and answer not in ("yes", "no"):
        return "Answer yes or no."
    elif question.kind == "choice" and question.choices and answer not in question.choices:
        return "Pick one of the choices."
    return None


@dataclass(frozen=True)
class HeaderField:
    """One of the request's own fields (not a template question)."""

    key: str
    label: str
    placeholder: str
    required: bool = True


HEADER_FIELDS = (
    HeaderField("member", "Member ID", "NW100000007"),
    HeaderField("tin", "TIN", "46-1234567"),
    HeaderField("requesting", "Requesting NPI", "10 digits"),
    HeaderField("servicing", "Servicing NPI", "provider or facility"),
    HeaderField("codes", "Procedure codes", "from the template"),
    HeaderField("diagnoses", "Diagnosis codes", "ICD-10, e.g. G47.33", required=False),
    HeaderField("units", "Units", "1"),
    HeaderField("start", "Start date", "YYYY-MM-DD"),
    HeaderField("end", "End date", "YYYY-MM-DD"),
)
"""The request's fields, top to bottom (urgency follows, as a choice)."""


def question_widget_id(question_id: str) -> str:
    """A widget id safe for any question id."""
    return "q-" + _ID_UNSAFE.sub("-", question_id)


class PreauthFormScreen(MenuScreen):
    """A new request from a template, or a draft reopened."""

    MENU = "preauth"
    GUIDE = "preauth"
    CSS_PATH = stylesheet("preauth_form")
    AUTO_FOCUS = "#pf-member"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="preauth_form.back"),
        Binding("ctrl+s", "save", "Save draft", id="preauth_form.save"),
        Binding("f9", "submit", "Submit", id="preauth_form.submit"),
        Binding("ctrl+t", "attach", "Attach", id="preauth_form.attach"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | preauth_form.back | Back (asks first when there are unsaved changes). |
    | ctrl+s | preauth_form.save | Save as a draft (kept 96 hours). |
    | f9 | preauth_form.submit | Submit for a decision. |
    | ctrl+t | preauth_form.attach | Pick up to 5 files to attach. |
    """

    def __init__(
        self,
        template_id: str | None = None,
        draft_number: str | None = None,
        member_id: str = "",
        procedure_code: str = "",
        service_date: date | None = None,
    ) -> None:
        super().__init__()
        self.template_id = template_id
        """The template the request is made on (from the draft when reopening one)."""
        self.number = draft_number
        """The draft's number once saved (None before the first save)."""
        self.prefill = (member_id, procedure_code, service_date)
        """What the check already asked (member, code, date)."""
        self.template: PreauthTemplate | None = None
        """The template, once loaded."""
        self.files: list[UploadFile] = []
        """Files picked, attached at the next save or submit."""
        self.ready = False
        """Whether the fields are built."""
        self.saved_values: tuple[str, ...] = ()
        """The fields as last saved (or as first shown): what "unsaved changes" compares to."""
        self.busy = False
        """Whether a save or a submission is under way (keys do not start another)."""

    def compose_content(self) -> ComposeResult:
        yield Static("Preauthorization request", id="pf-title", classes="screen-title")
        yield Static("", id="pf-message", markup=False)
        yield LoadingIndicator(id="pf-loading")
        yield VerticalScroll(id="pf-body")

    def on_mount(self) -> None:
        self.load()

    # -- building ---------------------------------------------------------------------------
    @work(exclusive=True, group="preauth-form-load")
    async def load(self) -> None:
        """Fetch the template (and the draft), then build the fields."""
        loading = self.query_one("#pf-loading")
        loading.display = True
        draft: PreauthDetail | None = None
        try:
            if self.number is not None:
                draft = await self.client.get_preauth(self.number)
                self.template_id = draft.template_id
            if self.template_id is None:
                self.say("No template was picked.", error=True)
                return
            self.template = await self.client.get_preauth_template(self.template_id)
        except PortalError as error:
            self.fail(error)
            return
        finally:
            loading.display = False
        await self.build(self.template, draft)

    async def build(self, template: PreauthTemplate, draft: PreauthDetail | None) -> None:
        """Mount the request's fields and the template's questions."""
        title = f"Preauthorization: {template.name}"
        if self.number:
            title += f" (draft {self.number})"
        self.query_one("#pf-title", Static).update(printable(title))
        body = self.query_one("#pf-body", VerticalScroll)
        widgets: list[Widget] = []
        if template.description:
            widgets.append(Static(printable(template.description), classes="pf-hint", markup=False))
        values = self.initial_values(template, draft)
        for spec in HEADER_FIELDS:
            mark = "* " if spec.required else "  "
            label = spec.label
            if spec.key == "units":
                label = f"Units ({template.unit_label})"
            box = Input(
                values.get(spec.key, ""),
                placeholder=spec.placeholder,
                id=f"pf-{spec.key}",
                compact=True,
            )
            widgets.append(
                Horizontal(Label(mark + label, classes="pf-label"), box, classes="pf-row")
            )
            widgets.append(Static("", id=f"err-pf-{spec.key}", classes="pf-error", markup=False))
        covered = ", ".join(template.procedure_codes)
        widgets.append(Static(printable(f"Codes covered: {covered}"), classes="pf-hint"))
        urgency = draft.urgency if draft else template.default_urgency
        widgets.append(
            Horizontal(
                Label("  Urgency", classes="pf-label"),
                Select[str](
                    URGENCIES,
                    value=str(urgency),
                    allow_blank=False,
                    id="pf-urgency",
                    compact=True,
                ),
                classes="pf-row",
            )
        )
        if template.questions:
            widgets.append(Static("Questions (* required)", classes="pf-section"))
        answers = (draft.answers or {}) if draft else {}
        for question in template.questions:
            widgets.extend(self.question_widgets(question, answers.get(question.id, "")))
        widgets.append(Static("Attachments", classes="pf-section"))
        wanted = ", ".join(template.required_attachments) or "none asked for"
        widgets.append(
            Static(printable(f"Asked for: {wanted}. ctrl+t picks files."), classes="pf-hint")
        )
        widgets.append(Static("", id="pf-files", markup=False))
        await body.mount_all(widgets)
        self.show_files(draft)
        self.ready = True
        self.saved_values = self.snapshot()
        self.query_one("#pf-member", Input).focus()
        self.say("ctrl+s saves a draft, f9 submits. Fields marked * are required.")

    def initial_values(
        self, template: PreauthTemplate, draft: PreauthDetail | None
    ) -> dict[str, str]:
        """The fields' text: the draft's, else what the check asked and the user's defaults."""
        if draft is not None:
            return {
                "member": draft.member_id,
                "tin": draft.tin,
                "requesting": draft.requesting_npi,
                "servicing": draft.servicing_npi,
                "codes": ", ".join(draft.procedure_codes),
                "diagnoses": ", ".join(draft.diagnosis_codes),
                "units": str(draft.units),
                "start": draft.start_date.isoformat(),
                "end": draft.end_date.isoformat(),
            }
        member, code, when = self.prefill
        account = self.portal.account
        tin = (account.active_tin or account.default_tin or "") if account else ""
        shown_tin = format_tin(tin) if len(tin) == 9 else tin
        npi = ""
        if account is not None:
            for role in account.roles:
                if role.tin == tin and role.affiliations:
                    npi = role.affiliations[0]
        codes = code or (template.procedure_codes[0] if template.procedure_codes else "")
        day = when.isoformat() if when else ""
        return {
            "member": member,
            "tin": shown_tin,
            "requesting": npi,
            "servicing": npi,
            "codes": codes,
            "units": "1",
            "start": day,
            "end": day,
        }

    def question_widgets(self, question: TemplateQuestion, answer: str) -> list[Widget]:
        """A question's label, its typed input, its hint and its error line."""
        widget_id = question_widget_id(question.id)
        mark = "* " if question.required else "  "
        widgets: list[Widget] = [
            Label(printable(mark + question.label), classes="pf-question", markup=False)
        ]
        if question.kind == "yes_no":
            widgets.append(
                Select[str](
                    YES_NO,
                    value=answer if answer in ("yes", "no") else Select.NULL,
                    prompt="yes or no",
                    id=widget_id,
                    compact=True,
                    classes="pf-answer",
                )
            )
        elif question.kind == "choice":
            widgets.append(
                Select[str](
                    [(plain_label(choice), choice) for choice in question.choices],
                    value=answer if answer in question.choices else Select.NULL,
                    prompt="pick one",
                    id=widget_id,
                    compact=True,
                    classes="pf-answer",
                )
            )
        else:
            placeholder = {"number": "a number", "date": "YYYY-MM-DD"}.get(question.kind, "")
            widgets.append(
                Input(
                    answer,
                    placeholder=placeholder,
                    id=widget_id,
                    compact=True,
                    classes="pf-answer",
                )
            )
        if question.help:
            widgets.append(
                Static(printable(question.help), classes="pf-hint pf-help", markup=False)
            )
        widgets.append(Static("", id=f"err-{widget_id}", classes="pf-error", markup=False))
        return widgets

    # -- reading and checking ------------------------------------------------------------------
    def text(self, key: str) -> str:
        """A request field's text, stripped."""
        return self.query_one(f"#pf-{key}", Input).value.strip()

    def answer(self, question: TemplateQuestion) -> str:
        """A question's answer as text (empty when not answered)."""
        widget = self.query_one(f"#{question_widget_id(question.id)}")
        if isinstance(widget, Select):
            value = widget.value
            return "" if value is Select.NULL else str(value)
        assert isinstance(widget, Input)
        return widget.value.strip()

    def show_problem(self, error_id: str, problem: str | None) -> None:
        """The error line under a field: shown with its text, hidden when fine."""
        line = self.query_one(f"#{error_id}", Static)
        line.update(printable(problem or ""))
        line.display = bool(problem)

    def check_fields(self, submitting: bool) -> tuple[PreauthDraft | None, list[str]]:
        """Check every field, mark the problems inline; the draft when all are fine, and the
        labels of the fields with a problem."""
        from portal_core.models.preauth import PreauthDraft, Urgency

        template = self.template
        assert template is not None
        problems: dict[str, str] = {}
        for spec in HEADER_FIELDS:
            if spec.required and not self.text(spec.key):
                problems[spec.key] = "Required."
        units = 1
        if "units" not in problems:
            try:
                units = int(self.text("units"))
                if units < 1:
                    raise ValueError
            except ValueError:
                problems["units"] = "Type a whole number of at least 1."
        dates: dict[str, date] = {}
        for key in ("start", "end"):
            if key not in problems:
                try:
                    dates[key] = date.fromisoformat(self.text(key))
                except ValueError:
                    problems[key] = "Type a date as YYYY-MM-DD."
        if len(dates) == 2 and dates["end"] < dates["start"]:
            problems["end"] = "The end date is before the start date."
        for spec in HEADER_FIELDS:
            self.show_problem(f"err-pf-{spec.key}", problems.get(spec.key))
        labels = [spec.label for spec in HEADER_FIELDS if spec.key in problems]
        answers: dict[str, str] = {}
        for question in template.questions:
            answer = self.answer(question)
            problem = answer_problem(question, answer, submitting)
            self.show_problem(f"err-{question_widget_id(question.id)}", problem)
            if problem:
                labels.append(question.label)
            if answer:
                answers[question.id] = answer
        if labels:
            return None, labels
        urgency = self.query_one("#pf-urgency", Select).value
        draft = PreauthDraft(
            number=self.number,
            member_id=self.text("member").upper(),
            tin=self.text("tin").replace("-", ""),
            requesting_npi=self.text("requesting"),
            servicing_npi=self.text("servicing"),
            template_id=template.id,
            procedure_codes=split_codes(self.text("codes")),
            diagnosis_codes=split_codes(self.text("diagnoses")),
            units=units,
            start_date=dates["start"],
            end_date=dates["end"],
            urgency=Urgency(str(urgency)) if urgency is not Select.NULL else Urgency.STANDARD,
            answers=answers,
        )
        return draft, []

    # -- messages -------------------------------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        """The line under the title (red for a problem)."""
        message = self.query_one("#pf-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def fail(self, error: PortalError) -> None:
        """Say the portal's refusal next to the form; an ended session goes back to sign-in."""
        self.say(error.message, error=True)
        if isinstance(error, SessionExpired):
            self.report(error)

    def show_files(self, draft: PreauthDetail | None = None) -> None:
        """Say which files wait to be attached (and which the draft already has)."""
        parts: list[str] = []
        if draft is not None and draft.attachments:
            parts.append("Attached: " + ", ".join(d.file_name for d in draft.attachments))
        if self.files:
            parts.append(
                "To attach at the next save: " + ", ".join(f.file_name for f in self.files)
            )
        self.query_one("#pf-files", Static).update(printable("\n".join(parts) or "No files yet."))

    def snapshot(self) -> tuple[str, ...]:
        """Every field's value, in order (to tell whether anything changed since the save)."""
        body = self.query_one("#pf-body")
        return tuple(
            widget.value if isinstance(widget, Input) else str(widget.value)
            for widget in body.query("Input, Select")
            if isinstance(widget, Input | Select)
        )

    @property
    def dirty(self) -> bool:
        """Whether something was typed since the last save."""
        return self.ready and self.snapshot() != self.saved_values

    @on(Input.Blurred, ".pf-answer")
    def _answer_left(self, event: Input.Blurred) -> None:
        """Check an answer's form as the user leaves it (required ones wait for submit)."""
        if self.template is None:
            return
        for question in self.template.questions:
            widget_id = question_widget_id(question.id)
            if event.input.id == widget_id:
                problem = answer_problem(question, event.value.strip(), submitting=False)
                self.show_problem(f"err-{widget_id}", problem)
                return

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"save", "submit", "attach"}:
            return self.template is not None
        return True

    # -- actions --------------------------------------------------------------------------------
    @work(exclusive=True, group="preauth-form-leave")
    async def action_back(self) -> None:
        """Back to the list; unsaved changes are asked about first."""
        from portal_tui.modals.confirm import ConfirmModal

        if self.dirty or self.files:
            leave = await self.app.push_screen_wait(
                ConfirmModal(
                    "Leave the form?",
                    "What you typed since the last save is lost. ctrl+s saves a draft.",
                    yes="Leave",
                    no="Stay",
                )
            )
            if not leave:
                return
        self.dismiss(None)

    def action_save(self) -> None:
        if self.busy:
            return
        draft, problems = self.check_fields(submitting=False)
        if draft is None:
            self.say(f"Check the marked fields: {', '.join(problems)}.", error=True)
            return
        self.send(draft, submit=False)

    def action_submit(self) -> None:
        if self.busy:
            return
        draft, problems = self.check_fields(submitting=True)
        if draft is None:
            shown = ", ".join(problems[:3]) + ("…" if len(problems) > 3 else "")
            self.say(
                f"Nothing was submitted: {len(problems)} field(s) need an answer or a fix "
                f"({shown}).",
                error=True,
            )
            return
        self.send(draft, submit=True)

    @work(exclusive=True, group="preauth-form-send")
    async def send(self, draft: PreauthDraft, submit: bool) -> None:
        """Save the draft, attach the files picked, then (when asked) submit it."""
        self.busy = True
        self.say("Submitting…" if submit else "Saving…")
        try:
            try:
                saved = await self.client.save_preauth_draft(draft)
            except PortalError as error:
                self.fail(error)
                return
            if self.number is None and self.template is not None:
                self.query_one("#pf-title", Static).update(
                    printable(f"Preauthorization: {self.template.name} (draft {saved.number})")
                )
            self.number = saved.number
            self.saved_values = self.snapshot()
            if self.files:
                try:
                    saved = await self.client.attach_preauth_files(saved.number, self.files)
                except PortalError as error:
                    self.fail(error)
                    return
                self.files = []
            self.show_files(saved)
            if not submit:
                expires = saved.draft_expires_at
                until = f" until {when(expires)}" if expires else ""
                self.say(f"Draft {saved.number} saved; it is kept{until}. f9 submits it.")
                return
            try:
                result = await self.client.submit_preauth(saved.number)
            except PortalError as error:
                self.fail(error)
                return
        finally:
            self.busy = False
        self.show_result(result)

    def show_result(self, result: PreauthDetail) -> None:
        """Replace the form with the request, saying what the portal decided."""
        from portal_tui.screens.preauth_detail import PreauthDetailScreen, outcome_text

        self.app.switch_screen(PreauthDetailScreen(result.number, notice=outcome_text(result)))

    @work(exclusive=True, group="preauth-form-attach")
    async def action_attach(self) -> None:
        """Pick up to 5 files; they are read now and attached at the next save or submit."""
        from portal_tui.modals.upload_files import UploadFilesModal
        from portal_tui.screens.claim_detail import read_uploads

        paths = await self.app.push_screen_wait(UploadFilesModal("Attach files to the request"))
        if not paths:
            return
        try:
            self.files = await asyncio.to_thread(read_uploads, paths)
        except ValueError as error:
            self.say(str(error), error=True)
            return
        except OSError as error:
            self.say(f"A file could not be read: {error.strerror}", error=True)
            return
        self.show_files()
        self.say(f"{len(self.files)} file(s) will be attached at the next save or submit.")
