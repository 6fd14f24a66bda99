"""The audit log: an append-only, hash-chained record of sign-ins, reads of member data and writes.

Each row's `hash` is SHA-256 over the previous row's hash and the row's own fields, so an edited,
inserted or deleted row breaks the chain at that point. `record()` appends within the caller's
transaction, so the audit row commits or rolls back with the change it describes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, text

from portal_core.clock import Clock
from portal_core.errors import PermissionDenied
from portal_core.models.audit import AuditEntry, ChainVerdict
from portal_core.models.common import Page
from portal_core.models.identity import Principal
from portal_core.models.recent_items import RecentItem
from portal_core.rules.permissions import Action, allowed, require
from portal_core.services import keyset
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log

GENESIS = "0" * 64
"""The `prev_hash` of the first row."""

_HASHED_FIELDS = (
    "at",
    "actor_user_id",
    "actor_username",
    "role",
    "tin",
    "action",
    "record_kind",
    "record_id",
    "outcome",
    "reason",
    "detail",
    "break_glass",
)


def _canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The chain hash of `row` following `prev_hash`."""
    return hashlib.sha256((prev_hash + _payload(row)).encode()).hexdigest()


def _payload(row: dict[str, Any]) -> str:
    fields = {name: row.get(name) for name in _HASHED_FIELDS}
    fields["at"] = _canonical_time(row["at"])
    fields["break_glass"] = bool(fields["break_glass"])
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)


def record(
    conn: Connection,
    *,
    at: datetime,
    action: str,
    outcome: str = "ok",
    principal: Principal | None = None,
    actor_user_id: int | None = None,
    actor_username: str | None = None,
    tin: str | None = None,
    record_kind: str | None = None,
    record_id: str | int | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit row in the caller's transaction. Never pass PHI values or secrets."""
    if conn.dialect.name == "postgresql":
        # One appender at a time, so the chain never forks (released at commit).
        conn.execute(text("SELECT pg_advisory_xact_lock(7411001)"))
    prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1))
    prev_hash = prev.scalar_one_or_none() or GENESIS
    role = None
    break_glass = False
    if principal is not None:
        actor_user_id = principal.user_id
        actor_username = principal.username
        tin = tin if tin is not None else principal.active_tin
        role_value = principal.payer_role or principal.tin_roles.get(tin or "")
        role = role_value.value if role_value else None
        break_glass = principal.break_glass_until is not None and principal.break_glass_until > at
    row: dict[str, Any] = {
        "at": at,
        "actor_user_id": actor_user_id,
        "actor_username": actor_username,
        "role": role,
        "tin": tin,
        "action": action,
        "record_kind": record_kind,
        "record_id": None if record_id is None else str(record_id),
        "outcome": outcome,
        "reason": reason,
        "detail": detail,
        "break_glass": break_glass,
    }
    row["prev_hash"] = prev_hash
    row["hash"] = row_hash(prev_hash, row)
    conn.execute(audit_log.insert().values(**row))


def record_many(
    conn: Connection,
    *,
    at: datetime,
    action: str,
    principal: Principal,
    record_kind: str,
    record_ids: Iterable[str],
    tin: str | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one row per record id (a page of members read at once), chained, in one insert."""
    ids = list(dict.fromkeys(str(i) for i in record_ids))
    if not ids:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7411001)"))
    prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1))
    prev_hash = prev.scalar_one_or_none() or GENESIS
    tin = tin if tin is not None else principal.active_tin
    role_value = principal.payer_role or principal.tin_roles.get(tin or "")
    break_glass = principal.break_glass_until is not None and principal.break_glass_until > at
    shared: dict[str, Any] = {
        "at": at,
        "actor_user_id": principal.user_id,
        "actor_username": principal.username,
        "role": role_value.value if role_value else None,
        "tin": tin,
        "action": action,
        "record_kind": record_kind,
        "outcome": outcome,
        "reason": None,
        "detail": detail,
        "break_glass": break_glass,
    }
    hashes = _chain_hashes(prev_hash, shared, ids)
    _insert_many(conn, shared, zip(ids, [prev_hash, *hashes[:-1]], hashes, strict=True))


_VARYING = ("record_id", "prev_hash", "hash")
"""The columns that differ between the rows `record_many` appends (plain strings)."""


def _insert_many(
    conn: Connection, shared: dict[str, Any], varying: Iterable[tuple[str, str, str]]
) -> None:
    """One executemany of rows sharing `shared`: their values are converted to the driver's
    form once, not once per row as a Core insert of many dicts does (most of its cost here)."""
    dialect = conn.dialect
    converted: dict[str, Any] = {}
    for name, value in shared.items():
        to_driver = audit_log.c[name].type.bind_processor(dialect)
        converted[name] = to_driver(value) if to_driver else value
    compiled = audit_log.insert().compile(dialect=dialect, column_keys=[*shared, *_VARYING])
    rows = [{**converted, **dict(zip(_VARYING, values, strict=True))} for values in varying]
    if compiled.positiontup is not None:
        order = compiled.positiontup
        conn.exec_driver_sql(str(compiled), [tuple(row[k] for k in order) for row in rows])
    else:
        conn.exec_driver_sql(str(compiled), rows)


_SLOT = "\x00record-id\x00"
"""A stand-in record id whose JSON text marks where each row's own id goes in the payload."""


def _chain_hashes(prev_hash: str, shared: dict[str, Any], ids: list[str]) -> list[str]:
    """The chain hashes of rows that differ only in `record_id`, equal to `row_hash` row by row.

    The rows' JSON payload is built once around a slot and each id's JSON text put into it,
    rather than serialized again per row (a page of 100 members is 100 rows).
    """
    payload = _payload({**shared, "record_id": _SLOT})
    slot = json.dumps(_SLOT)
    if payload.count(slot) != 1:  # a detail holding the stand-in: hash the plain way
        found = []
        for record_id in ids:
            prev_hash = row_hash(prev_hash, {**shared, "record_id": record_id})
            found.append(prev_hash)
        return found
    head, tail = payload.split(slot)
    hashes = []
    for record_id in ids:
        text = f"{prev_hash}{head}{json.dumps(record_id)}{tail}"
        prev_hash = hashlib.sha256(text.encode()).hexdigest()
        hashes.append(prev_hash)
    return hashes


def record_refusal(
    db: Database,
    at: datetime,
    principal: Principal,
    action: str,
    *,
    tin: str | None = None,
    record_kind: str | None = None,
    record_id: str | int | None = None,
) -> None:
    """Audit a refused attempt (outcome `denied`) in a transaction of its own: the use case's own
    transaction rolls back with the refusal, and the attempt must still be on record."""
    with db.write() as conn:
        record(
            conn,
            at=at,
            action=action,
            outcome="denied",
            principal=principal,
            tin=tin,
            record_kind=record_kind,
            record_id=record_id,
        )


def require_or_refuse(
    db: Database, clock: Clock, principal: Principal, action: Action, audit_action: str
) -> datetime:
    """The time now when the principal's role allows `action` (at any TIN); otherwise the refusal
    is audited and `PermissionDenied` raised."""
    now = clock.now()
    if not allowed(principal, action, None, now):
        record_refusal(db, now, principal, audit_action)
        raise PermissionDenied("Your role does not allow this.")
    return now


def verify_chain(conn: Connection, batch: int = 5000) -> ChainVerdict:
    """Walk the whole log in id order and report the first row whose chain does not hold."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.id > last_id).order_by(audit_log.c.id).limit(batch)
        ).mappings()
        seen = 0
        for row in rows:
            seen += 1
            checked += 1
            if row["prev_hash"] != expected_prev:
                return ChainVerdict(
                    intact=False,
                    rows_checked=checked,
                    first_bad_id=row["id"],
                    problem="a row before it is missing or was changed",
                )
            if row_hash(row["prev_hash"], dict(row)) != row["hash"]:
                return ChainVerdict(
                    intact=False,
                    rows_checked=checked,
                    first_bad_id=row["id"],
                    problem="the row was changed after it was written",
                )
            expected_prev = row["hash"]
            last_id = row["id"]
        if seen < batch:
            return ChainVerdict(intact=True, rows_checked=checked)


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(**{k: row[k] for k in AuditEntry.model_fields})


class AuditService:
    """Audit reports for payer administrators, and the chain check for operators."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def verify(self) -> ChainVerdict:
        """Check the hash chain (operators run it from `portal audit verify`)."""
        with self.db.read() as conn:
            return verify_chain(conn)

    def _report(
        self,
        principal: Principal,
        report: str,
        conditions: Iterable[Any],
        after: str | None,
        limit: int,
    ) -> Page[AuditEntry]:
        require(principal, Action.READ_AUDIT)
        query = select(audit_log).where(*conditions)
        if after:
            query = query.where(audit_log.c.id < keyset.row_id(after))
        query = query.order_by(audit_log.c.id.desc()).limit(limit + 1)
        with self.db.write() as conn:
            rows = list(conn.execute(query).mappings())
            record(
                conn,
                at=self.clock.now(),
                action="audit.report",
                principal=principal,
                record_kind="audit_report",
                record_id=report,
            )
        items = [_entry(r) for r in rows[:limit]]
        cursor = str(items[-1].id) if len(rows) > limit and items else None
        return Page[AuditEntry](items=items, next_cursor=cursor)

    def member_access(
        self, principal: Principal, member_id: str, after: str | None = None, limit: int = 100
    ) -> Page[AuditEntry]:
        """Who accessed a member's records, newest first."""
        conditions = [audit_log.c.record_kind == "member", audit_log.c.record_id == member_id]
        return self._report(principal, "member_access", conditions, after, limit)

    def user_activity(
        self, principal: Principal, user_id: int, after: str | None = None, limit: int = 100
    ) -> Page[AuditEntry]:
        """What a user did, newest first."""
        conditions = [audit_log.c.actor_user_id == user_id]
        return self._report(principal, "user_activity", conditions, after, limit)

    def failed_sign_ins(
        self, principal: Principal, since: datetime, after: str | None = None, limit: int = 100
    ) -> Page[AuditEntry]:
        """Failed sign-ins since a time, newest first."""
        conditions = [
            audit_log.c.action == "identity.sign_in",
            audit_log.c.outcome != "ok",
            audit_log.c.at >= since,
        ]
        return self._report(principal, "failed_sign_ins", conditions, after, limit)

    def recent_items(self, principal: Principal, limit: int = 10) -> list[RecentItem]:
        """The records the user opened most recently (their own reads; kind and number only)."""
        from portal_core.services.recent_items import recent_items

        require(principal, Action.OWN_ACCOUNT)
        return recent_items(self.db, principal, limit)

    def count(self) -> int:
        """Rows in the log."""
        with self.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
