"""Requests about a claim: inquiries (reconsiderations) and grievances/appeals, filed by the
provider side and answered by the call center."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    Connection,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from portal_core.errors import Conflict, NotFound, ValidationFailed
from portal_core.models.claims import (
    AppealAnswer,
    ClaimAppeal,
    ClaimInquiry,
    InquiryAnswer,
    NewAppeal,
    NewInquiry,
)
from portal_core.models.common import Page
from portal_core.models.identity import Principal
from portal_core.rules.appeals import check_appeal_allowed, parse_appeal_kind
from portal_core.rules.permissions import Action
from portal_core.services import audit, keyset
from portal_core.services.claim_access import (
    ClaimAccess,
    page_limit,
)
from portal_core.store.schema import (
    claim_appeals,
    claim_inquiries,
    claims,
)

MAX_TEXT = 4000
"""Longest inquiry, appeal or answer text."""


def _text(value: str, field: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationFailed("Write what you are asking for.", field=field)
    if len(cleaned) > MAX_TEXT:
        raise ValidationFailed("Keep it under 4,000 characters.", field=field)
    return cleaned


class ClaimRequestService(ClaimAccess):
    """Inquiries and appeals on claims."""

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
        position = keyset.seek(after, (claim_inquiries.c.id,), descending=False)
        where = position.where([claim_inquiries.c.status == "open"])
        limit = page_limit(limit)
        with self.db.read() as conn:
            found = self._inquiries(conn, where, limit + 1, newest_first=position.backward)
        items, cursor = position.page(found, limit, key=lambda item: (item.id,))
        return Page[ClaimInquiry](items=items, next_cursor=cursor)

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
        position = keyset.seek(after, (claim_appeals.c.id,), descending=False)
        where = position.where([claim_appeals.c.status == "open"])
        limit = page_limit(limit)
        with self.db.read() as conn:
            found = self._appeals(conn, where, limit + 1, newest_first=position.backward)
        items, cursor = position.page(found, limit, key=lambda item: (item.id,))
        return Page[ClaimAppeal](items=items, next_cursor=cursor)

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
