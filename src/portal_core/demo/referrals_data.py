"""Demo referrals: about 200, active, used, expired and cancelled, each from the member's PCP on
its start date to a specialist in network for the member's plan then (the rules `create_referral`
enforces, applied to the demo's own PCP assignments, coverage and network participation).

Dr. Rivera refers a share of them, several to specialists of her own practice, so a demo provider
sees referrals both ways. Everything is derived from `random.Random(SEED)` and the clock's "now".
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from portal_core.models.referrals import DEFAULT_VALID_DAYS
from portal_core.store.engine import Database
from portal_core.store.schema import (
    coverage_spans,
    network_participation,
    pcp_assignments,
    provider_tins,
    providers,
    referral_events,
    referrals,
)

SEED = 4_500
"""The referrals demo's random seed."""

COUNT = 200
"""Referrals the demo writes."""

PRIMARY_CARE = frozenset(
    {"Family Medicine", "Internal Medicine", "Pediatrics", "Nurse Practitioner",
     "Physician Assistant"}
)  # fmt: skip
"""Specialties that are not referred to."""

REASONS = (
    ("M25.561", "Right knee pain after a fall; evaluate for meniscal tear."),
    ("I48.91", "New atrial fibrillation; rhythm management."),
    ("M54.50", "Low back pain for 8 weeks despite home exercise."),
    ("R07.89", "Atypical chest pain; stress testing."),
    ("S83.511A", "Suspected ACL sprain, right knee."),
    ("M17.11", "Primary osteoarthritis, right knee; injection or surgery opinion."),
    ("I10", "Resistant hypertension on three drugs."),
    ("R93.89", "Abnormal imaging finding; specialist read."),
)
"""Diagnosis and reason pairs."""


def _on(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or end >= day)


def write_referrals(db: Database, now: datetime, notifiers: dict[str, int], rivera_npi: str) -> int:
    """About `COUNT` referrals from PCPs at TINs with a notifier (`notifiers[tin]` creates them);
    returns how many were written."""
    rng = random.Random(SEED)
    today = now.date()
    with db.write() as conn:
        specialists = _specialists(conn)
        network = _network(conn)
        coverage = _coverage(conn)
        pcps = list(
            conn.execute(
                select(
                    pcp_assignments.c.member_id,
                    pcp_assignments.c.npi,
                    pcp_assignments.c.start_date,
                    provider_tins.c.tin,
                )
                .join(provider_tins, provider_tins.c.npi == pcp_assignments.c.npi)
                .where(
                    pcp_assignments.c.end_date.is_(None),
                    provider_tins.c.end_date.is_(None),
                    provider_tins.c.tin.in_(sorted(notifiers)),
                )
                .order_by(pcp_assignments.c.member_id)
            ).all()
        )
        rivera = [p for p in pcps if p.npi == rivera_npi]
        others = [p for p in pcps if p.npi != rivera_npi]
        rng.shuffle(rivera)
        rng.shuffle(others)
        pool = rivera[:60] + others
        written = 0
        serial = 0
        rows: list[dict[str, Any]] = []
        for member_id, pcp, pcp_start, tin in pool:
            if written >= COUNT:
                break
            kind = _kind(rng, written)
            start = _start(kind, today, rng)
            if start < pcp_start:
                continue
            plan = next(
                (plan for plan, eff, end in coverage.get(member_id, []) if _on(eff, end, start)),
                None,
            )
            if plan is None:
                continue
            own_practice = [s for s in specialists.get(tin, []) if s != pcp]
            candidates = own_practice if pcp == rivera_npi and rng.random() < 0.6 else []
            if not candidates:
                candidates = [s for group in specialists.values() for s in group if s != pcp]
            candidates = [
                s
                for s in candidates
                if any(_on(a, b, start) for a, b in network.get((s, plan), []))
            ]
            if not candidates:
                continue
            specialist = rng.choice(candidates)
            code, reason = rng.choice(REASONS)
            authorized = rng.choice((1, 2, 3, 4, 6, 8, 12))
            end = start + timedelta(days=DEFAULT_VALID_DAYS)
            used = {
                "active": rng.randint(0, max(0, authorized - 2)),
                "used": authorized,
                "expired": rng.randint(0, max(0, authorized - 1)),
                "cancelled": 0,
            }[kind]
            serial += 1
            created_at = datetime.combine(start, datetime.min.time(), now.tzinfo) + timedelta(
                hours=rng.uniform(8, 17)
            )
            created_at = min(created_at, now - timedelta(minutes=30))
            rows.append(
                {
                    "number": f"REF-{now.year:04d}-{serial:06d}",
                    "tin": tin,
                    "member_id": member_id,
                    "referring_npi": pcp,
                    "specialist_npi": specialist,
                    "diagnosis_codes": [code],
                    "visits_authorized": authorized,
                    "visits_used": used,
                    "start_date": start,
                    "end_date": end,
                    "status": "cancelled" if kind == "cancelled" else "active",
                    "reason": reason,
                    "notes": "",
                    "created_by": notifiers[tin],
                    "created_at": created_at,
                    "cancel_reason": "Member chose another specialist."
                    if kind == "cancelled"
                    else None,
                    "cancelled_at": min(created_at + timedelta(days=2), now)
                    if kind == "cancelled"
                    else None,
                }
            )
            written += 1
        rows.sort(key=lambda r: (r["start_date"], r["number"]))
        for index, row in enumerate(rows, start=1):
            row["number"] = f"REF-{now.year:04d}-{index:06d}"
        _insert(conn, rows, now)
    return len(rows)


def _kind(rng: random.Random, index: int) -> str:
    if index < 8:  # Dr. Rivera's first ones are active, so the demo always has some to work
        return "active"
    return rng.choices(("active", "used", "expired", "cancelled"), weights=(10, 4, 5, 2))[0]


def _start(kind: str, today: date, rng: random.Random) -> date:
    if kind == "expired":
        return today - timedelta(days=rng.randint(DEFAULT_VALID_DAYS + 1, 300))
    if kind == "used":
        return today - timedelta(days=rng.randint(20, 200))
    return today - timedelta(days=rng.randint(0, 60))


def _specialists(conn: Connection) -> dict[str, list[str]]:
    """Current non-primary-care clinicians per TIN."""
    found: dict[str, list[str]] = defaultdict(list)
    for npi, tin, specialty in conn.execute(
        select(provider_tins.c.npi, provider_tins.c.tin, providers.c.specialty)
        .join(providers, providers.c.npi == provider_tins.c.npi)
        .where(provider_tins.c.end_date.is_(None), providers.c.kind == "individual")
        .order_by(provider_tins.c.npi)
    ):
        if specialty not in PRIMARY_CARE:
            found[tin].append(npi)
    return dict(found)


def _network(conn: Connection) -> dict[tuple[str, str], list[tuple[date, date | None]]]:
    spans: dict[tuple[str, str], list[tuple[date, date | None]]] = defaultdict(list)
    for npi, plan, start, end in conn.execute(
        select(
            network_participation.c.npi,
            network_participation.c.plan_id,
            network_participation.c.start_date,
            network_participation.c.end_date,
        )
    ):
        spans[(npi, plan)].append((start, end))
    return spans


def _coverage(conn: Connection) -> dict[str, list[tuple[str, date, date | None]]]:
    spans: dict[str, list[tuple[str, date, date | None]]] = defaultdict(list)
    for member_id, plan, start, end in conn.execute(
        select(
            coverage_spans.c.member_id,
            coverage_spans.c.plan_id,
            coverage_spans.c.effective_date,
            coverage_spans.c.end_date,
        ).order_by(coverage_spans.c.effective_date.desc())
    ):
        spans[member_id].append((plan, start, end))
    return spans


def _insert(conn: Connection, rows: list[dict[str, Any]], now: datetime) -> None:
    if not rows:
        return
    for row in rows:
        referral_id = conn.execute(
            insert(referrals).values(**row).returning(referrals.c.id)
        ).scalar_one()
        events = [
            {
                "referral_id": referral_id,
                "at": row["created_at"],
                "event": "created",
                "user_id": row["created_by"],
                "detail": f"{row['visits_authorized']} visits, {row['start_date']:%b %d, %Y} "
                f"to {row['end_date']:%b %d, %Y}",
            }
        ]
        for visit in range(1, row["visits_used"] + 1):
            at = min(row["created_at"] + timedelta(days=7 * visit), now - timedelta(minutes=10))
            events.append(
                {
                    "referral_id": referral_id,
                    "at": at,
                    "event": "visit",
                    "user_id": row["created_by"],
                    "detail": f"visit {visit} of {row['visits_authorized']}",
                }
            )
        if row["status"] == "cancelled":
            events.append(
                {
                    "referral_id": referral_id,
                    "at": row["cancelled_at"],
                    "event": "cancelled",
                    "user_id": row["created_by"],
                    "detail": row["cancel_reason"],
                }
            )
        conn.execute(insert(referral_events), events)
