"""Claims and payments: the four searches, claim detail, EOPs, the denied worklist, claim documents,
inquiries, grievances and appeals, and custom claims reports.

Every list is keyset-paged, by default on (service date, id) newest first; a claim search may ask
for another order (amounts, status, claim number), each backed by an index for a TIN's searches.
Records outside the user's scope are "not found" and the attempt is audited; every page of claims
audits one read per member on it (record kind `member`, the member ID), never other PHI: the
page is read in a read transaction, then its audit rows appended in one short write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    func,
    insert,
    literal_column,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from portal_core.clock import Clock
from portal_core.errors import Conflict, NotFound, ValidationFailed
from portal_core.models.claims import (
    Adjustment,
    AppealAnswer,
    ClaimAppeal,
    ClaimDetail,
    ClaimDocument,
    ClaimInquiry,
    ClaimLine,
    ClaimReportDefinition,
    ClaimReportResult,
    ClaimSearch,
    ClaimSummary,
    DenialReasonGroup,
    DeniedQuery,
    InquiryAnswer,
    NewAppeal,
    NewInquiry,
    PaymentDetail,
    PaymentSearch,
    PaymentSummary,
    ProviderAdjustment,
    Remark,
    SavedClaimReport,
    UploadFile,
)
from portal_core.models.common import Page
from portal_core.models.identity import Principal
from portal_core.rules.adjustment_codes import (
    GROUP_CODES,
    carc_text,
    denial_group,
    parse_carc,
    rarc_text,
)
from portal_core.rules.appeals import appeal_deadline, check_appeal_allowed, parse_appeal_kind
from portal_core.rules.claim_order import DEFAULT_SORT, parse_sort
from portal_core.rules.claim_reports import MAX_REPORT_ROWS, check_columns, check_name
from portal_core.rules.claim_status import category_text, parse_status
from portal_core.rules.csv_cells import csv_bytes
from portal_core.rules.identifiers import parse_claim_number, parse_member_id, parse_npi, parse_tin
from portal_core.rules.money import dollars
from portal_core.rules.permissions import Action, tin_in_scope
from portal_core.rules.service_dates import check_range, claim_history_start, parse_date
from portal_core.rules.uploads import check_submission, safe_file_name
from portal_core.services import audit
from portal_core.services.documents import file_document
from portal_core.services.keyset import date_and_id, decode, encode
from portal_core.services.record_scope import claim_condition, tin_condition
from portal_core.store.engine import Database
from portal_core.store.schema import (
    claim_adjustments,
    claim_appeals,
    claim_documents,
    claim_inquiries,
    claim_lines,
    claim_remarks,
    claim_reports,
    claims,
    documents,
    members,
    payments,
    tins,
)

MAX_PAGE = 500
"""Largest page a list returns."""

MAX_TEXT = 4000
"""Longest inquiry, appeal or answer text."""

_SUMMARY = (
    claims,
    members.c.first_name,
    members.c.last_name,
    payments.c.payment_number,
    payments.c.payment_date,
)
_FROM = claims.join(members, members.c.member_id == claims.c.member_id).outerjoin(
    payments, payments.c.id == claims.c.payment_id
)


_ORDERS: dict[str, tuple[Column[Any], ...]] = {
    "service_date": (claims.c.service_from, claims.c.id),
    "billed": (claims.c.billed_cents, claims.c.id),
    "paid": (claims.c.paid_cents, claims.c.id),
    # Status then date, so a TIN's or NPI's search walks its (status, service_from, id) index.
    "status": (claims.c.status, claims.c.service_from, claims.c.id),
    "claim_number": (claims.c.claim_number, claims.c.id),
}
"""Each sort's keyset columns, ending in the id that breaks ties."""

_WALK_SORT_INDEX = frozenset({"billed", "paid", "claim_number"})
"""Orders with a TIN and an NPI index of their own but none with the status or dates in it."""

WALK_PROBE = 5000
"""Matches from which a search walks its order's index instead of sorting them all."""


def _unindexed(column: Column[Any]) -> ColumnElement[Any]:
    """`column` as SQLite's planner will not pick an index for (a unary plus: the same value)."""
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


def _cursor_values(cursor: str, keys: Sequence[Column[Any]]) -> list[object]:
    """The last row's sort key from a cursor, each part as its column's type."""
    values: list[object] = []
    for part, key in zip(decode(cursor, len(keys)), keys, strict=True):
        kind = key.type.python_type
        try:
            values.append(
                date.fromisoformat(part) if kind is date else int(part) if kind is int else part
            )
        except ValueError as error:
            raise ValidationFailed("That page position is not valid.", field="after") from error
    return values


def _summary_fields(row: Any) -> dict[str, Any]:
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


def _adjustment(row: Any) -> Adjustment:
    return Adjustment(
        line_number=row["line_number"],
        group_code=row["group_code"],
        group_text=GROUP_CODES.get(row["group_code"], ""),
        carc=row["carc"],
        carc_text=carc_text(row["carc"]),
        amount=dollars(row["amount_cents"]),
    )


def _text(value: str, field: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationFailed("Write what you are asking for.", field=field)
    if len(cleaned) > MAX_TEXT:
        raise ValidationFailed("Keep it under 4,000 characters.", field=field)
    return cleaned


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


class ClaimService:
    """Claims, payments, denials, claim documents, inquiries, appeals and reports."""

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
        """A keyset page in `sort` order (ties broken by id); the caller audits its members."""
        keys = _ORDERS[sort]
        where = list(conditions)
        if after:
            last = tuple_(*keys)
            position = tuple_(*_cursor_values(after, keys))
            where.append(last < position if descending else last > position)
        query = (
            select(*_SUMMARY)
            .select_from(_FROM)
            .where(*where)
            .order_by(*(k.desc() if descending else k.asc() for k in keys))
            .limit(limit + 1)
        )
        rows = list(conn.execute(query).mappings())
        page_rows = rows[:limit]
        items = [ClaimSummary(**_summary_fields(r)) for r in page_rows]
        cursor = None
        if len(rows) > limit and page_rows:
            cursor = encode(*(page_rows[-1][k.name] for k in keys))
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
                select(*_SUMMARY)
                .select_from(_FROM)
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

    # -- search ------------------------------------------------------------------------------------
    def search_claims(
        self,
        principal: Principal,
        search: ClaimSearch,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[ClaimSummary]:
        """Claims by number; by member and dates; by TIN or NPI, status and dates; by payment."""
        now = self._require(principal, Action.READ_CLAIMS, "claims.search")
        where = [claim_condition(principal, Action.READ_CLAIMS, now)]
        where += self._search_conditions(principal, search, now.date())
        sort = parse_sort(search.sort)
        with self.db.read() as conn:
            if self._walk_sort_index(conn, search, sort, where):
                where = [claim_condition(principal, Action.READ_CLAIMS, now)]
                where += self._search_conditions(principal, search, now.date(), _unindexed)
            if search.payment_number and search.payment_number.strip():
                payment_id = conn.execute(
                    select(payments.c.id).where(
                        payments.c.payment_number == search.payment_number.strip().upper()
                    )
                ).scalar()
                where.append(claims.c.payment_id == (payment_id or -1))
            page = self._page(conn, where, after, _limit(limit), sort, search.descending)
        self._audit_members(principal, "claims.search", now, page)
        return page

    def _search_conditions(
        self,
        principal: Principal,
        search: ClaimSearch,
        today: date,
        column: Callable[[Column[Any]], ColumnElement[Any]] = lambda c: c,
    ) -> list[ColumnElement[bool]]:
        """The search's filters; `column` wraps the status and date columns (`_unindexed` when
        the search should walk its order's index)."""
        if search.claim_number and search.claim_number.strip():
            return [claims.c.claim_number == parse_claim_number(search.claim_number)]
        if search.payment_number and search.payment_number.strip():
            return []
        where: list[ColumnElement[bool]] = []
        if search.member_id and search.member_id.strip():
            where.append(claims.c.member_id == parse_member_id(search.member_id))
        elif search.npi and search.npi.strip():
            npi = parse_npi(search.npi)
            where.append(claims.c.rendering_npi == npi)
            if search.tin and search.tin.strip():
                where.append(
                    claims.c.tin == self._scoped_tin(principal, search.tin, "claims.search")
                )
        elif search.tin and search.tin.strip():
            where.append(claims.c.tin == self._scoped_tin(principal, search.tin, "claims.search"))
        else:
            raise ValidationFailed(
                "Search by claim number, by member ID, by provider NPI or Tax ID, "
                "or by payment number.",
                field="claim_number",
            )
        if search.status and search.status.strip():
            where.append(column(claims.c.status) == parse_status(search.status).value)
        start, end = self._dates(search.service_from, search.service_to, today)
        where.append(column(claims.c.service_from) >= start)
        if end is not None:
            where.append(column(claims.c.service_from) <= end)
        return where

    def _walk_sort_index(
        self, conn: Connection, search: ClaimSearch, sort: str, where: Sequence[ColumnElement[bool]]
    ) -> bool:
        """Whether a TIN's or NPI's search in an amount or claim-number order should walk that
        order's index rather than sort what its filters select.

        SQLite's planner picks the (status, date) index whenever a status or dates are given
        and then sorts every match: 1.3 s for a status over a million claims. When the filters
        match many claims (counted up to `WALK_PROBE` on that index, a millisecond), walking the
        order's index and checking the filters row by row stops at a page instead; when they
        match few, sorting them is the faster way.
        """
        if not self.db.is_sqlite or sort not in _WALK_SORT_INDEX:
            return False
        if any(
            value and value.strip()
            for value in (search.claim_number, search.member_id, search.payment_number)
        ):
            return False
        probe = select(claims.c.id).where(*where).limit(WALK_PROBE).subquery()
        found = conn.execute(select(func.count()).select_from(probe)).scalar_one()
        return int(found) >= WALK_PROBE

    # -- detail ------------------------------------------------------------------------------------
    def get_claim(self, principal: Principal, claim_number: str) -> ClaimDetail:
        """A claim with its lines, decoded adjustments and remarks, and what to do if denied."""
        row, now = self._claim_or_refuse(principal, claim_number, Action.READ_CLAIMS, "claims.read")
        with self.db.write() as conn:
            detail = self._details(conn, [row])[0]
            audit.record(
                conn,
                at=now,
                action="claims.read",
                principal=principal,
                tin=row["tin"],
                record_kind="member",
                record_id=row["member_id"],
                detail={"claim_number": row["claim_number"]},
            )
        return detail

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
            adjs = [_adjustment(a) for a in adjustments[row["id"]]]
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
                    **_summary_fields(row),
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

    # -- payments ----------------------------------------------------------------------------------
    def search_payments(
        self,
        principal: Principal,
        search: PaymentSearch,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[PaymentSummary]:
        """Payments (EOPs) by number, or by TIN and payment dates, newest first."""
        now = self._require(principal, Action.READ_PAYMENTS, "payments.search")
        limit = _limit(limit)
        where = [tin_condition(principal, Action.READ_PAYMENTS, now, payments.c.payee_tin)]
        if search.payment_number and search.payment_number.strip():
            where.append(payments.c.payment_number == search.payment_number.strip().upper())
        else:
            if search.tin and search.tin.strip():
                tin = self._scoped_tin(principal, search.tin, "payments.search")
                where.append(payments.c.payee_tin == tin)
            first = parse_date(search.paid_from, "paid_from") if search.paid_from else None
            last = parse_date(search.paid_to, "paid_to") if search.paid_to else None
            check_range(first, last, "paid_from")
            where.append(payments.c.payment_date >= (first or claim_history_start(now.date())))
            if last is not None:
                where.append(payments.c.payment_date <= last)
        if after:
            day, payment_id = date_and_id(after)
            where.append(tuple_(payments.c.payment_date, payments.c.id) < tuple_(day, payment_id))
        claim_count = (
            select(func.count())
            .where(claims.c.payment_id == payments.c.id)
            .correlate(payments)
            .scalar_subquery()
        )
        query = (
            select(payments, tins.c.name.label("payee_name"), claim_count.label("claim_count"))
            .join(tins, tins.c.tin == payments.c.payee_tin)
            .where(*where)
            .order_by(payments.c.payment_date.desc(), payments.c.id.desc())
            .limit(limit + 1)
        )
        with self.db.read() as conn:
            rows = list(conn.execute(query).mappings())
        items = [_payment_summary(r) for r in rows[:limit]]
        cursor = None
        if len(rows) > limit and items:
            cursor = encode(rows[limit - 1]["payment_date"], rows[limit - 1]["id"])
        return Page[PaymentSummary](items=items, next_cursor=cursor)

    def get_payment(self, principal: Principal, payment_number: str) -> PaymentDetail:
        """An EOP: the payment, its provider-level adjustments and its claims with line detail."""
        now = self._require(principal, Action.READ_PAYMENTS, "payments.read")
        number = payment_number.strip().upper()
        with self.db.write() as conn:
            row = (
                conn.execute(
                    select(payments, tins.c.name.label("payee_name"))
                    .join(tins, tins.c.tin == payments.c.payee_tin)
                    .where(
                        payments.c.payment_number == number,
                        tin_condition(principal, Action.READ_PAYMENTS, now, payments.c.payee_tin),
                    )
                )
                .mappings()
                .first()
            )
            if row is not None:
                claim_rows = list(
                    conn.execute(
                        select(*_SUMMARY)
                        .select_from(_FROM)
                        .where(
                            claims.c.payment_id == row["id"],
                            claim_condition(principal, Action.READ_PAYMENTS, now),
                        )
                        .order_by(claims.c.id)
                    ).mappings()
                )
                count = conn.execute(
                    select(func.count()).where(claims.c.payment_id == row["id"])
                ).scalar_one()
                detail = PaymentDetail(
                    **_payment_summary({**row, "claim_count": count}).model_dump(),
                    provider_adjustments=[
                        ProviderAdjustment(
                            code=a["code"],
                            reference=a.get("reference", ""),
                            amount=dollars(a["amount_cents"]),
                        )
                        for a in row["provider_adjustments"]
                    ],
                    claims=self._details(conn, claim_rows),
                )
                audit.record_many(
                    conn,
                    at=now,
                    action="payments.read",
                    principal=principal,
                    record_kind="member",
                    record_ids=[c.member_id for c in detail.claims],
                    tin=row["payee_tin"],
                )
                audit.record(
                    conn,
                    at=now,
                    action="payments.read",
                    principal=principal,
                    tin=row["payee_tin"],
                    record_kind="payment",
                    record_id=number,
                )
                return detail
        self._refused(principal, "payments.read", "payment", number)
        raise NotFound("No such payment.")

    def export_payment(self, principal: Principal, payment_number: str) -> bytes:
        """An EOP as a text document to save."""
        return eop_text(self.get_payment(principal, payment_number)).encode("utf-8")

    # -- denied worklist ---------------------------------------------------------------------------
    def _denied_conditions(
        self, principal: Principal, query: DeniedQuery, now: datetime
    ) -> list[ColumnElement[bool]]:
        if not 1 <= query.days <= 730:
            raise ValidationFailed("Choose between 1 and 730 days.", field="days")
        where = [
            claim_condition(principal, Action.READ_CLAIMS, now),
            claims.c.denial_carc.is_not(None),
            claims.c.adjudicated_date >= now.date() - timedelta(days=query.days),
        ]
        if query.tin and query.tin.strip():
            where.append(claims.c.tin == self._scoped_tin(principal, query.tin, "claims.denied"))
        if query.carc and query.carc.strip():
            where.append(claims.c.denial_carc == parse_carc(query.carc))
        return where

    def denied_worklist(self, principal: Principal, query: DeniedQuery) -> list[DenialReasonGroup]:
        """Denied and partly denied claims of the last days, grouped by reason, with next steps."""
        now = self._require(principal, Action.READ_CLAIMS, "claims.denied")
        where = self._denied_conditions(principal, query, now)
        count = func.count().label("claim_count")
        billed = func.sum(claims.c.billed_cents).label("billed")
        with self.db.read() as conn:
            rows = list(
                conn.execute(
                    select(claims.c.denial_carc, count, billed)
                    .where(*where)
                    .group_by(claims.c.denial_carc)
                    .order_by(count.desc(), claims.c.denial_carc)
                ).mappings()
            )
        groups = []
        for row in rows:
            step = denial_group(row["denial_carc"])
            groups.append(
                DenialReasonGroup(
                    carc=row["denial_carc"],
                    carc_text=carc_text(row["denial_carc"]),
                    next_step_group=step.group,
                    next_step_title=step.title,
                    next_step=step.next_step,
                    claim_count=row["claim_count"],
                    billed=dollars(int(row["billed"] or 0)),
                )
            )
        return groups

    def denied_claims(
        self, principal: Principal, query: DeniedQuery, after: str | None = None, limit: int = 100
    ) -> Page[ClaimSummary]:
        """The claims of the worklist (of one reason when `carc` is set), newest first."""
        now = self._require(principal, Action.READ_CLAIMS, "claims.denied")
        where = self._denied_conditions(principal, query, now)
        with self.db.read() as conn:
            page = self._page(conn, where, after, _limit(limit))
        self._audit_members(principal, "claims.denied", now, page)
        return page

    # -- documents ---------------------------------------------------------------------------------
    def submit_claim_documents(
        self, principal: Principal, claim_number: str, files: list[UploadFile]
    ) -> list[ClaimDocument]:
        """Attach up to 5 files (25 MB each, PDF/TIFF/PNG/JPEG/text); one bad file refuses all."""
        row, now = self._claim_or_refuse(
            principal, claim_number, Action.SUBMIT_CLAIM_DOCUMENTS, "claims.documents.submit"
        )
        media_types = check_submission([(f.file_name, f.content) for f in files])
        with self.db.write() as conn:
            submission = (
                int(
                    conn.execute(
                        select(func.max(claim_documents.c.submission)).where(
                            claim_documents.c.claim_id == row["id"]
                        )
                    ).scalar()
                    or 0
                )
                + 1
            )
            for upload, media_type in zip(files, media_types, strict=True):
                document_id = file_document(
                    conn,
                    kind="upload",
                    tin=row["tin"],
                    file_name=safe_file_name(upload.file_name),
                    media_type=media_type,
                    content=upload.content,
                    at=now,
                    created_by=principal.user_id,
                    linked_kind="claim",
                    linked_id=row["claim_number"],
                    retain_years=10,
                )
                conn.execute(
                    insert(claim_documents).values(
                        claim_id=row["id"],
                        document_id=document_id,
                        submission=submission,
                        submitted_by=principal.user_id,
                        submitted_at=now,
                    )
                )
            audit.record(
                conn,
                at=now,
                action="claims.documents.submit",
                principal=principal,
                tin=row["tin"],
                record_kind="claim",
                record_id=row["claim_number"],
                detail={"files": len(files), "submission": submission},
            )
            return self._documents(conn, row["id"])

    def claim_documents(self, principal: Principal, claim_number: str) -> list[ClaimDocument]:
        """Documents attached to a claim, newest submission first."""
        row, _ = self._claim_or_refuse(
            principal, claim_number, Action.READ_CLAIMS, "claims.documents.list"
        )
        with self.db.read() as conn:
            return self._documents(conn, row["id"])

    def _documents(self, conn: Connection, claim_id: int) -> list[ClaimDocument]:
        rows = conn.execute(
            select(claim_documents, documents)
            .join(documents, documents.c.id == claim_documents.c.document_id)
            .where(claim_documents.c.claim_id == claim_id)
            .order_by(claim_documents.c.submission.desc(), documents.c.id)
        ).mappings()
        return [
            ClaimDocument(
                document_id=r["document_id"],
                file_name=r["file_name"],
                media_type=r["media_type"],
                size=r["size"],
                sha256=r["sha256"],
                submission=r["submission"],
                submitted_at=r["submitted_at"],
            )
            for r in rows
        ]

    # -- inquiries ---------------------------------------------------------------------------------
    def file_inquiry(
        self, principal: Principal, claim_number: str, inquiry: NewInquiry
    ) -> ClaimInquiry:
        """Ask the payer to reconsider a claim."""
        row, now = self._claim_or_refuse(
            principal, claim_number, Action.FILE_INQUIRIES, "claims.inquiry.file"
        )
        reason = _text(inquiry.reason, "reason")[:200]
        body = _text(inquiry.text, "text")
        with self.db.write() as conn:
            inquiry_id = conn.execute(
                insert(claim_inquiries)
                .values(
                    claim_id=row["id"],
                    tin=row["tin"],
                    opened_by=principal.user_id,
                    opened_at=now,
                    reason=reason,
                    text=body,
                    status="open",
                )
                .returning(claim_inquiries.c.id)
            ).scalar_one()
            audit.record(
                conn,
                at=now,
                action="claims.inquiry.file",
                principal=principal,
                tin=row["tin"],
                record_kind="claim",
                record_id=row["claim_number"],
                detail={"inquiry_id": inquiry_id},
            )
            return self._inquiries(conn, [claim_inquiries.c.id == inquiry_id])[0]

    def claim_inquiries(self, principal: Principal, claim_number: str) -> list[ClaimInquiry]:
        """A claim's inquiries, newest first."""
        row, _ = self._claim_or_refuse(
            principal, claim_number, Action.READ_CLAIMS, "claims.inquiry.list"
        )
        with self.db.read() as conn:
            return self._inquiries(conn, [claim_inquiries.c.claim_id == row["id"]])

    def open_inquiries(
        self, principal: Principal, after: str | None = None, limit: int = 100
    ) -> Page[ClaimInquiry]:
        """The payer's queue of unanswered inquiries, oldest first."""
        self._require(principal, Action.ANSWER_INQUIRIES, "claims.inquiry.queue")
        where = [claim_inquiries.c.status == "open"]
        if after:
            where.append(claim_inquiries.c.id > int(date_and_id(after)[1]))
        limit = _limit(limit)
        with self.db.read() as conn:
            items = self._inquiries(conn, where, limit + 1, newest_first=False)
        cursor = encode(date.min, items[limit - 1].id) if len(items) > limit else None
        return Page[ClaimInquiry](items=items[:limit], next_cursor=cursor)

    def _inquiries(
        self,
        conn: Connection,
        where: Iterable[ColumnElement[bool]],
        limit: int | None = None,
        *,
        newest_first: bool = True,
    ) -> list[ClaimInquiry]:
        order = claim_inquiries.c.id.desc() if newest_first else claim_inquiries.c.id
        query = (
            select(claim_inquiries, claims.c.claim_number)
            .join(claims, claims.c.id == claim_inquiries.c.claim_id)
            .where(*where)
            .order_by(order)
            .limit(limit)
        )
        return [
            ClaimInquiry(**{k: r[k] for k in ClaimInquiry.model_fields})
            for r in conn.execute(query).mappings()
        ]

    def answer_inquiry(
        self, principal: Principal, inquiry_id: int, answer: InquiryAnswer
    ) -> ClaimInquiry:
        """Record the payer's answer to an inquiry (customer service)."""
        now = self._require(principal, Action.ANSWER_INQUIRIES, "claims.inquiry.answer")
        text = _text(answer.text, "text")
        with self.db.write() as conn:
            found = self._inquiries(conn, [claim_inquiries.c.id == inquiry_id])
            if not found:
                raise NotFound("No such inquiry.")
            if found[0].status != "open":
                raise Conflict("This inquiry has been answered already.")
            conn.execute(
                update(claim_inquiries)
                .where(claim_inquiries.c.id == inquiry_id)
                .values(
                    status="answered", answer=text, answered_by=principal.user_id, answered_at=now
                )
            )
            audit.record(
                conn,
                at=now,
                action="claims.inquiry.answer",
                principal=principal,
                record_kind="claim_inquiry",
                record_id=inquiry_id,
            )
            return self._inquiries(conn, [claim_inquiries.c.id == inquiry_id])[0]

    # -- grievances and appeals --------------------------------------------------------------------
    def file_appeal(
        self, principal: Principal, claim_number: str, appeal: NewAppeal
    ) -> ClaimAppeal:
        """A grievance or appeal of a denial, within 180 days of it, one open at a time."""
        row, now = self._claim_or_refuse(
            principal, claim_number, Action.FILE_INQUIRIES, "claims.appeal.file"
        )
        kind = parse_appeal_kind(appeal.kind)
        body = _text(appeal.text, "text")
        with self.db.write() as conn:
            open_count = conn.execute(
                select(func.count()).where(
                    claim_appeals.c.claim_id == row["id"], claim_appeals.c.status == "open"
                )
            ).scalar_one()
            denied_on = row["adjudicated_date"] if row["denial_carc"] else None
            check_appeal_allowed(denied_on, now.date(), open_count)
            appeal_id = conn.execute(
                insert(claim_appeals)
                .values(
                    claim_id=row["id"],
                    tin=row["tin"],
                    kind=kind,
                    opened_by=principal.user_id,
                    opened_at=now,
                    text=body,
                    status="open",
                )
                .returning(claim_appeals.c.id)
            ).scalar_one()
            audit.record(
                conn,
                at=now,
                action="claims.appeal.file",
                principal=principal,
                tin=row["tin"],
                record_kind="claim",
                record_id=row["claim_number"],
                detail={"appeal_id": appeal_id, "kind": kind},
            )
            return self._appeals(conn, [claim_appeals.c.id == appeal_id])[0]

    def claim_appeals(self, principal: Principal, claim_number: str) -> list[ClaimAppeal]:
        """A claim's grievances and appeals, newest first."""
        row, _ = self._claim_or_refuse(
            principal, claim_number, Action.READ_CLAIMS, "claims.appeal.list"
        )
        with self.db.read() as conn:
            return self._appeals(conn, [claim_appeals.c.claim_id == row["id"]])

    def open_appeals(
        self, principal: Principal, after: str | None = None, limit: int = 100
    ) -> Page[ClaimAppeal]:
        """The payer's queue of open grievances and appeals, oldest first."""
        self._require(principal, Action.ANSWER_INQUIRIES, "claims.appeal.queue")
        where = [claim_appeals.c.status == "open"]
        if after:
            where.append(claim_appeals.c.id > int(date_and_id(after)[1]))
        limit = _limit(limit)
        with self.db.read() as conn:
            items = self._appeals(conn, where, limit + 1, newest_first=False)
        cursor = encode(date.min, items[limit - 1].id) if len(items) > limit else None
        return Page[ClaimAppeal](items=items[:limit], next_cursor=cursor)

    def _appeals(
        self,
        conn: Connection,
        where: Iterable[ColumnElement[bool]],
        limit: int | None = None,
        *,
        newest_first: bool = True,
    ) -> list[ClaimAppeal]:
        order = claim_appeals.c.id.desc() if newest_first else claim_appeals.c.id
        query = (
            select(claim_appeals, claims.c.claim_number)
            .join(claims, claims.c.id == claim_appeals.c.claim_id)
            .where(*where)
            .order_by(order)
            .limit(limit)
        )
        return [
            ClaimAppeal(**{k: r[k] for k in ClaimAppeal.model_fields})
            for r in conn.execute(query).mappings()
        ]

    def answer_appeal(
        self, principal: Principal, appeal_id: int, answer: AppealAnswer
    ) -> ClaimAppeal:
        """Record the payer's decision on a grievance or appeal: upheld or overturned."""
        now = self._require(principal, Action.ANSWER_INQUIRIES, "claims.appeal.answer")
        outcome = answer.outcome.strip().lower()
        if outcome not in ("upheld", "overturned"):
            raise ValidationFailed("The decision is upheld or overturned.", field="outcome")
        text = _text(answer.text, "text")
        with self.db.write() as conn:
            found = self._appeals(conn, [claim_appeals.c.id == appeal_id])
            if not found:
                raise NotFound("No such grievance or appeal.")
            if found[0].status != "open":
                raise Conflict("This grievance or appeal has been decided already.")
            conn.execute(
                update(claim_appeals)
                .where(claim_appeals.c.id == appeal_id)
                .values(status=outcome, answer=text, answered_by=principal.user_id, answered_at=now)
            )
            audit.record(
                conn,
                at=now,
                action="claims.appeal.answer",
                principal=principal,
                record_kind="claim_appeal",
                record_id=appeal_id,
                detail={"outcome": outcome},
            )
            return self._appeals(conn, [claim_appeals.c.id == appeal_id])[0]

    # -- custom reports ----------------------------------------------------------------------------
    def save_claim_report(
        self, principal: Principal, definition: ClaimReportDefinition
    ) -> SavedClaimReport:
        """Save a report definition under its name (replacing one of the same name)."""
        now = self._require(principal, Action.RUN_CLAIM_REPORTS, "claims.report.save")
        name = check_name(definition.name)
        self._report_conditions(principal, definition, now)  # refuse a bad filter now, not later
        stored = definition.model_copy(
            update={"name": name, "columns": check_columns(definition.columns)}
        )
        data = stored.model_dump()
        with self.db.write() as conn:
            existing = conn.execute(
                select(claim_reports.c.id).where(
                    claim_reports.c.owner_id == principal.user_id, claim_reports.c.name == name
                )
            ).scalar()
            if existing is None:
                report_id = conn.execute(
                    insert(claim_reports)
                    .values(
                        owner_id=principal.user_id,
                        name=name,
                        definition=data,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(claim_reports.c.id)
                ).scalar_one()
            else:
                report_id = existing
                conn.execute(
                    update(claim_reports)
                    .where(claim_reports.c.id == existing)
                    .values(definition=data, updated_at=now)
                )
            audit.record(
                conn,
                at=now,
                action="claims.report.save",
                principal=principal,
                record_kind="claim_report",
                record_id=report_id,
            )
        return SavedClaimReport(id=report_id, name=name, definition=stored, updated_at=now)

    def list_claim_reports(self, principal: Principal) -> list[SavedClaimReport]:
        """The user's saved report definitions, by name."""
        self._require(principal, Action.RUN_CLAIM_REPORTS, "claims.report.list")
        with self.db.read() as conn:
            rows = conn.execute(
                select(claim_reports)
                .where(claim_reports.c.owner_id == principal.user_id)
                .order_by(claim_reports.c.name)
            ).mappings()
            return [
                SavedClaimReport(
                    id=r["id"],
                    name=r["name"],
                    definition=ClaimReportDefinition(**r["definition"]),
                    updated_at=r["updated_at"],
                )
                for r in rows
            ]

    def delete_claim_report(self, principal: Principal, report_id: int) -> None:
        """Delete one of the user's saved reports."""
        now = self._require(principal, Action.RUN_CLAIM_REPORTS, "claims.report.delete")
        with self.db.write() as conn:
            deleted = conn.execute(
                claim_reports.delete().where(
                    claim_reports.c.id == report_id, claim_reports.c.owner_id == principal.user_id
                )
            ).rowcount
            if not deleted:
                raise NotFound("No such report.")
            audit.record(
                conn,
                at=now,
                action="claims.report.delete",
                principal=principal,
                record_kind="claim_report",
                record_id=report_id,
            )

    def _report_conditions(
        self, principal: Principal, definition: ClaimReportDefinition, now: datetime
    ) -> list[ColumnElement[bool]]:
        check_columns(definition.columns)
        where = [claim_condition(principal, Action.RUN_CLAIM_REPORTS, now)]
        if definition.tin and definition.tin.strip():
            where.append(
                claims.c.tin == self._scoped_tin(principal, definition.tin, "claims.report.run")
            )
        if definition.npi and definition.npi.strip():
            where.append(claims.c.rendering_npi == parse_npi(definition.npi))
        if definition.status and definition.status.strip():
            where.append(claims.c.status == parse_status(definition.status).value)
        if definition.denial_carc and definition.denial_carc.strip():
            where.append(claims.c.denial_carc == parse_carc(definition.denial_carc))
        start, end = self._dates(definition.service_from, definition.service_to, now.date())
        where.append(claims.c.service_from >= start)
        if end is not None:
            where.append(claims.c.service_from <= end)
        return where

    def run_claim_report(
        self, principal: Principal, definition: ClaimReportDefinition
    ) -> ClaimReportResult:
        """Run a report: its columns for at most 10,000 claims, newest service first."""
        now = self._require(principal, Action.RUN_CLAIM_REPORTS, "claims.report.run")
        columns = check_columns(definition.columns)
        where = self._report_conditions(principal, definition, now)
        query = (
            select(*_SUMMARY)
            .select_from(_FROM)
            .where(*where)
            .order_by(claims.c.service_from.desc(), claims.c.id.desc())
            .limit(MAX_REPORT_ROWS + 1)
        )
        with self.db.read() as conn:
            rows = list(conn.execute(query).mappings())
        kept = rows[:MAX_REPORT_ROWS]
        cells = []
        for row in kept:
            fields = _summary_fields(row)
            cells.append([_cell(fields[c]) for c in columns])
        # The read above holds no write lock; only the members' audit rows are appended under one.
        with self.db.write() as conn:
            audit.record_many(
                conn,
                at=now,
                action="claims.report.run",
                principal=principal,
                record_kind="member",
                record_ids=[r["member_id"] for r in kept],
            )
        return ClaimReportResult(columns=columns, rows=cells, truncated=len(rows) > MAX_REPORT_ROWS)

    def export_claim_report(self, principal: Principal, definition: ClaimReportDefinition) -> bytes:
        """A report run as CSV (cells a spreadsheet could run as formulas neutralized)."""
        result = self.run_claim_report(principal, definition)
        return csv_bytes(result.columns, result.rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _payment_summary(row: Any) -> PaymentSummary:
    return PaymentSummary(
        payment_number=row["payment_number"],
        payment_date=row["payment_date"],
        method=row["method"],
        payee_tin=row["payee_tin"],
        payee_name=row["payee_name"],
        total=dollars(row["total_cents"]),
        claim_count=row["claim_count"],
    )


def eop_text(eop: PaymentDetail) -> str:
    """An Explanation of Payment as plain text."""
    method = "EFT" if eop.method == "ACH" else "Check"
    lines = [
        "Northwind Health Plan - Explanation of payment",
        "",
        f"Payment {eop.payment_number} ({method}) to {eop.payee_name}, "
        f"TIN {eop.payee_tin[:2]}-{eop.payee_tin[2:]}",
        f"Paid: {eop.payment_date:%B %d, %Y}",
        f"Total paid: {eop.total:,.2f}",
    ]
    for plb in eop.provider_adjustments:
        lines.append(f"Provider adjustment {plb.code} {plb.reference}: {plb.amount:,.2f}")
    for claim in eop.claims:
        lines += [
            "",
            f"Claim {claim.claim_number}  account {claim.patient_account}  member "
            f"{claim.member_id} {claim.member_name}",
            f"  Service {claim.service_from} to {claim.service_to}  status {claim.status}  "
            f"billed {claim.billed:,.2f}  allowed {claim.allowed:,.2f}  paid {claim.paid:,.2f}  "
            f"patient {claim.patient_responsibility:,.2f}",
        ]
        for line in claim.lines:
            mods = ("-" + "-".join(line.modifiers)) if line.modifiers else ""
            lines.append(
                f"  {line.line_number:>3} {line.service_date} {line.procedure_code}{mods} "
                f"x{line.units}  billed {line.billed:,.2f}  allowed {line.allowed:,.2f}  "
                f"paid {line.paid:,.2f}"
            )
            for adj in line.adjustments:
                lines.append(
                    f"        {adj.group_code}-{adj.carc} {adj.amount:,.2f}  {adj.carc_text}"
                )
            for rem in line.remarks:
                lines.append(f"        {rem.rarc}  {rem.text}")
        for adj in claim.claim_adjustments:
            lines.append(f"      {adj.group_code}-{adj.carc} {adj.amount:,.2f}  {adj.carc_text}")
    return "\n".join(lines) + "\n"
