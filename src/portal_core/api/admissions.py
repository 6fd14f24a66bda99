"""Inpatient admission routes: notifications, the concurrent review, discharge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES: tuple[Route, ...] = (
    Route("save_admission_draft", "POST", "/admissions/drafts", "admissions"),
    Route("submit_admission", "POST", "/admissions/{number}/submit", "admissions"),
    Route("cancel_admission", "POST", "/admissions/{number}/cancel", "admissions"),
    Route("get_admission", "GET", "/admissions/{number}", "admissions"),
    Route("list_admissions", "POST", "/admissions/search", "admissions", read=True),
    Route("admission_review_queue", "GET", "/admission-review-queue", "admissions"),
    Route("record_admission_review", "POST", "/admissions/{number}/reviews", "admissions"),
    Route("discharge_admission", "POST", "/admissions/{number}/discharge", "admissions"),
)
"""The admissions use cases."""


def router() -> APIRouter:
    """The admissions router."""
    from portal_core.api.routing import build_router

    return build_router("admissions", ROUTES)
