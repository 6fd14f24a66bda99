"""Members as the screens show them: eligibility answers, coverage, PCPs and care plans as plain
text lines (the screens escape them with `printable` before showing)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal_core.models.members import (
        CarePlan,
        CostSharing,
        EligibilityResult,
        MemberDetail,
        NetworkResult,
        PcpBrief,
    )


def day(value: date | None, missing: str = "—") -> str:
    """`11/23/2026`, or `missing` for no date."""
    return f"{value:%m/%d/%Y}" if value is not None else missing


def money(amount: Decimal) -> str:
    """`$1,234.50`."""
    return f"${amount:,.2f}"


def cost_sharing_text(cost: CostSharing) -> str:
    """A plan's copays, coinsurance, deductible and out-of-pocket maximum on one line."""
    return (
        f"PCP copay {money(cost.pcp_copay)} · specialist {money(cost.specialist_copay)} · "
        f"coinsurance {cost.coinsurance_percent}% · deductible {money(cost.deductible)} · "
        f"out-of-pocket max {money(cost.out_of_pocket_max)}"
    )


def pcp_text(pcp: PcpBrief | None) -> str:
    """`Dr. Rivera (NPI 1234567893) since 01/01/2025`, or `none on file`."""
    if pcp is None:
        return "none on file"
    until = f" to {day(pcp.end_date)}" if pcp.end_date else ""
    return f"{pcp.name} (NPI {pcp.npi}) since {day(pcp.start_date)}{until}"


def eligibility_text(result: EligibilityResult) -> str:
    """The answer to a lookup: covered or not, plan, product, PCP, cost sharing, network."""
    covered = "COVERED" if result.active else "NOT COVERED"
    lines = [
        f"{result.first_name} {result.last_name}   {result.member_id}   "
        f"born {day(result.birth_date)}",
        f"{covered} on {day(result.service_date)}",
        "",
    ]
    if result.plan is not None:
        lines += [
            f"Plan       {result.plan.name} ({result.plan.plan_id})",
            f"Product    {result.plan.product_line}",
            f"Group      {result.group_number or '—'}",
            f"Coverage   {day(result.coverage_start)} to {day(result.coverage_end, 'open')}",
            f"Cost       {cost_sharing_text(result.plan.cost_sharing)}",
        ]
    else:
        lines.append("Plan       no coverage on that date")
    lines.append(f"PCP        {pcp_text(result.pcp)}")
    if result.in_network is None:
        network = result.network_note
    else:
        word = "In network" if result.in_network else "OUT OF NETWORK"
        network = f"{word} (NPI {result.npi}): {result.network_note}"
    lines.append(f"Network    {network}")
    return "\n".join(lines)


def member_text(member: MemberDetail) -> str:
    """A member's facts, current plan and cost sharing, coverage spans and PCPs."""
    lines = [
        f"Member     {member.member_id}",
        f"Name       {member.first_name} {member.last_name}",
        f"Born       {day(member.birth_date)}   Sex {member.sex}",
        f"Address    {member.address}",
        f"Phone      {member.phone}",
        "",
    ]
    plan = member.current_plan
    if plan is not None:
        lines += [
            f"Plan       {plan.name} ({plan.plan_id}), {plan.product_line}",
            f"Cost       {cost_sharing_text(plan.cost_sharing)}",
        ]
    else:
        lines.append("Plan       not covered today")
    lines += ["", "Coverage"]
    for span in member.coverage:
        lines.append(
            f"  {day(span.effective_date)} to {day(span.end_date, 'open')}  {span.plan_name} "
            f"({span.product_line}), group {span.group_number}"
        )
    if not member.coverage:
        lines.append("  none on file")
    lines += ["", "Primary care providers"]
    lines += [f"  {pcp_text(pcp)}" for pcp in member.pcps] or ["  none on file"]
    return "\n".join(lines)


def care_plans_text(plans: list[CarePlan]) -> str:
    """Every care plan: problems, goals, interventions and care team."""
    if not plans:
        return "No care plans."
    lines: list[str] = []
    for plan in plans:
        lines += [f"{plan.title}   (updated {day(plan.updated_at.date())})"]
        for title, items in (
            ("Problems", plan.problems),
            ("Goals", plan.goals),
            ("Interventions", plan.interventions),
        ):
            lines.append(f"  {title}")
            lines += [f"    - {item}" for item in items] or ["    none"]
        lines.append("  Care team")
        lines += [
            f"    - {person.name}, {person.role}" + (f", {person.phone}" if person.phone else "")
            for person in plan.care_team
        ] or ["    none"]
        lines.append("")
    return "\n".join(lines).rstrip()


def network_text(result: NetworkResult) -> str:
    """The in-network answer and its reason."""
    word = "IN NETWORK" if result.in_network else "NOT IN NETWORK"
    return (
        f"{word}\n\n"
        f"Provider   {result.provider_name} (NPI {result.npi})\n"
        f"Plan       {result.plan_name} ({result.plan_id})\n"
        f"On         {day(result.on_date)}\n"
        f"Why        {result.reason}"
    )
