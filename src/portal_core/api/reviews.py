"""User review routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES = (
    Route("list_campaigns", "GET", "/reviews", "reviews"),
    Route("open_campaign", "POST", "/reviews", "reviews", status=201),
    Route("overdue_campaigns", "GET", "/overdue-reviews", "reviews"),
    Route("get_campaign", "GET", "/reviews/{campaign_id}", "reviews"),
    Route("review_items", "POST", "/reviews/{campaign_id}/items/search", "reviews", read=True),
    Route(
        "preview_decision",
        "POST",
        "/reviews/{campaign_id}/decisions/preview",
        "reviews",
        read=True,
    ),
    Route("decide", "POST", "/reviews/{campaign_id}/decisions", "reviews"),
    Route("sign_off", "POST", "/reviews/{campaign_id}/sign-off", "reviews"),
    Route("export_evidence", "GET", "/reviews/{campaign_id}/evidence", "reviews"),
    Route("reassign_targets", "GET", "/reviews/{campaign_id}/reassign-targets", "reviews"),
)
"""The user review use cases."""


def router() -> APIRouter:
    """The user review router."""
    from portal_core.api.routing import build_router

    return build_router("reviews", ROUTES)
