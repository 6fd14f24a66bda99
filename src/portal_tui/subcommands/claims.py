"""`portal claims search`, `portal claims show` and `portal claims report` (signs in as
PORTAL_USERNAME)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import echo, emit, emit_json, format_option, say

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.claims import ClaimDetail, ClaimReportResult, ClaimSummary

CLAIM_COLUMNS = (
    "claim_number", "member_id", "member_name", "tin", "rendering_npi", "service_from",
    "service_to", "status", "status_code", "billed", "allowed", "paid", "patient_responsibility",
    "payment_number", "denial_carc",
)  # fmt: skip
LINE_COLUMNS = (
    "line_number", "service_date", "procedure_code", "modifiers", "units", "billed", "allowed",
    "paid", "adjustments", "remarks",
)  # fmt: skip
MAX_ROWS = 10_000
"""Most claims `claims search` prints."""


@click.group("claims")
def claims_group() -> None:
    """Claims: search, detail and reports (signs in as PORTAL_USERNAME)."""


@claims_group.command("search")
@click.option("--claim-number")
@click.option("--member-id")
@click.option("--tin")
@click.option("--npi", help="Rendering provider.")
@click.option("--status", help="received, pending, paid, denied, adjusted or rejected.")
@click.option("--from", "service_from", help="First date of service.")
@click.option("--to", "service_to", help="Last date of service.")
@click.option("--payment-number", help="Check or EFT number.")
@click.option("--limit", default=100, show_default=True, help="Most claims to print.")
@format_option()
@click.pass_obj
def search(context: CliContext, /, limit: int, output_format: str, **fields: str | None) -> None:
    """Claims by number; by member and dates; by TIN or NPI, status and dates; by payment."""
    from portal_core.models.claims import ClaimSearch

    query = ClaimSearch(**fields)
    wanted = max(1, min(limit, MAX_ROWS))

    async def work(client: PortalClient) -> list[ClaimSummary]:
        found: list[ClaimSummary] = []
        after: str | None = None
        while len(found) < wanted:
            page = await client.search_claims(query, after=after, limit=min(500, wanted))
            found.extend(page.items)
            after = page.next_cursor
            if after is None:
                break
        return found[:wanted]

    rows = context.as_user(work)
    emit([c.model_dump() for c in rows], CLAIM_COLUMNS, output_format)


def line_rows(claim: ClaimDetail) -> list[dict[str, Any]]:
    """A claim's lines with their adjustments and remarks decoded into one cell each."""
    rows = []
    for line in claim.lines:
        row = line.model_dump()
        row["modifiers"] = ",".join(line.modifiers)
        row["adjustments"] = "; ".join(
            f"{a.group_code}-{a.carc} {a.amount}: {a.carc_text}" for a in line.adjustments
        )
        row["remarks"] = "; ".join(f"{r.rarc}: {r.text}" for r in line.remarks)
        rows.append(row)
    return rows


@claims_group.command("show")
@click.argument("claim_number")
@format_option()
@click.pass_obj
def show(context: CliContext, claim_number: str, output_format: str) -> None:
    """One claim with its lines and decoded adjustment and remark codes."""

    async def work(client: PortalClient) -> ClaimDetail:
        return await client.get_claim(claim_number)

    claim = context.as_user(work)
    if output_format == "json":
        emit_json(claim.model_dump())
        return
    emit([claim.model_dump()], CLAIM_COLUMNS, output_format)
    if output_format == "table":
        echo(f"\n{claim.status}: {claim.status_text}")
        if claim.denial_next_step:
            echo(f"Next step: {claim.denial_next_step}")
            if claim.appeal_deadline:
                echo(f"Appeal by: {claim.appeal_deadline}")
        echo()
    emit(line_rows(claim), LINE_COLUMNS, output_format)


@claims_group.command("report")
@click.option("--name", help="Run the saved report of this name.")
@click.option("--save", "save_as", help="Save these filters and columns under this name.")
@click.option("--column", "columns", multiple=True, help="A column to show (repeat; default all).")
@click.option("--tin")
@click.option("--npi")
@click.option("--status")
@click.option("--from", "service_from")
@click.option("--to", "service_to")
@click.option("--denial-code", "denial_carc", help="Only claims denied for this CARC.")
@format_option()
@click.pass_obj
def report(
    context: CliContext,
    /,
    name: str | None,
    save_as: str | None,
    columns: tuple[str, ...],
    output_format: str,
    **filters: str | None,
) -> None:
    """Run a custom claims report (at most 10,000 rows); optionally save its definition."""
    from portal_core.errors import NotFound
    from portal_core.models.claims import ClaimReportDefinition

    async def work(client: PortalClient) -> ClaimReportResult:
        if name:
            saved = {r.name: r for r in await client.list_claim_reports()}
            if name not in saved:
                raise NotFound("No saved report has that name.")
            definition = saved[name].definition
        else:
            definition = ClaimReportDefinition(columns=list(columns), **filters)
        if save_as:
            await client.save_claim_report(definition.model_copy(update={"name": save_as}))
        return await client.run_claim_report(definition)

    result = context.as_user(work)
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    emit(rows, result.columns, output_format)
    if result.truncated:
        say("Only the first 10,000 claims are shown; narrow the filters.")


COMMANDS = [claims_group]
"""What this module adds to `portal`."""
