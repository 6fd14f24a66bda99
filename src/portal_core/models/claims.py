"""Claims, payments (EOP), denials, claim documents, inquiries, appeals and claim reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class ClaimSearch(BaseModel):
    """One of the four ways to search claims.

    - by claim number: `claim_number` alone;
    - by member: `member_id`, with an optional service-date range;
    - by provider or TIN: `npi` or `tin`, with optional `status` and service-date range;
    - by payment: `payment_number` (check or EFT number).
    Dates are as typed; the service checks everything and says what is wrong.
    """

    claim_number: str | None = None
    member_id: str | None = None
    tin: str | None = None
    npi: str | None = None
    status: str | None = None
    service_from: str | None = None
    service_to: str | None = None
    payment_number: str | None = None
    sort: str = "service_date"
    """The results' order: service_date, billed, paid, status or claim_number."""
    descending: bool = True
    """Largest, latest or last first (the default) or the other way round."""


class ClaimSummary(BaseModel):
    """A claim in a result list."""

    claim_number: str
    patient_account: str
    member_id: str
    member_name: str
    tin: str
    billing_npi: str
    rendering_npi: str
    claim_type: str
    service_from: date
    service_to: date
    received_date: date
    status: str
    status_code: str
    billed: Decimal
    allowed: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payment_number: str | None
    denial_carc: str | None


class Adjustment(BaseModel):
    """An adjustment: group code, reason code (CARC) with its words, and amount."""

    line_number: int | None
    group_code: str
    group_text: str
    carc: str
    carc_text: str
    amount: Decimal


class Remark(BaseModel):
    """A remark code (RARC) with its words."""

    line_number: int | None
    rarc: str
    text: str


class ClaimLine(BaseModel):
    """A service line of a claim."""

    line_number: int
    service_date: date
    procedure_code: str
    modifiers: list[str]
    units: int
    billed: Decimal
    allowed: Decimal
    paid: Decimal
    adjustments: list[Adjustment] = Field(default_factory=list)
    remarks: list[Remark] = Field(default_factory=list)


class ClaimDetail(ClaimSummary):
    """A claim with its lines, decoded adjustments and remarks, and its status in words."""

    status_text: str
    """The 277 category in words."""
    status_reason: str
    adjudicated_date: date | None
    payment_date: date | None
    lines: list[ClaimLine] = Field(default_factory=list)
    claim_adjustments: list[Adjustment] = Field(default_factory=list)
    """Adjustments at claim level (not tied to a line)."""
    claim_remarks: list[Remark] = Field(default_factory=list)
    denial_next_step: str | None = None
    """What to do about the denial, when the claim is denied or partly denied."""
    appeal_deadline: date | None = None


class PaymentSearch(BaseModel):
    """EOP search: by payment number, or by TIN and/or payment-date range."""

    payment_number: str | None = None
    tin: str | None = None
    paid_from: str | None = None
    paid_to: str | None = None


class ProviderAdjustment(BaseModel):
    """A provider-level adjustment on a payment (PLB)."""

    code: str
    reference: str
    amount: Decimal


class PaymentSummary(BaseModel):
    """A payment in a list."""

    payment_number: str
    payment_date: date
    method: str
    """ACH (EFT) | CHK (check)"""
    payee_tin: str
    payee_name: str
    total: Decimal
    claim_count: int


class PaymentDetail(PaymentSummary):
    """An Explanation of Payment: the payment and its claims with line detail."""

    provider_adjustments: list[ProviderAdjustment] = Field(default_factory=list)
    claims: list[ClaimDetail] = Field(default_factory=list)
    """The claims the reader may see (`claim_count` counts them all)."""
    hidden_claims: int = 0
    """Its claims for providers the reader is not affiliated with: counted, not shown."""


class DeniedQuery(BaseModel):
    """The denied-claims worklist: denials decided in the last `days` days."""

    tin: str | None = None
    days: int = 30
    carc: str | None = None
    """Only this reason (for the claims of one group)."""


class DenialReasonGroup(BaseModel):
    """The worklist's group for one reason code."""

    carc: str
    carc_text: str
    next_step_group: str
    next_step_title: str
    next_step: str
    claim_count: int
    billed: Decimal


class UploadFile(BaseModel):
    """A file to attach."""

    # Content is binary (PDFs, images): JSON carries it as base64, both ways.
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    file_name: str
    content: bytes


class ClaimDocument(BaseModel):
    """A document attached to a claim."""

    document_id: int
    file_name: str
    media_type: str
    size: int
    sha256: str
    submission: int
    submitted_at: datetime


class NewInquiry(BaseModel):
    """A reconsideration request on a claim."""

    reason: str
    text: str


class ClaimInquiry(BaseModel):
    """An inquiry (reconsideration) and the payer's answer."""

    id: int
    claim_number: str
    reason: str
    text: str
    status: str
    """open | answered"""
    opened_at: datetime
    answer: str | None
    answered_at: datetime | None


class NewAppeal(BaseModel):
    """A grievance or appeal on a claim decision."""

    kind: str = "appeal"
    """grievance | appeal"""
    text: str


class AppealAnswer(BaseModel):
    """The payer's decision on a grievance or appeal."""

    outcome: str
    """upheld | overturned"""
    text: str


class ClaimAppeal(BaseModel):
    """A grievance or appeal and the payer's answer."""

    id: int
    claim_number: str
    kind: str
    text: str
    status: str
    """open | upheld | overturned"""
    opened_at: datetime
    answer: str | None
    answered_at: datetime | None


class ClaimReportDefinition(BaseModel):
    """A custom claims report: filters and columns."""

    name: str = ""
    columns: list[str] = Field(default_factory=list)
    """Columns from `REPORT_COLUMNS` (claims.py rules); all of them when empty."""
    tin: str | None = None
    npi: str | None = None
    status: str | None = None
    service_from: str | None = None
    service_to: str | None = None
    denial_carc: str | None = None


class SavedClaimReport(BaseModel):
    """A saved report definition."""

    id: int
    name: str
    definition: ClaimReportDefinition
    updated_at: datetime


class ClaimReportResult(BaseModel):
    """A report's rows (at most 10,000), as text cells in the columns' order."""

    columns: list[str]
    rows: list[list[str]]
    truncated: bool
    """True when more than 10,000 claims matched and only the first 10,000 are here."""


class InquiryAnswer(BaseModel):
    """The payer's answer to an inquiry."""

    text: str
