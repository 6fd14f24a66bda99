"""`portal providers search`: the provider directory (signs in as PORTAL_USERNAME)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import emit, format_option

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.common import Page
    from portal_core.models.providers import ProviderSummary

COLUMNS = ("npi", "name", "kind", "specialty", "phone", "panel_status", "city", "state", "zip")
"""The columns printed, in order."""

MAX_ROWS = 10_000
"""Most providers one search prints."""


@click.group("providers")
def providers_group() -> None:
    """The provider directory (signs in as PORTAL_USERNAME)."""


@providers_group.command("search")
@click.option("--npi", help="A 10-digit NPI.")
@click.option("--name", help="Part of the provider's name, any case.")
@click.option("--specialty", help="Part of a specialty, any case.")
@click.option("--city")
@click.option("--state", help="Two letters, like IL.")
@click.option("--zip", "zip_code", help="The ZIP code's first 3 to 5 digits.")
@click.option("--plan", "plan_id", help="In this plan's network today.")
@click.option(
    "--accepting/--not-accepting",
    "accepting",
    default=None,
    help="Open panels only (or closed ones only).",
)
@click.option("--limit", default=1000, show_default=True, help="Most providers to print.")
@format_option()
@click.pass_obj
def search(
    context: CliContext,
    npi: str | None,
    name: str | None,
    specialty: str | None,
    city: str | None,
    state: str | None,
    zip_code: str | None,
    plan_id: str | None,
    accepting: bool | None,
    limit: int,
    output_format: str,
) -> None:
    """Providers matching every option given, by name (none given lists everyone)."""
    from portal_core.models.providers import ProviderSearch

    query = ProviderSearch(
        npi=npi,
        name=name,
        specialty=specialty,
        city=city,
        state=state,
        zip=zip_code,
        plan_id=plan_id,
        accepting_new_patients=accepting,
    )
    wanted = max(1, min(limit, MAX_ROWS))

    async def work(client: PortalClient) -> list[ProviderSummary]:
        found: list[ProviderSummary] = []
        after: str | None = None
        while len(found) < wanted:
            page: Page[ProviderSummary] = await client.search_providers(
                query, after=after, limit=min(200, wanted - len(found))
            )
            found.extend(page.items)
            after = page.next_cursor
            if after is None:
                break
        return found[:wanted]

    rows = context.as_user(work)
    emit([p.model_dump() for p in rows], COLUMNS, output_format)


COMMANDS = [providers_group]
"""What this module adds to `portal`."""
