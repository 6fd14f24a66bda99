"""The `portal` command group (Click): global options and the subcommands for operators and scripts.

Data goes to stdout and messages to stderr, all of it through `output`, which makes text from
records inert (no control character reaches the terminal). A `PortalError` prints its message on
stderr and exits 2; a check that finds a problem (`doctor`, `audit verify`) exits 1.
"""

from __future__ import annotations

from typing import Any

import click

from portal_core import __version__
from portal_core.errors import PortalError
from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import echo, say


class PortalGroup(click.Group):
    """A group that turns a `PortalError` into its message and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PortalError as error:
            say(error.message)
            ctx.exit(2)


@click.group(cls=PortalGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="portal", message="%(prog)s %(version)s")
@click.option("--server", metavar="URL", help="Work with a `portal serve` endpoint.")
@click.option("--profile", metavar="NAME", help="Use a named profile from the config file.")
@click.option("--database-url", metavar="URL", help="SQLAlchemy URL of the embedded backend.")
@click.pass_context
def portal(
    ctx: click.Context, server: str | None, profile: str | None, database_url: str | None
) -> None:
    """A keyboard-first terminal client for the provider portal.

    Without a command, starts the terminal app.
    """
    context = CliContext(server=server, profile=profile, database_url=database_url)
    ctx.obj = context
    ctx.call_on_close(context.close)
    if ctx.invoked_subcommand is None:
        from portal_tui.cli import launch_tui

        ctx.exit(launch_tui(server=server, profile=profile, database_url=database_url))


@portal.command()
def version() -> None:
    """Print the version."""
    echo(f"portal {__version__}")


def _register() -> None:
    from portal_tui.subcommands import (
        admissions,
        audit,
        claims,
        database,
        demo,
        documents,
        mail,
        members,
        messages,
        payments,
        preauth,
        providers,
        referrals,
        reviews,
        serve,
        session,
        users,
    )

    for module in (
        database,
        demo,
        audit,
        reviews,
        users,
        mail,
        serve,
        session,
        members,
        claims,
        payments,
        messages,
        documents,
        preauth,
        providers,
        admissions,
        referrals,
    ):
        for command in module.COMMANDS:
            portal.add_command(command)


_register()
