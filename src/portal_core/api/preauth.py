"""Preauthorization routes: templates, the check, requests, the review queue and decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES: tuple[Route, ...] = (
    Route("preauth_templates", "GET", "/preauth-templates", "preauth"),
    Route("get_preauth_template", "GET", "/preauth-templates/{template_id}", "preauth"),
    Route("save_preauth_template", "PUT", "/preauth-templates", "preauth"),
    Route(
        "set_preauth_template_active", "POST", "/preauth-templates/{template_id}/active", "preauth"
    ),
    Route("check_preauth", "POST", "/preauth-check", "preauth", read=True),
    Route("save_preauth_draft", "POST", "/preauths/drafts", "preauth"),
    Route("submit_preauth", "POST", "/preauths/{number}/submit", "preauth"),
    Route("modify_preauth", "POST", "/preauths/{number}/changes", "preauth"),
    Route("cancel_preauth", "POST", "/preauths/{number}/cancel", "preauth"),
    Route("withdraw_preauth", "POST", "/preauths/{number}/withdraw", "preauth"),
    Route("attach_preauth_files", "POST", "/preauths/{number}/files", "preauth"),
    Route("get_preauth", "GET", "/preauths/{number}", "preauth"),
    Route("list_preauths", "POST", "/preauths/search", "preauth", read=True),
    Route("preauth_queue", "GET", "/preauth-queue", "preauth"),
    Route("decide_preauth", "POST", "/preauths/{number}/decision", "preauth"),
)
"""The preauth use cases."""


def router() -> APIRouter:
    """The preauth router."""
    from portal_core.api.routing import build_router

    return build_router("preauth", ROUTES)
