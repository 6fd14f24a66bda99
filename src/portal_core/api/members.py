"""Member routes: eligibility, network, PCP panels, care plans.

Member IDs travel in request bodies, never in paths or query strings, which end up in access logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES = (
    Route("check_eligibility", "POST", "/eligibility", "members", read=True),
    Route("check_eligibility_batch", "POST", "/eligibility/batch", "members", read=True),
    Route("get_member", "POST", "/members/lookup", "members", read=True),
    Route("list_plans", "GET", "/plans", "members"),
    Route("check_network", "POST", "/network-check", "members", read=True),
    Route("pcp_panel", "POST", "/pcp-panel", "members", read=True),
    Route("export_pcp_panel", "POST", "/pcp-panel/export", "members", read=True),
    Route("care_plans", "POST", "/care-plans/search", "members", read=True),
    Route("export_care_plan", "GET", "/care-plans/{care_plan_id}/export", "members"),
)
"""The member use cases."""


def router() -> APIRouter:
    """The member router."""
    from portal_core.api.routing import build_router

    return build_router("members", ROUTES)
