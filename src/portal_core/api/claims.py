"""Claim and payment routes: searches, detail, EOPs, denials, documents, inquiries, appeals,
reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES = (
    Route("search_claims", "POST", "/claims/search", "claims", read=True),
    Route("get_claim", "GET", "/claims/{claim_number}", "claims"),
    Route("search_payments", "POST", "/payments/search", "payments", read=True),
    Route("get_payment", "GET", "/payments/{payment_number}", "payments"),
    Route("export_payment", "GET", "/payments/{payment_number}/export", "payments"),
    Route("denied_worklist", "POST", "/denials/groups", "claims", read=True),
    Route("denied_claims", "POST", "/denials/claims", "claims", read=True),
    Route("submit_claim_documents", "POST", "/claims/{claim_number}/documents", "claims"),
    Route("claim_documents", "GET", "/claims/{claim_number}/documents", "claims"),
    Route("file_inquiry", "POST", "/claims/{claim_number}/inquiries", "claim_requests", status=201),
    Route("claim_inquiries", "GET", "/claims/{claim_number}/inquiries", "claim_requests"),
    Route("open_inquiries", "GET", "/inquiries", "claim_requests"),
    Route("answer_inquiry", "POST", "/inquiries/{inquiry_id}/answer", "claim_requests"),
    Route("file_appeal", "POST", "/claims/{claim_number}/appeals", "claim_requests", status=201),
    Route("claim_appeals", "GET", "/claims/{claim_number}/appeals", "claim_requests"),
    Route("open_appeals", "GET", "/appeals", "claim_requests"),
    Route("answer_appeal", "POST", "/appeals/{appeal_id}/answer", "claim_requests"),
    Route("save_claim_report", "POST", "/claim-reports", "claim_reports", status=201),
    Route("list_claim_reports", "GET", "/claim-reports", "claim_reports"),
    Route("delete_claim_report", "DELETE", "/claim-reports/{report_id}", "claim_reports"),
    Route("run_claim_report", "POST", "/claim-reports/run", "claim_reports", read=True),
    Route("export_claim_report", "POST", "/claim-reports/export", "claim_reports", read=True),
)
"""The claim and payment use cases."""


def router() -> APIRouter:
    """The claims router."""
    from portal_core.api.routing import build_router

    return build_router("claims", ROUTES)
