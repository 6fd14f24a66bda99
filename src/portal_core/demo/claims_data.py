"""Demo members and claims: plans, network participation, members with coverage and PCPs, care
plans, claims with lines, adjustments and remarks, and the payments (EOPs) that paid them.

Everything comes from its own `random.Random`, so the users and reviews written before stay as
they were. Rows go in by bulk `executemany` in large batches; at the large scale the claim
indexes are dropped first and built once at the end, which is far faster than keeping them up to
date row by row.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Index, Table, insert, update

from portal_core.demo.catalog import FIRST_NAMES, LAST_NAMES
from portal_core.store.engine import Database
from portal_core.store.schema import (
    care_plans,
    claim_adjustments,
    claim_appeals,
    claim_inquiries,
    claim_lines,
    claim_remarks,
    claims,
    coverage_spans,
    members,
    network_participation,
    payments,
    pcp_assignments,
    plans,
)

SEED = 20261124
"""The claims stream's own seed (the users' stream is left untouched)."""

BATCH = 50_000
"""Claims generated and written per transaction."""

PLANS = (
    # plan_id, name, product line, pcp copay, specialist copay, coinsurance %, deductible, OOP max
    ("NW-PPO-500", "Northwind PPO 500", "commercial", 2500, 5000, 20, 50000, 450000),
    ("NW-HMO-250", "Northwind HMO 250", "commercial", 2000, 4000, 10, 25000, 350000),
    ("NW-HDHP-3K", "Northwind HSA 3000", "commercial", 0, 0, 20, 300000, 700000),
    ("NW-MA-GOLD", "Northwind Medicare Advantage Gold", "medicare", 0, 2000, 0, 0, 340000),
    ("NW-MA-PLUS", "Northwind Medicare Advantage Plus", "medicare", 500, 3500, 0, 0, 490000),
    ("NW-MCD-STD", "Northwind Community Medicaid", "medicaid", 0, 0, 0, 0, 0),
)
"""The payer's plan products with cost sharing (amounts in cents)."""

PROCEDURES = (
    # code, typical charge in cents, modifiers that go with it
    ("99213", 15000, ("", "", "25")),
    ("99214", 22000, ("", "", "25")),
    ("99203", 18000, ("",)),
    ("99204", 27000, ("",)),
    ("99396", 26000, ("",)),
    ("36415", 2000, ("",)),
    ("85025", 3500, ("",)),
    ("80053", 5200, ("",)),
    ("83036", 4000, ("",)),
    ("93000", 6500, ("",)),
    ("71046", 11000, ("", "26")),
    ("73721", 95000, ("RT", "LT")),
    ("20610", 21000, ("RT", "LT", "59")),
    ("97110", 9000, ("GP",)),
    ("97140", 8500, ("GP", "59")),
    ("90471", 3000, ("",)),
    ("90686", 4500, ("",)),
    ("J1100", 1500, ("",)),
    ("G0439", 19000, ("",)),
    ("E0601", 120000, ("NU", "RR")),
    ("29881", 410000, ("RT", "LT")),
    ("27447", 2800000, ("RT", "LT")),
)

DENIALS = (
    # CARC, remark codes, weight
    ("16", ("M51", "N290", "MA130"), 14),
    ("197", ("N54",), 12),
    ("50", ("N115", "N386"), 10),
    ("18", ("N522",), 8),
    ("29", (), 6),
    ("97", ("M15", "N19"), 9),
    ("252", ("N706",), 7),
    ("27", ("N30",), 5),
    ("109", (), 4),
    ("151", ("N435",), 5),
    ("204", ("N130",), 5),
    ("B7", ("N95",), 3),
    ("4", ("N822",), 4),
    ("236", ("N20",), 4),
    ("242", (), 3),
)
_DENIAL_WEIGHTS = [d[2] for d in DENIALS]

PENDING_REASONS = (
    ("P1", "In process"),
    ("P2", "Under payer review"),
    ("P3", "Information requested from provider"),
    ("P4", "Information requested from the member"),
)

PROBLEMS = (
    ("Type 2 diabetes, not at goal", "A1C below 7.5 within 6 months",
     "Diabetes education; metformin adherence check"),
    ("Hypertension", "Blood pressure under 130/80",
     "Home blood pressure log; follow-up in 4 weeks"),
    ("Congestive heart failure", "No readmission in 90 days",
     "Daily weights; low-sodium diet; cardiology follow-up"),
    ("COPD", "Fewer than 2 exacerbations a year",
     "Inhaler technique review; pulmonary rehab referral"),
    ("Depression", "PHQ-9 under 10", "Behavioral health referral; medication review"),
    ("Chronic low back pain", "Walk 30 minutes a day",
     "Physical therapy twice a week for 6 weeks"),
    ("Asthma", "No emergency visits", "Asthma action plan; controller medication refill"),
)  # fmt: skip


@dataclass
class ClaimsReport:
    """What was written."""

    members: int = 0
    claims: int = 0
    payments: int = 0


def _bulk(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        # Straight to the driver: on a million rows SQLAlchemy's type layer costs more than SQLite.
        names = list(rows[0])
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        )
        conn.exec_driver_sql(sql, [tuple(_raw(r[n]) for n in names) for r in rows])
    else:
        conn.execute(insert(table), list(rows))


def _raw(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


class ClaimGenerator:
    """Makes members, claims and payments, numbering every row itself."""

    def __init__(self, today: date, tin_of: dict[str, str], rng: random.Random) -> None:
        self.today = today
        self.tin_of = tin_of
        self.rng = rng
        self.next_claim_id = 1
        self.next_adjustment_id = 1
        self.next_remark_id = 1
        self.next_payment_id = 1
        self.claim_serial = 1
        # (tin, npi, payment date) -> the payment row being filled
        self.open_payments: dict[tuple[str, str, date], dict[str, Any]] = {}
        self.written_payments: set[int] = set()

    # -- members -----------------------------------------------------------------------------------
    def members(
        self, first_serial: int, count: int, pcps: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        rows: dict[str, list[dict[str, Any]]] = {
            "members": [],
            "coverage": [],
            "pcp": [],
            "care": [],
        }
        for index in range(count):
            member_id = f"NW{first_serial + index:09d}"
            age_days = rng.randrange(1, 90 * 365)
            birth = self.today - timedelta(days=age_days)
            rows["members"].append(
                {
                    "member_id": member_id,
                    "first_name": rng.choice(FIRST_NAMES),
                    "last_name": rng.choice(LAST_NAMES),
                    "birth_date": birth,
                    "sex": rng.choice("FM"),
                    "address": f"{rng.randrange(10, 9999)} {rng.choice(LAST_NAMES)} St, Lakeside",
                    "phone": f"555-{rng.randrange(1000, 9999)}",
                }
            )
            if age_days > 65 * 365:
                plan = rng.choice(("NW-MA-GOLD", "NW-MA-PLUS"))
            elif rng.random() < 0.18:
                plan = "NW-MCD-STD"
            else:
                plan = rng.choice(("NW-PPO-500", "NW-HMO-250", "NW-HDHP-3K"))
            start = self.today - timedelta(days=rng.randrange(400, 1500))
            end = None
            draw = rng.random()
            if draw < 0.07:
                end = self.today - timedelta(days=rng.randrange(5, 300))  # coverage ended
            rows["coverage"].append(
                {
                    "member_id": member_id,
                    "plan_id": plan,
                    "group_number": f"G{rng.randrange(10000, 99999)}"
                    if plan.startswith("NW-")
                    else "",
                    "effective_date": start,
                    "end_date": end,
                }
            )
            if draw > 0.95:  # a future change of plan
                rows["coverage"][-1]["end_date"] = self.today + timedelta(days=30)
                rows["coverage"].append(
                    {
                        "member_id": member_id,
                        "plan_id": "NW-PPO-500",
                        "group_number": "G20001",
                        "effective_date": self.today + timedelta(days=31),
                        "end_date": None,
                    }
                )
            pcp = pcps[0] if index % 6 == 0 else rng.choice(pcps)
            pcp_start = start + timedelta(days=rng.randrange(0, 60))
            if rng.random() < 0.1:
                rows["pcp"].append(
                    {
                        "member_id": member_id,
                        "npi": rng.choice(pcps),
                        "start_date": pcp_start - timedelta(days=400),
                        "end_date": pcp_start - timedelta(days=1),
                    }
                )
            rows["pcp"].append(
                {"member_id": member_id, "npi": pcp, "start_date": pcp_start, "end_date": None}
            )
            if rng.random() < 0.15:
                chosen = rng.sample(PROBLEMS, k=rng.randint(1, 3))
                rows["care"].append(
                    {
                        "member_id": member_id,
                        "title": f"Care plan: {chosen[0][0].split(',')[0]}",
                        "problems": [c[0] for c in chosen],
                        "goals": [c[1] for c in chosen],
                        "interventions": [c[2] for c in chosen],
                        "care_team": [
                            {
                                "name": "Nurse care manager Rosa Ortiz",
                                "role": "care manager",
                                "phone": "555-0142",
                            },
                            {"name": "Primary care provider", "role": "PCP", "phone": ""},
                        ],
                        "updated_at": None,  # set by the caller (a datetime)
                    }
                )
        return rows

    # -- claims ------------------------------------------------------------------------------------
    def claims(
        self, member_ids: Sequence[str], pcp_of: dict[str, str], count: int
    ) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        out: dict[str, list[dict[str, Any]]] = {
            "claims": [],
            "lines": [],
            "adjustments": [],
            "remarks": [],
        }
        npis = list(self.tin_of)
        for _ in range(count):
            member_id = rng.choice(member_ids)
            npi = pcp_of.get(member_id, npis[0]) if rng.random() < 0.7 else rng.choice(npis)
            tin = self.tin_of[npi]
            recent = rng.random() < 0.12
            age = rng.randrange(0, 45) if recent else rng.randrange(0, 715)
            service_from = self.today - timedelta(days=age + 3)
            service_to = service_from + timedelta(days=rng.choice((0, 0, 0, 0, 1, 2)))
            received = service_to + timedelta(days=rng.randrange(1, 10))
            if received >= self.today:
                received = self.today - timedelta(days=1)
            status, code, reason = self._status(received)
            claim_id = self.next_claim_id
            self.next_claim_id += 1
            number = f"C{received.year}{self.claim_serial:09d}"
            self.claim_serial += 1
            billed = allowed = paid = patient = 0
            denial: str | None = None
            partly = status == "paid" and rng.random() < 0.07
            denial_pick = rng.choices(DENIALS, weights=_DENIAL_WEIGHTS)[0]
            lines = rng.choices((1, 2, 3, 4), weights=(45, 30, 15, 10))[0]
            for line_number in range(1, lines + 1):
                proc, charge, mods = rng.choice(PROCEDURES)
                units = 1 if charge > 20000 else rng.choice((1, 1, 1, 2))
                line_billed = int(charge * units * rng.uniform(0.9, 1.2))
                line_allowed = line_paid = line_patient = 0
                adjustments: list[tuple[str, str, int]] = []
                if status in ("paid", "adjusted") and not (partly and line_number == lines):
                    line_allowed = int(line_billed * rng.uniform(0.5, 0.8))
                    adjustments.append(("CO", "45", line_billed - line_allowed))
                    share = rng.random()
                    if share < 0.25:
                        line_patient = min(line_allowed, rng.choice((2000, 2500, 4000)))
                        adjustments.append(("PR", "3", line_patient))
                    elif share < 0.4:
                        line_patient = int(line_allowed * 0.2)
                        adjustments.append(("PR", "2", line_patient))
                    elif share < 0.5:
                        line_patient = line_allowed
                        adjustments.append(("PR", "1", line_patient))
                    line_paid = line_allowed - line_patient
                elif status == "denied" or partly:
                    denial = denial_pick[0]
                    group = "PR" if denial in ("204", "27") else "CO"
                    adjustments.append((group, denial, line_billed))
                    for rarc in denial_pick[1][:2]:
                        out["remarks"].append(
                            {
                                "id": self.next_remark_id,
                                "claim_id": claim_id,
                                "line_number": line_number,
                                "rarc": rarc,
                            }
                        )
                        self.next_remark_id += 1
                for group, carc, amount in adjustments:
                    if amount:
                        out["adjustments"].append(
                            {
                                "id": self.next_adjustment_id,
                                "claim_id": claim_id,
                                "line_number": line_number,
                                "group_code": group,
                                "carc": carc,
                                "amount_cents": amount,
                            }
                        )
                        self.next_adjustment_id += 1
                mod = rng.choice(mods)
                out["lines"].append(
                    {
                        "claim_id": claim_id,
                        "line_number": line_number,
                        "service_date": service_from,
                        "procedure_code": proc,
                        "modifiers": mod,
                        "units": units,
                        "billed_cents": line_billed,
                        "allowed_cents": line_allowed,
                        "paid_cents": line_paid,
                    }
                )
                billed += line_billed
                allowed += line_allowed
                paid += line_paid
                patient += line_patient
            if status == "adjusted":
                out["remarks"].append(
                    {
                        "id": self.next_remark_id,
                        "claim_id": claim_id,
                        "line_number": None,
                        "rarc": "N10",
                    }
                )
                self.next_remark_id += 1
            adjudicated = None
            payment_id = None
            if status in ("paid", "denied", "adjusted"):
                adjudicated = min(received + timedelta(days=rng.randrange(5, 25)), self.today)
                if paid > 0:
                    payment_id = self._pay(tin, npi, adjudicated, paid)
            if status == "denied" and denial is None:
                denial = denial_pick[0]
            out["claims"].append(
                {
                    "id": claim_id,
                    "claim_number": number,
                    "patient_account": f"PA{rng.randrange(100000, 999999)}",
                    "member_id": member_id,
                    "billing_npi": npi,
                    "rendering_npi": npi,
                    "tin": tin,
                    "claim_type": "institutional" if rng.random() < 0.08 else "professional",
                    "service_from": service_from,
                    "service_to": service_to,
                    "received_date": received,
                    "status": status,
                    "status_code": code,
                    "status_reason": reason,
                    "adjudicated_date": adjudicated,
                    "billed_cents": billed,
                    "allowed_cents": allowed,
                    "paid_cents": paid,
                    "patient_responsibility_cents": patient,
                    "payment_id": payment_id,
                    "denial_carc": denial,
                }
            )
        return out

    def _status(self, received: date) -> tuple[str, str, str]:
        rng = self.rng
        waited = (self.today - received).days
        if waited < 5:
            return (
                ("received", "A1", "Received")
                if rng.random() < 0.5
                else ("received", "A2", "Accepted")
            )
        if waited < 30 and rng.random() < 0.35:
            code, reason = rng.choice(PENDING_REASONS)
            return "pending", code, reason
        draw = rng.random()
        if draw < 0.78:
            return "paid", "F1", "Paid"
        if draw < 0.93:
            return "denied", "F2", "Denied"
        if draw < 0.98:
            return "adjusted", "F3", "Adjusted after review"
        return "rejected", rng.choice(("A3", "A6", "A7")), "Returned as unprocessable"

    def _pay(self, tin: str, npi: str, adjudicated: date, paid: int) -> int:
        # Payments run on Fridays; a claim adjudicated on a Friday is paid that day.
        payday = adjudicated + timedelta(days=(4 - adjudicated.weekday()) % 7)
        if payday > self.today:
            payday = adjudicated
        key = (tin, npi, payday)
        payment = self.open_payments.get(key)
        if payment is None:
            method = "CHK" if self.rng.random() < 0.1 else "ACH"
            prefix = "CHK" if method == "CHK" else "EFT"
            payment = {
                "id": self.next_payment_id,
                "payment_number": f"{prefix}{self.next_payment_id:09d}",
                "payment_date": payday,
                "method": method,
                "payee_tin": tin,
                "total_cents": 0,
                "provider_adjustments": [],
            }
            self.next_payment_id += 1
            if self.rng.random() < 0.05:
                payment["provider_adjustments"] = [
                    {
                        "code": "L6",
                        "reference": "interest",
                        "amount_cents": self.rng.randrange(100, 900),
                    }
                ]
            self.open_payments[key] = payment
        payment["total_cents"] += paid
        return int(payment["id"])

    def payment_rows(self) -> list[dict[str, Any]]:
        rows = []
        for payment in self.open_payments.values():
            extra = sum(a["amount_cents"] for a in payment["provider_adjustments"])
            rows.append({**payment, "total_cents": payment["total_cents"] + extra})
        return sorted(rows, key=lambda r: r["id"])

    def unwritten_payments(self) -> list[dict[str, Any]]:
        """Payments not yet written (marked written now)."""
        fresh = [p for p in self.payment_rows() if p["id"] not in self.written_payments]
        self.written_payments.update(p["id"] for p in fresh)
        return fresh


def write_reference(conn: Connection, npis: Iterable[str], today: date, rng: random.Random) -> None:
    """Plans and every provider's network participation."""
    _bulk(
        conn,
        plans,
        [
            {
                "plan_id": p[0],
                "name": p[1],
                "product_line": p[2],
                "pcp_copay_cents": p[3],
                "specialist_copay_cents": p[4],
                "coinsurance_percent": p[5],
                "deductible_cents": p[6],
                "out_of_pocket_max_cents": p[7],
            }
            for p in PLANS
        ],
    )
    rows = []
    for npi in npis:
        for plan in PLANS:
            if plan[2] == "medicaid" and rng.random() < 0.3:
                continue  # not every practice takes Medicaid
            start = today - timedelta(days=rng.randrange(500, 2500))
            end = today - timedelta(days=rng.randrange(1, 90)) if rng.random() < 0.04 else None
            rows.append({"npi": npi, "plan_id": plan[0], "start_date": start, "end_date": end})
    _bulk(conn, network_participation, rows)


def write_members_and_claims(
    db: Database,
    gen: ClaimGenerator,
    *,
    now: datetime,
    pcps: Sequence[str],
    member_count: int,
    claim_count: int,
    first_member_serial: int,
) -> ClaimsReport:
    """Members tied to `pcps`, then claims for them across the pool, a batch per transaction."""
    member_rows = gen.members(first_member_serial, member_count, pcps)
    for row in member_rows["care"]:
        row["updated_at"] = now - timedelta(days=gen.rng.randrange(1, 200))
    pcp_of = {r["member_id"]: r["npi"] for r in member_rows["pcp"] if r["end_date"] is None}
    member_ids = [r["member_id"] for r in member_rows["members"]]
    with db.write() as conn:
        _bulk(conn, members, member_rows["members"])
        _bulk(conn, coverage_spans, member_rows["coverage"])
        _bulk(conn, pcp_assignments, member_rows["pcp"])
        if member_rows["care"]:
            conn.execute(insert(care_plans), member_rows["care"])
    written = 0
    while written < claim_count:
        size = min(BATCH, claim_count - written)
        batch = gen.claims(member_ids, pcp_of, size)
        with db.write() as conn:
            # Claims point at their payments: new payments go in first, totals are set at the end.
            _bulk(conn, payments, gen.unwritten_payments())
            _bulk(conn, claims, batch["claims"])
            _bulk(conn, claim_lines, batch["lines"])
            _bulk(conn, claim_adjustments, batch["adjustments"])
            _bulk(conn, claim_remarks, batch["remarks"])
        written += size
    with db.write() as conn:
        totals = [(row["total_cents"], row["id"]) for row in gen.payment_rows()]
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("UPDATE payments SET total_cents = ? WHERE id = ?", totals)
        else:
            for total, payment_id in totals:
                conn.execute(
                    update(payments).where(payments.c.id == payment_id).values(total_cents=total)
                )
    return ClaimsReport(members=member_count, claims=claim_count, payments=len(totals))


def without_claim_indexes(db: Database) -> list[Index]:
    """Drop the claim tables' secondary indexes before a bulk load (SQLite); returns them."""
    dropped: list[Index] = []
    if not db.is_sqlite:
        return dropped
    with db.write() as conn:
        for table in (claims, claim_adjustments, claim_remarks):
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                if index.unique:
                    continue  # the claim number stays unique while loading
                index.drop(conn)
                dropped.append(index)
    return dropped


def rebuild_indexes(db: Database, dropped: Sequence[Index]) -> None:
    """Create the dropped indexes again (one sort each) and refresh the planner's statistics."""
    with db.write() as conn:
        for index in dropped:
            index.create(conn)
        if db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")


def write_claim_cases(
    db: Database, now: datetime, npi: str, opened_by: int, answered_by: int
) -> None:
    """Inquiries and an appeal on the provider's recent denials, some answered by the payer."""
    from sqlalchemy import select

    with db.write() as conn:
        denied = list(
            conn.execute(
                select(claims.c.id, claims.c.tin)
                .where(claims.c.rendering_npi == npi, claims.c.status == "denied")
                .order_by(claims.c.adjudicated_date.desc(), claims.c.id)
                .limit(3)
            )
        )
        for index, (claim_id, tin) in enumerate(denied[:2]):
            answered = index == 1
            conn.execute(
                insert(claim_inquiries).values(
                    claim_id=claim_id,
                    tin=tin,
                    opened_by=opened_by,
                    opened_at=now - timedelta(days=6 - index),
                    reason="Please reconsider: records attached",
                    text="The visit notes show the service was medically necessary.",
                    status="answered" if answered else "open",
                    answer="Reprocessed with the records; see the next payment."
                    if answered
                    else None,
                    answered_by=answered_by if answered else None,
                    answered_at=now - timedelta(days=2) if answered else None,
                )
            )
        if len(denied) > 2:
            conn.execute(
                insert(claim_appeals).values(
                    claim_id=denied[2][0],
                    tin=denied[2][1],
                    kind="appeal",
                    opened_by=opened_by,
                    opened_at=now - timedelta(days=3),
                    text="We disagree with the denial; the authorization was on file.",
                    status="open",
                )
            )
