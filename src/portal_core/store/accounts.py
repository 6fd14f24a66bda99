"""Repository for accounts: users, roles, affiliations, sessions, reset tokens, mail and notices.

Functions take the caller's connection so they join the caller's transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, insert, select, update

from portal_core.models.identity import Role
from portal_core.store.schema import (
    mail_outbox,
    notifications,
    password_resets,
    sessions,
    tins,
    user_affiliations,
    user_roles,
    users,
)

RESET_VALID = timedelta(minutes=30)
"""How long a password-reset token works."""


def token_digest(token: str) -> str:
    """What is stored for a session or reset token: its SHA-256 (the token itself never is)."""
    return hashlib.sha256(token.encode()).hexdigest()


def user_row(conn: Connection, user_id: int) -> RowMapping | None:
    """The user's row, or None."""
    return conn.execute(select(users).where(users.c.id == user_id)).mappings().first()


def active_roles(conn: Connection, user_id: int) -> dict[str, Role]:
    """The user's active provider-side roles by TIN."""
    rows = conn.execute(
        select(user_roles.c.tin, user_roles.c.role).where(
            user_roles.c.user_id == user_id, user_roles.c.status == "active"
        )
    )
    return {row.tin: Role(row.role) for row in rows}


def affiliations(conn: Connection, user_id: int) -> dict[str, frozenset[str]]:
    """The NPIs a user is affiliated with, by TIN."""
    found: dict[str, set[str]] = {}
    for row in conn.execute(
        select(user_affiliations.c.tin, user_affiliations.c.npi).where(
            user_affiliations.c.user_id == user_id
        )
    ):
        found.setdefault(row.tin, set()).add(row.npi)
    return {tin: frozenset(npis) for tin, npis in found.items()}


def tin_idle_minutes(conn: Connection, tin: str | None) -> int:
    """The organization's idle timeout for a TIN (15 minutes when unknown)."""
    if tin is None:
        return 15
    value = conn.execute(
        select(tins.c.idle_timeout_minutes).where(tins.c.tin == tin)
    ).scalar_one_or_none()
    return int(value) if value else 15


def end_sessions(conn: Connection, user_id: int, at: datetime, *, keep: str | None = None) -> int:
    """Revoke every live session of a user (but `keep`, a token digest); returns how many."""
    conditions = [sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)]
    if keep is not None:
        conditions.append(sessions.c.token_hash != keep)
    result = conn.execute(update(sessions).where(and_(*conditions)).values(revoked_at=at))
    return int(result.rowcount or 0)


def queue_mail(
    conn: Connection,
    to_address: str,
    subject: str,
    body: str,
    at: datetime,
    *,
    user_id: int | None = None,
) -> None:
    """Put a mail in the outbox; the sender delivers it when SMTP is configured.

    `user_id` names the account whose proven address `to_address` is: the portal shows a user
    their own mail by that account, never by matching the address. Mail to an address not (yet)
    proven names no account (only the operator's `portal mail outbox` lists it).
    """
    conn.execute(
        insert(mail_outbox).values(
            to_address=to_address, subject=subject, body=body, created_at=at, user_id=user_id
        )
    )


def mail_user(
    conn: Connection, user: RowMapping | dict[str, Any], subject: str, body: str, at: datetime
) -> None:
    """Mail a user at the address on file (their account's mail only once it is proven)."""
    proven = user.get("email_verified_at") is not None
    queue_mail(conn, user["email"], subject, body, at, user_id=int(user["id"]) if proven else None)


def notify(
    conn: Connection,
    user_id: int,
    kind: str,
    text: str,
    at: datetime,
    *,
    link_kind: str | None = None,
    link_id: str | int | None = None,
) -> None:
    """Raise an in-app notification (never PHI in `text`)."""
    conn.execute(
        insert(notifications).values(
            user_id=user_id,
            kind=kind,
            text=text,
            link_kind=link_kind,
            link_id=None if link_id is None else str(link_id),
            created_at=at,
        )
    )


def issue_password_reset(conn: Connection, user: RowMapping | dict[str, Any], at: datetime) -> str:
    """Make a single-use reset token (stored hashed, valid 30 minutes), mail it, return it."""
    token = secrets.token_urlsafe(24)
    conn.execute(
        insert(password_resets).values(
            token_hash=token_digest(token),
            user_id=user["id"],
            created_at=at,
            expires_at=at + RESET_VALID,
        )
    )
    mail_user(
        conn,
        user,
        "Reset your provider portal password",
        f"Hello {user['full_name']},\n\n"
        f"A password reset was asked for the portal user {user['username']}.\n"
        f"Your reset code is:\n\n    {token}\n\n"
        "Enter it on the sign-in screen under 'Forgot password' within 30 minutes. It works once.\n"
        "If you did not ask for this, you can ignore this mail.\n",
        at,
    )
    return token
