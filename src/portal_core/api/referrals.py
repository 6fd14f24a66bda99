"""Referral routes: create, search, status changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES: tuple[Route, ...] = (
    Route("create_referral", "POST", "/referrals", "referrals", status=201),
    Route("get_referral", "GET", "/referrals/{number}", "referrals"),
    Route("list_referrals", "POST", "/referrals/search", "referrals", read=True),
    Route("record_referral_visit", "POST", "/referrals/{number}/visits", "referrals"),
    Route("cancel_referral", "POST", "/referrals/{number}/cancel", "referrals"),
)
"""The referrals use cases."""


def router() -> APIRouter:
    """The referrals router."""
    from portal_core.api.routing import build_router

    return build_router("referrals", ROUTES)
