"""User management routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES = (
    Route("list_users", "POST", "/users/search", "users", read=True),
    Route("create_user", "POST", "/users", "users", status=201),
    Route("get_user", "GET", "/users/{user_id}", "users"),
    Route("sign_in_history", "GET", "/users/{user_id}/sign-ins", "users"),
    Route("update_user_contact", "PATCH", "/users/{user_id}/contact", "users"),
    Route("change_role", "PUT", "/users/{user_id}/role", "users"),
    Route("change_affiliations", "PUT", "/users/{user_id}/affiliations", "users"),
    Route("approve_user", "POST", "/users/{user_id}/approval", "users"),
    Route("reject_user", "POST", "/users/{user_id}/rejection", "users"),
    Route("send_password_reset", "POST", "/users/{user_id}/password-reset", "users"),
    Route("unlock_user", "POST", "/users/{user_id}/unlock", "users"),
    Route("deactivate_user", "POST", "/users/{user_id}/deactivation", "users"),
    Route("reactivate_user", "POST", "/users/{user_id}/reactivation", "users"),
    Route("tin_providers", "GET", "/tins/{tin}/providers", "users"),
)
"""The user management use cases."""


def router() -> APIRouter:
    """The user management router."""
    from portal_core.api.routing import build_router

    return build_router("users", ROUTES)
