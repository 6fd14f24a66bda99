"""Demo admission notifications: drafts, new notifications (some late), reviews with next review
dates today, past and ahead, final approvals, discharges and cancellations, with their letters.

Admissions go to two demo hospitals (facility NPIs the demo adds, in network for every plan),
admitted by the demo TINs' clinicians, for members whose PCP works at the same TIN and whose
coverage is active. Everything is derived from `random.Random(SEED)` and the clock's "now".
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from portal_core.demo.catalog import MAIN_TIN
from portal_core.models.admissions import (
    AdmissionDetermination,
    DeterminationOutcome,
    ReviewKind,
)
from portal_core.rules.deadlines import admission_notification_due, draft_expires_at
from portal_core.rules.identifiers import npi_check_digit
from portal_core.services.admissions import determination_letter, payer_day
from portal_core.services.documents import file_document
from portal_core.store.engine import Database
from portal_core.store.schema import (
    admission_reviews,
    admissions,
    coverage_spans,
    members,
    network_participation,
    pcp_assignments,
    plans,
    provider_tins,
    providers,
)

SEED = 4_400
"""The admissions demo's random seed."""

FACILITIES = (
    ("Lakeside Community Hospital", "282N00000X"),
    ("Riverbend Regional Medical Center", "282N00000X"),
)
"""The demo hospitals (general acute care hospital taxonomy)."""

DIAGNOSES = (
    "I21.4", "I50.9", "J18.9", "J44.1", "N39.0", "A41.9", "K35.80", "S72.001A", "I63.9",
    "O80", "E11.65", "K56.7", "R07.9", "N17.9", "J96.01",
)  # fmt: skip
"""Admitting diagnoses (ICD-10-CM) the demo uses."""

# (status, how many): the mix the demo shows.
MIX = (
    ("draft", 8),
    ("new", 12),
    ("due_today", 6),
    ("due_past", 5),
    ("due_ahead", 8),
    ("final", 5),
    ("denied", 2),
    ("discharged", 14),
    ("cancelled", 4),
)


@dataclass(frozen=True)
class _Case:
    tin: str
    admitting: str
    member_id: str
    user_id: int


def facility_npi(index: int) -> str:
    """The demo hospital NPIs: prefix 2 keeps them apart from the clinicians' (prefix 1)."""
    first_nine = f"2{(index + 1) * 1_234_567:08d}"
    return first_nine + str(npi_check_digit(first_nine))


def write_facilities(conn: Connection, today: Any) -> list[str]:
    """The demo hospitals and their network participation (every plan)."""
    npis = [facility_npi(i) for i in range(len(FACILITIES))]
    conn.execute(
        insert(providers),
        [
            {
                "npi": npi,
                "name": name,
                "kind": "facility",
                "specialty": "General Acute Care Hospital",
                "taxonomy": taxonomy,
                "phone": f"555-07{i:02d}",
                "panel_status": "open",
            }
            for i, (npi, (name, taxonomy)) in enumerate(zip(npis, FACILITIES, strict=True))
        ],
    )
    plan_ids = list(conn.execute(select(plans.c.plan_id)).scalars())
    conn.execute(
        insert(network_participation),
        [
            {
                "npi": npi,
                "plan_id": plan_id,
                "start_date": today - timedelta(days=3000),
                "end_date": None,
            }
            for npi in npis
            for plan_id in plan_ids
        ],
    )
    return npis


def _cases(conn: Connection, now: datetime, users_by_tin: dict[str, list[int]]) -> list[_Case]:
    """Members with active coverage whose current PCP works at a TIN that has users."""
    today = now.date()
    rows = conn.execute(
        select(pcp_assignments.c.member_id, pcp_assignments.c.npi, provider_tins.c.tin)
        .join(provider_tins, provider_tins.c.npi == pcp_assignments.c.npi)
        .join(coverage_spans, coverage_spans.c.member_id == pcp_assignments.c.member_id)
        .where(
            pcp_assignments.c.end_date.is_(None),
            provider_tins.c.end_date.is_(None),
            provider_tins.c.tin.in_(sorted(users_by_tin)),
            coverage_spans.c.effective_date <= today - timedelta(days=60),
            coverage_spans.c.end_date.is_(None),
        )
        .order_by(pcp_assignments.c.member_id)
    ).all()
    seen: set[str] = set()
    cases = []
    for member_id, npi, tin in rows:
        if member_id in seen:
            continue
        seen.add(member_id)
        cases.append(_Case(tin, npi, member_id, users_by_tin[tin][0]))
    return cases


def write_admissions(
    db: Database,
    now: datetime,
    users_by_tin: dict[str, list[int]],
    rivera_npi: str,
    reviewer_id: int,
) -> int:
    """About 60 admissions across the demo TINs (Dr. Rivera admits a share of the main TIN's);
    returns how many. `users_by_tin` names who notifies for each TIN (the first one)."""
    rng = random.Random(SEED)
    with db.write() as conn:
        facilities = write_facilities(conn, now.date())
        cases = _cases(conn, now, users_by_tin)
        main = [c for c in cases if c.tin == MAIN_TIN and c.admitting == rivera_npi]
        others = [c for c in cases if c not in main]
        rng.shuffle(others)
        serial = 0
        # Dr. Rivera gets one of each kind, so every state shows for her; others get the rest.
        remaining = [kind for kind, count in MIX for _ in range(count - 1)]
        ordered = [kind for kind, _ in MIX] + remaining
        chosen = main[: len(MIX)] + others[: len(remaining)]
        rows: list[tuple[str, _Case]] = list(zip(ordered, chosen, strict=False))
        # Oldest admission first, so numbers (and the newest-first lists) follow time.
        # About a third of the sent ones were sent late (after their due time).
        lateness = [kind != "draft" and rng.random() < 0.3 for kind, _ in rows]
        plans_of = [
            (_admitted_at(kind, late, now, rng), kind, late, case)
            for (kind, case), late in zip(rows, lateness, strict=True)
        ]
        plans_of.sort(key=lambda item: item[0])
        for admitted_at, kind, late, case in plans_of:
            serial += 1
            _write_one(
                conn,
                rng,
                now,
                f"ADM-{now.year:04d}-{serial:06d}",
                kind,
                late,
                case,
                admitted_at,
                rng.choice(facilities),
                reviewer_id,
            )
    return serial


def _admitted_at(kind: str, late: bool, now: datetime, rng: random.Random) -> datetime:
    if late and kind == "new":
        # Sent lately but admitted last week: well past any weekend's next business day.
        return (now - timedelta(hours=rng.uniform(100, 150))).replace(second=0, microsecond=0)
    hours = {
        "draft": (4, 40),
        "new": (3, 60),
        "due_today": (50, 120),
        "due_past": (80, 160),
        "due_ahead": (30, 120),
        "final": (60, 200),
        "denied": (40, 120),
        "discharged": (200, 1400),
        "cancelled": (30, 600),
    }[kind]
    at = now - timedelta(hours=rng.uniform(*hours))
    return at.replace(second=0, microsecond=0)


def _write_one(
    conn: Connection,
    rng: random.Random,
    now: datetime,
    number: str,
    kind: str,
    late: bool,
    case: _Case,
    admitted_at: datetime,
    facility: str,
    reviewer_id: int,
) -> None:
    codes = rng.sample(DIAGNOSES, k=rng.randint(1, 2))
    admission_type = (
        "maternity"
        if "O80" in codes
        else rng.choice(("emergency", "emergency", "urgent", "trauma"))
    )
    draft = kind == "draft"
    # A late one was sent 3 to 4 days after the admission (past 24 hours or the next business
    # day whatever the weekday); the others within 2 hours.
    delay = timedelta(hours=rng.uniform(75, 98) if late else 2)
    notified_at = min(admitted_at + delay, now - timedelta(minutes=5))
    created_at = admitted_at + timedelta(minutes=40) if draft else notified_at
    due_at = admission_notification_due(admitted_at)
    values: dict[str, Any] = {
        "number": number,
        "tin": case.tin,
        "status": "draft" if draft else "in_review",
        "member_id": case.member_id,
        "facility_npi": facility,
        "admitting_npi": case.admitting,
        "admitted_at": admitted_at,
        "diagnosis_codes": codes,
        "admission_type": admission_type,
        "notes": "" if rng.random() < 0.5 else "Admitted through the emergency department.",
        "created_by": case.user_id,
        "created_at": created_at,
        "updated_at": created_at,
        "draft_expires_at": draft_expires_at(created_at) if draft else None,
        "submitted_by": None if draft else case.user_id,
        "notified_at": None if draft else notified_at,
        "due_at": None if draft else due_at,
        "late": False if draft else notified_at > due_at,
        "review_count": 0,
        "approved_days": 0,
        "review_due_on": None if draft else payer_day(notified_at),
    }
    admission_id = conn.execute(
        insert(admissions).values(**values).returning(admissions.c.id)
    ).scalar_one()
    if kind == "cancelled":
        conn.execute(
            admissions.update()
            .where(admissions.c.id == admission_id)
            .values(
                status="cancelled",
                cancel_reason="Observation stay, not an inpatient admission.",
                cancelled_at=notified_at + timedelta(hours=3),
                review_due_on=None,
            )
        )
        return
    if kind in ("draft", "new"):
        return
    today = payer_day(now)
    reviewed_at = min(notified_at + timedelta(hours=rng.uniform(4, 20)), now - timedelta(hours=1))
    if kind == "denied":
        steps = [
            AdmissionDetermination(
                kind=ReviewKind.INITIAL,
                outcome=DeterminationOutcome.DENIED,
                reason="Inpatient criteria not met: the condition can be treated in observation.",
            )
        ]
    else:
        first_days = rng.randint(2, 4)
        steps = [
            AdmissionDetermination(
                kind=ReviewKind.INITIAL,
                outcome=DeterminationOutcome.APPROVED,
                approved_days=first_days,
                next_review_date=payer_day(reviewed_at) + timedelta(days=first_days),
                final=kind == "final",
            )
        ]
        if kind in ("due_past", "discharged") and rng.random() < 0.7:
            extra = rng.randint(1, 3)
            partial = rng.random() < 0.3
            steps.append(
                AdmissionDetermination(
                    kind=ReviewKind.CONTINUED_STAY,
                    outcome=(
                        DeterminationOutcome.PARTIALLY_APPROVED
                        if partial
                        else DeterminationOutcome.APPROVED
                    ),
                    approved_days=extra,
                    next_review_date=steps[0].next_review_date + timedelta(days=extra)
                    if steps[0].next_review_date
                    else None,
                    reason="Two of the three days asked for meet continued-stay criteria."
                    if partial
                    else "",
                )
            )
    total = 0
    at = reviewed_at
    row = {**values, "id": admission_id}
    member_name = conn.execute(
        select(members.c.first_name + " " + members.c.last_name).where(
            members.c.member_id == case.member_id
        )
    ).scalar_one()
    next_review = None
    for index, step in enumerate(steps):
        closes = step.outcome is DeterminationOutcome.DENIED or step.final
        next_review = None if closes else step.next_review_date
        total += step.approved_days
        letter_id = file_document(
            conn,
            kind="letter",
            tin=case.tin,
            file_name=f"{number}-{index + 1}-determination.txt",
            media_type="text/plain",
            content=determination_letter(row, step, at, total, member_name),
            at=at,
            created_by=reviewer_id,
            linked_kind="admission",
            linked_id=number,
            retain_years=10,
        )
        conn.execute(
            insert(admission_reviews).values(
                admission_id=admission_id,
                at=at,
                kind=step.kind.value,
                outcome=step.outcome.value,
                approved_days=step.approved_days,
                next_review_date=next_review,
                final=step.final,
                reviewer_id=reviewer_id,
                reason=step.reason,
                letter_id=letter_id,
            )
        )
        at = min(at + timedelta(days=step.approved_days), now - timedelta(hours=1))
    # Place the open review's next date where the demo wants it.
    if kind == "due_today":
        next_review = today
    elif kind == "due_past":
        next_review = today - timedelta(days=rng.randint(1, 2))
    elif kind == "due_ahead":
        next_review = today + timedelta(days=rng.randint(1, 4))
    update: dict[str, Any] = {
        "review_count": len(steps),
        "approved_days": total,
        "review_due_on": next_review,
    }
    if kind == "discharged":
        discharged = min(admitted_at + timedelta(days=total), now - timedelta(hours=2))
        update |= {
            "status": "discharged",
            "discharged_at": discharged.astimezone(UTC),
            "discharge_disposition": rng.choice(
                ("home", "home", "home_health", "skilled_nursing", "rehabilitation")
            ),
            "review_due_on": None,
        }
    conn.execute(admissions.update().where(admissions.c.id == admission_id).values(**update))


def tin_notifiers(ids: dict[str, int], tins: Sequence[str]) -> dict[str, list[int]]:
    """Who notifies admissions for each demo TIN: the front desk or the administrator."""
    by_name = {
        MAIN_TIN: "staff.lakeside",
        "461234568": "admin.lakeside",
        "521234567": "admin.riverbend",
    }
    return {tin: [ids[by_name[tin]]] for tin in tins if tin in by_name}


def write_admissions_and_referrals(
    db: Database, now: datetime, ids: dict[str, int], rivera_npi: str
) -> tuple[int, int]:
    """The demo's admissions and referrals (what `seed` calls); returns how many of each."""
    from portal_core.demo.referrals_data import write_referrals

    notifiers = tin_notifiers(ids, (MAIN_TIN, "461234568", "521234567"))
    admitted = write_admissions(db, now, notifiers, rivera_npi, ids["reviewer.kim"])
    referred = write_referrals(db, now, {t: u[0] for t, u in notifiers.items()}, rivera_npi)
    return admitted, referred
