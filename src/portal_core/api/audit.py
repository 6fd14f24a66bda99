"""Audit report routes. A member id travels in a body, never in a URL (URLs end up in logs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES = (
    Route(
        "audit_member_access", "POST", "/audit/member-access", "audit", "member_access", read=True
    ),
    Route(
        "audit_user_activity", "GET", "/audit/users/{user_id}/activity", "audit", "user_activity"
    ),
    Route("audit_failed_sign_ins", "GET", "/audit/failed-sign-ins", "audit", "failed_sign_ins"),
)
"""The audit report use cases."""


def router() -> APIRouter:
    """The audit report router."""
    from portal_core.api.routing import build_router

    return build_router("audit", ROUTES)
