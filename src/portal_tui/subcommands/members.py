"""`portal members eligibility` and `portal members panel` (sign in as PORTAL_USERNAME)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import emit, format_option

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.common import Page
    from portal_core.models.members import EligibilityResult, PanelMember

ELIGIBILITY_COLUMNS = (
    "member_id", "last_name", "first_name", "birth_date", "service_date", "active", "plan_id",
    "product_line", "group_number", "coverage_start", "coverage_end", "pcp_npi", "pcp_name",
    "pcp_copay", "specialist_copay", "coinsurance_percent", "deductible", "in_network",
    "network_note",
)  # fmt: skip
PANEL_COLUMNS = (
    "member_id", "last_name", "first_name", "birth_date", "assigned_since", "active", "plan_id",
    "product_line",
)  # fmt: skip


@click.group("members")
def members_group() -> None:
    """Member eligibility and PCP panels (signs in as PORTAL_USERNAME)."""


def eligibility_row(result: EligibilityResult) -> dict[str, Any]:
    """One eligibility answer as a flat row."""
    row: dict[str, Any] = result.model_dump()
    plan = result.plan
    row["plan_id"] = plan.plan_id if plan else None
    row["product_line"] = plan.product_line if plan else None
    if plan:
        row.update(plan.cost_sharing.model_dump())
    row["pcp_npi"] = result.pcp.npi if result.pcp else None
    row["pcp_name"] = result.pcp.name if result.pcp else None
    return row


@members_group.command("eligibility")
@click.option("--member-id", help="The member ID (or give --last-name and --first-name).")
@click.option("--last-name")
@click.option("--first-name")
@click.option("--dob", "birth_date", required=True, help="Date of birth, like 1980-04-02.")
@click.option("--date", "service_date", help="Date of service (default today).")
@click.option("--npi", help="The provider to check the network for.")
@format_option()
@click.pass_obj
def eligibility(
    context: CliContext,
    member_id: str | None,
    last_name: str | None,
    first_name: str | None,
    birth_date: str,
    service_date: str | None,
    npi: str | None,
    output_format: str,
) -> None:
    """Is a member covered on a date of service, under which plan, with which PCP?"""
    from portal_core.models.members import EligibilityQuery

    query = EligibilityQuery(
        member_id=member_id,
        last_name=last_name,
        first_name=first_name,
        birth_date=birth_date,
        service_date=service_date,
        npi=npi,
    )

    async def work(client: PortalClient) -> EligibilityResult:
        return await client.check_eligibility(query)

    result = context.as_user(work)
    emit([eligibility_row(result)], ELIGIBILITY_COLUMNS, output_format)


@members_group.command("panel")
@click.option("--npi", required=True, help="The PCP's NPI.")
@click.option("--date", "on_date", help="The panel's date (default today).")
@format_option()
@click.pass_obj
def panel(context: CliContext, npi: str, on_date: str | None, output_format: str) -> None:
    """Members assigned to a PCP on a date, with their eligibility that day."""
    from portal_core.models.members import PanelQuery

    query = PanelQuery(npi=npi, on_date=on_date)

    async def work(client: PortalClient) -> list[PanelMember]:
        found: list[PanelMember] = []
        after: str | None = None
        while True:
            page: Page[PanelMember] = await client.pcp_panel(query, after=after, limit=1000)
            found.extend(page.items)
            after = page.next_cursor
            if after is None:
                return found

    rows = context.as_user(work)
    emit([m.model_dump() for m in rows], PANEL_COLUMNS, output_format)


COMMANDS = [members_group]
"""What this module adds to `portal`."""
