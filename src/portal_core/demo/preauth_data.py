"""Demo preauthorizations: about 150 requests at the Lakeside TINs (and a few at Riverbend) in
every status, with pended ones near and past their decision deadlines, drafts, history, and a
determination letter for each decision.

Requests are written straight into the store (their times lie in the past, which the service
cannot do), with the same rules for answers, deadlines and letters as the service.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select

from portal_core.demo.catalog import MAIN_TIN
from portal_core.models.preauth import (
    DENIAL_REASONS,
    CriterionOperator,
    PreauthStatus,
    PreauthTemplate,
    QuestionKind,
    Urgency,
)
from portal_core.rules import deadlines
from portal_core.rules.preauth_letters import determination_letter
from portal_core.rules.preauth_templates import shipped_templates
from portal_core.services.documents import file_document
from portal_core.services.preauth import LETTER_RETAIN_YEARS, load_shipped_templates
from portal_core.store.accounts import notify
from portal_core.store.engine import Database
from portal_core.store.schema import (
    coverage_spans,
    members,
    pcp_assignments,
    preauth_events,
    preauth_requests,
    provider_tins,
    user_affiliations,
)

PREAUTH_SEED = 4_2026
"""The generator's seed: the same demo every time."""

DEMO_PREAUTHS = 150
"""Requests the demo writes."""

RECENT_LETTERS = timedelta(days=14)
"""Letters this recent raise a notification for the requester."""

# How many requests of each kind, in this order (pended first, so the matrix and the home screen
# find Dr. Rivera's pended requests at the lowest numbers).
_PLAN: tuple[tuple[str, int], ...] = (
    ("pended", 36),
    ("info_requested", 6),
    ("draft", 10),
    ("expired_draft", 2),
    ("auto_approved", 40),
    ("approved", 20),
    ("partially_approved", 10),
    ("denied", 14),
    ("cancelled", 5),
    ("withdrawn", 7),
)

_DIAGNOSES = {
    "sleep": ["G47.33", "G47.10", "R06.83"],
    "surgical": ["M17.11", "M16.11", "M48.062", "K80.20", "E66.01", "N92.0"],
    "dme": ["G47.33", "J44.9", "E11.65", "M62.81"],
    "imaging": ["M54.16", "R51.9", "M25.561", "R10.9"],
    "therapy": ["M25.511", "S83.511A", "I69.351", "R48.8"],
    "genetic": ["Z80.3", "Z15.01", "Z84.81"],
    "infusion": ["M05.79", "K50.90", "G35", "C50.911"],
    "home_health": ["Z96.651", "I50.9", "L89.153"],
    "cardiology": ["I25.10", "I48.91", "R07.9", "I50.22"],
    "pain": ["M54.16", "M47.816", "M54.2"],
    "behavioral": ["F33.2", "F84.0", "F32.9"],
    "transplant": ["N18.6", "K74.60", "C92.00"],
    "other": ["E11.621", "C61", "Z74.09"],
}

# Templates the demo uses most (sleep studies and the usual orthopedic, imaging, DME requests).
_FAVORITES = (
    "sleep-study-psg",
    "sleep-study-home",
    "dme-cpap",
    "total-knee-arthroplasty",
    "mri-lumbar-spine",
    "physical-therapy-treatment",
    "dme-oxygen-concentrator",
    "epidural-steroid-injection-lumbar",
    "echocardiogram-transthoracic",
    "lumbar-laminectomy",
)


@dataclass(frozen=True)
class _Requester:
    user_id: int
    npis: list[str]
    tin: str


def write_preauths(db: Database, now: datetime, ids: dict[str, int], rivera_npi: str) -> int:
    """The demo's preauthorization requests (what `seed` calls); returns how many."""
    rng = random.Random(PREAUTH_SEED)
    templates = {t.id: t for t in shipped_templates()}
    favorites = [templates[i] for i in _FAVORITES if i in templates]
    everything = list(templates.values())
    with db.write() as conn:
        load_shipped_templates(conn, now)
        rivera = _Requester(ids["dr.rivera"], [rivera_npi], MAIN_TIN)
        staff_npis = _affiliated(conn, ids["staff.lakeside"], MAIN_TIN) or [rivera_npi]
        staff = _Requester(ids["staff.lakeside"], staff_npis, MAIN_TIN)
        requesters = [rivera, staff]
        riverbend_admin = ids.get("admin.riverbend")
        if riverbend_admin is not None:
            npis = _tin_npis(conn, "521234567")
            if npis:
                requesters.append(_Requester(riverbend_admin, npis[:3], "521234567"))
        patients = {r.tin: _covered_members(conn, r.tin, now.date()) for r in requesters}
        serial = 0
        written = 0
        for kind, count in _PLAN:
            for index in range(count):
                # Dr. Rivera asks for the first of each kind, staff for most, Riverbend for a few.
                if index % 3 == 0:
                    requester = rivera
                elif index % 7 == 6 and len(requesters) > 2:
                    requester = requesters[2]
                else:
                    requester = staff
                pool = patients.get(requester.tin) or patients[MAIN_TIN]
                if not pool:
                    continue
                template = rng.choice(favorites if rng.random() < 0.6 else everything)
                if kind == "auto_approved" and not template.criteria:
                    template = templates["sleep-study-psg"]
                serial += 1
                _write_one(
                    conn,
                    rng,
                    now,
                    serial,
                    kind,
                    index,
                    template,
                    requester,
                    rng.choice(pool),
                    ids.get("reviewer.kim"),
                )
                written += 1
    return written


def _affiliated(conn: Connection, user_id: int, tin: str) -> list[str]:
    return sorted(
        conn.execute(
            select(user_affiliations.c.npi).where(
                user_affiliations.c.user_id == user_id, user_affiliations.c.tin == tin
            )
        ).scalars()
    )


def _tin_npis(conn: Connection, tin: str) -> list[str]:
    return sorted(
        conn.execute(
            select(provider_tins.c.npi).where(
                provider_tins.c.tin == tin, provider_tins.c.end_date.is_(None)
            )
        ).scalars()
    )


def _covered_members(conn: Connection, tin: str, today: date) -> list[str]:
    """Members whose PCP practices under `tin`, covered from 60 days ago to 60 days ahead."""
    npis = _tin_npis(conn, tin)
    if not npis:
        return []
    rows = conn.execute(
        select(members.c.member_id)
        .join(pcp_assignments, pcp_assignments.c.member_id == members.c.member_id)
        .join(coverage_spans, coverage_spans.c.member_id == members.c.member_id)
        .where(
            pcp_assignments.c.npi.in_(npis),
            pcp_assignments.c.end_date.is_(None),
            coverage_spans.c.effective_date <= today - timedelta(days=60),
            or_(
                coverage_spans.c.end_date.is_(None),
                and_(coverage_spans.c.end_date >= today + timedelta(days=60)),
            ),
        )
        .order_by(members.c.member_id)
        .limit(400)
    ).scalars()
    return sorted(set(rows))


def _answers(
    template: PreauthTemplate, meet: bool, rng: random.Random, today: date
) -> dict[str, str]:
    """Answers to every question: meeting the criteria, or (when `meet` is False) missing one."""
    criteria = {c.question_id: c for c in template.criteria}
    answers: dict[str, str] = {}
    for question in template.questions:
        criterion = criteria.get(question.id)
        if criterion is not None:
            if criterion.operator is CriterionOperator.IS:
                value = criterion.value
            elif criterion.operator is CriterionOperator.ONE_OF:
                value = criterion.values[0]
            elif criterion.operator is CriterionOperator.AT_LEAST:
                value = str(int(float(criterion.value)) + rng.randint(0, 4))
            else:
                value = str(max(int(float(criterion.value)) - rng.randint(0, 3), 0))
            answers[question.id] = value
            continue
        if not question.required and rng.random() < 0.4:
            continue
        match question.kind:
            case QuestionKind.NUMBER:
                answers[question.id] = str(rng.randint(1, 30))
            case QuestionKind.DATE:
                answers[question.id] = (today - timedelta(days=rng.randint(10, 200))).isoformat()
            case QuestionKind.YES_NO:
                answers[question.id] = rng.choice(("yes", "no"))
            case QuestionKind.CHOICE:
                answers[question.id] = rng.choice(question.choices)
            case _:
                answers[question.id] = rng.choice(
                    (
                        "Symptoms for six months, worse at night; see the attached notes.",
                        "Failed home exercise program and anti-inflammatory medication.",
                        "Findings as documented at the last visit.",
                    )
                )
    if not meet and template.criteria:
        # Spoil the first criterion so the request needs a clinician.
        first = template.criteria[0]
        if first.operator is CriterionOperator.IS:
            answers[first.question_id] = "no" if first.value.lower() == "yes" else "yes"
        elif first.operator is CriterionOperator.AT_LEAST:
            answers[first.question_id] = str(max(int(float(first.value)) - 3, 0))
        elif first.operator is CriterionOperator.AT_MOST:
            answers[first.question_id] = str(int(float(first.value)) + 5)
        else:
            question = next(q for q in template.questions if q.id == first.question_id)
            others = [c for c in question.choices if c not in first.values]
            if others:
                answers[first.question_id] = others[0]
    return answers


def _write_one(
    conn: Connection,
    rng: random.Random,
    now: datetime,
    serial: int,
    kind: str,
    index: int,
    template: PreauthTemplate,
    requester: _Requester,
    member_id: str,
    reviewer_id: int | None,
) -> None:
    number = f"PA-{now.year:04d}-{serial:06d}"
    urgency = Urgency.EXPEDITED if rng.random() < 0.25 else template.default_urgency
    npi = requester.npis[0] if index % 3 == 0 else rng.choice(requester.npis)
    units = 1 if template.max_units in (None, 1) else rng.randint(1, template.max_units)
    timing = _timing(kind, index, urgency, now, rng)
    created_at, submitted_at = timing
    start = (submitted_at or created_at).date() + timedelta(days=rng.randint(3, 20))
    end = start + timedelta(days=rng.choice((0, 30, 60, 89)))
    meet = kind == "auto_approved"
    answers = _answers(template, meet, rng, created_at.date())
    codes = template.procedure_codes[: rng.randint(1, min(2, len(template.procedure_codes)))]
    diagnoses = rng.sample(_DIAGNOSES.get(template.category, ["R69"]), 1)
    row: dict[str, Any] = {
        "number": number,
        "urgency": urgency.value,
        "member_id": member_id,
        "tin": requester.tin,
        "requesting_npi": npi,
        "servicing_npi": npi,
        "template_id": template.id,
        "procedure_codes": codes,
        "diagnosis_codes": diagnoses,
        "units": units,
        "start_date": start,
        "end_date": end,
        "answers": answers,
        "created_by": requester.user_id,
        "created_at": created_at,
        "updated_at": created_at,
        "draft_expires_at": None,
        "submitted_at": submitted_at,
        "due_at": None,
        "decided_at": None,
        "decided_by": None,
        "approved_units": None,
        "decision_reason": None,
        "decision_note": "",
        "information_requested": None,
    }
    events: list[tuple[datetime, PreauthStatus, int | None, str]] = [
        (created_at, PreauthStatus.DRAFT, requester.user_id, "")
    ]
    if kind in ("draft", "expired_draft"):
        row["status"] = PreauthStatus.DRAFT.value
        row["draft_expires_at"] = deadlines.draft_expires_at(created_at)
        _insert(conn, row, events)
        return
    if kind == "cancelled":
        row["status"] = PreauthStatus.CANCELLED.value
        events.append(
            (
                created_at + timedelta(hours=2),
                PreauthStatus.CANCELLED,
                requester.user_id,
                "Entered for the wrong member.",
            )
        )
        _insert(conn, row, events)
        return
    assert submitted_at is not None
    row["due_at"] = deadlines.preauth_decision_due(submitted_at, urgency.value)
    events.append((submitted_at, PreauthStatus.SUBMITTED, requester.user_id, ""))
    decided_at = submitted_at + (row["due_at"] - submitted_at) * rng.uniform(0.1, 0.8)
    if kind == "auto_approved":
        note = "The template's criteria are met: approved at once."
        row.update(
            status="approved", approved_units=units, decided_at=submitted_at, decision_note=note
        )
        events.append((submitted_at, PreauthStatus.APPROVED, None, note))
        _insert(conn, row, events)
        _letter(conn, row, template, submitted_at, now)
        return
    events.append((submitted_at, PreauthStatus.PENDED, None, "Sent to clinical review."))
    if kind == "pended":
        row["status"] = PreauthStatus.PENDED.value
    elif kind == "info_requested":
        asked = "Send the office notes of the last two visits and the imaging report."
        row.update(status="pended", information_requested=asked)
        asked_at = submitted_at + timedelta(hours=6)
        events.append(
            (asked_at, PreauthStatus.PENDED, reviewer_id, f"Information requested: {asked}")
        )
        _insert(conn, row, events)
        _letter(conn, row, template, asked_at, now)
        return
    elif kind == "withdrawn":
        row["status"] = PreauthStatus.WITHDRAWN.value
        events.append(
            (
                decided_at,
                PreauthStatus.WITHDRAWN,
                requester.user_id,
                "The member chose another treatment.",
            )
        )
    else:
        status = PreauthStatus(kind)
        reason: str | None = None
        note = "Reviewed against the clinical guideline."
        approved = units
        if status is PreauthStatus.DENIED:
            reason = rng.choice(sorted(DENIAL_REASONS))
            approved = 0
        elif status is PreauthStatus.PARTIALLY_APPROVED:
            reason = "units_exceed_guideline"
            row["units"] = units = max(units, 2)
            approved = max(units // 2, 1)
        row.update(
            status=status.value,
            approved_units=approved,
            decided_at=decided_at,
            decided_by=reviewer_id,
            decision_reason=reason,
            decision_note=note,
        )
        text = f"{DENIAL_REASONS[reason]} {note}" if reason else note
        events.append((decided_at, status, reviewer_id, text))
        _insert(conn, row, events)
        _letter(conn, row, template, decided_at, now)
        return
    _insert(conn, row, events)


def _timing(
    kind: str, index: int, urgency: Urgency, now: datetime, rng: random.Random
) -> tuple[datetime, datetime | None]:
    """When the request was created and submitted. Pended requests are spread around their
    deadlines: some with days left, several within hours, a few overdue."""
    if kind == "draft":
        created = now - timedelta(hours=rng.uniform(1, 90))
        return created, None
    if kind == "expired_draft":
        return now - timedelta(hours=rng.uniform(100, 200)), None
    if kind in ("pended", "info_requested"):
        window = (
            deadlines.EXPEDITED_DECISION
            if urgency is Urgency.EXPEDITED
            else timedelta(days=deadlines.STANDARD_DECISION_DAYS)
        )
        # Fractions of the window already used: > 1 is overdue.
        used = (0.1, 0.4, 0.7, 0.9, 0.97, 0.99, 1.02, 1.2)[index % 8]
        submitted = now - window * used + timedelta(minutes=rng.randint(-20, 20))
        return submitted - timedelta(minutes=rng.randint(5, 90)), submitted
    created = now - timedelta(days=rng.uniform(10, 60))
    return created, created + timedelta(minutes=rng.randint(5, 120))


def _insert(
    conn: Connection,
    row: dict[str, Any],
    events: list[tuple[datetime, PreauthStatus, int | None, str]],
) -> None:
    request_id = conn.execute(
        insert(preauth_requests).values(**row).returning(preauth_requests.c.id)
    ).scalar_one()
    conn.execute(
        insert(preauth_events),
        [
            {
                "request_id": request_id,
                "at": at,
                "status": status.value,
                "actor_id": actor,
                "note": note,
            }
            for at, status, actor, note in events
        ],
    )


def _letter(
    conn: Connection, row: dict[str, Any], template: PreauthTemplate, at: datetime, now: datetime
) -> None:
    """File the decision's letter; letters of the last two weeks also raise a notification."""
    member = conn.execute(
        select(members.c.first_name, members.c.last_name).where(
            members.c.member_id == row["member_id"]
        )
    ).one()
    status = PreauthStatus(row["status"])
    text = determination_letter(row, template, f"{member.first_name} {member.last_name}", at)
    document_id = file_document(
        conn,
        kind="letter",
        tin=row["tin"],
        file_name=f"{row['number']}-{status.value}-{at:%Y%m%d%H%M}.txt",
        media_type="text/plain",
        content=text.encode("utf-8"),
        at=at,
        created_by=None,
        linked_kind="preauth",
        linked_id=row["number"],
        retain_years=LETTER_RETAIN_YEARS,
    )
    if now - at <= RECENT_LETTERS:
        notify(
            conn,
            row["created_by"],
            "letter",
            f"A determination letter for {row['number']} was filed.",
            at,
            link_kind="document",
            link_id=document_id,
        )
