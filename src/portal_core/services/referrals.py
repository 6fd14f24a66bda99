"""Referrals: a member's PCP sends them to an in-network specialist for a number of visits.

Only `active` and `cancelled` are stored. `used` (every authorized visit recorded) and `expired`
(the end date has passed, on the payer's calendar) are computed when a referral is read, so a
referral expires without anything having to run; `used` wins over `expired`, `cancelled` over both.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, insert, literal, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from portal_core.clock import Clock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.common import Page
from portal_core.models.identity import Principal
from portal_core.models.referrals import (
    DEFAULT_VALID_DAYS,
    NewReferral,
    ReferralDetail,
    ReferralEvent,
    ReferralQuery,
    ReferralStatus,
    ReferralSummary,
)
from portal_core.rules.deadlines import PAYER_TIME_ZONE
from portal_core.rules.identifiers import parse_icd10, parse_member_id, parse_npi, parse_tin
from portal_core.rules.permissions import Action, allowed, provider_in_scope
from portal_core.services import audit, keyset
from portal_core.services.members import coverage_on, network_status, pcp_on
from portal_core.services.record_scope import referral_condition
from portal_core.store.engine import Database
from portal_core.store.schema import (
    members,
    provider_tins,
    providers,
    referral_events,
    referrals,
    users,
)

NUMBER = re.compile(r"REF-(\d{4})-(\d{6})")
"""A referral number: `REF-2026-000123`."""

MAX_VISITS = 99
"""Visits one referral may authorize."""
MAX_VALID_DAYS = 365
"""The longest a referral may run."""
START_BACK_DAYS = 30
"""How far back a referral may start (one written after the first visit)."""
START_AHEAD_DAYS = 180
"""How far ahead a referral may start."""
MAX_TEXT = 2000
"""Characters of a reason or notes."""
MAX_CODES = 12
"""Diagnosis codes on one referral."""

_referring = providers.alias("referring")
_specialist = providers.alias("specialist")
_creator = users.alias("creator")


def status_expression(today: date) -> ColumnElement[str]:
    """The status as of `today`, computed in SQL (see the module docstring)."""
    return case(
        (referrals.c.status == "cancelled", literal("cancelled")),
        (referrals.c.visits_used >= referrals.c.visits_authorized, literal("used")),
        (referrals.c.end_date < today, literal("expired")),
        else_=literal("active"),
    )


def parse_number(value: str) -> str:
    """A referral number, upper-cased; or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not NUMBER.fullmatch(cleaned):
        raise ValidationFailed("A referral number looks like REF-2026-000123.", field="number")
    return cleaned


def payer_today(now: datetime) -> date:
    """Today on the payer's calendar (when a referral's end date has passed)."""
    return now.astimezone(PAYER_TIME_ZONE).date()


def _columns(today: date) -> tuple[Any, ...]:
    return (
        referrals,
        status_expression(today).label("current_status"),
        (members.c.first_name + " " + members.c.last_name).label("member_name"),
        _referring.c.name.label("referring_name"),
        _specialist.c.name.label("specialist_name"),
        _creator.c.username.label("created_by_username"),
    )


_FROM = (
    referrals.join(members, members.c.member_id == referrals.c.member_id)
    .join(_referring, _referring.c.npi == referrals.c.referring_npi)
    .join(_specialist, _specialist.c.npi == referrals.c.specialist_npi)
    .join(_creator, _creator.c.id == referrals.c.created_by)
)


def _summary(row: Any) -> ReferralSummary:
    return ReferralSummary(
        number=row["number"],
        status=ReferralStatus(row["current_status"]),
        tin=row["tin"],
        member_id=row["member_id"],
        member_name=row["member_name"],
        referring_npi=row["referring_npi"],
        referring_name=row["referring_name"],
        specialist_npi=row["specialist_npi"],
        specialist_name=row["specialist_name"],
        visits_authorized=row["visits_authorized"],
        visits_used=row["visits_used"],
        start_date=row["start_date"],
        end_date=row["end_date"],
    )


def _field_npi(value: str, field: str) -> str:
    try:
        return parse_npi(value)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, field=field) from error


def _text(value: str, field: str, label: str) -> str:
    cleaned = value.strip()
    if len(cleaned) > MAX_TEXT:
        raise ValidationFailed(f"{label} is at most {MAX_TEXT} characters.", field=field)
    return cleaned


class ReferralService:
    """Referrals: create, read, search, visits, cancel."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    # -- shared steps ------------------------------------------------------------------------------
    def _row(
        self, conn: Connection, principal: Principal, number: str, action: Action, now: datetime
    ) -> Any:
        return (
            conn.execute(
                select(*_columns(payer_today(now)))
                .select_from(_FROM)
                .where(referrals.c.number == number, referral_condition(principal, action, now))
            )
            .mappings()
            .first()
        )

    def _row_or_refuse(
        self, principal: Principal, value: str, action: Action, audit_action: str
    ) -> tuple[Any, datetime]:
        now = audit.require_or_refuse(self.db, self.clock, principal, action, audit_action)
        number = parse_number(value)
        with self.db.read() as conn:
            row = self._row(conn, principal, number, action, now)
        if row is None:
            audit.record_refusal(
                self.db, now, principal, audit_action, record_kind="referral", record_id=number
            )
            raise NotFound("No such referral.")
        return row, now

    def _detail(self, conn: Connection, number: str, now: datetime) -> ReferralDetail:
        row = (
            conn.execute(
                select(*_columns(payer_today(now)))
                .select_from(_FROM)
                .where(referrals.c.number == number)
            )
            .mappings()
            .one()
        )
        history = [
            ReferralEvent(at=e["at"], event=e["event"], username=e["username"], detail=e["detail"])
            for e in conn.execute(
                select(referral_events, users.c.username)
                .join(users, users.c.id == referral_events.c.user_id)
                .where(referral_events.c.referral_id == row["id"])
                .order_by(referral_events.c.id)
            ).mappings()
        ]
        return ReferralDetail(
            **_summary(row).model_dump(),
            diagnosis_codes=list(row["diagnosis_codes"] or []),
            reason=row["reason"],
            notes=row["notes"],
            created_at=row["created_at"],
            created_by_username=row["created_by_username"],
            cancel_reason=row["cancel_reason"],
            history=history,
        )

    def _next_number(self, conn: Connection, now: datetime) -> str:
        prefix = f"REF-{now.year:04d}-"
        last = conn.execute(
            select(func.max(referrals.c.number)).where(referrals.c.number.like(prefix + "%"))
        ).scalar()
        serial = int(last[len(prefix) :]) + 1 if last else 1
        if serial > 999_999:
            raise Conflict("No referral numbers are left this year.")
        return f"{prefix}{serial:06d}"

    def _event(
        self,
        conn: Connection,
        referral_id: int,
        event: str,
        user_id: int,
        at: datetime,
        detail: str,
    ) -> None:
        conn.execute(
            insert(referral_events).values(
                referral_id=referral_id, at=at, event=event, user_id=user_id, detail=detail
            )
        )

    def _audit(
        self,
        conn: Connection,
        principal: Principal,
        action: str,
        tin: str,
        number: str,
        now: datetime,
        detail: dict[str, Any] | None = None,
    ) -> None:
        audit.record(
            conn,
            at=now,
            action=action,
            principal=principal,
            tin=tin,
            record_kind="referral",
            record_id=number,
            detail=detail,
        )

    # -- create ------------------------------------------------------------------------------------
    def create_referral(self, principal: Principal, referral: NewReferral) -> ReferralDetail:
        """Create a referral: the referring provider must be the member's PCP on the start date
        and the specialist in network for the member's plan then."""
        now = self.clock.now()
        tin = parse_tin(referral.tin)
        if not allowed(principal, Action.MANAGE_REFERRALS, tin, now):
            audit.record_refusal(self.db, now, principal, "referrals.create", tin=tin)
            raise PermissionDenied("Your role does not allow this.")
        member_id = parse_member_id(referral.member_id)
        referring = _field_npi(referral.referring_npi, "referring_npi")
        specialist = _field_npi(referral.specialist_npi, "specialist_npi")
        if referring == specialist:
            raise ValidationFailed(
                "The specialist must be another provider than the referring PCP.",
                field="specialist_npi",
            )
        codes = list(dict.fromkeys(parse_icd10(c) for c in referral.diagnosis_codes if c.strip()))
        if not codes:
            raise ValidationFailed("Give at least one diagnosis code.", field="diagnosis_codes")
        if len(codes) > MAX_CODES:
            raise ValidationFailed(
                f"A referral carries at most {MAX_CODES} diagnosis codes.", field="diagnosis_codes"
            )
        if not 1 <= referral.visits_authorized <= MAX_VISITS:
            raise ValidationFailed(
                f"Authorize between 1 and {MAX_VISITS} visits.", field="visits_authorized"
            )
        today = payer_today(now)
        start = referral.start_date
        if start < today - timedelta(days=START_BACK_DAYS):
            raise ValidationFailed(
                f"A referral can start at most {START_BACK_DAYS} days back.", field="start_date"
            )
        if start > today + timedelta(days=START_AHEAD_DAYS):
            raise ValidationFailed(
                f"A referral can start at most {START_AHEAD_DAYS} days ahead.", field="start_date"
            )
        end = referral.end_date or start + timedelta(days=DEFAULT_VALID_DAYS)
        if end < start:
            raise ValidationFailed("The end date is before the start date.", field="end_date")
        if (end - start).days > MAX_VALID_DAYS:
            raise ValidationFailed(
                f"A referral runs at most {MAX_VALID_DAYS} days.", field="end_date"
            )
        reason = _text(referral.reason, "reason", "The reason")
        notes = _text(referral.notes, "notes", "The notes")
        with self.db.write() as conn:
            self._check_parties(conn, principal, tin, member_id, referring, specialist, start)
            number = self._next_number(conn, now)
            referral_id = conn.execute(
                insert(referrals)
                .values(
                    number=number,
                    tin=tin,
                    member_id=member_id,
                    referring_npi=referring,
                    specialist_npi=specialist,
                    diagnosis_codes=codes,
                    visits_authorized=referral.visits_authorized,
                    visits_used=0,
                    start_date=start,
                    end_date=end,
                    status="active",
                    reason=reason,
                    notes=notes,
                    created_by=principal.user_id,
                    created_at=now,
                )
                .returning(referrals.c.id)
            ).scalar_one()
            self._event(
                conn,
                referral_id,
                "created",
                principal.user_id,
                now,
                f"{referral.visits_authorized} visits, {start:%b %d, %Y} to {end:%b %d, %Y}",
            )
            self._audit(conn, principal, "referrals.create", tin, number, now)
            return self._detail(conn, number, now)

    def _check_parties(
        self,
        conn: Connection,
        principal: Principal,
        tin: str,
        member_id: str,
        referring: str,
        specialist: str,
        start: date,
    ) -> None:
        """The referring provider is ours and the member's PCP; the specialist is in network."""
        works_here = conn.execute(
            select(provider_tins.c.npi).where(
                provider_tins.c.tin == tin,
                provider_tins.c.npi == referring,
                or_(provider_tins.c.end_date.is_(None), provider_tins.c.end_date >= start),
            )
        ).first()
        if works_here is None or not provider_in_scope(principal, tin, referring):
            raise ValidationFailed(
                "The referring provider is not one you work for at this Tax ID.",
                field="referring_npi",
            )
        known = conn.execute(
            select(members.c.member_id).where(members.c.member_id == member_id)
        ).first()
        coverage = coverage_on(conn, member_id, start) if known else None
        if coverage is None:
            raise ValidationFailed(
                "The member has no coverage on the start date.", field="member_id"
            )
        pcp = pcp_on(conn, member_id, start)
        if pcp is None or pcp.npi != referring:
            raise ValidationFailed(
                "The referring provider is not the member's PCP on the start date.",
                field="referring_npi",
            )
        in_network, why = network_status(conn, specialist, coverage["plan_id"], start)
        if not in_network:
            raise ValidationFailed(
                "The specialist is not in network for the member's plan on the start date. " + why,
                field="specialist_npi",
            )

    # -- reads -------------------------------------------------------------------------------------
    def get_referral(self, principal: Principal, number: str) -> ReferralDetail:
        """A referral with its history (audited as a read of the member's data)."""
        row, now = self._row_or_refuse(principal, number, Action.READ_REFERRALS, "referrals.read")
        with self.db.write() as conn:
            detail = self._detail(conn, row["number"], now)
            audit.record(
                conn,
                at=now,
                action="referrals.read",
                principal=principal,
                tin=row["tin"],
                record_kind="member",
                record_id=row["member_id"],
                detail={"referral": row["number"]},
            )
        return detail

    def list_referrals(
        self,
        principal: Principal,
        query: ReferralQuery,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[ReferralSummary]:
        """Referrals in scope, newest start first, keyset-paged; the first page is counted."""
        now = audit.require_or_refuse(
            self.db, self.clock, principal, Action.READ_REFERRALS, "referrals.list"
        )
        limit = max(1, min(limit, 500))
        today = payer_today(now)
        conditions: list[ColumnElement[bool]] = [
            referral_condition(principal, Action.READ_REFERRALS, now)
        ]
        if query.member_id and query.member_id.strip():
            conditions.append(referrals.c.member_id == parse_member_id(query.member_id))
        if query.npi and query.npi.strip():
            npi = parse_npi(query.npi)
            conditions.append(
                or_(referrals.c.referring_npi == npi, referrals.c.specialist_npi == npi)
            )
        if query.tin and query.tin.strip():
            conditions.append(referrals.c.tin == parse_tin(query.tin))
        if query.status is not None:
            conditions.append(status_expression(today) == query.status.value)
        position = keyset.seek(after, (referrals.c.start_date, referrals.c.id), descending=True)
        rows_query = (
            select(*_columns(today))
            .select_from(_FROM)
            .where(*position.where(conditions))
            .order_by(*position.order)
            .limit(limit + 1)
        )
        with self.db.read() as conn:
            rows, cursor = position.page(list(conn.execute(rows_query).mappings()), limit)
            total = None
            if after is None:
                total = int(
                    conn.execute(
                        select(func.count()).select_from(referrals).where(*conditions)
                    ).scalar_one()
                )
        items = [_summary(r) for r in rows]
        if items:
            with self.db.write() as conn:
                audit.record_many(
                    conn,
                    at=now,
                    action="referrals.list",
                    principal=principal,
                    record_kind="member",
                    record_ids=[i.member_id for i in items],
                )
        return Page[ReferralSummary](items=items, next_cursor=cursor, total=total)

    # -- changes -----------------------------------------------------------------------------------
    def record_referral_visit(self, principal: Principal, number: str) -> ReferralDetail:
        """Count one visit against an active referral."""
        audit_action = "referrals.visit"
        row, now = self._row_or_refuse(principal, number, Action.MANAGE_REFERRALS, audit_action)
        status = row["current_status"]
        if status != ReferralStatus.ACTIVE.value:
            if status == ReferralStatus.USED.value:
                raise Conflict("Every authorized visit of this referral is already used.")
            if status == ReferralStatus.EXPIRED.value:
                raise Conflict("This referral has expired; ask the PCP for a new one.")
            raise Conflict("This referral was cancelled.")
        if row["start_date"] > payer_today(now):
            raise Conflict("This referral starts later; no visit can be counted yet.")
        used = row["visits_used"] + 1
        with self.db.write() as conn:
            changed = conn.execute(
                update(referrals)
                .where(
                    referrals.c.id == row["id"],
                    referrals.c.visits_used == row["visits_used"],
                    referrals.c.status == "active",
                )
                .values(visits_used=used)
            ).rowcount
            if not changed:
                raise Conflict("The referral changed meanwhile; open it again.")
            self._event(
                conn,
                row["id"],
                "visit",
                principal.user_id,
                now,
                f"visit {used} of {row['visits_authorized']}",
            )
            self._audit(
                conn, principal, audit_action, row["tin"], row["number"], now, {"visits": used}
            )
            return self._detail(conn, row["number"], now)

    def cancel_referral(self, principal: Principal, number: str, reason: str) -> ReferralDetail:
        """Cancel an active referral, with a reason."""
        audit_action = "referrals.cancel"
        row, now = self._row_or_refuse(principal, number, Action.MANAGE_REFERRALS, audit_action)
        why = _text(reason, "reason", "The reason")
        if not why:
            raise ValidationFailed("Say why the referral is cancelled.", field="reason")
        if row["current_status"] != ReferralStatus.ACTIVE.value:
            raise Conflict(
                f"Only an active referral can be cancelled; this one is {row['current_status']}."
            )
        with self.db.write() as conn:
            conn.execute(
                update(referrals)
                .where(referrals.c.id == row["id"])
                .values(status="cancelled", cancel_reason=why, cancelled_at=now)
            )
            self._event(conn, row["id"], "cancelled", principal.user_id, now, why[:300])
            self._audit(conn, principal, audit_action, row["tin"], row["number"], now)
            return self._detail(conn, row["number"], now)
