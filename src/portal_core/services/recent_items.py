"""Recent items: the records a user opened most recently, read from the audit log of their own
successful reads, newest first, one entry per record.

The audit log already holds every read of a record (claims, members, EOPs, documents, reviews, and
the preauthorization, admission and referral reads as those areas record them), so no second
history is kept. Only the record's kind and number leave here, never a PHI value.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from portal_core.models.identity import Principal
from portal_core.models.recent_items import RecentItem
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log

SCAN_ROWS = 400
"""The user's latest audit rows looked at: enough for ten distinct records in any real session."""

OPEN_ACTIONS = frozenset({"reviews.open"})
"""Actions besides the `*.read` ones that open a record."""


def _record_of(row: Any) -> tuple[str, str] | None:
    """The record a read opened, as (kind, id); None for rows that opened no single record."""
    action: str = row["action"]
    detail = row["detail"] if isinstance(row["detail"], dict) else {}
    if action == "claims.read":
        # The claim read is audited against its member; the claim number is in the detail.
        number = detail.get("claim_number")
        return ("claim", str(number)) if number else None
    if action == "payments.read" and row["record_kind"] != "payment":
        return None  # the members of an EOP, audited alongside it
    if row["record_kind"] is None or row["record_id"] is None:
        return None
    return str(row["record_kind"]), str(row["record_id"])


def recent_items(db: Database, principal: Principal, limit: int = 10) -> list[RecentItem]:
    """The records `principal` opened most recently, newest first, deduplicated by record."""
    limit = max(1, min(limit, 50))
    query = (
        select(
            audit_log.c.at,
            audit_log.c.action,
            audit_log.c.record_kind,
            audit_log.c.record_id,
            audit_log.c.detail,
        )
        .where(
            audit_log.c.actor_user_id == principal.user_id,
            audit_log.c.outcome == "ok",
            or_(audit_log.c.action.like("%.read"), audit_log.c.action.in_(sorted(OPEN_ACTIONS))),
        )
        .order_by(audit_log.c.id.desc())
        .limit(SCAN_ROWS)
    )
    with db.read() as conn:
        rows = list(conn.execute(query).mappings())
    seen: set[tuple[str, str]] = set()
    items: list[RecentItem] = []
    for row in rows:
        record = _record_of(row)
        if record is None or record in seen:
            continue
        seen.add(record)
        items.append(RecentItem(record_kind=record[0], record_id=record[1], opened_at=row["at"]))
        if len(items) == limit:
            break
    return items
