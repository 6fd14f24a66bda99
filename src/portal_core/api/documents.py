"""Document routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES = (
    Route("list_documents", "GET", "/documents", "documents"),
    Route("get_document", "GET", "/documents/{document_id}", "documents"),
    Route("search_documents", "POST", "/documents/search", "documents", read=True),
)
"""The document use cases."""


def router() -> APIRouter:
    """The document router."""
    from portal_core.api.routing import build_router

    return build_router("documents", ROUTES)
