"""Emergent inpatient admission notifications: drafts, submission against the notice deadline,
the concurrent review (initial and continued-stay determinations, each with a letter) and
discharge.

A notification is due 24 hours after the admission, or by the end of the payer's next business day
when a weekend or holiday intervenes (`rules/deadlines.py`); one sent later is flagged `late` but
accepted. Submitting opens the concurrent review at once (status `in_review`): the reviewer owes
a determination from the day of notice, then on each next review date a determination sets.

"Admission review due" notifications are raised lazily: whenever admission lists or the review
queue are read, every open review whose next review date has arrived and whose submitter has not
been told yet gets one notification for the submitter (at most one per review date).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from portal_core.clock import Clock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.admissions import (
    AdmissionDetail,
    AdmissionDetermination,
    AdmissionDischarge,
    AdmissionDraft,
    AdmissionQuery,
    AdmissionReviewEntry,
    AdmissionStatus,
    AdmissionSummary,
    AdmissionType,
    DeterminationOutcome,
    DischargeDisposition,
    ReviewKind,
)
from portal_core.models.common import Page
from portal_core.models.documents import DocumentSummary
from portal_core.models.identity import Principal
from portal_core.rules.deadlines import (
    PAYER_TIME_ZONE,
    admission_notification_due,
    draft_expires_at,
)
from portal_core.rules.identifiers import parse_icd10, parse_member_id, parse_npi, parse_tin
from portal_core.rules.local_time import payer_time
from portal_core.rules.permissions import Action, allowed, provider_in_scope
from portal_core.services import audit, keyset
from portal_core.services.documents import file_document
from portal_core.services.members import coverage_on
from portal_core.services.record_scope import admission_condition
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.schema import (
    admission_reviews,
    admissions,
    documents,
    members,
    provider_tins,
    providers,
    users,
)

NUMBER = re.compile(r"ADM-(\d{4})-(\d{6})")
"""An admission number: `ADM-2026-000123`."""

OPEN_STATUSES = (AdmissionStatus.NOTIFIED.value, AdmissionStatus.IN_REVIEW.value)
"""Statuses of a notification whose review is open."""

MAX_NOTES = 4000
"""Characters of free text a notification carries."""
MAX_REASON = 1000
"""Characters of a reason (cancellation, determination)."""
MAX_DAYS = 90
"""Days one determination may approve."""
MAX_CODES = 12
"""Diagnosis codes on one notification."""

_facility = providers.alias("facility")
_admitting = providers.alias("admitting")
_creator = users.alias("creator")

_COLUMNS = (
    admissions,
    func.coalesce(members.c.first_name + " " + members.c.last_name, "").label("member_name"),
    func.coalesce(_facility.c.name, "").label("facility_name"),
    func.coalesce(_admitting.c.name, "").label("admitting_name"),
    _creator.c.username.label("created_by_username"),
)
_FROM = (
    admissions.outerjoin(members, members.c.member_id == admissions.c.member_id)
    .outerjoin(_facility, _facility.c.npi == admissions.c.facility_npi)
    .outerjoin(_admitting, _admitting.c.npi == admissions.c.admitting_npi)
    .join(_creator, _creator.c.id == admissions.c.created_by)
)


def parse_number(value: str) -> str:
    """An admission number, upper-cased; or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not NUMBER.fullmatch(cleaned):
        raise ValidationFailed("An admission number looks like ADM-2026-000123.", field="number")
    return cleaned


def payer_day(at: datetime) -> date:
    """The payer's calendar day at `at` (review dates are counted on the payer's calendar)."""
    return at.astimezone(PAYER_TIME_ZONE).date()


def _summary(row: Any) -> AdmissionSummary:
    return AdmissionSummary(
        number=row["number"],
        status=AdmissionStatus(row["status"]),
        tin=row["tin"],
        member_id=row["member_id"],
        member_name=row["member_name"],
        facility_npi=row["facility_npi"],
        facility_name=row["facility_name"],
        admission_type=AdmissionType(row["admission_type"]),
        admitted_at=row["admitted_at"],
        notified_at=row["notified_at"],
        due_at=row["due_at"],
        late=bool(row["late"]),
        approved_days=row["approved_days"],
        next_review_date=row["review_due_on"] if row["review_count"] else None,
    )


def _text(value: str, limit: int, field: str, label: str) -> str:
    cleaned = value.strip()
    if len(cleaned) > limit:
        raise ValidationFailed(f"{label} is at most {limit} characters.", field=field)
    return cleaned


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed("Give the time with its time zone.", field=field)
    return value.astimezone(UTC)


def _codes(values: Sequence[str]) -> list[str]:
    codes = [parse_icd10(v) for v in values if v.strip()]
    if len(codes) > MAX_CODES:
        raise ValidationFailed(
            f"A notification carries at most {MAX_CODES} diagnosis codes.", field="diagnosis_codes"
        )
    return list(dict.fromkeys(codes))


def _field_npi(value: str, field: str) -> str:
    if not value.strip():
        return ""
    try:
        return parse_npi(value)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, field=field) from error


def determination_letter(
    row: Any, entry: AdmissionDetermination, at: datetime, total_days: int, member_name: str
) -> bytes:
    """The determination letter: no diagnosis, only what the determination says; it names the
    member (name and ID, no more) and the notification, and gives times on the payer's clock."""
    lines = [
        "Northwind Health Plan - Inpatient review determination",
        "",
        f"Date: {payer_time(at)}",
        f"Admission notification: {row['number']}",
        f"Member: {member_name} ({row['member_id']})",
        f"Facility NPI: {row['facility_npi']}",
        f"Admitted: {payer_time(row['admitted_at'], missing='not given')}",
        f"Review: {entry.kind.value.replace('_', ' ')}",
        f"Determination: {entry.outcome.value.replace('_', ' ')}",
        f"Days approved by this determination: {entry.approved_days}",
        f"Days approved in all: {total_days}",
    ]
    if entry.outcome is DeterminationOutcome.DENIED or entry.final:
        lines.append("Next review: none (no further concurrent review)")
    elif entry.next_review_date is not None:
        lines.append(f"Next review: {entry.next_review_date:%B %d, %Y}")
    if entry.reason:
        lines += ["", "Reason:", entry.reason]
    if entry.outcome is not DeterminationOutcome.APPROVED:
        lines += [
            "",
            "You may ask for a peer-to-peer discussion or appeal this determination within",
            "180 days of this letter through the provider portal.",
        ]
    return ("\n".join(lines) + "\n").encode()


class AdmissionService:
    """Admission notifications and the concurrent review."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    # -- shared steps ------------------------------------------------------------------------------
    def _require(self, principal: Principal, action: Action, audit_action: str) -> datetime:
        return audit.require_or_refuse(self.db, self.clock, principal, action, audit_action)

    def _refuse_not_found(self, principal: Principal, audit_action: str, number: str) -> NotFound:
        audit.record_refusal(
            self.db,
            self.clock.now(),
            principal,
            audit_action,
            record_kind="admission",
            record_id=number,
        )
        return NotFound("No such admission notification.")

    @staticmethod
    def _live(now: datetime) -> ColumnElement[bool]:
        """Drafts past their 96 hours are gone."""
        return or_(admissions.c.status != "draft", admissions.c.draft_expires_at > now)

    def _row(
        self,
        conn: Connection,
        principal: Principal,
        number: str,
        action: Action,
        now: datetime,
    ) -> Any:
        return (
            conn.execute(
                select(*_COLUMNS)
                .select_from(_FROM)
                .where(
                    admissions.c.number == number,
                    admission_condition(principal, action, now),
                    self._live(now),
                )
            )
            .mappings()
            .first()
        )

    def _row_or_refuse(
        self, principal: Principal, value: str, action: Action, audit_action: str
    ) -> tuple[Any, datetime]:
        now = self._require(principal, action, audit_action)
        number = parse_number(value)
        with self.db.read() as conn:
            row = self._row(conn, principal, number, action, now)
        if row is None:
            raise self._refuse_not_found(principal, audit_action, number)
        return row, now

    def _detail(self, conn: Connection, number: str, now: datetime) -> AdmissionDetail:
        row = (
            conn.execute(select(*_COLUMNS).select_from(_FROM).where(admissions.c.number == number))
            .mappings()
            .one()
        )
        reviews = [
            AdmissionReviewEntry(
                at=r["at"],
                kind=ReviewKind(r["kind"]),
                outcome=DeterminationOutcome(r["outcome"]),
                approved_days=r["approved_days"],
                next_review_date=r["next_review_date"],
                final=bool(r["final"]),
                reviewer_username=r["username"],
                reason=r["reason"],
                letter_id=r["letter_id"],
            )
            for r in conn.execute(
                select(admission_reviews, users.c.username)
                .join(users, users.c.id == admission_reviews.c.reviewer_id)
                .where(admission_reviews.c.admission_id == row["id"])
                .order_by(admission_reviews.c.id)
            ).mappings()
        ]
        letters = [
            DocumentSummary(**{name: d[name] for name in DocumentSummary.model_fields})
            for d in conn.execute(
                select(*[c for c in documents.c if c.name != "content"])
                .where(
                    documents.c.linked_kind == "admission",
                    documents.c.linked_id == row["number"],
                    documents.c.kind == "letter",
                )
                .order_by(documents.c.id)
            ).mappings()
        ]
        discharge = None
        if row["discharged_at"] is not None:
            discharge = AdmissionDischarge(
                discharged_at=row["discharged_at"],
                disposition=DischargeDisposition(row["discharge_disposition"]),
            )
        summary = _summary(row)
        return AdmissionDetail(
            **summary.model_dump(),
            admitting_npi=row["admitting_npi"],
            admitting_name=row["admitting_name"],
            diagnosis_codes=list(row["diagnosis_codes"] or []),
            notes=row["notes"],
            created_at=row["created_at"],
            created_by_username=row["created_by_username"],
            draft_expires_at=row["draft_expires_at"] if row["status"] == "draft" else None,
            cancel_reason=row["cancel_reason"],
            reviews=reviews,
            letters=letters,
            discharge=discharge,
        )

    def _next_number(self, conn: Connection, now: datetime) -> str:
        prefix = f"ADM-{now.year:04d}-"
        last = conn.execute(
            select(func.max(admissions.c.number)).where(admissions.c.number.like(prefix + "%"))
        ).scalar()
        serial = int(last[len(prefix) :]) + 1 if last else 1
        if serial > 999_999:
            raise Conflict("No admission numbers are left this year.")
        return f"{prefix}{serial:06d}"

    def _audit(
        self,
        conn: Connection,
        principal: Principal,
        action: str,
        row: Any,
        now: datetime,
        detail: dict[str, Any] | None = None,
    ) -> None:
        audit.record(
            conn,
            at=now,
            action=action,
            principal=principal,
            tin=row["tin"],
            record_kind="admission",
            record_id=row["number"],
            detail=detail,
        )

    def _notify_reviews_due(self, conn: Connection, now: datetime) -> None:
        """Tell each submitter once that a review date of theirs has arrived (see the module
        docstring)."""
        today = payer_day(now)
        due = list(
            conn.execute(
                select(
                    admissions.c.id,
                    admissions.c.number,
                    admissions.c.submitted_by,
                    admissions.c.review_due_on,
                ).where(
                    admissions.c.review_due_on <= today,
                    admissions.c.status.in_(OPEN_STATUSES),
                    admissions.c.review_count > 0,
                    admissions.c.submitted_by.is_not(None),
                    or_(
                        admissions.c.review_due_notified_on.is_(None),
                        admissions.c.review_due_notified_on < admissions.c.review_due_on,
                    ),
                )
            ).mappings()
        )
        for row in due:
            accounts.notify(
                conn,
                row["submitted_by"],
                "admission_review_due",
                f"Concurrent review of admission {row['number']} is due "
                f"{row['review_due_on']:%b %d, %Y}.",
                now,
                link_kind="admission",
                link_id=row["number"],
            )
            conn.execute(
                update(admissions)
                .where(admissions.c.id == row["id"])
                .values(review_due_notified_on=row["review_due_on"])
            )

    # -- drafts ------------------------------------------------------------------------------------
    def save_admission_draft(self, principal: Principal, draft: AdmissionDraft) -> AdmissionDetail:
        """Save a draft (new when `draft.number` is None); kept 96 hours after its last save."""
        now = self.clock.now()
        tin = parse_tin(draft.tin)
        if not allowed(principal, Action.NOTIFY_ADMISSIONS, tin, now):
            audit.record_refusal(self.db, now, principal, "admissions.save_draft", tin=tin)
            raise PermissionDenied("Your role does not allow this.")
        number = parse_number(draft.number) if draft.number else None
        values: dict[str, Any] = {
            "member_id": parse_member_id(draft.member_id) if draft.member_id.strip() else "",
            "facility_npi": _field_npi(draft.facility_npi, "facility_npi"),
            "admitting_npi": _field_npi(draft.admitting_npi, "admitting_npi"),
            "admitted_at": _aware(draft.admitted_at, "admitted_at") if draft.admitted_at else None,
            "diagnosis_codes": _codes(draft.diagnosis_codes),
            "admission_type": draft.admission_type.value,
            "notes": _text(draft.notes, MAX_NOTES, "notes", "The notes"),
            "updated_at": now,
            "draft_expires_at": draft_expires_at(now),
        }
        if values["admitted_at"] is not None and values["admitted_at"] > now:
            raise ValidationFailed(
                "The admission time cannot be in the future.", field="admitted_at"
            )
        with self.db.write() as conn:
            conn.execute(
                delete(admissions).where(
                    admissions.c.status == "draft", admissions.c.draft_expires_at <= now
                )
            )
            if number is None:
                number = self._next_number(conn, now)
                conn.execute(
                    insert(admissions).values(
                        number=number,
                        tin=tin,
                        status="draft",
                        created_by=principal.user_id,
                        created_at=now,
                        **values,
                    )
                )
            else:
                row = self._row(conn, principal, number, Action.NOTIFY_ADMISSIONS, now)
                if row is None or row["tin"] != tin:
                    raise NotFound("No such admission notification.")
                if row["status"] != "draft":
                    raise Conflict("Only a draft can be changed; this one was already sent.")
                conn.execute(update(admissions).where(admissions.c.id == row["id"]).values(values))
            self._audit(
                conn, principal, "admissions.save_draft", {"tin": tin, "number": number}, now
            )
            return self._detail(conn, number, now)

    def submit_admission(self, principal: Principal, number: str) -> AdmissionDetail:
        """Send a draft: every field checked, the deadline computed, the review opened."""
        audit_action = "admissions.submit"
        row, now = self._row_or_refuse(principal, number, Action.NOTIFY_ADMISSIONS, audit_action)
        if row["status"] != "draft":
            raise Conflict("This notification was already sent.")
        self._check_complete(row, principal, now)
        due_at = admission_notification_due(row["admitted_at"])
        late = now > due_at
        with self.db.write() as conn:
            conn.execute(
                update(admissions)
                .where(admissions.c.id == row["id"], admissions.c.status == "draft")
                .values(
                    status=AdmissionStatus.IN_REVIEW.value,
                    submitted_by=principal.user_id,
                    notified_at=now,
                    due_at=due_at,
                    late=late,
                    draft_expires_at=None,
                    review_due_on=payer_day(now),
                    updated_at=now,
                )
            )
            self._audit(conn, principal, audit_action, row, now, {"late": late})
            return self._detail(conn, row["number"], now)

    def _check_complete(self, row: Any, principal: Principal, now: datetime) -> None:
        """Everything a notification needs, each with its own message; nothing is written."""
        missing = [
            label
            for label, present in (
                ("member ID", row["member_id"]),
                ("facility NPI", row["facility_npi"]),
                ("admitting provider NPI", row["admitting_npi"]),
                ("admission date and time", row["admitted_at"]),
                ("diagnosis code", row["diagnosis_codes"]),
            )
            if not present
        ]
        if missing:
            raise ValidationFailed("Fill in before sending: " + ", ".join(missing) + ".")
        admitted_at: datetime = row["admitted_at"]
        if admitted_at > now:
            raise ValidationFailed(
                "The admission time cannot be in the future.", field="admitted_at"
            )
        for code in row["diagnosis_codes"]:
            parse_icd10(code)
        admitted_day = payer_day(admitted_at)
        tin = row["tin"]
        with self.db.read() as conn:
            if (
                conn.execute(
                    select(members.c.member_id).where(members.c.member_id == row["member_id"])
                ).first()
                is None
                or coverage_on(conn, row["member_id"], admitted_day) is None
            ):
                raise ValidationFailed(
                    "The member has no coverage on the admission date.", field="member_id"
                )
            kinds = dict(
                conn.execute(
                    select(providers.c.npi, providers.c.kind).where(
                        providers.c.npi.in_([row["facility_npi"], row["admitting_npi"]])
                    )
                ).all()
            )
            at_tin = set(
                conn.execute(
                    select(provider_tins.c.npi).where(
                        provider_tins.c.tin == tin,
                        provider_tins.c.npi.in_([row["facility_npi"], row["admitting_npi"]]),
                        or_(
                            provider_tins.c.end_date.is_(None),
                            provider_tins.c.end_date >= now.date(),
                        ),
                    )
                ).scalars()
            )
        if kinds.get(row["facility_npi"]) != "facility":
            raise ValidationFailed(
                "The facility NPI is not a hospital or facility known to the plan.",
                field="facility_npi",
            )
        if kinds.get(row["admitting_npi"]) != "individual":
            raise ValidationFailed(
                "The admitting NPI is not a clinician known to the plan.", field="admitting_npi"
            )
        ours = [
            npi
            for npi in (row["facility_npi"], row["admitting_npi"])
            if npi in at_tin and provider_in_scope(principal, tin, npi)
        ]
        if not ours:
            raise ValidationFailed(
                "Neither the facility nor the admitting provider is one you work for at this "
                "Tax ID.",
                field="admitting_npi",
            )

    def cancel_admission(self, principal: Principal, number: str, reason: str) -> AdmissionDetail:
        """Cancel a draft, or a notification before its first determination."""
        audit_action = "admissions.cancel"
        row, now = self._row_or_refuse(principal, number, Action.NOTIFY_ADMISSIONS, audit_action)
        why = _text(reason, MAX_REASON, "reason", "The reason")
        if not why:
            raise ValidationFailed("Say why the notification is cancelled.", field="reason")
        if row["status"] not in ("draft", *OPEN_STATUSES) or row["review_count"]:
            raise Conflict(
                "Only a draft, or a notification not yet reviewed, can be cancelled; once a "
                "determination is recorded, record the discharge instead."
            )
        with self.db.write() as conn:
            conn.execute(
                update(admissions)
                .where(admissions.c.id == row["id"])
                .values(
                    status=AdmissionStatus.CANCELLED.value,
                    cancel_reason=why,
                    cancelled_at=now,
                    review_due_on=None,
                    draft_expires_at=None,
                    updated_at=now,
                )
            )
            self._audit(conn, principal, audit_action, row, now, {"from": row["status"]})
            return self._detail(conn, row["number"], now)

    # -- reads -------------------------------------------------------------------------------------
    def get_admission(self, principal: Principal, number: str) -> AdmissionDetail:
        """An admission with its review history, letters and discharge (audited as a read of
        the member's data)."""
        row, now = self._row_or_refuse(principal, number, Action.READ_ADMISSIONS, "admissions.read")
        with self.db.write() as conn:
            detail = self._detail(conn, row["number"], now)
            audit.record(
                conn,
                at=now,
                action="admissions.read",
                principal=principal,
                tin=row["tin"],
                record_kind="member",
                record_id=row["member_id"] or None,
                detail={"admission": row["number"]},
            )
        return detail

    def _page(
        self,
        principal: Principal,
        conditions: list[ColumnElement[bool]],
        order: str,
        after: str | None,
        limit: int,
        audit_action: str,
        now: datetime,
    ) -> Page[AdmissionSummary]:
        limit = max(1, min(limit, 500))
        if order == "newest":
            position = keyset.seek(after, (admissions.c.id,), descending=True)
        else:  # the review queue: soonest review date first
            position = keyset.seek(
                after, (admissions.c.review_due_on, admissions.c.id), descending=False
            )
        query = (
            select(*_COLUMNS)
            .select_from(_FROM)
            .where(*position.where(conditions))
            .order_by(*position.order)
        )
        with self.db.write() as conn:
            self._notify_reviews_due(conn, now)
            rows, cursor = position.page(
                list(conn.execute(query.limit(limit + 1)).mappings()), limit
            )
            total = None
            if after is None:
                total = int(
                    conn.execute(
                        select(func.count()).select_from(admissions).where(*conditions)
                    ).scalar_one()
                )
            audit.record_many(
                conn,
                at=now,
                action=audit_action,
                principal=principal,
                record_kind="member",
                record_ids=[r["member_id"] for r in rows if r["member_id"]],
            )
        items = [_summary(r) for r in rows]
        return Page[AdmissionSummary](items=items, next_cursor=cursor, total=total)

    def list_admissions(
        self,
        principal: Principal,
        query: AdmissionQuery,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[AdmissionSummary]:
        """Admissions in scope, newest first; drafts only the provider side sees."""
        now = self._require(principal, Action.READ_ADMISSIONS, "admissions.list")
        conditions: list[ColumnElement[bool]] = [
            admission_condition(principal, Action.READ_ADMISSIONS, now),
            self._live(now),
        ]
        if query.status is not None:
            conditions.append(admissions.c.status == query.status.value)
        if query.member_id and query.member_id.strip():
            conditions.append(admissions.c.member_id == parse_member_id(query.member_id))
        if query.npi and query.npi.strip():
            npi = parse_npi(query.npi)
            conditions.append(
                or_(admissions.c.facility_npi == npi, admissions.c.admitting_npi == npi)
            )
        if query.tin and query.tin.strip():
            conditions.append(admissions.c.tin == parse_tin(query.tin))
        if query.late_only:
            conditions.append(admissions.c.late.is_(True))
        if query.admitted_from and query.admitted_to and query.admitted_from > query.admitted_to:
            raise ValidationFailed(
                "The first admission date is after the last.", field="admitted_from"
            )
        if query.admitted_from:
            start = datetime.combine(query.admitted_from, datetime.min.time(), PAYER_TIME_ZONE)
            conditions.append(admissions.c.admitted_at >= start)
        if query.admitted_to:
            end = datetime.combine(
                query.admitted_to + timedelta(days=1), datetime.min.time(), PAYER_TIME_ZONE
            )
            conditions.append(admissions.c.admitted_at < end)
        return self._page(principal, conditions, "newest", after, limit, "admissions.list", now)

    def admission_review_queue(
        self, principal: Principal, after: str | None = None, limit: int = 50
    ) -> Page[AdmissionSummary]:
        """Open reviews owing a determination, soonest review date first."""
        now = self._require(principal, Action.REVIEW_ADMISSIONS, "admissions.queue")
        conditions: list[ColumnElement[bool]] = [
            admissions.c.status.in_(OPEN_STATUSES),
            admissions.c.review_due_on.is_not(None),
        ]
        return self._page(principal, conditions, "queue", after, limit, "admissions.queue", now)

    # -- the concurrent review ---------------------------------------------------------------------
    def record_admission_review(
        self, principal: Principal, number: str, determination: AdmissionDetermination
    ) -> AdmissionDetail:
        """Record a determination (reviewers only), file its letter, tell the submitter."""
        audit_action = "admissions.review"
        row, now = self._row_or_refuse(principal, number, Action.REVIEW_ADMISSIONS, audit_action)
        entry = self._checked(determination, row, now)
        if row["status"] not in OPEN_STATUSES:
            raise Conflict("This admission has no open review.")
        if entry.kind is ReviewKind.INITIAL and row["review_count"]:
            raise Conflict(
                "The initial determination is already recorded; record a continued stay."
            )
        if entry.kind is ReviewKind.CONTINUED_STAY and not row["review_count"]:
            raise Conflict("Record the initial determination first.")
        if row["review_count"] and row["review_due_on"] is None:
            raise Conflict("The review is closed: no further determination is planned.")
        closes = entry.outcome is DeterminationOutcome.DENIED or entry.final
        total = row["approved_days"] + entry.approved_days
        with self.db.write() as conn:
            changed = conn.execute(
                update(admissions)
                .where(
                    admissions.c.id == row["id"],
                    admissions.c.review_count == row["review_count"],
                )
                .values(
                    review_count=row["review_count"] + 1,
                    approved_days=total,
                    review_due_on=None if closes else entry.next_review_date,
                    status=AdmissionStatus.IN_REVIEW.value,
                    updated_at=now,
                )
            ).rowcount
            if not changed:
                raise Conflict("Another determination was recorded meanwhile; open it again.")
            letter_id = file_document(
                conn,
                kind="letter",
                tin=row["tin"],
                file_name=f"{row['number']}-{row['review_count'] + 1}-determination.txt",
                media_type="text/plain",
                content=determination_letter(row, entry, now, total, row["member_name"]),
                at=now,
                created_by=principal.user_id,
                linked_kind="admission",
                linked_id=row["number"],
                retain_years=10,
            )
            conn.execute(
                insert(admission_reviews).values(
                    admission_id=row["id"],
                    at=now,
                    kind=entry.kind.value,
                    outcome=entry.outcome.value,
                    approved_days=entry.approved_days,
                    next_review_date=None if closes else entry.next_review_date,
                    final=entry.final,
                    reviewer_id=principal.user_id,
                    reason=entry.reason,
                    letter_id=letter_id,
                )
            )
            submitter = row["submitted_by"] or row["created_by"]
            outcome = entry.outcome.value.replace("_", " ")
            accounts.notify(
                conn,
                submitter,
                "decision",
                f"Admission {row['number']}: {entry.kind.value.replace('_', ' ')} review "
                f"{outcome}.",
                now,
                link_kind="admission",
                link_id=row["number"],
            )
            accounts.notify(
                conn,
                submitter,
                "letter",
                f"A determination letter for admission {row['number']} was filed.",
                now,
                link_kind="document",
                link_id=letter_id,
            )
            self._audit(
                conn,
                principal,
                audit_action,
                row,
                now,
                {
                    "kind": entry.kind.value,
                    "outcome": entry.outcome.value,
                    "approved_days": entry.approved_days,
                    "letter_id": letter_id,
                },
            )
            return self._detail(conn, row["number"], now)

    def _checked(
        self, determination: AdmissionDetermination, row: Any, now: datetime
    ) -> AdmissionDetermination:
        reason = _text(determination.reason, MAX_REASON, "reason", "The reason")
        outcome = determination.outcome
        if not 0 <= determination.approved_days <= MAX_DAYS:
            raise ValidationFailed(
                f"Approve between 0 and {MAX_DAYS} days at a time.", field="approved_days"
            )
        if outcome is DeterminationOutcome.DENIED and determination.approved_days:
            raise ValidationFailed("A denial approves no days.", field="approved_days")
        if outcome is not DeterminationOutcome.DENIED and determination.approved_days < 1:
            raise ValidationFailed("Approve at least one day.", field="approved_days")
        if outcome is not DeterminationOutcome.APPROVED and not reason:
            raise ValidationFailed(
                "A denial or partial approval needs a specific reason.", field="reason"
            )
        next_review = determination.next_review_date
        closes = outcome is DeterminationOutcome.DENIED or determination.final
        if not closes:
            if next_review is None:
                raise ValidationFailed(
                    "Give the next review date (or mark the determination final).",
                    field="next_review_date",
                )
            if next_review <= payer_day(now):
                raise ValidationFailed(
                    "The next review date must be after today.", field="next_review_date"
                )
        return determination.model_copy(
            update={"reason": reason, "next_review_date": None if closes else next_review}
        )

    def discharge_admission(
        self, principal: Principal, number: str, discharge: AdmissionDischarge
    ) -> AdmissionDetail:
        """Record the discharge; the review closes."""
        audit_action = "admissions.discharge"
        row, now = self._row_or_refuse(principal, number, Action.NOTIFY_ADMISSIONS, audit_action)
        at = _aware(discharge.discharged_at, "discharged_at")
        if row["status"] not in OPEN_STATUSES:
            raise Conflict("Only an admission under review can be discharged.")
        if at > now:
            raise ValidationFailed(
                "The discharge time cannot be in the future.", field="discharged_at"
            )
        if at < row["admitted_at"]:
            raise ValidationFailed(
                "The discharge cannot be before the admission.", field="discharged_at"
            )
        with self.db.write() as conn:
            conn.execute(
                update(admissions)
                .where(admissions.c.id == row["id"])
                .values(
                    status=AdmissionStatus.DISCHARGED.value,
                    discharged_at=at,
                    discharge_disposition=discharge.disposition.value,
                    review_due_on=None,
                    updated_at=now,
                )
            )
            self._audit(
                conn,
                principal,
                audit_action,
                row,
                now,
                {"disposition": discharge.disposition.value},
            )
            return self._detail(conn, row["number"], now)
