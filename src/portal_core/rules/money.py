"""Money as the portal keeps it: integer cents in the store, `Decimal` dollars in records.

`parse_amount` reads what a person types (`1,234.50`, `$80`, `80.5`) and refuses anything that is
not a non-negative amount to the cent.
"""

from __future__ import annotations

import re
from decimal import Decimal

from portal_core.errors import ValidationFailed

_AMOUNT = re.compile(r"\d{1,3}(,\d{3})*(\.\d{1,2})?|\d+(\.\d{1,2})?|\.\d{1,2}")

MAX_CENTS = 99_999_999_99
"""The largest amount the portal accepts (just under a billion dollars)."""


def parse_amount(value: str, field: str = "amount") -> int:
    """An amount in cents from text like `1,234.50` or `$80`; or `ValidationFailed`."""
    cleaned = value.strip().removeprefix("$").strip()
    if not _AMOUNT.fullmatch(cleaned):
        raise ValidationFailed(
            "An amount is dollars and up to two decimals, like 1234.50.", field=field
        )
    cents = int((Decimal(cleaned.replace(",", "")) * 100).to_integral_value())
    if cents > MAX_CENTS:
        raise ValidationFailed("That amount is too large.", field=field)
    return cents


def dollars(cents: int) -> Decimal:
    """Cents as a `Decimal` with two places."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_cents(cents: int) -> str:
    """Cents for display: `1,234.50`, `-12.00`."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d}"
