"""Dates people type, and the windows the portal allows for them.

- Eligibility: a date of service at most 24 months back and 90 days ahead of today.
- Claims: history goes back 24 months; a date range must run forwards.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from portal_core.errors import ValidationFailed

ELIGIBILITY_DAYS_BACK = 730
"""How far back a date of service may be for an eligibility lookup (24 months)."""

ELIGIBILITY_DAYS_AHEAD = 90
"""How far ahead a date of service may be for an eligibility lookup."""

CLAIM_HISTORY_DAYS = 730
"""How far back claims are kept for search (24 months)."""

_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%Y%m%d")


def parse_date(value: str | date, field: str = "date") -> date:
    """A date from `2026-11-23`, `11/23/2026`, `11-23-2026` or `20261123`; or `ValidationFailed`."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    cleaned = value.strip()
    for pattern in _FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    raise ValidationFailed("Enter a date like 2026-11-23 or 11/23/2026.", field=field)


def check_birth_date(birth_date: date, today: date) -> date:
    """A plausible date of birth (not in the future, not over 130 years ago)."""
    if birth_date > today or birth_date < today.replace(year=today.year - 130):
        raise ValidationFailed("That date of birth is not possible.", field="birth_date")
    return birth_date


def check_eligibility_date(service_date: date, today: date) -> date:
    """A date of service inside the eligibility window, or `ValidationFailed` saying which end."""
    if service_date < today - timedelta(days=ELIGIBILITY_DAYS_BACK):
        raise ValidationFailed(
            "Eligibility goes back 24 months; choose a later date of service.",
            field="service_date",
        )
    if service_date > today + timedelta(days=ELIGIBILITY_DAYS_AHEAD):
        raise ValidationFailed(
            "Eligibility can be checked up to 90 days ahead; choose an earlier date of service.",
            field="service_date",
        )
    return service_date


def claim_history_start(today: date) -> date:
    """The earliest date of service claim searches reach."""
    return today - timedelta(days=CLAIM_HISTORY_DAYS)


def check_range(start: date | None, end: date | None, field: str = "service_from") -> None:
    """`ValidationFailed` when a date range runs backwards."""
    if start is not None and end is not None and start > end:
        raise ValidationFailed("The start date is after the end date.", field=field)
