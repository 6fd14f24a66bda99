"""Claim statuses and the X12 277 claim status categories each one reports."""

from __future__ import annotations

from enum import StrEnum

from portal_core.errors import ValidationFailed


class ClaimStatus(StrEnum):
    """Where a claim stands."""

    RECEIVED = "received"
    PENDING = "pending"
    PAID = "paid"
    DENIED = "denied"
    ADJUSTED = "adjusted"
    REJECTED = "rejected"


STATUS_CATEGORIES: dict[ClaimStatus, tuple[str, ...]] = {
    ClaimStatus.RECEIVED: ("A1", "A2"),
    ClaimStatus.PENDING: ("P0", "P1", "P2", "P3", "P4", "P5"),
    ClaimStatus.PAID: ("F1",),
    ClaimStatus.DENIED: ("F2",),
    ClaimStatus.ADJUSTED: ("F3",),
    ClaimStatus.REJECTED: ("A3", "A6", "A7", "A8"),
}
"""The 277 category codes each status may carry."""

CATEGORY_TEXT: dict[str, str] = {
    "A1": "Acknowledgement/Receipt: the claim has been received.",
    "A2": "Acknowledgement/Acceptance into adjudication system.",
    "A3": "Acknowledgement/Returned as unprocessable claim.",
    "A6": "Acknowledgement/Rejected for missing information.",
    "A7": "Acknowledgement/Rejected for invalid information.",
    "A8": "Acknowledgement/Rejected for relational field in error.",
    "P0": "Pending: adjudication/details are not available yet.",
    "P1": "Pending/In process: the claim is being adjudicated.",
    "P2": "Pending/Payer review: the claim is under review by the payer.",
    "P3": "Pending/Provider requested information: information requested from the provider.",
    "P4": "Pending/Patient requested information: information requested from the patient.",
    "P5": "Pending/Payer administrative/system hold.",
    "F1": "Finalized/Payment: the claim has been paid.",
    "F2": "Finalized/Denial: the claim has been denied.",
    "F3": "Finalized/Revised: adjudication information has been changed.",
}
"""What each 277 category code means, in the portal's words."""


def parse_status(value: str) -> ClaimStatus:
    """A claim status by name; or `ValidationFailed` listing the names."""
    try:
        return ClaimStatus(value.strip().lower())
    except ValueError as error:
        names = ", ".join(s.value for s in ClaimStatus)
        raise ValidationFailed(f"A claim status is one of: {names}.", field="status") from error


def category_text(code: str) -> str:
    """The words for a 277 category code (empty for an unknown one)."""
    return CATEGORY_TEXT.get(code, "")
