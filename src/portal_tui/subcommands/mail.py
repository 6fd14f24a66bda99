"""`portal mail outbox` and `portal mail send`: the operator's view of outgoing mail.

Without SMTP settings mail stays in the outbox, and the demo reads reset and address codes there
(`portal mail outbox --to ADDRESS`). It reads the database directly: no API serves it.
"""

from __future__ import annotations

from typing import Any

import click

from portal_core.rules.local_time import payer_time
from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import echo, emit, format_option, say

MAIL_COLUMNS = ("id", "to_address", "subject", "created_at", "sent_at", "attempts", "body")


@click.group("mail")
def mail_group() -> None:
    """The mail outbox."""


def _outbox_rows(
    context: CliContext, unsent: bool, limit: int, to: str | None
) -> list[dict[str, Any]]:
    from sqlalchemy import func, select

    from portal_core.store.schema import mail_outbox

    query = select(mail_outbox).order_by(mail_outbox.c.id.desc()).limit(limit)
    if unsent:
        query = query.where(mail_outbox.c.sent_at.is_(None))
    if to:
        query = query.where(func.lower(mail_outbox.c.to_address) == to.strip().lower())
    with context.database(migrate=True).read() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


@mail_group.command("outbox")
@click.option("--unsent", is_flag=True, help="Only mail not delivered yet.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--to", "to", metavar="ADDRESS", help="Only mail to this address.")
@format_option()
@click.pass_obj
def outbox(
    context: CliContext, unsent: bool, limit: int, to: str | None, output_format: str
) -> None:
    """The newest mails, with their text (reset and address codes included).

    An operator's view on the server's machine: it reads the database directly. The portal
    shows a signed-in user only the mail of their own account.
    """
    rows = _outbox_rows(context, unsent, limit, to)
    if output_format != "table":
        emit(rows, MAIL_COLUMNS, output_format)
        return
    if not rows:
        say("The outbox is empty.")
    for row in rows:
        sent = f"sent {payer_time(row['sent_at'])}" if row["sent_at"] else "not sent"
        echo(f"#{row['id']}  {payer_time(row['created_at'])}  {sent}")
        echo(f"To: {row['to_address']}\nSubject: {row['subject']}\n")
        echo(row["body"].rstrip("\n"))
        echo("-" * 72)


@mail_group.command("send")
@click.pass_obj
def send(context: CliContext) -> None:
    """Deliver the outbox over SMTP (the `[mail]` settings)."""
    from portal_core.services.mail import deliver_outbox

    settings = context.settings()
    if not settings.mail.smtp_host:
        say("No SMTP server is configured ([mail] smtp_host); mail stays in the outbox.")
        return
    services = context.services()
    sent = deliver_outbox(services.db, settings.mail, services.clock)
    say(f"Delivered {sent} mail(s).")


COMMANDS = [mail_group]
"""What this module adds to `portal`."""
