"""`portal referrals list` and `portal referrals show` (signs in as PORTAL_USERNAME)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import echo, emit, emit_json, format_option

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.referrals import ReferralDetail, ReferralSummary

REFERRAL_COLUMNS = (
    "number", "status", "member_id", "member_name", "referring_npi", "referring_name",
    "specialist_npi", "specialist_name", "visits_authorized", "visits_used", "start_date",
    "end_date",
)  # fmt: skip
HISTORY_COLUMNS = ("at", "event", "username", "detail")
STATUSES = ("active", "used", "expired", "cancelled")
MAX_ROWS = 10_000
"""Most referrals `referrals list` prints."""


@click.group("referrals")
def referrals_group() -> None:
    """Referrals to specialists (signs in as PORTAL_USERNAME)."""


@referrals_group.command("list")
@click.option("--member", "member_id", help="Member ID.")
@click.option("--npi", help="The referring or the specialist provider.")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--tin")
@click.option("--limit", default=100, show_default=True, help="Most referrals to print.")
@format_option()
@click.pass_obj
def list_referrals(
    context: CliContext,
    /,
    member_id: str | None,
    npi: str | None,
    status: str | None,
    tin: str | None,
    limit: int,
    output_format: str,
) -> None:
    """Referrals you may see, newest start first."""
    from portal_core.models.referrals import ReferralQuery, ReferralStatus

    query = ReferralQuery(
        member_id=member_id,
        npi=npi,
        status=ReferralStatus(status) if status else None,
        tin=tin,
    )
    wanted = max(1, min(limit, MAX_ROWS))

    async def work(client: PortalClient) -> list[ReferralSummary]:
        found: list[ReferralSummary] = []
        after: str | None = None
        while len(found) < wanted:
            page = await client.list_referrals(query, after=after, limit=min(500, wanted))
            found.extend(page.items)
            after = page.next_cursor
            if after is None:
                break
        return found[:wanted]

    rows = context.as_user(work)
    emit([r.model_dump() for r in rows], REFERRAL_COLUMNS, output_format)


@referrals_group.command("show")
@click.argument("number")
@format_option()
@click.pass_obj
def show(context: CliContext, number: str, output_format: str) -> None:
    """One referral with its history."""

    async def work(client: PortalClient) -> ReferralDetail:
        return await client.get_referral(number)

    referral = context.as_user(work)
    if output_format == "json":
        emit_json(referral.model_dump())
        return
    emit([referral.model_dump()], REFERRAL_COLUMNS, output_format)
    if output_format == "table":
        echo()
    emit([e.model_dump() for e in referral.history], HISTORY_COLUMNS, output_format)


COMMANDS = [referrals_group]
