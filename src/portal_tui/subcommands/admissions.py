"""`portal admissions list`, `portal admissions queue` and `portal admissions show` (signs in as
PORTAL_USERNAME)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import click

from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import echo, emit, emit_json, format_option

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.admissions import AdmissionDetail, AdmissionSummary
    from portal_core.models.common import Page

ADMISSION_COLUMNS = (
    "number", "status", "member_id", "member_name", "facility_npi", "facility_name",
    "admission_type", "admitted_at", "notified_at", "due_at", "late", "approved_days",
    "next_review_date",
)  # fmt: skip
REVIEW_COLUMNS = (
    "at", "kind", "outcome", "approved_days", "next_review_date", "final", "reviewer_username",
    "reason",
)  # fmt: skip
STATUSES = ("draft", "notified", "in_review", "discharged", "cancelled")
MAX_ROWS = 10_000
"""Most admissions a listing prints."""

Fetch = Callable[["PortalClient", str | None, int], Awaitable["Page[AdmissionSummary]"]]


def _collect(context: CliContext, fetch: Fetch, limit: int) -> list[AdmissionSummary]:
    wanted = max(1, min(limit, MAX_ROWS))

    async def work(client: PortalClient) -> list[AdmissionSummary]:
        found: list[AdmissionSummary] = []
        after: str | None = None
        while len(found) < wanted:
            page = await fetch(client, after, min(500, wanted))
            found.extend(page.items)
            after = page.next_cursor
            if after is None:
                break
        return found[:wanted]

    return context.as_user(work)


@click.group("admissions")
def admissions_group() -> None:
    """Inpatient admission notifications and their review (signs in as PORTAL_USERNAME)."""


@admissions_group.command("list")
@click.option("--member", "member_id", help="Member ID.")
@click.option("--npi", help="The facility or the admitting provider.")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--tin")
@click.option("--late", "late_only", is_flag=True, help="Only notifications sent late.")
@click.option("--limit", default=100, show_default=True, help="Most admissions to print.")
@format_option()
@click.pass_obj
def list_admissions(
    context: CliContext,
    /,
    member_id: str | None,
    npi: str | None,
    status: str | None,
    tin: str | None,
    late_only: bool,
    limit: int,
    output_format: str,
) -> None:
    """Admission notifications you may see, newest first."""
    from portal_core.models.admissions import AdmissionQuery, AdmissionStatus

    query = AdmissionQuery(
        member_id=member_id,
        npi=npi,
        status=AdmissionStatus(status) if status else None,
        tin=tin,
        late_only=late_only,
    )

    async def fetch(client: PortalClient, after: str | None, size: int) -> Page[AdmissionSummary]:
        return await client.list_admissions(query, after=after, limit=size)

    rows = _collect(context, fetch, limit)
    emit([a.model_dump() for a in rows], ADMISSION_COLUMNS, output_format)


@admissions_group.command("queue")
@click.option("--limit", default=100, show_default=True, help="Most admissions to print.")
@format_option()
@click.pass_obj
def queue(context: CliContext, /, limit: int, output_format: str) -> None:
    """The reviewer's queue: open reviews, soonest review date first."""

    async def fetch(client: PortalClient, after: str | None, size: int) -> Page[AdmissionSummary]:
        return await client.admission_review_queue(after=after, limit=size)

    rows = _collect(context, fetch, limit)
    emit([a.model_dump() for a in rows], ADMISSION_COLUMNS, output_format)


@admissions_group.command("show")
@click.argument("number")
@format_option()
@click.pass_obj
def show(context: CliContext, number: str, output_format: str) -> None:
    """One admission with its review history."""

    async def work(client: PortalClient) -> AdmissionDetail:
        return await client.get_admission(number)

    admission = context.as_user(work)
    if output_format == "json":
        emit_json(admission.model_dump())
        return
    emit([admission.model_dump()], ADMISSION_COLUMNS, output_format)
    if output_format == "table":
        echo()
    emit([r.model_dump() for r in admission.reviews], REVIEW_COLUMNS, output_format)


COMMANDS = [admissions_group]
