"""The orders a claim search can list its results in."""

from __future__ import annotations

from portal_core.errors import ValidationFailed

CLAIM_SORTS: dict[str, str] = {
    "service_date": "Service date",
    "billed": "Billed",
    "paid": "Paid",
    "status": "Status",
    "claim_number": "Claim number",
}
"""Sort keys and their names, in the order a user cycles through them."""

DEFAULT_SORT = "service_date"
"""Newest service first unless asked otherwise."""


def parse_sort(value: str | None) -> str:
    """A sort key from `CLAIM_SORTS` (the default when empty); `ValidationFailed` otherwise."""
    key = (value or "").strip().lower() or DEFAULT_SORT
    if key not in CLAIM_SORTS:
        raise ValidationFailed(
            "Sort by one of: " + ", ".join(CLAIM_SORTS) + ".",
            field="sort",
        )
    return key


def next_sort(key: str, descending: bool) -> tuple[str, bool]:
    """The order after (`key`, `descending`) when a user cycles: each key descending, then
    ascending, then the next key."""
    if descending:
        return key, False
    keys = list(CLAIM_SORTS)
    return keys[(keys.index(key) + 1) % len(keys)], True
