"""Announcements: news a payer administrator publishes to every organization or to product lines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

ProductLine = Literal["commercial", "medicare", "medicaid"]
"""A product line an announcement may be aimed at."""

AnnouncementKind = Literal["portal_update", "review_notice", "policy"]
"""What an announcement is about."""


class NewAnnouncement(BaseModel):
    """What a payer administrator publishes."""

    title: str = Field(max_length=200)
    """The headline."""
    body: str = Field(max_length=5000)
    """The text (plain text)."""
    kind: AnnouncementKind = "portal_update"
    """A portal update, a "time to review your portal users" notice, or a policy change."""
    audience: list[ProductLine] = Field(default_factory=list)
    """The product lines it is for; empty means every organization."""
    published_at: datetime | None = None
    """When it starts to show; None means now."""
    expires_at: datetime | None = None
    """When it stops showing; None means it shows until withdrawn."""


class Announcement(BaseModel):
    """A published announcement as a reader sees it."""

    id: int
    title: str
    body: str
    kind: AnnouncementKind
    audience: list[ProductLine]
    """Empty: every organization."""
    published_at: datetime
    expires_at: datetime | None
    published_by: str
    """The publisher's username."""
    review_campaign_id: int | None = None
    """For a review notice: the reader's open user review campaign, when there is one."""
    review_due: date | None = None
    """That campaign's due date."""
