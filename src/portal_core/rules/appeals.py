"""When a grievance or appeal on a claim may be filed: within 180 days of the denial, one open at a
time per claim."""

from __future__ import annotations

from datetime import date, timedelta

from portal_core.errors import Conflict, ValidationFailed

APPEAL_WINDOW_DAYS = 180
"""Days after the denial within which a grievance or appeal may be filed."""

APPEAL_KINDS = ("grievance", "appeal")
"""What a provider may file against a claim decision."""


def appeal_deadline(denied_on: date) -> date:
    """The last day an appeal of a denial on `denied_on` may be filed."""
    return denied_on + timedelta(days=APPEAL_WINDOW_DAYS)


def check_appeal_allowed(denied_on: date | None, today: date, open_count: int) -> None:
    """`Conflict` or `ValidationFailed` when an appeal may not be filed now."""
    if denied_on is None:
        raise Conflict("Only a denied or partly denied claim can be appealed.")
    if today > appeal_deadline(denied_on):
        raise Conflict(
            f"The 180 days to appeal this denial ended on {appeal_deadline(denied_on):%B %d, %Y}."
        )
    if open_count:
        raise Conflict("This claim already has an open grievance or appeal; wait for its answer.")


def parse_appeal_kind(value: str) -> str:
    """`grievance` or `appeal`; or `ValidationFailed`."""
    cleaned = value.strip().lower()
    if cleaned not in APPEAL_KINDS:
        raise ValidationFailed("Choose a grievance or an appeal.", field="kind")
    return cleaned
