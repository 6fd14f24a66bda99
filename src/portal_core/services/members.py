"""Members: eligibility (single and batch), network checks, PCP panels and care plans.

Every read of member data appends an audit row with record kind `member` and the member ID, never
other PHI. A member out of the user's scope is "not found", and the attempt is audited as denied.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from portal_core import errors
from portal_core.clock import Clock
from portal_core.errors import NotFound, PortalError, ValidationFailed
from portal_core.models.common import Page
from portal_core.models.identity import Principal
from portal_core.models.members import (
    CarePlan,
    CareTeamMember,
    CostSharing,
    CoverageSpan,
    EligibilityBatchItem,
    EligibilityQuery,
    EligibilityResult,
    MemberDetail,
    NetworkQuery,
    NetworkResult,
    PanelMember,
    PanelQuery,
    PcpBrief,
    PlanSummary,
)
from portal_core.rules.csv_cells import csv_bytes
from portal_core.rules.identifiers import parse_member_id, parse_npi
from portal_core.rules.money import dollars
from portal_core.rules.permissions import Action, allowed, provider_in_scope
from portal_core.rules.service_dates import check_birth_date, check_eligibility_date, parse_date
from portal_core.services import audit, keyset
from portal_core.services.record_scope import member_visible, provider_npis
from portal_core.store.engine import Database
from portal_core.store.schema import (
    care_plans,
    coverage_spans,
    members,
    network_participation,
    pcp_assignments,
    plans,
    provider_tins,
    providers,
)

T = TypeVar("T")

BATCH_LIMIT = 50
"""Members per batch eligibility request."""

NO_MATCH = "No member matches what you entered. Check the member ID, names and date of birth."
"""The one answer for an unknown member or a mismatched date of birth (no existence leak)."""

PANEL_EXPORT_LIMIT = 10_000
"""Rows in a panel export."""

PANEL_COLUMNS = ("member_id", "last_name", "first_name", "birth_date", "assigned_since", "active",
                 "plan_id", "product_line")  # fmt: skip


def _on(column_start: Any, column_end: Any, day: date) -> ColumnElement[bool]:
    return and_(column_start <= day, or_(column_end.is_(None), column_end >= day))


def plan_summary(row: Any) -> PlanSummary:
    """A plans row as a record."""
    return PlanSummary(
        plan_id=row["plan_id"],
        name=row["name"],
        product_line=row["product_line"],
        cost_sharing=CostSharing(
            pcp_copay=dollars(row["pcp_copay_cents"]),
            specialist_copay=dollars(row["specialist_copay_cents"]),
            coinsurance_percent=row["coinsurance_percent"],
            deductible=dollars(row["deductible_cents"]),
            out_of_pocket_max=dollars(row["out_of_pocket_max_cents"]),
        ),
    )


def coverage_on(conn: Connection, member_id: str, day: date) -> Any:
    """The member's coverage span (joined with its plan) on `day`, or None."""
    query = (
        select(coverage_spans, plans)
        .join(plans, plans.c.plan_id == coverage_spans.c.plan_id)
        .where(
            coverage_spans.c.member_id == member_id,
            _on(coverage_spans.c.effective_date, coverage_spans.c.end_date, day),
        )
        .order_by(coverage_spans.c.effective_date.desc())
        .limit(1)
    )
    return conn.execute(query).mappings().first()


def pcp_on(conn: Connection, member_id: str, day: date) -> PcpBrief | None:
    """The member's PCP on `day`, or None."""
    row = (
        conn.execute(
            select(pcp_assignments, providers.c.name)
            .join(providers, providers.c.npi == pcp_assignments.c.npi)
            .where(
                pcp_assignments.c.member_id == member_id,
                _on(pcp_assignments.c.start_date, pcp_assignments.c.end_date, day),
            )
            .order_by(pcp_assignments.c.start_date.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return PcpBrief(
        npi=row["npi"], name=row["name"], start_date=row["start_date"], end_date=row["end_date"]
    )


def network_status(conn: Connection, npi: str, plan_id: str, day: date) -> tuple[bool, str]:
    """Whether `npi` participates in `plan_id` on `day`, and why in words."""
    provider = conn.execute(select(providers.c.name).where(providers.c.npi == npi)).scalar()
    if provider is None:
        return False, "That NPI is not a provider known to the plan."
    spans = list(
        conn.execute(
            select(network_participation)
            .where(network_participation.c.npi == npi, network_participation.c.plan_id == plan_id)
            .order_by(network_participation.c.start_date.desc())
        ).mappings()
    )
    for span in spans:
        if span["start_date"] <= day and (span["end_date"] is None or span["end_date"] >= day):
            return True, f"Participates in the plan since {span['start_date']:%B %d, %Y}."
    if not spans:
        return False, "The provider does not participate in this plan."
    latest = spans[0]
    if latest["start_date"] > day:
        return False, f"Participation starts on {latest['start_date']:%B %d, %Y}."
    return False, f"Participation ended on {latest['end_date']:%B %d, %Y}."


class MemberService:
    """Eligibility, network checks, PCP panels and care plans, within minimum necessary."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    # -- shared steps ------------------------------------------------------------------------------
    def _require(self, principal: Principal, action: Action, audit_action: str) -> datetime:
        return audit.require_or_refuse(self.db, self.clock, principal, action, audit_action)

    def _audit_refusal(
        self, principal: Principal, action: str, member_id: str | None, outcome: str
    ) -> None:
        with self.db.write() as conn:
            audit.record(
                conn,
                at=self.clock.now(),
                action=action,
                outcome=outcome,
                principal=principal,
                record_kind="member",
                record_id=member_id,
            )

    def _visible_member(
        self, conn: Connection, principal: Principal, member_id: str, action: Action, now: datetime
    ) -> Any:
        row = (
            conn.execute(select(members).where(members.c.member_id == member_id)).mappings().first()
        )
        if row is None or not member_visible(conn, principal, member_id, action, now):
            return None
        return row

    # -- eligibility -------------------------------------------------------------------------------
    def check_eligibility(self, principal: Principal, query: EligibilityQuery) -> EligibilityResult:
        """Eligibility on a date of service, from member ID + DOB or last + first name + DOB.

        Supplying the full identifiers is what lets any eligibility user see the answer, so no
        existing relationship with the member is needed; a mismatch is "not found".
        """
        now = self._require(principal, Action.CHECK_ELIGIBILITY, "members.eligibility")
        today = now.date()
        member_id, last, first, birth, service_date, npi = self._parse_query(
            principal, query, today
        )
        with self.db.write() as conn:
            if member_id is not None:
                row = (
                    conn.execute(select(members).where(members.c.member_id == member_id))
                    .mappings()
                    .first()
                )
                if row is not None and row["birth_date"] != birth:
                    row = None
            else:
                found = list(
                    conn.execute(
                        select(members)
                        .where(
                            members.c.last_name == last,
                            members.c.first_name == first,
                            members.c.birth_date == birth,
                        )
                        .limit(2)
                    ).mappings()
                )
                if len(found) > 1:
                    raise ValidationFailed(
                        "More than one member has those names and date of birth; "
                        "use the member ID.",
                        field="member_id",
                    )
                row = found[0] if found else None
            if row is not None:
                result = self._eligibility(conn, row, service_date, npi)
                audit.record(
                    conn,
                    at=now,
                    action="members.eligibility",
                    principal=principal,
                    record_kind="member",
                    record_id=row["member_id"],
                )
                return result
        self._audit_refusal(principal, "members.eligibility", member_id, "failed")
        raise NotFound(NO_MATCH)

    def _parse_query(
        self, principal: Principal, query: EligibilityQuery, today: date
    ) -> tuple[str | None, str, str, date, date, str | None]:
        birth = check_birth_date(parse_date(query.birth_date, "birth_date"), today)
        service_date = check_eligibility_date(
            parse_date(query.service_date, "service_date") if query.service_date else today, today
        )
        member_id = (
            parse_member_id(query.member_id)
            if query.member_id and query.member_id.strip()
            else None
        )
        last = (query.last_name or "").strip()
        first = (query.first_name or "").strip()
        if member_id is None and not (last and first):
            raise ValidationFailed(
                "Enter the member ID, or the member's last and first names, "
                "with the date of birth.",
                field="member_id",
            )
        npi = parse_npi(query.npi) if query.npi and query.npi.strip() else self._own_npi(principal)
        return (
            member_id,
            last.title() if last.islower() or last.isupper() else last,
            (first.title() if first.islower() or first.isupper() else first),
            birth,
            service_date,
            npi,
        )

    @staticmethod
    def _own_npi(principal: Principal) -> str | None:
        tin = principal.active_tin
        npis = principal.affiliations.get(tin or "", frozenset())
        return next(iter(npis)) if len(npis) == 1 else None

    def _eligibility(
        self, conn: Connection, row: Any, day: date, npi: str | None
    ) -> EligibilityResult:
        coverage = coverage_on(conn, row["member_id"], day)
        in_network: bool | None = None
        note = "Give a provider NPI to check the network."
        if npi is not None and coverage is not None:
            in_network, note = network_status(conn, npi, coverage["plan_id"], day)
        elif coverage is None:
            note = "Not covered on that date."
        return EligibilityResult(
            member_id=row["member_id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            birth_date=row["birth_date"],
            service_date=day,
            active=coverage is not None,
            plan=plan_summary(coverage) if coverage is not None else None,
            group_number=coverage["group_number"] if coverage is not None else None,
            coverage_start=coverage["effective_date"] if coverage is not None else None,
            coverage_end=coverage["end_date"] if coverage is not None else None,
            pcp=pcp_on(conn, row["member_id"], day),
            in_network=in_network,
            network_note=note,
            npi=npi,
        )

    def check_eligibility_batch(
        self, principal: Principal, queries: list[EligibilityQuery]
    ) -> list[EligibilityBatchItem]:
        """Up to 50 lookups; each line gets its result or its own plain-words error."""
        if not queries:
            raise ValidationFailed("Give at least one member to look up.", field="queries")
        if len(queries) > BATCH_LIMIT:
            raise ValidationFailed("Look up at most 50 members at a time.", field="queries")
        self._require(principal, Action.CHECK_ELIGIBILITY, "members.eligibility")
        items: list[EligibilityBatchItem] = []
        for index, query in enumerate(queries):
            try:
                items.append(
                    EligibilityBatchItem(
                        index=index, result=self.check_eligibility(principal, query)
                    )
                )
            except errors.PermissionDenied:
                raise
            except PortalError as error:
                items.append(EligibilityBatchItem(index=index, error=error.message))
        return items

    # -- member detail -----------------------------------------------------------------------------
    def get_member(self, principal: Principal, member_id: str) -> MemberDetail:
        """A member tied to the user's providers: coverage, PCPs, cost sharing."""
        now = self._require(principal, Action.READ_MEMBERS, "members.read")
        member_id = parse_member_id(member_id)
        with self.db.write() as conn:
            row = self._visible_member(conn, principal, member_id, Action.READ_MEMBERS, now)
            if row is not None:
                detail = self._detail(conn, principal, row, now)
                audit.record(
                    conn,
                    at=now,
                    action="members.read",
                    principal=principal,
                    record_kind="member",
                    record_id=member_id,
                )
                return detail
        self._audit_refusal(principal, "members.read", member_id, "denied")
        raise NotFound("No such member.")

    def _detail(
        self, conn: Connection, principal: Principal, row: Any, now: datetime
    ) -> MemberDetail:
        member_id = row["member_id"]
        spans = conn.execute(
            select(coverage_spans, plans.c.name, plans.c.product_line)
            .join(plans, plans.c.plan_id == coverage_spans.c.plan_id)
            .where(coverage_spans.c.member_id == member_id)
            .order_by(coverage_spans.c.effective_date.desc())
        ).mappings()
        pcps = conn.execute(
            select(pcp_assignments, providers.c.name)
            .join(providers, providers.c.npi == pcp_assignments.c.npi)
            .where(pcp_assignments.c.member_id == member_id)
            .order_by(pcp_assignments.c.start_date.desc())
        ).mappings()
        current = coverage_on(conn, member_id, now.date())
        plan_count = 0
        if allowed(principal, Action.READ_CARE_PLANS, None, now):
            plan_count = int(
                conn.execute(
                    select(func.count())
                    .select_from(care_plans)
                    .where(care_plans.c.member_id == member_id)
                ).scalar_one()
            )
        return MemberDetail(
            member_id=member_id,
            first_name=row["first_name"],
            last_name=row["last_name"],
            birth_date=row["birth_date"],
            sex=row["sex"],
            address=row["address"],
            phone=row["phone"],
            coverage=[
                CoverageSpan(
                    plan_id=s["plan_id"],
                    plan_name=s["name"],
                    product_line=s["product_line"],
                    group_number=s["group_number"],
                    effective_date=s["effective_date"],
                    end_date=s["end_date"],
                )
                for s in spans
            ],
            pcps=[
                PcpBrief(
                    npi=p["npi"], name=p["name"], start_date=p["start_date"], end_date=p["end_date"]
                )
                for p in pcps
            ],
            current_plan=plan_summary(current) if current is not None else None,
            care_plan_count=plan_count,
        )

    # -- plans and network -------------------------------------------------------------------------
    def list_plans(self, principal: Principal) -> list[PlanSummary]:
        """Every plan product with its cost sharing (no member data)."""
        self._require(principal, Action.CHECK_ELIGIBILITY, "members.plans")
        with self.db.read() as conn:
            return [
                plan_summary(r)
                for r in conn.execute(select(plans).order_by(plans.c.plan_id)).mappings()
            ]

    def check_network(self, principal: Principal, query: NetworkQuery) -> NetworkResult:
        """Whether a provider is in network for a plan on a date, and why."""
        now = self._require(principal, Action.CHECK_ELIGIBILITY, "members.network")
        npi = parse_npi(query.npi)
        day = parse_date(query.on_date, "on_date") if query.on_date else now.date()
        with self.db.read() as conn:
            plan = (
                conn.execute(select(plans).where(plans.c.plan_id == query.plan_id.strip().upper()))
                .mappings()
                .first()
            )
            if plan is None:
                raise NotFound("No such plan.")
            name = conn.execute(select(providers.c.name).where(providers.c.npi == npi)).scalar()
            in_network, reason = network_status(conn, npi, plan["plan_id"], day)
        return NetworkResult(
            npi=npi,
            provider_name=name or "",
            plan_id=plan["plan_id"],
            plan_name=plan["name"],
            on_date=day,
            in_network=in_network,
            reason=reason,
        )

    # -- PCP panel ---------------------------------------------------------------------------------
    def _panel_scope(self, conn: Connection, principal: Principal, npi: str, now: datetime) -> bool:
        npis = provider_npis(conn, principal, Action.READ_MEMBERS, now)
        if npis is None:
            return True
        if npi not in npis:
            return False
        tins = conn.execute(select(provider_tins.c.tin).where(provider_tins.c.npi == npi)).scalars()
        return any(provider_in_scope(principal, tin, npi) for tin in tins)

    def pcp_panel(
        self, principal: Principal, query: PanelQuery, after: str | None = None, limit: int = 100
    ) -> Page[PanelMember]:
        """Members assigned to a PCP on a date, by member ID, with eligibility that day."""
        now = self._require(principal, Action.READ_MEMBERS, "members.panel")
        npi = parse_npi(query.npi)
        day = parse_date(query.on_date, "on_date") if query.on_date else now.date()
        limit = max(1, min(limit, 1000))
        position = keyset.seek(after, (pcp_assignments.c.member_id,), descending=False)
        with self.db.write() as conn:
            if not self._panel_scope(conn, principal, npi, now):
                audit.record(
                    conn,
                    at=now,
                    action="members.panel",
                    outcome="denied",
                    principal=principal,
                    record_kind="provider",
                    record_id=npi,
                )
            else:
                found = self._panel_rows(conn, npi, day, position, limit + 1)
                items, cursor = position.page(found, limit, key=lambda m: (m.member_id,))
                audit.record_many(
                    conn,
                    at=now,
                    action="members.panel",
                    principal=principal,
                    record_kind="member",
                    record_ids=[m.member_id for m in items],
                )
                return Page[PanelMember](items=items, next_cursor=cursor)
        raise NotFound("No such provider.")

    def _panel_rows(
        self, conn: Connection, npi: str, day: date, position: keyset.Seek, limit: int
    ) -> list[PanelMember]:
        conditions = [
            pcp_assignments.c.npi == npi,
            _on(pcp_assignments.c.start_date, pcp_assignments.c.end_date, day),
        ]
        rows = conn.execute(
            select(pcp_assignments.c.member_id, pcp_assignments.c.start_date, members)
            .join(members, members.c.member_id == pcp_assignments.c.member_id)
            .where(*position.where(conditions))
            .order_by(*position.order)
            .limit(limit)
        ).mappings()
        result: list[PanelMember] = []
        for row in rows:
            coverage = coverage_on(conn, row["member_id"], day)
            result.append(
                PanelMember(
                    member_id=row["member_id"],
                    first_name=row["first_name"],
                    last_name=row["last_name"],
                    birth_date=row["birth_date"],
                    assigned_since=row["start_date"],
                    active=coverage is not None,
                    plan_id=coverage["plan_id"] if coverage is not None else None,
                    product_line=coverage["product_line"] if coverage is not None else None,
                )
            )
        return result

    def export_pcp_panel(self, principal: Principal, query: PanelQuery) -> bytes:
        """The whole panel (up to 10,000 members) as CSV."""
        rows: list[PanelMember] = []
        after: str | None = None
        while len(rows) < PANEL_EXPORT_LIMIT:
            page = self.pcp_panel(principal, query, after=after, limit=1000)
            rows.extend(page.items)
            after = page.next_cursor
            if after is None:
                break
        return csv_bytes(
            PANEL_COLUMNS,
            ([getattr(m, c) for c in PANEL_COLUMNS] for m in rows[:PANEL_EXPORT_LIMIT]),
        )

    # -- care plans --------------------------------------------------------------------------------
    def care_plans(self, principal: Principal, member_id: str) -> list[CarePlan]:
        """A visible member's care plans (never for billing users: no clinical detail)."""
        return self._care_plan_read(
            principal,
            "members.care_plans",
            lambda conn, now: self._plans_of(conn, principal, parse_member_id(member_id), now),
        )

    def export_care_plan(self, principal: Principal, care_plan_id: int) -> bytes:
        """One care plan as a text document to save or print."""

        def read(conn: Connection, now: datetime) -> tuple[str | None, bytes | None]:
            row = (
                conn.execute(select(care_plans).where(care_plans.c.id == care_plan_id))
                .mappings()
                .first()
            )
            if (
                row is None
                or self._visible_member(
                    conn, principal, row["member_id"], Action.READ_CARE_PLANS, now
                )
                is None
            ):
                return (row["member_id"] if row is not None else None), None
            member = (
                conn.execute(select(members).where(members.c.member_id == row["member_id"]))
                .mappings()
                .one()
            )
            return row["member_id"], care_plan_text(member, _care_plan(row)).encode("utf-8")

        content = self._care_plan_read(principal, "members.care_plan_export", read)
        assert content is not None
        return content

    def _plans_of(
        self, conn: Connection, principal: Principal, member_id: str, now: datetime
    ) -> tuple[str | None, list[CarePlan] | None]:
        if self._visible_member(conn, principal, member_id, Action.READ_CARE_PLANS, now) is None:
            return member_id, None
        rows = conn.execute(
            select(care_plans)
            .where(care_plans.c.member_id == member_id)
            .order_by(care_plans.c.updated_at.desc())
        ).mappings()
        return member_id, [_care_plan(r) for r in rows]

    def _care_plan_read(
        self,
        principal: Principal,
        action: str,
        read: Callable[[Connection, datetime], tuple[str | None, T | None]],
    ) -> T:
        now = self._require(principal, Action.READ_CARE_PLANS, action)
        with self.db.write() as conn:
            member_id, value = read(conn, now)
            if value is not None:
                audit.record(
                    conn,
                    at=now,
                    action=action,
                    principal=principal,
                    record_kind="member",
                    record_id=member_id,
                )
                return value
        self._audit_refusal(principal, action, member_id, "denied")
        raise NotFound("No such care plan.")


def _care_plan(row: Any) -> CarePlan:
    return CarePlan(
        id=row["id"],
        member_id=row["member_id"],
        title=row["title"],
        problems=list(row["problems"]),
        goals=list(row["goals"]),
        interventions=list(row["interventions"]),
        care_team=[CareTeamMember(**m) for m in row["care_team"]],
        updated_at=row["updated_at"],
    )


def care_plan_text(member: Any, plan: CarePlan) -> str:
    """A care plan as plain text, for saving or printing."""
    lines = [
        "Northwind Health Plan - Care plan",
        "",
        f"Member: {member['first_name']} {member['last_name']} ({member['member_id']})",
        f"Date of birth: {member['birth_date']:%B %d, %Y}",
        f"Plan: {plan.title}",
        f"Updated: {plan.updated_at:%B %d, %Y}",
    ]
    for heading, entries in (
        ("Problems", plan.problems),
        ("Goals", plan.goals),
        ("Interventions", plan.interventions),
    ):
        lines += ["", heading + ":", *(f"  - {e}" for e in entries)]
    lines += [
        "",
        "Care team:",
        *(f"  - {m.name}, {m.role}" + (f", {m.phone}" if m.phone else "") for m in plan.care_team),
    ]
    return "\n".join(lines) + "\n"
