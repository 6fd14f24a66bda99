"""`portal payments search`: payments (EOPs) by number, TIN and dates (signs in as
PORTAL_USERNAME)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import emit, format_option

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.claims import PaymentSummary

PAYMENT_COLUMNS = (
    "payment_number", "payment_date", "method", "payee_tin", "payee_name", "total", "claim_count",
)  # fmt: skip


@click.group("payments")
def payments_group() -> None:
    """Payments and Explanations of Payment (signs in as PORTAL_USERNAME)."""


@payments_group.command("search")
@click.option("--payment-number", help="Check or EFT number.")
@click.option("--tin")
@click.option("--from", "paid_from", help="First payment date.")
@click.option("--to", "paid_to", help="Last payment date.")
@click.option("--limit", default=100, show_default=True)
@format_option()
@click.pass_obj
def search(context: CliContext, /, limit: int, output_format: str, **fields: str | None) -> None:
    """Payments, newest first."""
    from portal_core.models.claims import PaymentSearch

    query = PaymentSearch(**fields)
    wanted = max(1, min(limit, 10_000))

    async def work(client: PortalClient) -> list[PaymentSummary]:
        found: list[PaymentSummary] = []
        after: str | None = None
        while len(found) < wanted:
            page = await client.search_payments(query, after=after, limit=min(500, wanted))
            found.extend(page.items)
            after = page.next_cursor
            if after is None:
                break
        return found[:wanted]

    rows = context.as_user(work)
    emit([p.model_dump() for p in rows], PAYMENT_COLUMNS, output_format)


COMMANDS = [payments_group]
"""What this module adds to `portal`."""
