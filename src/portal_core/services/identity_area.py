"""What the identity-area services share: the database, clock and mail settings, auditing an
attempt (refused ones in a transaction of their own), the permission check that audits its
refusal, and the user-row helpers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, CursorResult, RowMapping

from portal_core.clock import Clock
from portal_core.config import MailSettings
from portal_core.errors import (
    PermissionDenied,
    PortalError,
    SessionExpired,
)
from portal_core.models.identity import (
    Principal,
    Role,
    UserBrief,
)
from portal_core.rules.permissions import Action, require
from portal_core.services import audit, throttles
from portal_core.store import accounts
from portal_core.store.engine import Database


def user_row(conn: Connection, user_id: int) -> RowMapping:
    """The user's row; `SessionExpired` when the account is gone."""
    row = accounts.user_row(conn, user_id)
    if row is None:
        raise SessionExpired("Your account is no longer available. Sign in again.")
    return row


def brief(row: RowMapping, role: Role | None = None) -> UserBrief:
    """A user's name and contact, with their role where one is meant."""
    return UserBrief(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        email=row["email"],
        role=role,
    )


def new_id(result: CursorResult[Any]) -> int:
    """The primary key an insert made."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


class IdentityArea:
    """The base of the identity-area services."""

    def __init__(self, db: Database, clock: Clock, mail: MailSettings | None = None) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""
        self.mail = mail or MailSettings()
        """Mail settings (the outbox is delivered by `services.mail.deliver_outbox`)."""

    # -- auditing helpers ---------------------------------------------------------------------

    def _audit(
        self,
        conn: Connection,
        action: str,
        *,
        outcome: str = "ok",
        principal: Principal | None = None,
        user: RowMapping | None = None,
        username: str | None = None,
        tin: str | None = None,
        record_kind: str | None = None,
        record_id: str | int | None = None,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        actor_id = None if user is None else int(user["id"])
        actor_name = username if user is None else str(user["username"])
        audit.record(
            conn,
            at=self.clock.now(),
            action=action,
            outcome=outcome,
            principal=principal,
            actor_user_id=actor_id,
            actor_username=None if actor_name is None else actor_name[:30],
            tin=tin,
            record_kind=record_kind,
            record_id=record_id,
            reason=reason,
            detail=detail,
        )

    def _refuse(
        self,
        error: PortalError,
        action: str,
        *,
        principal: Principal | None = None,
        user: RowMapping | None = None,
        username: str | None = None,
        tin: str | None = None,
        record_kind: str | None = None,
        record_id: str | int | None = None,
        outcome: str = "denied",
        detail: dict[str, Any] | None = None,
    ) -> PortalError:
        """Audit a refused attempt in its own transaction and hand back the error to raise."""
        with self.db.write() as conn:
            self._audit(
                conn,
                action,
                outcome=outcome,
                principal=principal,
                user=user,
                username=username,
                tin=tin,
                record_kind=record_kind,
                record_id=record_id,
                detail=detail,
            )
        return error

    def _begin_throttled(
        self,
        limits: list[tuple[throttles.Limit, str]],
        action: str,
        *,
        principal: Principal | None = None,
        tin: str | None = None,
        account: str | None = None,
    ) -> throttles.Attempt:
        """Count an attempt at a guessable secret ahead of its check, or refuse it (audited)."""
        with self.db.write() as conn:
            begun = throttles.begin(conn, limits, self.clock.now(), account=account)
            if isinstance(begun, throttles.Refusal):
                self._audit(
                    conn,
                    action,
                    outcome="denied",
                    principal=principal,
                    tin=tin,
                    detail={"reason": begun.reason},
                )
        if isinstance(begun, throttles.Refusal):
            raise begun.error
        return begun

    def _require(
        self, principal: Principal, action: Action, audit_action: str, tin: str | None = None
    ) -> None:
        try:
            require(principal, action, tin, self.clock.now())
        except PermissionDenied as error:
            raise self._refuse(error, audit_action, principal=principal, tin=tin) from None
