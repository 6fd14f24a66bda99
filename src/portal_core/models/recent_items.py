"""Recent items: the records a user opened lately, from the audit log of their own reads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class RecentItem(BaseModel):
    """One record the user opened (its kind and number only: no PHI values)."""

    record_kind: str
    """claim, member, payment, document, review_campaign, preauth, admission, referral…"""
    record_id: str
    """The record's number or id."""
    opened_at: datetime
    """When the user last opened it."""
