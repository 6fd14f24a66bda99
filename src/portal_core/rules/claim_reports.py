"""Custom claims reports: the columns a report may show and how many rows a run returns."""

from __future__ import annotations

from collections.abc import Sequence

from portal_core.errors import ValidationFailed

MAX_REPORT_ROWS = 10_000
"""Rows a report run returns at most."""

REPORT_COLUMNS: dict[str, str] = {
    "claim_number": "Claim number",
    "patient_account": "Patient account",
    "member_id": "Member ID",
    "member_name": "Member",
    "tin": "TIN",
    "billing_npi": "Billing NPI",
    "rendering_npi": "Rendering NPI",
    "claim_type": "Type",
    "service_from": "Service from",
    "service_to": "Service to",
    "received_date": "Received",
    "status": "Status",
    "status_code": "277 category",
    "billed": "Billed",
    "allowed": "Allowed",
    "paid": "Paid",
    "patient_responsibility": "Patient responsibility",
    "payment_number": "Payment",
    "denial_carc": "Denial reason",
}
"""Report columns and their headings, in the default order."""

MAX_NAME = 100
"""Longest report name."""


def check_columns(columns: Sequence[str]) -> list[str]:
    """The chosen columns in order (all when none chosen); `ValidationFailed` for unknown ones."""
    if not columns:
        return list(REPORT_COLUMNS)
    unknown = [c for c in columns if c not in REPORT_COLUMNS]
    if unknown:
        raise ValidationFailed(
            f"Unknown report column: {', '.join(unknown)}. Choose from: "
            + ", ".join(REPORT_COLUMNS)
            + ".",
            field="columns",
        )
    return list(dict.fromkeys(columns))


def check_name(name: str) -> str:
    """A report name of 1 to 100 characters."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME:
        raise ValidationFailed("A report name is 1 to 100 characters.", field="name")
    return cleaned
