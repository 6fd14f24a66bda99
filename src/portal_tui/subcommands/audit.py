"""`portal audit verify`: check the audit log's hash chain."""

from __future__ import annotations

import sys

import click

from portal_tui.subcommands.context import CliContext


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@click.pass_obj
def verify(context: CliContext) -> None:
    """Check that no audit row was changed, removed or added; exit 1 naming the first bad row."""
    verdict = context.services().audit.verify()
    if verdict.intact:
        click.echo(f"intact: {verdict.rows_checked} rows checked")
        return
    click.echo(f"broken at audit row {verdict.first_bad_id}: {verdict.problem}")
    sys.exit(1)


COMMANDS = [audit_group]
"""What this module adds to `portal`."""
