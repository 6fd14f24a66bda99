"""Provider profile routes: search, profile, update requests and their approval."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES: tuple[Route, ...] = (
    Route("search_providers", "POST", "/providers/search", "providers", read=True),
    Route("get_provider", "GET", "/providers/{npi}", "providers"),
    Route("request_profile_update", "POST", "/profile-updates", "providers", status=201),
    Route("profile_update_requests", "GET", "/profile-updates", "providers"),
    Route("get_profile_update", "GET", "/profile-updates/{request_id}", "providers"),
    Route("decide_profile_update", "POST", "/profile-updates/{request_id}/decision", "providers"),
)
"""The providers use cases."""


def router() -> APIRouter:
    """The providers router."""
    from portal_core.api.routing import build_router

    return build_router("providers", ROUTES)
