"""Documents: letters, EOPs, care plans, review evidence and uploads, filed and read.

`file_document` is how every area files a document inside its own transaction (review sign-off,
determination letters, EOPs). `DocumentService` lists and reads them within the actor's scope.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, false, func, insert, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from portal_core import errors
from portal_core.clock import Clock
from portal_core.errors import NotFound, ValidationFailed
from portal_core.models.common import Page
from portal_core.models.documents import Document, DocumentQuery, DocumentSummary
from portal_core.models.identity import Principal, Role
from portal_core.rules.permissions import WHOLE_TIN_ROLES, Action, require, sees_all_tins
from portal_core.services import audit, keyset
from portal_core.store.engine import Database
from portal_core.store.schema import documents

DOCUMENT_KINDS = ("letter", "eop", "care_plan", "review_evidence", "upload")
"""The kinds of document the portal files."""

_WHOLE_TIN_KINDS = frozenset({"review_evidence"})
"""Kinds only administrators and practice maintenance users of the TIN see (user access data)."""

_CLINICAL_KINDS = frozenset({"care_plan"})
"""Kinds billing users never see (no clinical detail)."""


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


_SUMMARY_COLUMNS = [c for c in documents.c if c.name != "content"]


def _summary(row: Any) -> DocumentSummary:
    return DocumentSummary(**{name: row[name] for name in DocumentSummary.model_fields})


def _encode_cursor(created_at: datetime, doc_id: int) -> str:
    raw = f"{created_at.isoformat()}|{doc_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    return keyset.read(cursor, datetime, int)


class DocumentService:
    """Lists and reads documents within the actor's scope."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    def _visible(self, principal: Principal) -> ColumnElement[bool]:
        """Which documents the principal may see, as a SQL condition."""
        if sees_all_tins(principal):
            return true()
        conditions: list[ColumnElement[bool]] = []
        for tin, role in principal.tin_roles.items():
            hidden: set[str] = set()
            if role not in WHOLE_TIN_ROLES:
                hidden |= _WHOLE_TIN_KINDS
            if role is Role.BILLING:
                hidden |= _CLINICAL_KINDS
            if hidden:
                conditions.append(and_(documents.c.tin == tin, documents.c.kind.not_in(hidden)))
            else:
                conditions.append(documents.c.tin == tin)
        return or_(*conditions) if conditions else false()

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
        """Documents the actor may see, newest first, keyset-paged."""
        try:
            require(principal, Action.READ_DOCUMENTS, tin, self.clock.now())
        except errors.PermissionDenied:
            self._deny(principal, "documents.list", None)
            raise
        limit = max(1, min(limit, 500))
        conditions: list[ColumnElement[bool]] = [self._visible(principal)]
        if kind:
            conditions.append(documents.c.kind == kind)
        if tin:
            conditions.append(documents.c.tin == tin)
        if after:
            at, doc_id = _decode_cursor(after)
            conditions.append(
                or_(
                    documents.c.created_at < at,
                    and_(documents.c.created_at == at, documents.c.id < doc_id),
                )
            )
        query = (
            select(*_SUMMARY_COLUMNS)
            .where(*conditions)
            .order_by(documents.c.created_at.desc(), documents.c.id.desc())
            .limit(limit + 1)
        )
        with self.db.read() as conn:
            rows = list(conn.execute(query).mappings())
        items = [_summary(r) for r in rows[:limit]]
        cursor = None
        if len(rows) > limit and items:
            cursor = _encode_cursor(items[-1].created_at, items[-1].id)
        return Page[DocumentSummary](items=items, next_cursor=cursor)

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
        conditions: list[ColumnElement[bool]] = [self._visible(principal)]
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
            if after:
                at, doc_id = _decode_cursor(after)
                conditions.append(
                    or_(
                        documents.c.created_at < at,
                        and_(documents.c.created_at == at, documents.c.id < doc_id),
                    )
                )
            rows = list(
                conn.execute(
                    select(*_SUMMARY_COLUMNS)
                    .where(*conditions)
                    .order_by(documents.c.created_at.desc(), documents.c.id.desc())
                    .limit(limit + 1)
                ).mappings()
            )
        items = [_summary(r) for r in rows[:limit]]
        cursor = None
        if len(rows) > limit and items:
            cursor = _encode_cursor(items[-1].created_at, items[-1].id)
        return Page[DocumentSummary](items=items, next_cursor=cursor, total=total)

    def get_document(self, principal: Principal, document_id: int) -> Document:
        """One document with its content; the read is audited."""
        now = self.clock.now()
        with self.db.write() as conn:
            row = (
                conn.execute(
                    select(documents).where(documents.c.id == document_id, self._visible(principal))
                )
                .mappings()
                .first()
            )
            allowed = row is not None
            if row is not None:
                try:
                    require(principal, Action.READ_DOCUMENTS, row["tin"], now)
                except errors.PermissionDenied:
                    allowed = False
            if allowed and row is not None:
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
