"""`portal audit verify` and `portal audit checkpoint`: check the audit log's keyed chain against
its signed checkpoints, and write a checkpoint now."""

from __future__ import annotations

import sys

import click

from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import echo


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@click.pass_obj
def verify(context: CliContext) -> None:
    """Check that no audit row was changed, removed or added, that the tail was not cut and the
    table not wiped; print each finding and exit 1 when there is any."""
    verdict = context.services().audit.verify()
    checked = (
        f"{verdict.rows_checked} rows checked against {verdict.checkpoints} signed checkpoint(s)"
    )
    if verdict.intact:
        echo(f"intact: {checked}")
    else:
        echo(f"TAMPERED: {len(verdict.findings)} finding(s) in {checked}:")
    for finding in verdict.findings:
        echo(f"- {finding}")
    for note in verdict.notes:
        echo(f"note: {note}")
    if not verdict.intact:
        sys.exit(1)


@audit_group.command("checkpoint")
@click.pass_obj
def checkpoint(context: CliContext) -> None:
    """Sign the log's row count and last hash now, into the database and the checkpoint file."""
    written = context.services().audit.checkpoint()
    if written is None:
        echo("The audit log is empty: nothing to checkpoint.")
        return
    echo(
        f"checkpoint: {written.seq} rows, up to row id {written.last_id} "
        f"(head {written.head_hash[:12]}...)"
    )


COMMANDS = [audit_group]
"""What this module adds to `portal`."""
