"""The Message Center: threads between provider offices and the payer's call center.

A thread belongs to one Tax ID; provider-side users see their TINs' threads, a `csr` reads all of
them. A provider post leaves the thread waiting for the payer, a CSR answer waiting for the
provider; a CSR closes it, and a provider reply within 30 days of closing reopens it. Reads of a
thread linked to a member are audited with the member ID; lists audit the members on each page.
Message text is plain text, stored as written: whoever shows it escapes it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from portal_core.clock import Clock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.claims import UploadFile
from portal_core.models.common import Page
from portal_core.models.identity import Principal
from portal_core.models.messages import (
    CATEGORIES,
    LINKED_KINDS,
    STATUSES,
    MessageAttachment,
    MessagePost,
    NewPost,
    NewThread,
    ThreadDetail,
    ThreadFilter,
    ThreadLookup,
    ThreadSummary,
)
from portal_core.rules.identifiers import parse_claim_number, parse_member_id, parse_tin
from portal_core.rules.permissions import Action, allowed, sees_all_tins
from portal_core.rules.service_dates import check_range, parse_date
from portal_core.rules.uploads import check_submission, safe_file_name
from portal_core.services import audit, keyset
from portal_core.services.documents import file_document
from portal_core.services.record_scope import claim_condition, member_visible, tin_condition
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.messages import activity_order, parse_query, search_newest
from portal_core.store.schema import (
    claims,
    documents,
    message_attachments,
    message_posts,
    message_reads,
    message_threads,
    organizations,
    tins,
    user_roles,
    users,
)

if TYPE_CHECKING:
    from portal_core.models.admissions import AdmissionDetail
    from portal_core.models.preauth import PreauthDetail
    from portal_core.models.referrals import ReferralDetail

MAX_SUBJECT = 200
"""Longest subject line."""

MAX_BODY = 8000
"""Longest post."""

MAX_PAGE = 200
"""Largest page a list returns."""

REOPEN_DAYS = 30
"""Days after closing during which a provider reply reopens a thread."""

_AREA_RECORDS = {
    "preauth": "PA-2026-000123",
    "referral": "REF-2026-000123",
    "admission": "ADM-2026-000123",
}
"""Linked kinds whose own service decides who sees them, with an example number each."""

REFERENCE_ATTEMPTS = 20
"""Reference numbers tried when concurrent senders took the previous ones (PostgreSQL)."""

_REFERENCE = re.compile(r"MSG-(\d{4})-(\d{6})")

_COLUMNS = (
    message_threads,
    organizations.c.name.label("organization"),
    organizations.c.kind.label("organization_kind"),
    users.c.full_name.label("author_name"),
)
_SEARCH_KEYS = (message_threads.c.id, message_threads.c.subject, message_threads.c.last_post_at)
"""What the free-text search walks with (the page's rows are read once it has chosen them)."""

_ACTIVITY = (message_threads.c.last_post_at, message_threads.c.id)
"""The inbox's keyset order (newest activity first)."""

_FROM = message_threads.join(
    organizations, organizations.c.id == message_threads.c.organization_id
).join(users, users.c.id == message_threads.c.author_id)


def parse_reference(value: str) -> str:
    """A thread reference number, `MSG-YYYY-NNNNNN`, upper-cased; or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not _REFERENCE.fullmatch(cleaned):
        raise ValidationFailed("A reference number looks like MSG-2026-000123.", field="reference")
    return cleaned


def _text(value: str, field: str, longest: int, empty: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationFailed(empty, field=field)
    if len(cleaned) > longest:
        raise ValidationFailed(f"Keep it under {longest:,} characters.", field=field)
    return cleaned


def _attachments(files: Sequence[UploadFile]) -> list[str]:
    """Media types of the files (none is fine); one bad file refuses the whole post."""
    if not files:
        return []
    return check_submission([(f.file_name, f.content) for f in files])


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def _summary_fields(row: Any, unread: bool) -> dict[str, Any]:
    return {
        "reference": row["reference"],
        "tin": row["tin"],
        "organization": row["organization"],
        "author_name": row["author_name"],
        "topic": row["topic"],
        "category": row["category"],
        "linked_kind": row["linked_kind"],
        "linked_id": row["linked_id"],
        "subject": row["subject"],
        "status": row["status"],
        "created_at": row["created_at"],
        "last_post_at": row["last_post_at"],
        "waiting_since": row["waiting_since"],
        "closed_at": row["closed_at"],
        "unread": unread,
    }


def _unread(read_at: datetime | None, last_post_at: datetime) -> bool:
    return read_at is None or read_at < last_post_at


class MessageService:
    """Threads, posts, the inbox, search, the CSR queue and reference lookups."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    # -- shared steps ------------------------------------------------------------------------------
    def _require(self, principal: Principal, action: Action, audit_action: str) -> datetime:
        return audit.require_or_refuse(self.db, self.clock, principal, action, audit_action)

    def _refused(
        self, principal: Principal, action: str, kind: str | None, record_id: str | None
    ) -> None:
        audit.record_refusal(
            self.db, self.clock.now(), principal, action, record_kind=kind, record_id=record_id
        )

    def _scope(self, principal: Principal, now: datetime) -> ColumnElement[bool]:
        return tin_condition(principal, Action.SEND_MESSAGES, now, message_threads.c.tin)

    def _thread_row(
        self, conn: Connection, principal: Principal, reference: str, now: datetime
    ) -> Any:
        return (
            conn.execute(
                select(*_COLUMNS)
                .select_from(_FROM)
                .where(message_threads.c.reference == reference, self._scope(principal, now))
            )
            .mappings()
            .first()
        )

    def _thread_or_refuse(
        self, principal: Principal, value: str, now: datetime, audit_action: str
    ) -> Any:
        reference = parse_reference(value)
        with self.db.read() as conn:
            row = self._thread_row(conn, principal, reference, now)
        if row is None:
            self._refused(principal, audit_action, "message_thread", reference)
            raise NotFound("No such message thread.")
        return row

    def _mark_read(self, conn: Connection, thread_id: int, user_id: int, now: datetime) -> None:
        changed = conn.execute(
            update(message_reads)
            .where(message_reads.c.thread_id == thread_id, message_reads.c.user_id == user_id)
            .values(read_at=now)
        ).rowcount
        if not changed:
            conn.execute(
                insert(message_reads).values(thread_id=thread_id, user_id=user_id, read_at=now)
            )

    def _post(
        self,
        conn: Connection,
        principal: Principal,
        thread: Any,
        body: str,
        files: Sequence[UploadFile],
        media_types: Sequence[str],
        now: datetime,
    ) -> None:
        post_id = conn.execute(
            insert(message_posts)
            .values(
                thread_id=thread["id"],
                author_id=principal.user_id,
                payer_side=principal.payer_role is not None,
                body=body,
                created_at=now,
            )
            .returning(message_posts.c.id)
        ).scalar_one()
        for upload, media_type in zip(files, media_types, strict=True):
            document_id = file_document(
                conn,
                kind="upload",
                tin=thread["tin"],
                file_name=safe_file_name(upload.file_name),
                media_type=media_type,
                content=upload.content,
                at=now,
                created_by=principal.user_id,
                linked_kind="message_thread",
                linked_id=thread["reference"],
                retain_years=10,
            )
            conn.execute(
                insert(message_attachments).values(post_id=post_id, document_id=document_id)
            )
        self._mark_read(conn, thread["id"], principal.user_id, now)

    def _detail(self, conn: Connection, row: Any, user_id: int, now: datetime) -> ThreadDetail:
        posts = list(
            conn.execute(
                select(message_posts, users.c.full_name)
                .join(users, users.c.id == message_posts.c.author_id)
                .where(message_posts.c.thread_id == row["id"])
                .order_by(message_posts.c.id)
            ).mappings()
        )
        files: dict[int, list[MessageAttachment]] = {}
        if posts:
            for f in conn.execute(
                select(message_attachments.c.post_id, documents)
                .join(documents, documents.c.id == message_attachments.c.document_id)
                .where(message_attachments.c.post_id.in_([p["id"] for p in posts]))
                .order_by(documents.c.id)
            ).mappings():
                files.setdefault(f["post_id"], []).append(
                    MessageAttachment(
                        document_id=f["id"],
                        file_name=f["file_name"],
                        media_type=f["media_type"],
                        size=f["size"],
                    )
                )
        read_at = conn.execute(
            select(message_reads.c.read_at).where(
                message_reads.c.thread_id == row["id"], message_reads.c.user_id == user_id
            )
        ).scalar()
        closed_at = row["closed_at"]
        return ThreadDetail(
            **_summary_fields(row, _unread(read_at, row["last_post_at"])),
            posts=[
                MessagePost(
                    id=p["id"],
                    author_name=p["full_name"],
                    payer_side=p["payer_side"],
                    body=p["body"],
                    created_at=p["created_at"],
                    attachments=files.get(p["id"], []),
                )
                for p in posts
            ],
            reopen_until=closed_at + timedelta(days=REOPEN_DAYS) if closed_at else None,
        )

    def _reload(
        self, conn: Connection, thread_id: int, user_id: int, now: datetime
    ) -> ThreadDetail:
        row = (
            conn.execute(
                select(*_COLUMNS).select_from(_FROM).where(message_threads.c.id == thread_id)
            )
            .mappings()
            .one()
        )
        return self._detail(conn, row, user_id, now)

    def _next_reference(self, conn: Connection, now: datetime) -> str:
        prefix = f"MSG-{now.year:04d}-"
        highest = conn.execute(
            select(func.max(message_threads.c.reference)).where(
                message_threads.c.reference.like(prefix + "%")
            )
        ).scalar()
        number = int(highest[-6:]) + 1 if highest else 1
        if number > 999_999:
            raise Conflict("No reference numbers are left this year.")
        return f"{prefix}{number:06d}"

    def _insert_thread(
        self, conn: Connection, values: dict[str, Any], now: datetime
    ) -> tuple[int, str]:
        """Insert the thread under the next free reference number; returns (id, reference).

        On SQLite writers take turns (`BEGIN IMMEDIATE`), so the highest number plus one is free.
        On PostgreSQL two transactions can read the same highest number at once: the second
        insert then waits on the unique index and fails when the first commits. The insert runs
        in a savepoint, so that failure undoes only it; under READ COMMITTED the next attempt
        sees the committed number and takes the one after."""
        for _ in range(REFERENCE_ATTEMPTS):
            reference = self._next_reference(conn, now)
            try:
                with conn.begin_nested():
                    thread_id = conn.execute(
                        insert(message_threads)
                        .values(reference=reference, **values)
                        .returning(message_threads.c.id)
                    ).scalar_one()
            except IntegrityError:
                taken = conn.execute(
                    select(message_threads.c.id).where(message_threads.c.reference == reference)
                ).first()
                if taken is None:
                    raise  # another constraint: not a collision, not ours to retry
                continue
            return int(thread_id), reference
        raise Conflict("Many messages are being sent at this moment; send it again.")

    # -- writing -----------------------------------------------------------------------------------
    def send_message(self, principal: Principal, thread: NewThread) -> ThreadDetail:
        """Open a thread: general with a category, or about a claim or member the user can see."""
        now = self._require(principal, Action.SEND_MESSAGES, "messages.send")
        tin = parse_tin(thread.tin)
        payer_side = sees_all_tins(principal)
        if not payer_side and not allowed(principal, Action.SEND_MESSAGES, tin, now):
            self._refused(principal, "messages.send", "tin", tin)
            raise NotFound("No such Tax ID.")
        subject = _text(thread.subject, "subject", MAX_SUBJECT, "Write a subject.")
        body = _text(thread.body, "body", MAX_BODY, "Write your message.")
        topic, category, linked_kind, linked_id = self._topic(thread)
        media_types = _attachments(thread.attachments)
        member_id: str | None = None
        with self.db.read() as conn:
            organization_id = conn.execute(
                select(tins.c.organization_id).where(tins.c.tin == tin)
            ).scalar()
            if linked_kind == "claim":
                assert linked_id is not None
                member_id = conn.execute(
                    select(claims.c.member_id).where(
                        claims.c.claim_number == linked_id,
                        claims.c.tin == tin,
                        claim_condition(principal, Action.READ_CLAIMS, now),
                    )
                ).scalar()
                visible = member_id is not None
            elif linked_kind == "member":
                assert linked_id is not None
                member_id = linked_id
                visible = member_visible(conn, principal, linked_id, Action.READ_MEMBERS, now)
            else:
                visible = True
        if organization_id is None:
            raise NotFound("No such Tax ID.")
        if linked_kind in _AREA_RECORDS:
            assert linked_id is not None
            found = self._area_record(principal, linked_kind, linked_id)
            visible = found is not None and found[0] == tin
            if found is not None:
                linked_id, member_id = found[1], found[2]
        if not visible:
            self._refused(principal, "messages.send", linked_kind, linked_id)
            raise NotFound(f"No such {linked_kind} among the records you can see.")
        with self.db.write() as conn:
            thread_id, reference = self._insert_thread(
                conn,
                {
                    "organization_id": organization_id,
                    "tin": tin,
                    "author_id": principal.user_id,
                    "topic": topic,
                    "category": category,
                    "linked_kind": linked_kind,
                    "linked_id": linked_id,
                    "member_id": member_id,
                    "subject": subject,
                    "status": "awaiting_provider" if payer_side else "awaiting_payer",
                    "created_at": now,
                    "last_post_at": now,
                    "waiting_since": None if payer_side else now,
                },
                now,
            )
            row = {"id": thread_id, "tin": tin, "reference": reference}
            self._post(conn, principal, row, body, thread.attachments, media_types, now)
            audit.record(
                conn,
                at=now,
                action="messages.send",
                principal=principal,
                tin=tin,
                record_kind="message_thread",
                record_id=reference,
                detail={
                    "topic": topic,
                    "linked_kind": linked_kind,
                    "attachments": len(media_types),
                },
            )
            return self._reload(conn, thread_id, principal.user_id, now)

    def _topic(self, thread: NewThread) -> tuple[str, str | None, str | None, str | None]:
        """(topic, category, linked kind, linked id) checked; other fields of the topic ignored."""
        if thread.topic == "general":
            if thread.category not in CATEGORIES:
                raise ValidationFailed(
                    "Choose a category: " + ", ".join(c.replace("_", " ") for c in CATEGORIES),
                    field="category",
                )
            return "general", thread.category, None, None
        if thread.topic != "transaction":
            raise ValidationFailed("A topic is general or about a record.", field="topic")
        if thread.linked_kind not in LINKED_KINDS:
            raise ValidationFailed(
                "Say what the message is about: a claim, preauth, referral, admission or member.",
                field="linked_kind",
            )
        raw = thread.linked_id or ""
        if thread.linked_kind in _AREA_RECORDS:
            # The area's own service reads the number (its format, then who may see it).
            linked_id = raw.strip().upper()
            if not linked_id or len(linked_id) > 40:
                example = _AREA_RECORDS[thread.linked_kind]
                raise ValidationFailed(
                    f"Type the {thread.linked_kind} number, e.g. {example}.", field="linked_id"
                )
        elif thread.linked_kind == "claim":
            linked_id = parse_claim_number(raw)
        else:
            linked_id = parse_member_id(raw)
        return "transaction", None, thread.linked_kind, linked_id

    def _area_record(
        self, principal: Principal, kind: str, number: str
    ) -> tuple[str, str, str] | None:
        """(Tax ID, number, member ID) of a preauth, referral or admission the user can see,
        through that area's service (which audits the read, or the refused attempt); None when
        the user cannot see it or may not read that kind of record."""
        record: PreauthDetail | ReferralDetail | AdmissionDetail
        try:
            if kind == "preauth":
                from portal_core.services.preauth import PreauthService

                record = PreauthService(self.db, self.clock).get_preauth(principal, number)
            elif kind == "referral":
                from portal_core.services.referrals import ReferralService

                record = ReferralService(self.db, self.clock).get_referral(principal, number)
            else:
                from portal_core.services.admissions import AdmissionService

                record = AdmissionService(self.db, self.clock).get_admission(principal, number)
        except ValidationFailed as error:
            raise ValidationFailed(error.message, field="linked_id") from error
        except (NotFound, PermissionDenied):
            return None
        return record.tin, record.number, record.member_id

    def reply_to_thread(self, principal: Principal, reference: str, post: NewPost) -> ThreadDetail:
        """Add a post. A provider reply waits for the payer (reopening a thread closed at most 30
        days ago); a CSR answer waits for the provider and notifies the thread's author."""
        now = self._require(principal, Action.SEND_MESSAGES, "messages.reply")
        row = self._thread_or_refuse(principal, reference, now, "messages.reply")
        body = _text(post.body, "body", MAX_BODY, "Write your reply.")
        media_types = _attachments(post.attachments)
        payer_side = principal.payer_role is not None
        changes: dict[str, Any] = {"last_post_at": now}
        if row["status"] == "closed":
            if payer_side:
                raise Conflict("This thread is closed.")
            if now > row["closed_at"] + timedelta(days=REOPEN_DAYS):
                raise Conflict(
                    "This thread closed more than 30 days ago; open a new one and quote "
                    f"{row['reference']}."
                )
            changes["closed_at"] = None
        if payer_side:
            changes.update(status="awaiting_provider", waiting_since=None)
        else:
            changes["status"] = "awaiting_payer"
            if row["status"] != "awaiting_payer":
                changes["waiting_since"] = now
        with self.db.write() as conn:
            self._post(conn, principal, row, body, post.attachments, media_types, now)
            conn.execute(
                update(message_threads).where(message_threads.c.id == row["id"]).values(**changes)
            )
            if row["author_id"] != principal.user_id:
                author_side = conn.execute(
                    select(users.c.payer_role).where(users.c.id == row["author_id"])
                ).scalar()
                if author_side is None:
                    accounts.notify(
                        conn,
                        row["author_id"],
                        "reply",
                        f"New reply on message {row['reference']}.",
                        now,
                        link_kind="message_thread",
                        link_id=row["reference"],
                    )
            audit.record(
                conn,
                at=now,
                action="messages.reply",
                principal=principal,
                tin=row["tin"],
                record_kind="message_thread",
                record_id=row["reference"],
                detail={
                    "status": changes["status"],
                    "reopened": row["status"] == "closed",
                    "attachments": len(media_types),
                },
            )
            return self._reload(conn, row["id"], principal.user_id, now)

    def close_thread(self, principal: Principal, reference: str) -> ThreadDetail:
        """Close a thread (CSR); a provider reply within 30 days reopens it."""
        now = self._require(principal, Action.ANSWER_MESSAGES, "messages.close")
        row = self._thread_or_refuse(principal, reference, now, "messages.close")
        if row["status"] == "closed":
            raise Conflict("This thread is already closed.")
        with self.db.write() as conn:
            conn.execute(
                update(message_threads)
                .where(message_threads.c.id == row["id"])
                .values(status="closed", closed_at=now, waiting_since=None)
            )
            audit.record(
                conn,
                at=now,
                action="messages.close",
                principal=principal,
                tin=row["tin"],
                record_kind="message_thread",
                record_id=row["reference"],
            )
            return self._reload(conn, row["id"], principal.user_id, now)

    # -- reading -----------------------------------------------------------------------------------
    def get_thread(self, principal: Principal, reference: str) -> ThreadDetail:
        """A thread with its posts, marked read; audited with the member ID when it has one."""
        now = self._require(principal, Action.SEND_MESSAGES, "messages.read")
        row = self._thread_or_refuse(principal, reference, now, "messages.read")
        return self._open(principal, row, now, "messages.read")

    def _open(self, principal: Principal, row: Any, now: datetime, action: str) -> ThreadDetail:
        with self.db.write() as conn:
            detail = self._detail(conn, row, principal.user_id, now)
            self._mark_read(conn, row["id"], principal.user_id, now)
            if row["member_id"]:
                audit.record(
                    conn,
                    at=now,
                    action=action,
                    principal=principal,
                    tin=row["tin"],
                    record_kind="member",
                    record_id=row["member_id"],
                    detail={"thread": row["reference"]},
                )
        return detail.model_copy(update={"unread": False})

    def list_threads(
        self, principal: Principal, query: ThreadFilter, after: str | None = None, limit: int = 50
    ) -> Page[ThreadSummary]:
        """The inbox, newest activity first, with filters and free-text search; keyset-paged."""
        now = self._require(principal, Action.SEND_MESSAGES, "messages.list")
        limit = _limit(limit)
        with self.db.read() as conn:
            position = keyset.seek(after, _ACTIVITY, descending=True)
            where = position.where(self._filters(conn, principal, query, now))
            if query.text and query.text.strip():
                found = search_newest(
                    conn,
                    query.text,
                    lambda extra, most, by_id: self._rows(
                        conn,
                        principal,
                        [*where, *extra],
                        activity_order(conn, by_id, position.backward),
                        most - 1,
                        _SEARCH_KEYS,
                    ),
                    limit + 1,
                )
                rows = []
                if found:
                    chosen = message_threads.c.id.in_(found)
                    order = activity_order(conn, True, position.backward)
                    rows = self._rows(conn, principal, [chosen], order, limit)
            else:
                rows = self._rows(conn, principal, where, position.order, limit)
        page_rows, cursor = position.page(rows, limit)
        return self._page(principal, "messages.list", now, page_rows, cursor)

    def _filters(
        self, conn: Connection, principal: Principal, query: ThreadFilter, now: datetime
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [self._scope(principal, now)]
        if query.status:
            if query.status not in STATUSES:
                raise ValidationFailed("That is not a thread status.", field="status")
            where.append(message_threads.c.status == query.status)
        if query.topic:
            if query.topic not in ("general", "transaction"):
                raise ValidationFailed("A topic is general or transaction.", field="topic")
            where.append(message_threads.c.topic == query.topic)
        if query.category:
            if query.category not in CATEGORIES:
                raise ValidationFailed("That is not a message category.", field="category")
            where.append(message_threads.c.category == query.category)
        if query.reference:
            where.append(message_threads.c.reference == parse_reference(query.reference))
        if query.tin:
            where.append(message_threads.c.tin == parse_tin(query.tin))
        first = parse_date(query.start, "start") if query.start else None
        last = parse_date(query.end, "end") if query.end else None
        check_range(first, last)
        if first:
            where.append(message_threads.c.last_post_at >= datetime.combine(first, time(), UTC))
        if last:
            where.append(
                message_threads.c.last_post_at
                < datetime.combine(last + timedelta(days=1), time(), UTC)
            )
        if query.text and query.text.strip():
            parse_query(query.text)  # refuse a query without a word before any work
        if query.unread_only:
            where.append(
                or_(
                    message_reads.c.read_at.is_(None),
                    message_reads.c.read_at < message_threads.c.last_post_at,
                )
            )
        return where

    def _rows(
        self,
        conn: Connection,
        principal: Principal,
        where: Sequence[ColumnElement[bool]],
        order: Sequence[Any],
        limit: int,
        columns: Sequence[Any] | None = None,
    ) -> list[Any]:
        # Only the columns asked for: the search's walk needs no organization or author.
        joined = (message_threads if columns else _FROM).outerjoin(
            message_reads,
            and_(
                message_reads.c.thread_id == message_threads.c.id,
                message_reads.c.user_id == principal.user_id,
            ),
        )
        return list(
            conn.execute(
                select(*(columns or (*_COLUMNS, message_reads.c.read_at)))
                .select_from(joined)
                .where(*where)
                .order_by(*order)
                .limit(limit + 1)
            ).mappings()
        )

    def _page(
        self,
        principal: Principal,
        action: str,
        now: datetime,
        rows: Sequence[Any],
        cursor: str | None,
    ) -> Page[ThreadSummary]:
        items = [
            ThreadSummary(**_summary_fields(r, _unread(r["read_at"], r["last_post_at"])))
            for r in rows
        ]
        member_ids = [r["member_id"] for r in rows if r["member_id"]]
        if member_ids:
            # The list shows which member a thread is about: one read row per member on the page.
            with self.db.write() as conn:
                audit.record_many(
                    conn,
                    at=now,
                    action=action,
                    principal=principal,
                    record_kind="member",
                    record_ids=member_ids,
                )
        return Page[ThreadSummary](items=items, next_cursor=cursor)

    def unread_thread_count(self, principal: Principal) -> int:
        """Threads with posts the user has not read (for a CSR: those waiting for the payer)."""
        now = self._require(principal, Action.SEND_MESSAGES, "messages.unread")
        where = [
            self._scope(principal, now),
            or_(
                message_reads.c.read_at.is_(None),
                message_reads.c.read_at < message_threads.c.last_post_at,
            ),
        ]
        if principal.payer_role is not None:
            where.append(message_threads.c.status == "awaiting_payer")
        joined = message_threads.outerjoin(
            message_reads,
            and_(
                message_reads.c.thread_id == message_threads.c.id,
                message_reads.c.user_id == principal.user_id,
            ),
        )
        with self.db.read() as conn:
            return int(
                conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
            )

    def message_queue(
        self, principal: Principal, after: str | None = None, limit: int = 50
    ) -> Page[ThreadSummary]:
        """The CSR work queue: threads waiting for the payer, the longest waiting first."""
        now = self._require(principal, Action.ANSWER_MESSAGES, "messages.queue")
        limit = _limit(limit)
        position = keyset.seek(
            after, (message_threads.c.waiting_since, message_threads.c.id), descending=False
        )
        where = position.where([message_threads.c.status == "awaiting_payer"])
        with self.db.read() as conn:
            rows = self._rows(conn, principal, where, position.order, limit)
        page_rows, cursor = position.page(rows, limit)
        return self._page(principal, "messages.queue", now, page_rows, cursor)

    def lookup_thread(self, principal: Principal, reference: str) -> ThreadLookup:
        """A CSR's look-up of a caller's reference number, across organizations: the thread and
        the organization calling."""
        now = self._require(principal, Action.ANSWER_MESSAGES, "messages.lookup")
        row = self._thread_or_refuse(principal, reference, now, "messages.lookup")
        detail = self._open(principal, row, now, "messages.lookup")
        with self.db.read() as conn:
            organization_tins = list(
                conn.execute(
                    select(tins.c.tin)
                    .where(tins.c.organization_id == row["organization_id"])
                    .order_by(tins.c.tin)
                ).scalars()
            )
            author_role = conn.execute(
                select(user_roles.c.role).where(
                    user_roles.c.user_id == row["author_id"], user_roles.c.tin == row["tin"]
                )
            ).scalar()
        if not row["member_id"]:
            with self.db.write() as conn:
                audit.record(
                    conn,
                    at=now,
                    action="messages.lookup",
                    principal=principal,
                    tin=row["tin"],
                    record_kind="message_thread",
                    record_id=row["reference"],
                )
        return ThreadLookup(
            thread=detail,
            organization_kind=row["organization_kind"],
            organization_tins=organization_tins,
            author_role=author_role,
        )
