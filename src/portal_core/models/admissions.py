"""Emergent inpatient admission notifications and their concurrent review."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from portal_core.models.documents import DocumentSummary


class AdmissionStatus(StrEnum):
    """Where a notification stands.

    `draft` (kept 96 hours) → `in_review` on submit (the concurrent review opens at once; `notified`
    is the state of a notification sent but not yet taken into review, kept for imported records)
    → `discharged`. `cancelled` from a draft, or before the first determination.
    """

    DRAFT = "draft"
    NOTIFIED = "notified"
    IN_REVIEW = "in_review"
    DISCHARGED = "discharged"
    CANCELLED = "cancelled"


class AdmissionType(StrEnum):
    """Why the member came in (the UB-04 admission types a notification carries)."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    ELECTIVE = "elective"
    MATERNITY = "maternity"
    TRAUMA = "trauma"


class ReviewKind(StrEnum):
    """The concurrent review's determinations: the first one, then each further stretch."""

    INITIAL = "initial"
    CONTINUED_STAY = "continued_stay"


class DeterminationOutcome(StrEnum):
    """A reviewer's answer."""

    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DENIED = "denied"


class DischargeDisposition(StrEnum):
    """Where the member went on discharge."""

    HOME = "home"
    HOME_HEALTH = "home_health"
    SKILLED_NURSING = "skilled_nursing"
    REHABILITATION = "rehabilitation"
    TRANSFER = "transfer"
    HOSPICE = "hospice"
    AGAINST_ADVICE = "against_advice"
    DECEASED = "deceased"
    OTHER = "other"


class AdmissionDraft(BaseModel):
    """A notification being written: saved as a draft (partial is fine), checked in full on
    submit."""

    number: str | None = None
    """None to start a new draft; a draft's number (`ADM-2026-000123`) to update it."""
    tin: str
    """The Tax ID the facility bills under (the user's organization)."""
    member_id: str = ""
    facility_npi: str = ""
    """The hospital (a facility NPI)."""
    admitting_npi: str = ""
    """The admitting physician."""
    admitted_at: datetime | None = None
    """Admission date and time, timezone-aware."""
    diagnosis_codes: list[str] = Field(default_factory=list)
    """ICD-10-CM codes, the admitting diagnosis first."""
    admission_type: AdmissionType = AdmissionType.EMERGENCY
    notes: str = ""
    """Free text for the reviewer (plain text)."""


class AdmissionDetermination(BaseModel):
    """A reviewer's determination.

    `next_review_date` is required unless the outcome is `denied` or `final` is set (no further
    review: the stay is approved through to discharge); `reason` is required for `denied` and
    `partially_approved`.
    """

    kind: ReviewKind
    outcome: DeterminationOutcome
    approved_days: int = 0
    """Days approved by this determination (added to the stay's total)."""
    next_review_date: date | None = None
    final: bool = False
    reason: str = ""


class AdmissionDischarge(BaseModel):
    """The discharge that closes the review."""

    discharged_at: datetime
    """Timezone-aware; not before the admission, not in the future."""
    disposition: DischargeDisposition


class AdmissionQuery(BaseModel):
    """What to list: every filter is optional and they combine."""

    status: AdmissionStatus | None = None
    member_id: str | None = None
    npi: str | None = None
    """The facility or the admitting provider."""
    tin: str | None = None
    late_only: bool = False
    """Only notifications sent after they were due."""
    admitted_from: date | None = None
    admitted_to: date | None = None


class AdmissionSummary(BaseModel):
    """An admission in a list (newest first; the review queue: soonest review first)."""

    number: str
    status: AdmissionStatus
    tin: str
    member_id: str
    member_name: str
    """"" for a draft without a known member."""
    facility_npi: str
    facility_name: str
    admission_type: AdmissionType
    admitted_at: datetime | None
    notified_at: datetime | None
    due_at: datetime | None
    """When the notification was (or is) due: 24 hours, or the next business day."""
    late: bool
    """Notified after `due_at`."""
    approved_days: int
    """The total of every determination's approved days."""
    next_review_date: date | None
    """Set while the review is open and a further review is planned."""


class AdmissionReviewEntry(BaseModel):
    """One determination in the review history."""

    at: datetime
    kind: ReviewKind
    outcome: DeterminationOutcome
    approved_days: int
    next_review_date: date | None
    final: bool
    reviewer_username: str
    reason: str
    letter_id: int | None
    """The letter filed for it (a document)."""


class AdmissionDetail(AdmissionSummary):
    """An admission with its clinical data, review history, letters and discharge."""

    admitting_npi: str
    admitting_name: str
    diagnosis_codes: list[str]
    notes: str
    created_at: datetime
    created_by_username: str
    draft_expires_at: datetime | None
    """For a draft: when it is deleted (96 hours after its last save)."""
    cancel_reason: str | None
    reviews: list[AdmissionReviewEntry] = Field(default_factory=list)
    """Oldest first."""
    letters: list[DocumentSummary] = Field(default_factory=list)
    discharge: AdmissionDischarge | None = None
