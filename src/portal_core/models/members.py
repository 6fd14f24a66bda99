"""Members: eligibility, coverage, PCP assignments, network checks, panels and care plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class EligibilityQuery(BaseModel):
    """One eligibility lookup: member ID + date of birth, or last and first name + date of birth."""

    member_id: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    birth_date: str
    """As typed (`1980-04-02` or `04/02/1980`); checked by the service."""
    service_date: str | None = None
    """The date of service (today when omitted): 24 months back to 90 days ahead."""
    npi: str | None = None
    """The searching provider, for the in-network answer (the user's own NPI when they have one)."""


class CostSharing(BaseModel):
    """A plan's cost-sharing basics."""

    pcp_copay: Decimal
    specialist_copay: Decimal
    coinsurance_percent: int
    deductible: Decimal
    out_of_pocket_max: Decimal


class PlanSummary(BaseModel):
    """A health plan product."""

    plan_id: str
    name: str
    product_line: str
    """commercial | medicare | medicaid"""
    cost_sharing: CostSharing


class PcpBrief(BaseModel):
    """A member's primary care provider on a date."""

    npi: str
    name: str
    start_date: date
    end_date: date | None


class EligibilityResult(BaseModel):
    """The answer to an eligibility lookup."""

    member_id: str
    first_name: str
    last_name: str
    birth_date: date
    service_date: date
    active: bool
    """Covered on the date of service."""
    plan: PlanSummary | None
    group_number: str | None
    coverage_start: date | None
    coverage_end: date | None
    pcp: PcpBrief | None
    in_network: bool | None
    """Whether `npi` participates in the member's plan on the date; None when no NPI was given."""
    network_note: str
    npi: str | None


class EligibilityBatchItem(BaseModel):
    """One line of a batch lookup: the result, or why there is none (in plain words)."""

    index: int
    """The line's position in the batch (from 0)."""
    result: EligibilityResult | None = None
    error: str | None = None


class CoverageSpan(BaseModel):
    """A member's coverage under one plan for a period."""

    plan_id: str
    plan_name: str
    product_line: str
    group_number: str
    effective_date: date
    end_date: date | None


class MemberDetail(BaseModel):
    """A member as the member detail screen shows them."""

    member_id: str
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    address: str
    phone: str
    coverage: list[CoverageSpan] = Field(default_factory=list)
    """Newest first."""
    pcps: list[PcpBrief] = Field(default_factory=list)
    """PCP assignments, newest first."""
    current_plan: PlanSummary | None = None
    care_plan_count: int = 0
    """How many care plans the member has (0 for a user who may not read them)."""


class NetworkQuery(BaseModel):
    """Is this provider in network for this plan on this date?"""

    npi: str
    plan_id: str
    on_date: str | None = None
    """Today when omitted."""


class NetworkResult(BaseModel):
    """The in-network answer and its reason."""

    npi: str
    provider_name: str
    plan_id: str
    plan_name: str
    on_date: date
    in_network: bool
    reason: str


class PanelQuery(BaseModel):
    """A PCP's member panel on a date."""

    npi: str
    on_date: str | None = None
    """Today when omitted."""


class PanelMember(BaseModel):
    """A member on a PCP's panel, with eligibility on the panel's date."""

    member_id: str
    first_name: str
    last_name: str
    birth_date: date
    assigned_since: date
    active: bool
    plan_id: str | None
    product_line: str | None


class CareTeamMember(BaseModel):
    """Someone on a member's care team."""

    name: str
    role: str
    phone: str = ""


class CarePlan(BaseModel):
    """A member's care plan."""

    id: int
    member_id: str
    title: str
    problems: list[str]
    goals: list[str]
    interventions: list[str]
    care_team: list[CareTeamMember]
    updated_at: datetime
