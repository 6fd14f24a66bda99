"""Preauthorization: templates, requests (drafts to decisions), the check, the review queue.

A template names the procedure codes it covers, the questions it asks, the attachments it wants and
the criteria under which a request is approved at once. A request moves
`draft → submitted → pended → approved | partially_approved | denied` (or `cancelled`,
`withdrawn`); `submitted` is the instant between submission and the automatic decision, so stored
requests are normally `pended` or decided.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from portal_core.models.documents import DocumentSummary


class PreauthStatus(StrEnum):
    """Where a request stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PENDED = "pended"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DENIED = "denied"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"

    @property
    def decided(self) -> bool:
        """Approved, partly approved or denied: the request can no longer change."""
        return self in DECIDED_STATUSES

    @property
    def open(self) -> bool:
        """Submitted or pended: waiting for a decision, with a clock running."""
        return self in (PreauthStatus.SUBMITTED, PreauthStatus.PENDED)


DECIDED_STATUSES = frozenset(
    {PreauthStatus.APPROVED, PreauthStatus.PARTIALLY_APPROVED, PreauthStatus.DENIED}
)
"""Statuses a decision leads to."""


class Urgency(StrEnum):
    """How fast the decision is due: 72 hours (expedited) or 7 calendar days (standard)."""

    STANDARD = "standard"
    EXPEDITED = "expedited"


class QuestionKind(StrEnum):
    """How a template question is answered (answers travel as text)."""

    TEXT = "text"
    NUMBER = "number"
    """A decimal number, e.g. `32.5`."""
    DATE = "date"
    """An ISO date, `YYYY-MM-DD`."""
    YES_NO = "yes_no"
    """`yes` or `no`."""
    CHOICE = "choice"
    """One of the question's `choices`, exactly."""


class TemplateQuestion(BaseModel):
    """One question a template asks."""

    id: str
    """Stable key of the answer in `PreauthDraft.answers` (e.g. `epworth_score`)."""
    label: str
    """The question as shown."""
    kind: QuestionKind = QuestionKind.TEXT
    required: bool = True
    """A request cannot be submitted without an answer."""
    choices: list[str] = Field(default_factory=list)
    """The allowed answers of a `choice` question."""
    help: str = ""
    """A hint shown under the input."""


class CriterionOperator(StrEnum):
    """How an answer is compared in an approval criterion."""

    IS = "is"
    """Equal to `value` (yes/no, text or choice; case-free)."""
    AT_LEAST = "at_least"
    """A number greater than or equal to `value`."""
    AT_MOST = "at_most"
    """A number less than or equal to `value`."""
    ONE_OF = "one_of"
    """One of `values` (case-free)."""


class ApprovalCriterion(BaseModel):
    """One condition for approval at once; a template's criteria must all hold."""

    question_id: str
    operator: CriterionOperator
    value: str = ""
    """The compared value (`yes`, `10`, …) for `is`, `at_least` and `at_most`."""
    values: list[str] = Field(default_factory=list)
    """The accepted answers for `one_of`."""


class PreauthTemplateSummary(BaseModel):
    """A template in the picker."""

    id: str
    """Stable id, e.g. `sleep-study-psg`."""
    name: str
    """e.g. `Sleep study (polysomnography)`."""
    category: str
    """surgical, sleep, dme, imaging, therapy, genetic, infusion, home_health, cardiology, pain,
    behavioral, transplant, other."""
    procedure_codes: list[str] = Field(default_factory=list)
    """CPT/HCPCS codes the template covers."""
    active: bool = True
    """Inactive templates are not offered for new requests nor counted by the check."""


class PreauthTemplate(PreauthTemplateSummary):
    """A template with its questions, attachments and criteria for approval at once."""

    description: str = ""
    questions: list[TemplateQuestion] = Field(default_factory=list)
    required_attachments: list[str] = Field(default_factory=list)
    """Documents asked for, by name (e.g. `Sleep questionnaire`, `Office notes`)."""
    criteria: list[ApprovalCriterion] = Field(default_factory=list)
    """All must hold (and the units stay within `max_units`) for approval at once; a template with
    no criteria always goes to review."""
    max_units: int | None = None
    """The most units approvable at once (None: no limit)."""
    unit_label: str = "units"
    """What a unit is: units, visits, days, months, sessions."""
    default_urgency: Urgency = Urgency.STANDARD
    exempt_product_lines: list[str] = Field(default_factory=list)
    """Product lines (commercial, medicare, medicaid) needing no preauth for these codes."""


class PreauthDraft(BaseModel):
    """A request as the provider fills it; saved as a draft, then submitted."""

    number: str | None = None
    """None for a new draft; the draft's number to save over it."""
    member_id: str
    tin: str
    """The requesting office's TIN (nine digits)."""
    requesting_npi: str
    servicing_npi: str
    """The provider or facility doing the service."""
    template_id: str
    procedure_codes: list[str] = Field(default_factory=list)
    diagnosis_codes: list[str] = Field(default_factory=list)
    """ICD-10-CM codes, e.g. `G47.33`."""
    units: int = Field(default=1, ge=1, le=100_000)
    start_date: date
    end_date: date
    urgency: Urgency = Urgency.STANDARD
    answers: dict[str, str] = Field(default_factory=dict)
    """Answer text by question id."""


class PreauthChange(BaseModel):
    """A change to a submitted request (until decided): new units or dates, and/or a note."""

    units: int | None = Field(default=None, ge=1, le=100_000)
    start_date: date | None = None
    end_date: date | None = None
    note: str = ""
    """Free text, e.g. the information the reviewer asked for."""


class DecisionOutcome(StrEnum):
    """What a reviewer decides."""

    APPROVE = "approve"
    PARTIALLY_APPROVE = "partially_approve"
    DENY = "deny"
    REQUEST_INFORMATION = "request_information"


DENIAL_REASONS: dict[str, str] = {
    "not_medically_necessary": "The service is not medically necessary for the condition given.",
    "criteria_not_met": "The clinical criteria for this service are not met.",
    "insufficient_documentation": "The records sent do not support the request.",
    "conservative_treatment": "Conservative treatment has not been tried for long enough.",
    "experimental": "The service is experimental or investigational.",
    "not_covered": "The service is not a covered benefit of the member's plan.",
    "out_of_network": "The servicing provider is not in the member's network.",
    "units_exceed_guideline": "The units asked for exceed the clinical guideline.",
    "lower_level_of_care": "A lower level of care or setting is appropriate.",
    "duplicate": "The request duplicates one already decided.",
    "member_not_eligible": "The member is not eligible on the dates of service.",
}
"""The specific reasons a denial or partial approval may give (code → words on the letter)."""


class PreauthDecision(BaseModel):
    """A reviewer's decision."""

    outcome: DecisionOutcome
    approved_units: int | None = Field(default=None, ge=0, le=100_000)
    """Required for a partial approval (fewer than asked); an approval grants what was asked."""
    reason: str | None = None
    """A `DENIAL_REASONS` code: required to deny or partly approve."""
    note: str = ""
    """Free text for the letter; required to request information (what is needed)."""


class PreauthCheckQuery(BaseModel):
    """Does this code need a preauthorization for this member's plan on this date?"""

    member_id: str
    procedure_code: str
    service_date: date


class PreauthCheckResult(BaseModel):
    """The check's answer."""

    required: bool
    why: str
    """The answer in words."""
    template_ids: list[str] = Field(default_factory=list)
    """Templates to request it with (when required)."""
    template_names: list[str] = Field(default_factory=list)
    plan_name: str | None = None
    product_line: str | None = None


class PreauthQuery(BaseModel):
    """Filters of the request list (all optional, combined with AND)."""

    statuses: list[PreauthStatus] = Field(default_factory=list)
    """Any of these (empty: all but expired drafts)."""
    member_id: str | None = None
    number: str | None = None
    tin: str | None = None
    npi: str | None = None
    """Requesting or servicing provider."""
    created_from: date | None = None
    created_to: date | None = None
    pending_only: bool = False
    """Only submitted and pended requests (the ones with a clock running)."""


class PreauthSummary(BaseModel):
    """A request in a list, newest first."""

    number: str
    """`PA-2026-000123`."""
    status: PreauthStatus
    urgency: Urgency
    member_id: str
    member_name: str
    template_id: str
    template_name: str
    procedure_codes: list[str] = Field(default_factory=list)
    units: int
    start_date: date
    end_date: date
    tin: str
    requesting_npi: str
    servicing_npi: str
    created_at: datetime
    submitted_at: datetime | None = None
    due_at: datetime | None = None
    """When the decision is due (open requests and decided ones)."""
    time_left: timedelta | None = None
    """Until `due_at` from now, for open requests; negative when overdue."""
    time_left_text: str = ""
    """`2 d 5 h left`, `overdue by 3 h`; empty when no clock runs."""
    draft_expires_at: datetime | None = None
    """When an unsubmitted draft is dropped (96 hours after it was last saved)."""


class PreauthHistoryEntry(BaseModel):
    """One change of a request's status."""

    at: datetime
    status: PreauthStatus
    by: str
    """The username who did it (`system` for automatic decisions)."""
    note: str = ""


class PreauthDetail(PreauthSummary):
    """A request with everything the viewer may see."""

    diagnosis_codes: list[str] = Field(default_factory=list)
    requested_by: str
    """The username who created it."""
    approved_units: int | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    """The `DENIAL_REASONS` code of a denial or partial approval."""
    decision_reason_text: str | None = None
    decision_note: str = ""
    information_requested: str | None = None
    """What the reviewer asked for, while the request waits on the provider."""
    required_attachments: list[str] = Field(default_factory=list)
    """What the template asks to attach."""
    answers: dict[str, str] | None = None
    """Answers by question id; None when the viewer may not see clinical detail (billing)."""
    attachments: list[DocumentSummary] | None = None
    """Files attached; None when the viewer may not see clinical detail (billing)."""
    history: list[PreauthHistoryEntry] = Field(default_factory=list)
    """Oldest first."""
    letters: list[DocumentSummary] = Field(default_factory=list)
    """Determination letters, newest first."""
