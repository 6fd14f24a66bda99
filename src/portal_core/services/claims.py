"""Claims: the four searches, claim detail, the denied worklist and claim documents.

Payments (EOPs) are in `services/payments.py`, inquiries and appeals in
`services/claim_requests.py`, custom reports in `services/claim_reports.py`; the steps they share
in `services/claim_access.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeGuard

from sqlalchemy import (
    Column,
    Connection,
    func,
    insert,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from portal_core.errors import ValidationFailed
from portal_core.models.claims import (
    ClaimDetail,
    ClaimDocument,
    ClaimSearch,
    ClaimSummary,
    DenialReasonGroup,
    DeniedQuery,
    UploadFile,
)
from portal_core.models.common import Page
from portal_core.models.identity import Principal
from portal_core.rules.adjustment_codes import (
    carc_text,
    denial_group,
    parse_carc,
)
from portal_core.rules.claim_order import parse_sort
from portal_core.rules.claim_status import parse_status
from portal_core.rules.identifiers import (
    parse_claim_number,
    parse_member_id,
    parse_npi,
    parse_payment_number,
)
from portal_core.rules.money import dollars
from portal_core.rules.permissions import Action
from portal_core.rules.uploads import check_submission, safe_file_name
from portal_core.services import audit
from portal_core.services.claim_access import (
    WALK_PROBE,
    WALK_SORT_INDEX,
    ClaimAccess,
    page_limit,
    unindexed,
)
from portal_core.services.documents import file_document
from portal_core.services.record_scope import claim_condition
from portal_core.store.schema import (
    claim_documents,
    claims,
    documents,
    payments,
)


def _given(value: str | None) -> TypeGuard[str]:
    """Whether a criterion was filled in (blank is not given)."""
    return bool(value and value.strip())


class ClaimService(ClaimAccess):
    """Claim search and detail, the denied worklist, claim documents."""

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
                where += self._search_conditions(principal, search, now.date(), unindexed)
            if _given(search.payment_number):
                payment_id = conn.execute(
                    select(payments.c.id).where(
                        payments.c.payment_number == parse_payment_number(search.payment_number)
                    )
                ).scalar()
                where.append(claims.c.payment_id == (payment_id or -1))
            page = self._page(conn, where, after, page_limit(limit), sort, search.descending)
        self._audit_members(principal, "claims.search", now, page)
        return page

    def _search_conditions(
        self,
        principal: Principal,
        search: ClaimSearch,
        today: date,
        column: Callable[[Column[Any]], ColumnElement[Any]] = lambda c: c,
    ) -> list[ColumnElement[bool]]:
        """The search's filters; `column` wraps the status and date columns (`unindexed` when
        the search should walk its order's index).

        Every criterion given is checked, then the combination: a claim number or a payment
        number finds its claims alone (anything beside it is refused, never silently dropped);
        member, NPI and Tax ID narrow one another, with a status and service dates.
        """
        claim_number = (
            parse_claim_number(search.claim_number) if _given(search.claim_number) else None
        )
        payment_number = (
            parse_payment_number(search.payment_number) if _given(search.payment_number) else None
        )
        member_id = parse_member_id(search.member_id) if _given(search.member_id) else None
        npi = parse_npi(search.npi) if _given(search.npi) else None
        status = parse_status(search.status).value if _given(search.status) else None
        start, end = self._dates(search.service_from, search.service_to, today)
        tin = (
            self._scoped_tin(principal, search.tin, "claims.search") if _given(search.tin) else None
        )
        beside = [
            label
            for label, value in (
                ("member ID", member_id),
                ("Tax ID", tin),
                ("NPI", npi),
                ("status", status),
                ("service dates", search.service_from or search.service_to),
            )
            if value
        ]
        if claim_number and payment_number:
            raise ValidationFailed(
                "Search by claim number or by payment number, not both.", field="payment_number"
            )
        alone = (
            ("claim number", "claim_number", claim_number)
            if claim_number
            else ("payment number", "payment_number", payment_number)
        )
        if alone[2] and beside:
            raise ValidationFailed(
                f"A {alone[0]} finds its claims alone: clear the {' and '.join(beside)}.",
                field=alone[1],
            )
        if claim_number:
            return [claims.c.claim_number == claim_number]
        if payment_number:
            return []
        if not (member_id or npi or tin):
            raise ValidationFailed(
                "Search by claim number, by member ID, by provider NPI or Tax ID, "
                "or by payment number.",
                field="claim_number",
            )
        where: list[ColumnElement[bool]] = []
        if member_id:
            where.append(claims.c.member_id == member_id)
        if npi:
            where.append(claims.c.rendering_npi == npi)
        if tin:
            where.append(claims.c.tin == tin)
        if status:
            where.append(column(claims.c.status) == status)
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
        if not self.db.is_sqlite or sort not in WALK_SORT_INDEX:
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
            page = self._page(conn, where, after, page_limit(limit))
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
