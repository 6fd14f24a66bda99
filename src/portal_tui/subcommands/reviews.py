"""`portal reviews ...`: user review campaigns from a script (list, export evidence, reminders)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from portal_core import paths
from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import echo, emit, format_option, say

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.reviews import CampaignSummary

CAMPAIGN_COLUMNS = ("id", "tin", "tin_name", "status", "opened_at", "due_date", "decided", "total")


@click.group("reviews")
def reviews_group() -> None:
    """User review campaigns (signs in as PORTAL_USERNAME)."""


@reviews_group.command("list")
@format_option()
@click.pass_obj
def list_campaigns(context: CliContext, output_format: str) -> None:
    """Review campaigns of your TINs, newest first."""

    async def work(client: PortalClient) -> list[CampaignSummary]:
        return await client.list_campaigns()

    campaigns = context.as_user(work)
    rows = [{**c.model_dump(), "status": "overdue" if c.overdue else c.status} for c in campaigns]
    emit(rows, CAMPAIGN_COLUMNS, output_format)


@reviews_group.command("export")
@click.argument("campaign_id", type=int)
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["csv", "text"]),
    default="csv",
    show_default=True,
    help="CSV for spreadsheets, text for a readable report.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (mode 0600) instead of stdout.",
)
@click.pass_obj
def export(context: CliContext, campaign_id: int, export_format: str, output: Path | None) -> None:
    """The evidence report of a campaign: who decided what, when and why."""

    async def work(client: PortalClient) -> bytes:
        return await client.export_evidence(campaign_id, export_format)

    content = context.as_user(work)
    if output is None:
        # To the terminal (or a pipe) as inert text; the file keeps the exact bytes.
        text = content.decode("utf-8", errors="replace").replace("\r\n", "\n")
        echo(text.removesuffix("\n"))
        return
    paths.write_private_file(output, content)
    say(f"Wrote {output}.")


@reviews_group.command("remind")
@click.pass_obj
def remind(context: CliContext) -> None:
    """Send the reminders due today (7, 3 and 1 days before a review's due date)."""
    sent = context.services().reviews.send_reminders()
    say(f"Sent {sent} reminder(s).")


COMMANDS = [reviews_group]
"""What this module adds to `portal`."""
