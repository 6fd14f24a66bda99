"""`portal users list`: the users of a TIN, for scripts and audits (signs in as PORTAL_USERNAME)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from portal_core.models.users import USER_EXPORT_COLUMNS
from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import emit, format_option

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.users import UserSummary

USER_COLUMNS = USER_EXPORT_COLUMNS


@click.group("users")
def users_group() -> None:
    """Portal users (signs in as PORTAL_USERNAME)."""


@users_group.command("list")
@click.option("--tin", help="The Tax ID (default: your active one); payer staff omit it.")
@format_option()
@click.pass_obj
def list_users(context: CliContext, tin: str | None, output_format: str) -> None:
    """Every user of a TIN you manage, by username."""
    from portal_core.models.users import UserFilter
    from portal_core.rules.identifiers import parse_tin

    async def work(client: PortalClient) -> list[UserSummary]:
        chosen = parse_tin(tin) if tin else (await client.account()).active_tin
        found: list[UserSummary] = []
        after: str | None = None
        while True:
            page = await client.list_users(UserFilter(tin=chosen), after=after, limit=500)
            found.extend(page.items)
            after = page.next_cursor
            if after is None:
                return found

    users = context.as_user(work)
    emit([user.model_dump() for user in users], USER_COLUMNS, output_format)


COMMANDS = [users_group]
"""What this module adds to `portal`."""
