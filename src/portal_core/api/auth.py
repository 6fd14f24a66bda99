"""Who is calling: the bearer token resolved to a `Principal` by the services on every call.

The client is never trusted: a token is only a key to a session the server keeps (idle and absolute
expiry, revocation), and every permission is checked by the services against the principal the
session resolves to. The client's network address feeds the sign-in throttle.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from portal_core.errors import SessionExpired
from portal_core.models.identity import Principal
from portal_core.services import Services

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="session",
    description="The opaque session token `POST /session` returned.",
)
"""The OpenAPI security scheme; missing credentials are ours to refuse (as `SessionExpired`, 401
with the reason `missing_token`)."""

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
"""A route parameter receiving the `Authorization: Bearer …` credentials, if any."""

SIGNED_OUT = "You are signed out. Sign in again."


def token_of(credentials: HTTPAuthorizationCredentials | None) -> str:
    """The bearer token, or `SessionExpired` when the request carries none."""
    if credentials is None or not credentials.credentials.strip():
        raise SessionExpired(SIGNED_OUT, reason="missing_token")
    return credentials.credentials.strip()


def principal_of(services: Services, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The principal of the caller's live session (blocking: run it off the event loop)."""
    return services.identity.resolve(token_of(credentials))


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy: uvicorn's
    `--forwarded-allow-ips` decides whether `X-Forwarded-For` is believed)."""
    client = request.client
    return (client.host if client else "unknown")[:64]


def remember_address(services: Services, token: str, address: str) -> None:
    """Note on the new session where it was opened from (shown to administrators, never trusted)."""
    from sqlalchemy import update

    from portal_core.store.accounts import token_digest
    from portal_core.store.schema import sessions

    with services.db.write() as conn:
        conn.execute(
            update(sessions)
            .where(sessions.c.token_hash == token_digest(token))
            .values(client_address=address)
        )
