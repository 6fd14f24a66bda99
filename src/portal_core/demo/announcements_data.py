"""The demo's announcements: a portal update, a policy change for one product line, a review
notice, and one that has expired (so the home screen shows three)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, insert

from portal_core.store.schema import announcements

DEMO_ANNOUNCEMENTS = (
    # (title, body, kind, audience, published days ago, expires in days or None)
    (
        "Portal maintenance Sunday night",
        "The portal is down for maintenance on Sunday from 1:00 to 3:00 AM Eastern. "
        "Claims and messages sent before then are kept.",
        "portal_update",
        "all",
        2,
        12,
    ),
    (
        "Time to review your portal users",
        "Each quarter the administrator of every Tax ID reviews who has access to the portal. "
        "Open your review from the home screen and decide for each user before the due date.",
        "review_notice",
        "all",
        5,
        30,
    ),
    (
        "Medicare Advantage prior authorization list updated",
        "From January 1, advanced imaging for Medicare members needs a preauthorization. "
        "Use the preauthorization check before scheduling.",
        "policy",
        "medicare",
        7,
        None,
    ),
    (
        "Holiday hours for provider customer service",
        "Provider customer service closes at noon on the day before the holiday.",
        "portal_update",
        "all",
        40,
        -10,
    ),
)
"""Announcements the demo publishes."""


def write_announcements(conn: Connection, publisher_id: int, now: datetime) -> int:
    """Publish the demo announcements as `publisher_id`; returns how many."""
    rows = [
        {
            "title": title,
            "body": body,
            "kind": kind,
            "audience": audience,
            "published_at": now - timedelta(days=age),
            "expires_at": None if expires is None else now + timedelta(days=expires),
            "published_by": publisher_id,
            "withdrawn_at": None,
        }
        for title, body, kind, audience, age, expires in DEMO_ANNOUNCEMENTS
    ]
    conn.execute(insert(announcements), rows)
    return len(rows)
