"""`portal demo seed`: fill an empty database with the deterministic demo data."""

from __future__ import annotations

import click

from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import say


@click.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("seed")
@click.option(
    "--scale",
    type=click.Choice(["small", "large"]),
    default="small",
    show_default=True,
    help="small: five TINs, ~90 users; large: adds a TIN with 10,000 users under review.",
)
@click.option("--if-empty", is_flag=True, help="Seed only when the database has no users.")
@click.option("--quiet", is_flag=True, help="Print nothing when all is well.")
@click.pass_obj
def seed_command(context: CliContext, scale: str, if_empty: bool, quiet: bool) -> None:
    """Write the demo organizations, users, review campaign, documents and notices."""
    from portal_core.clock import Clock
    from portal_core.demo import DEMO_PASSWORD, is_empty, seed
    from portal_core.services.audit import checkpoint_now

    db = context.database(migrate=True)
    if if_empty and not is_empty(db):
        if not quiet:
            say("The database already has users; nothing seeded.")
        return
    report = seed(db, scale)
    checkpoint_now(db, Clock().now())  # the demo's audit log sealed as seeded
    if not quiet:
        say(
            f"Seeded the {scale} demo: {report.users} users, {report.providers} providers, "
            f"{report.tins} TINs, {len(report.campaign_ids)} open review(s), "
            f"{report.members} members, {report.claims} claims, {report.payments} payments.\n"
            f"Sign in as admin.lakeside (or any demo user) with the password {DEMO_PASSWORD}."
        )


COMMANDS = [demo_group]
"""What this module adds to `portal`."""
