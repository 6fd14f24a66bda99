"""Referrals from a member's PCP to an in-network specialist."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

DEFAULT_VALID_DAYS = 90
"""A referral without an end date is valid this many days from its start."""


class ReferralStatus(StrEnum):
    """A referral's status. `used` and `expired` are computed when read: `used` once every
    authorized visit is recorded, `expired` after the end date; `cancelled` is stored."""

    ACTIVE = "active"
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class NewReferral(BaseModel):
    """A referral to create."""

    tin: str
    """The referring PCP's Tax ID (the user's organization)."""
    member_id: str
    referring_npi: str
    """Must be the member's PCP on the start date."""
    specialist_npi: str
    """Must be in network for the member's plan on the start date."""
    diagnosis_codes: list[str] = Field(default_factory=list)
    """ICD-10-CM codes (at least one)."""
    visits_authorized: int
    """1 to 99."""
    start_date: date
    end_date: date | None = None
    """None: start + 90 days. Not before the start date."""
    reason: str = ""
    """Why the member is referred (plain text)."""
    notes: str = ""


class ReferralQuery(BaseModel):
    """What to list: every filter is optional and they combine."""

    member_id: str | None = None
    npi: str | None = None
    """The referring or the specialist provider."""
    status: ReferralStatus | None = None
    tin: str | None = None


class ReferralSummary(BaseModel):
    """A referral in a list (newest start first)."""

    number: str
    """`REF-2026-000123`."""
    status: ReferralStatus
    tin: str
    member_id: str
    member_name: str
    referring_npi: str
    referring_name: str
    specialist_npi: str
    specialist_name: str
    visits_authorized: int
    visits_used: int
    start_date: date
    end_date: date


class ReferralEvent(BaseModel):
    """One line of a referral's history."""

    at: datetime
    event: str
    """`created`, `visit`, `cancelled`."""
    username: str
    detail: str
    """A visit's running count, a cancellation's reason."""


class ReferralDetail(ReferralSummary):
    """A referral with its diagnosis, reason and history."""

    diagnosis_codes: list[str]
    reason: str
    notes: str
    created_at: datetime
    created_by_username: str
    cancel_reason: str | None
    history: list[ReferralEvent] = Field(default_factory=list)
    """Oldest first."""
