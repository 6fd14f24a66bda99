"""User review campaigns."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from portal_core.models.identity import Role


class ReviewFlag(StrEnum):
    INACTIVE_90D = "inactive_90d"
    NEVER_SIGNED_IN = "never_signed_in"
    AFFILIATED_PROVIDER_LEFT = "affiliated_provider_left"
    MANY_ADMINS = "many_admins"


class ReviewDecisionKind(StrEnum):
    KEEP = "keep"
    DEACTIVATE = "deactivate"
    CHANGE_ROLE = "change_role"
    NARROW_AFFILIATIONS = "narrow_affiliations"
    REASSIGN = "reassign"


JUSTIFICATION_REQUIRED = {ReviewDecisionKind.DEACTIVATE, ReviewDecisionKind.CHANGE_ROLE}


class CampaignSummary(BaseModel):
    """A review campaign with its progress."""

    id: int
    tin: str
    tin_name: str
    opened_at: datetime
    due_date: date
    status: str
    """open | signed_off"""
    total: int
    decided: int
    signed_off_at: datetime | None = None
    evidence_document_id: int | None = None
    overdue: bool = False


class ReviewItemFilter(BaseModel):
    """Which items of a campaign to list or decide in bulk."""

    flag: ReviewFlag | None = None
    decided: bool | None = None
    """True: decided only; False: undecided only; None: all."""
    role: Role | None = None
    text: str = ""
    assigned_to_me: bool = False


class ReviewItem(BaseModel):
    """One user under review."""

    id: int
    user_id: int
    username: str
    full_name: str
    role: Role
    affiliations: list[str]
    last_sign_in_at: datetime | None
    flags: list[ReviewFlag]
    decision: ReviewDecisionKind | None = None
    new_role: Role | None = None
    new_affiliations: list[str] | None = None
    justification: str | None = None
    assigned_to: int | None = None
    decided_by: int | None = None
    decided_at: datetime | None = None
    result: str | None = None


class ReviewDecision(BaseModel):
    """A decision for one or many items."""

    decision: ReviewDecisionKind
    new_role: Role | None = None
    """For `change_role`."""
    new_affiliations: list[str] | None = None
    """For `narrow_affiliations`: the NPIs to keep."""
    justification: str | None = None
    """Required for `deactivate` and `change_role`."""
    reassign_to: int | None = None
    """For `reassign`: the user who will decide."""


class BulkDecision(BaseModel):
    """A decision over a selection of items or over everything a filter matches."""

    decision: ReviewDecision
    item_ids: list[int] | None = None
    filter: ReviewItemFilter | None = None
    overwrite: bool = False
    """False: only undecided items change, decided ones stay as decided. True: decided items are
    decided again too (the administrator chose to overwrite them)."""


class BulkDecisionPreview(BaseModel):
    """What a bulk decision would change, counted before it is applied."""

    matched: int
    """Items the selection or filter names."""
    undecided: int
    """Of those, the items without a decision."""
    decided: dict[ReviewDecisionKind, int] = Field(default_factory=dict)
    """Of those, the items decided already, counted per decision."""
    will_change: int
    """The items the bulk decision sets: the undecided ones, or every match with `overwrite`."""


class SignOffResult(BaseModel):
    """What sign-off applied."""

    campaign_id: int
    applied: dict[str, int] = Field(default_factory=dict)
    """Count per decision kind."""
    evidence_document_id: int
