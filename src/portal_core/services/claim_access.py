"""The steps the claim-area services share: scope and refusal, keyset pages of claim summaries,
the claim detail assembly, and one audit row per member on a page.

Every list is keyset-paged, by default on (service date, id) newest first; a claim search may ask
for another order (amounts, status, claim number), each backed by an index for a TIN's searches.
Records outside the user's scope are "not found" and the attempt is audited; every page of claims
audits one read per member on it (record kind `member`, the member ID), never other PHI: the
page is read in a read transaction, then its audit rows appended in one short write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from portal_core.clock import Clock
from portal_core.errors import NotFound
from portal_core.models.claims import (
    Adjustment,
    ClaimDetail,
    ClaimLine,
    ClaimSummary,
    Remark,
)
from portal_core.models.common import Page
from portal_core.models.identity import Principal
from portal_core.rules.adjustment_codes import (
    GROUP_CODES,
    carc_text,
    denial_group,
    rarc_text,
)
from portal_core.rules.appeals import appeal_deadline
from portal_core.rules.claim_order import DEFAULT_SORT
from portal_core.rules.claim_status import category_text
from portal_core.rules.identifiers import parse_claim_number, parse_tin
from portal_core.rules.money import dollars
from portal_core.rules.permissions import Action, tin_in_scope
from portal_core.rules.service_dates import check_range, claim_history_start, parse_date
from portal_core.services import audit, keyset
from portal_core.services.record_scope import claim_condition
from portal_core.store.engine import Database
from portal_core.store.schema import (
    claim_adjustments,
    claim_lines,
    claim_remarks,
    claims,
    members,
    payments,
)

MAX_PAGE = 500
"""Largest page a list returns."""


SUMMARY_COLUMNS = (
    claims,
    members.c.first_name,
    members.c.last_name,
    payments.c.payment_number,
    payments.c.payment_date,
)
SUMMARY_FROM = claims.join(members, members.c.member_id == claims.c.member_id).outerjoin(
    payments, payments.c.id == claims.c.payment_id
)


ORDERS: dict[str, tuple[Column[Any], ...]] = {
    "service_date": (claims.c.service_from, claims.c.id),
    "billed": (claims.c.billed_cents, claims.c.id),
    "paid": (claims.c.paid_cents, claims.c.id),
    # Status then date, so a TIN's or NPI's search walks its (status, service_from, id) index.
    "status": (claims.c.status, claims.c.service_from, claims.c.id),
    "claim_number": (claims.c.claim_number, claims.c.id),
}
"""Each sort's keyset columns, ending in the id that breaks ties."""

WALK_SORT_INDEX = frozenset({"billed", "paid", "claim_number"})
"""Orders with a TIN and an NPI index of their own but none with the status or dates in it."""

WALK_PROBE = 5000
"""Matches from which a search walks its order's index instead of sorting them all."""


def unindexed(column: Column[Any]) -> ColumnElement[Any]:
    """`column` as SQLite's planner will not pick an index for (a unary plus: the same value)."""
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


def summary_fields(row: Any) -> dict[str, Any]:
    return {
        "claim_number": row["claim_number"],
        "patient_account": row["patient_account"],
        "member_id": row["member_id"],
        "member_name": f"{row['last_name']}, {row['first_name']}",
        "tin": row["tin"],
        "billing_npi": row["billing_npi"],
        "rendering_npi": row["rendering_npi"],
        "claim_type": row["claim_type"],
        "service_from": row["service_from"],
        "service_to": row["service_to"],
        "received_date": row["received_date"],
        "status": row["status"],
        "status_code": row["status_code"],
        "billed": dollars(row["billed_cents"]),
        "allowed": dollars(row["allowed_cents"]),
        "paid": dollars(row["paid_cents"]),
        "patient_responsibility": dollars(row["patient_responsibility_cents"]),
        "payment_number": row["payment_number"],
        "denial_carc": row["denial_carc"],
    }


def adjustment(row: Any) -> Adjustment:
    return Adjustment(
        line_number=row["line_number"],
        group_code=row["group_code"],
        group_text=GROUP_CODES.get(row["group_code"], ""),
        carc=row["carc"],
        carc_text=carc_text(row["carc"]),
        amount=dollars(row["amount_cents"]),
    )


def page_limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


class ClaimAccess:
    """What every claim-area service shares: the permission and scope steps, paging, the claim
    detail assembly, and auditing the members on a page."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    # -- shared steps ------------------------------------------------------------------------------
    def _require(self, principal: Principal, action: Action, audit_action: str) -> datetime:
        return audit.require_or_refuse(self.db, self.clock, principal, action, audit_action)

    def _refused(
        self, principal: Principal, action: str, kind: str | None, record_id: str | int | None
    ) -> None:
        audit.record_refusal(
            self.db, self.clock.now(), principal, action, record_kind=kind, record_id=record_id
        )

    def _scoped_tin(self, principal: Principal, value: str, audit_action: str) -> str:
        tin = parse_tin(value)
        if not tin_in_scope(principal, tin):
            self._refused(principal, audit_action, "tin", tin)
            raise NotFound("No such Tax ID.")
        return tin

    def _page(
        self,
        conn: Connection,
        conditions: Sequence[ColumnElement[bool]],
        after: str | None,
        limit: int,
        sort: str = DEFAULT_SORT,
        descending: bool = True,
    ) -> Page[ClaimSummary]:
        """A keyset page in `sort` order (ties broken by id), either way (`keyset.seek`); the
        caller audits its members."""
        position = keyset.seek(after, ORDERS[sort], descending)
        query = (
            select(*SUMMARY_COLUMNS)
            .select_from(SUMMARY_FROM)
            .where(*position.where(conditions))
            .order_by(*position.order)
            .limit(limit + 1)
        )
        rows, cursor = position.page(list(conn.execute(query).mappings()), limit)
        items = [ClaimSummary(**summary_fields(r)) for r in rows]
        return Page[ClaimSummary](items=items, next_cursor=cursor)

    def _audit_members(
        self, principal: Principal, action: str, now: datetime, page: Page[ClaimSummary]
    ) -> None:
        """One audit row per member on a page, appended in a short write transaction of its own
        after the read (so the write lock is held only for the append)."""
        if not page.items:
            return
        with self.db.write() as conn:
            audit.record_many(
                conn,
                at=now,
                action=action,
                principal=principal,
                record_kind="member",
                record_ids=[i.member_id for i in page.items],
            )

    def _dates(self, start: str | None, end: str | None, today: date) -> tuple[date, date | None]:
        first = parse_date(start, "service_from") if start else None
        last = parse_date(end, "service_to") if end else None
        check_range(first, last)
        floor = claim_history_start(today)
        return (max(first, floor) if first else floor), last

    def _claim_row(
        self, conn: Connection, principal: Principal, number: str, action: Action, now: datetime
    ) -> Any:
        return (
            conn.execute(
                select(*SUMMARY_COLUMNS)
                .select_from(SUMMARY_FROM)
                .where(claims.c.claim_number == number, claim_condition(principal, action, now))
            )
            .mappings()
            .first()
        )

    def _claim_or_refuse(
        self, principal: Principal, claim_number: str, action: Action, audit_action: str
    ) -> tuple[Any, datetime]:
        now = self._require(principal, action, audit_action)
        number = parse_claim_number(claim_number)
        with self.db.read() as conn:
            row = self._claim_row(conn, principal, number, action, now)
        if row is None:
            self._refused(principal, audit_action, "claim", number)
            raise NotFound("No such claim.")
        return row, now

    def _details(self, conn: Connection, rows: Sequence[Any]) -> list[ClaimDetail]:
        ids = [r["id"] for r in rows]
        lines: dict[int, list[Any]] = defaultdict(list)
        adjustments: dict[int, list[Any]] = defaultdict(list)
        remarks: dict[int, list[Any]] = defaultdict(list)
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            for line in conn.execute(
                select(claim_lines)
                .where(claim_lines.c.claim_id.in_(chunk))
                .order_by(claim_lines.c.claim_id, claim_lines.c.line_number)
            ).mappings():
                lines[line["claim_id"]].append(line)
            for adj in conn.execute(
                select(claim_adjustments)
                .where(claim_adjustments.c.claim_id.in_(chunk))
                .order_by(claim_adjustments.c.id)
            ).mappings():
                adjustments[adj["claim_id"]].append(adj)
            for rem in conn.execute(
                select(claim_remarks)
                .where(claim_remarks.c.claim_id.in_(chunk))
                .order_by(claim_remarks.c.id)
            ).mappings():
                remarks[rem["claim_id"]].append(rem)
        result: list[ClaimDetail] = []
        for row in rows:
            adjs = [adjustment(a) for a in adjustments[row["id"]]]
            rems = [
                Remark(line_number=r["line_number"], rarc=r["rarc"], text=rarc_text(r["rarc"]))
                for r in remarks[row["id"]]
            ]
            claim_lines_out = [
                ClaimLine(
                    line_number=line["line_number"],
                    service_date=line["service_date"],
                    procedure_code=line["procedure_code"],
                    modifiers=[m for m in line["modifiers"].split(",") if m],
                    units=line["units"],
                    billed=dollars(line["billed_cents"]),
                    allowed=dollars(line["allowed_cents"]),
                    paid=dollars(line["paid_cents"]),
                    adjustments=[a for a in adjs if a.line_number == line["line_number"]],
                    remarks=[r for r in rems if r.line_number == line["line_number"]],
                )
                for line in lines[row["id"]]
            ]
            denial = row["denial_carc"]
            adjudicated = row["adjudicated_date"]
            result.append(
                ClaimDetail(
                    **summary_fields(row),
                    status_text=category_text(row["status_code"]),
                    status_reason=row["status_reason"],
                    adjudicated_date=adjudicated,
                    payment_date=row["payment_date"],
                    lines=claim_lines_out,
                    claim_adjustments=[a for a in adjs if a.line_number is None],
                    claim_remarks=[r for r in rems if r.line_number is None],
                    denial_next_step=denial_group(denial).next_step if denial else None,
                    appeal_deadline=appeal_deadline(adjudicated)
                    if denial and adjudicated
                    else None,
                )
            )
        return result
