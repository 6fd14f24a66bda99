"""Message Center routes: threads, replies, the inbox and search, the CSR queue and lookup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES = (
    Route("send_message", "POST", "/threads", "messages", status=201),
    Route("reply_to_thread", "POST", "/threads/{reference}/posts", "messages", status=201),
    Route("close_thread", "POST", "/threads/{reference}/close", "messages"),
    Route("get_thread", "GET", "/threads/{reference}", "messages"),
    Route("list_threads", "POST", "/threads/search", "messages", read=True),
    Route("unread_thread_count", "GET", "/threads-unread", "messages"),
    Route("message_queue", "GET", "/message-queue", "messages"),
    Route("lookup_thread", "GET", "/message-lookup/{reference}", "messages"),
)
"""The Message Center use cases."""


def router() -> APIRouter:
    """The messages router."""
    from portal_core.api.routing import build_router

    return build_router("messages", ROUTES)
