"""Announcement routes: publish and withdraw (payer admins), the current ones; and the home
screen's recent items (served by the audit service from the user's own reads)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES: tuple[Route, ...] = (
    Route("publish_announcement", "POST", "/announcements", "announcements", status=201),
    Route("current_announcements", "GET", "/announcements", "announcements"),
    Route("withdraw_announcement", "DELETE", "/announcements/{announcement_id}", "announcements"),
    Route("recent_items", "GET", "/recent-items", "audit"),
)
"""The announcements use cases."""


def router() -> APIRouter:
    """The announcements router."""
    from portal_core.api.routing import build_router

    return build_router("announcements", ROUTES)
