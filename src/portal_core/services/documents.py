"""Documents: letters, EOPs, care plans, review evidence and uploads, filed and read.

`file_document` is how every area files a document inside its own transaction (review sign-off,
determination letters, EOPs). `DocumentService` lists and reads them: a document has exactly the
readers of the record it belongs to (`rules.document_access` names the record, `record_scope` the
record's scope), for the list, its count, a read by id and so a save or a print.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, false, func, insert, or_, select, true, tuple_
from sqlalchemy.sql.elements import ColumnElement

from portal_core import errors
from portal_core.clock import Clock
from portal_core.errors import NotFound, ValidationFailed
from portal_core.models.common import Page
from portal_core.models.documents import Document, DocumentQuery, DocumentSummary
from portal_core.models.identity import Principal, Role
from portal_core.rules.document_access import (
    DOCUMENT_KINDS,
    Record,
    documents_following,
    readable_records,
)
from portal_core.rules.permissions import Action, allowed, require
from portal_core.services import audit, keyset
from portal_core.services.record_scope import (
    admission_condition,
    claim_condition,
    member_condition,
    payment_condition,
    preauth_condition,
    referral_condition,
    tin_condition,
)
from portal_core.store.engine import Database
from portal_core.store.schema import (
    admissions,
    claims,
    documents,
    message_threads,
    payments,
    preauth_requests,
    referrals,
)

__all__ = ["DOCUMENT_KINDS", "DocumentService", "file_document", "readable_documents"]


def _retain_until(at: datetime, years: int) -> date:
    day = at.date()
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a non-leap year
        return day.replace(year=day.year + years, day=28)


def file_document(
    conn: Connection,
    *,
    kind: str,
    tin: str | None,
    file_name: str,
    media_type: str,
    content: bytes,
    at: datetime,
    created_by: int | None,
    linked_kind: str | None = None,
    linked_id: str | int | None = None,
    retain_years: int | None = None,
) -> int:
    """Store a document in the caller's transaction, with its size and SHA-256; returns its id."""
    if kind not in DOCUMENT_KINDS:
        raise ValidationFailed("That is not a kind of document the portal keeps.", field="kind")
    result = conn.execute(
        insert(documents)
        .values(
            kind=kind,
            tin=tin,
            linked_kind=linked_kind,
            linked_id=None if linked_id is None else str(linked_id),
            file_name=file_name,
            media_type=media_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            created_at=at,
            created_by=created_by,
            retain_until=None if retain_years is None else _retain_until(at, retain_years),
            content=content,
        )
        .returning(documents.c.id)
    )
    return int(result.scalar_one())


def _record_condition(principal: Principal, record: Record, now: datetime) -> ColumnElement[bool]:
    """The documents of `record`'s kind whose record the principal may read: the record's own
    scope check (`record_scope`), joined to the document by its link."""
    link = documents.c.linked_id
    if record is Record.ADMISSION:
        return exists().where(
            admissions.c.number == link,
            admission_condition(principal, Action.READ_ADMISSIONS, now),
        )
    if record in (Record.PREAUTH, Record.PREAUTH_CLINICAL):
        action = Action.READ_PREAUTH if record is Record.PREAUTH else Action.READ_PREAUTH_CLINICAL
        return exists().where(
            preauth_requests.c.number == link, preauth_condition(principal, action, now)
        )
    if record is Record.REFERRAL:
        return exists().where(
            referrals.c.number == link, referral_condition(principal, Action.READ_REFERRALS, now)
        )
    if record is Record.CLAIM:
        return exists().where(
            claims.c.claim_number == link, claim_condition(principal, Action.READ_CLAIMS, now)
        )
    if record is Record.MESSAGE_THREAD:
        return exists().where(
            message_threads.c.reference == link,
            tin_condition(principal, Action.SEND_MESSAGES, now, message_threads.c.tin),
        )
    if record is Record.PAYMENT:
        # An EOP has the readers of its payment: filed under its payee TIN, by its number.
        paid = select(payments.c.id).where(payments.c.payment_number == link).scalar_subquery()
        return payment_condition(principal, Action.READ_PAYMENTS, now, documents.c.tin, paid)
    if record is Record.CARE_PLAN:
        return member_condition(principal, Action.READ_CARE_PLANS, now, link)
    if record is Record.REVIEW_CAMPAIGN:
        # Evidence is filed under its campaign's TIN; whoever runs that TIN's reviews reads it.
        return tin_condition(principal, Action.RUN_REVIEWS, now, documents.c.tin)
    if record is Record.PROFILE_UPDATE:
        if allowed(principal, Action.APPROVE_PROFILE_UPDATE, None, now):
            return true()
        administered = sorted(
            tin
            for tin, role in principal.tin_roles.items()
            if role is Role.ADMINISTRATOR
            and allowed(principal, Action.REQUEST_PROFILE_UPDATE, tin, now)
        )
        return documents.c.tin.in_(administered) if administered else false()
    if record is Record.TIN_NOTICE:
        return tin_condition(principal, Action.READ_DOCUMENTS, now, documents.c.tin)
    return false()


def readable_documents(principal: Principal, now: datetime) -> ColumnElement[bool]:
    """The documents the principal may read, as a SQL condition: for each kind of record it may
    read (`rules.document_access`), the documents that follow that record, within its scope."""
    conditions: list[ColumnElement[bool]] = []
    for record in readable_records(principal, now):
        pairs = documents_following(record)
        linked = [(kind, link) for kind, link in pairs if link is not None]
        unlinked = sorted({kind for kind, link in pairs if link is None})
        matches: list[ColumnElement[bool]] = []
        if linked:
            matches.append(tuple_(documents.c.kind, documents.c.linked_kind).in_(linked))
        if unlinked:
            matches.append(and_(documents.c.kind.in_(unlinked), documents.c.linked_kind.is_(None)))
        if matches:
            conditions.append(and_(or_(*matches), _record_condition(principal, record, now)))
    return or_(*conditions) if conditions else false()


_SUMMARY_COLUMNS = [c for c in documents.c if c.name != "content"]


def _summary(row: Any) -> DocumentSummary:
    return DocumentSummary(**{name: row[name] for name in DocumentSummary.model_fields})


_ORDER = (documents.c.created_at, documents.c.id)
"""The lists' keyset order (newest first)."""


class DocumentService:
    """Lists and reads documents: each has exactly the readers of the record it belongs to."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    def _deny(self, principal: Principal, action: str, record_id: str | int | None) -> None:
        audit.record_refusal(
            self.db,
            self.clock.now(),
            principal,
            action,
            record_kind="document",
            record_id=record_id,
        )

    def list_documents(
        self,
        principal: Principal,
        kind: str | None = None,
        tin: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[DocumentSummary]:
        """Documents the actor may read, newest first, keyset-paged."""
        now = self.clock.now()
        try:
            require(principal, Action.READ_DOCUMENTS, tin, now)
        except errors.PermissionDenied:
            self._deny(principal, "documents.list", None)
            raise
        limit = max(1, min(limit, 500))
        conditions: list[ColumnElement[bool]] = [readable_documents(principal, now)]
        if kind:
            conditions.append(documents.c.kind == kind)
        if tin:
            conditions.append(documents.c.tin == tin)
        position = keyset.seek(after, _ORDER, descending=True)
        query = (
            select(*_SUMMARY_COLUMNS)
            .where(*position.where(conditions))
            .order_by(*position.order)
            .limit(limit + 1)
        )
        with self.db.read() as conn:
            rows, cursor = position.page(list(conn.execute(query).mappings()), limit)
        return Page[DocumentSummary](items=[_summary(r) for r in rows], next_cursor=cursor)

    def search_documents(
        self,
        principal: Principal,
        query: DocumentQuery,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[DocumentSummary]:
        """Documents the actor may see matching `query` (kind, TIN, filing dates, linked record),
        newest first, keyset-paged; the first page carries the count."""
        now = self.clock.now()
        try:
            require(principal, Action.READ_DOCUMENTS, query.tin, now)
        except errors.PermissionDenied:
            self._deny(principal, "documents.list", None)
            raise
        if query.kind and query.kind not in DOCUMENT_KINDS:
            raise ValidationFailed(
                "Choose a kind: " + ", ".join(k.replace("_", " ") for k in DOCUMENT_KINDS) + ".",
                field="kind",
            )
        if query.since and query.until and query.since > query.until:
            raise ValidationFailed("The start date is after the end date.", field="since")
        if query.linked_kind and not (query.linked_id or "").strip():
            raise ValidationFailed("Give the linked record's number.", field="linked_id")
        limit = max(1, min(limit, 500))
        conditions: list[ColumnElement[bool]] = [readable_documents(principal, now)]
        if query.kind:
            conditions.append(documents.c.kind == query.kind)
        if query.tin:
            conditions.append(documents.c.tin == query.tin)
        if query.since:
            conditions.append(documents.c.created_at >= datetime.combine(query.since, time(), UTC))
        if query.until:
            end = datetime.combine(query.until + timedelta(days=1), time(), UTC)
            conditions.append(documents.c.created_at < end)
        if query.linked_kind:
            conditions.append(documents.c.linked_kind == query.linked_kind)
        if query.linked_id and query.linked_id.strip():
            linked = query.linked_id.strip()
            conditions.append(
                or_(documents.c.linked_id == linked, documents.c.linked_id == linked.upper())
            )
        total: int | None = None
        with self.db.read() as conn:
            if after is None:
                total = int(
                    conn.execute(
                        select(func.count()).select_from(documents).where(*conditions)
                    ).scalar_one()
                )
            position = keyset.seek(after, _ORDER, descending=True)
            rows, cursor = position.page(
                list(
                    conn.execute(
                        select(*_SUMMARY_COLUMNS)
                        .where(*position.where(conditions))
                        .order_by(*position.order)
                        .limit(limit + 1)
                    ).mappings()
                ),
                limit,
            )
        items = [_summary(r) for r in rows]
        return Page[DocumentSummary](items=items, next_cursor=cursor, total=total)

    def get_document(self, principal: Principal, document_id: int) -> Document:
        """One document with its content, when the principal may read the record it belongs to
        (`readable_documents`); the read is audited. Any other id is "not found" (audited), so
        the answer never tells whether such a document exists."""
        now = self.clock.now()
        with self.db.write() as conn:
            row = (
                conn.execute(
                    select(documents).where(
                        documents.c.id == document_id, readable_documents(principal, now)
                    )
                )
                .mappings()
                .first()
            )
            if row is not None:
                audit.record(
                    conn,
                    at=now,
                    action="documents.read",
                    principal=principal,
                    tin=row["tin"],
                    record_kind="document",
                    record_id=document_id,
                    detail={"kind": row["kind"]},
                )
                return Document(**{name: row[name] for name in Document.model_fields})
        self._deny(principal, "documents.read", document_id)
        raise NotFound("No such document.")
