"""Demo Message Center threads: questions from the demo offices about their own claims and members,
general questions by category, and the call center's answers.

Deterministic: the same rows for the same anchor time. Each thread is written as the services would
leave it (status, waiting time, reference number, per-user read state); the full-text index fills
itself through the database's triggers (SQLite) or expression indexes (PostgreSQL).

The large scale adds 198,000 threads at the large TIN from a wider set of subjects and sentences (a
stream of its own, so the small scale's threads stay as they are). They go in by bulk inserts
straight to the driver; on SQLite the full-text triggers are set aside while loading and the index
is filled once from the tables afterwards (the same rows the triggers would have written).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select

from portal_core.demo.catalog import MAIN_TIN
from portal_core.models.messages import CATEGORIES
from portal_core.store.engine import Database, sync_sequences
from portal_core.store.schema import (
    claims,
    message_posts,
    message_reads,
    message_threads,
    tins,
    user_roles,
    users,
)

SEED = 20261123
"""The generator's random seed."""

SMALL_THREADS = 2_000
"""Threads of the small demo."""

LARGE_THREADS = 200_000
"""Threads of the large demo (the extra ones at the large TIN)."""

BILLING_AWAITING = 40
"""Threads from billing.acme left waiting for the CSR (the call-center demo)."""

_CLAIM_SUBJECTS = (
    "Denied claim {claim}: why CARC {carc}?",
    "Underpayment on claim {claim}",
    "Status of claim {claim}",
    "Corrected claim for {claim}",
    "Timely filing question on claim {claim}",
    "Claim {claim} paid at the wrong rate",
    "Missing EOP for claim {claim}",
    "Duplicate denial on claim {claim}",
)
_CLAIM_BODIES = (
    "Claim {claim} was denied with CARC {carc}. The visit notes support medical necessity; "
    "please explain what is missing.",
    "We were paid less than the contracted fee schedule on claim {claim}. Can you reprocess it?",
    "Claim {claim} has shown as pending for over 30 days. What is holding it?",
    "We sent a corrected claim for {claim} with the right modifier. Please confirm it replaced "
    "the original.",
    "Our clearinghouse report shows claim {claim} was accepted on time; the denial for timely "
    "filing looks wrong.",
)
_MEMBER_SUBJECTS = (
    "Eligibility for member {member}",
    "PCP change for member {member}",
    "Coordination of benefits for member {member}",
    "Coverage dates for member {member}",
)
_MEMBER_BODIES = (
    "The eligibility check for member {member} shows no coverage, but the patient has a new card. "
    "Can you confirm the effective date?",
    "Member {member} asked to move to one of our physicians as PCP. What do we need to send?",
    "Member {member} has other insurance. Which plan is primary for visits this year?",
)
_GENERAL = {
    "claims": ("Claims submission deadlines", "How do we submit a corrected claim?"),
    "eligibility": ("Batch eligibility file format", "Eligibility response is missing copays"),
    "preauthorization": (
        "Which MRI codes need prior authorization?",
        "Prior authorization turnaround for urgent requests",
    ),
    "provider_data": ("Update our practice address", "Add a new physician to our TIN"),
    "portal_access": ("Cannot reset a staff password", "Two-factor codes not accepted"),
    "grievance_appeal": ("Appeal deadline question", "Where to send appeal records"),
    "other": ("Remittance advice by mail", "Fax number for medical records"),
}
_GENERAL_BODIES = (
    "Could you point us to the current policy on this? Our office manager needs it for training.",
    "We have asked by phone twice and would like the answer in writing, please.",
    "Is there a document on the portal that explains this? We could not find it under Documents.",
)
_ANSWERS = (
    "Thank you for writing. The claim was reprocessed and the adjustment will show on the next "
    "payment.",
    "We reviewed the records you sent; the denial stands. You may file an appeal within 180 days.",
    "The coverage record was updated. Please check eligibility again tomorrow.",
    "Please attach the operative report so we can complete the review.",
    "The policy is in the provider manual, section 4. We have attached the page.",
)
_FOLLOW_UPS = (
    "Thanks. We attached the records you asked for.",
    "We still see the old amount on the remittance. Can you check again?",
    "Understood, thank you for the quick answer.",
)


_PROCEDURES = (
    ("97110", "physical therapy"),
    ("70553", "brain MRI with and without contrast"),
    ("73721", "knee MRI"),
    ("29881", "knee arthroscopy"),
    ("95810", "sleep study"),
    ("E0601", "CPAP machine"),
    ("99214", "office visit"),
    ("99284", "emergency department visit"),
    ("45378", "colonoscopy"),
    ("77067", "screening mammogram"),
    ("93306", "echocardiogram"),
    ("20610", "joint injection"),
    ("90837", "psychotherapy session"),
    ("81001", "urinalysis"),
    ("36415", "venipuncture"),
)
"""(code, words) the large scale's questions are about."""

_VARIED_CLAIM_SUBJECTS = (
    "Denied claim {claim}: why CARC {carc}?",
    "Underpayment on claim {claim} for {procedure}",
    "Status of claim {claim}",
    "Corrected claim for {claim} ({code})",
    "Timely filing denial on claim {claim}",
    "Claim {claim} paid at the wrong rate for {code}",
    "Missing remittance for claim {claim}",
    "Duplicate denial on claim {claim}",
    "Bundling edit on {code}, claim {claim}",
    "Modifier 25 denied on claim {claim}",
    "Medical records request for claim {claim}",
    "Coordination of benefits denial, claim {claim}",
    "Recoupment notice for claim {claim}",
    "Reconsideration of {procedure} on claim {claim}",
)
_VARIED_MEMBER_SUBJECTS = (
    "Eligibility for member {member}",
    "PCP change for member {member}",
    "Coordination of benefits for member {member}",
    "Coverage dates for member {member}",
    "Referral needed for member {member}?",
    "Prior authorization for {procedure}, member {member}",
    "Out-of-network exception for member {member}",
    "Deductible balance for member {member}",
)
_VARIED_GENERAL = {
    "claims": (
        "Claims submission deadlines",
        "How do we submit a corrected claim?",
        "Electronic claims rejected by the clearinghouse",
        "Paper claim mailing address",
        "Interest on late claim payments",
    ),
    "eligibility": (
        "Batch eligibility file format",
        "Eligibility response is missing copays",
        "Retroactive termination of coverage",
        "Newborn coverage effective date",
    ),
    "preauthorization": (
        "Which MRI codes need prior authorization?",
        "Prior authorization turnaround for urgent requests",
        "Sleep study authorization criteria",
        "Physical therapy visit limits",
        "Durable medical equipment authorization forms",
    ),
    "provider_data": (
        "Update our practice address",
        "Add a new physician to our TIN",
        "Provider directory shows the wrong phone number",
        "Panel closed to new patients",
        "Credentialing status of a new nurse practitioner",
    ),
    "portal_access": (
        "Cannot reset a staff password",
        "Two-factor codes not accepted",
        "Locked out after the user review",
        "Add a billing company to our organization",
    ),
    "grievance_appeal": (
        "Appeal deadline question",
        "Where to send appeal records",
        "Second-level appeal process",
        "Grievance about a member complaint",
    ),
    "other": (
        "Remittance advice by mail",
        "Fax number for medical records",
        "Electronic funds transfer enrollment",
        "1099 form for last year",
        "Fee schedule update for next year",
    ),
}
_OPENERS = (
    "Good morning,",
    "Hello,",
    "Hi team,",
    "To the provider services team,",
    "Following up on our call,",
    "",
)
_VARIED_CLAIM_BODIES = (
    "Claim {claim} for {procedure} ({code}) was denied with CARC {carc}. The visit notes support "
    "medical necessity; please explain what is missing.",
    "We were paid less than the contracted fee schedule for {code} on claim {claim}. Can you "
    "reprocess it at the contracted rate?",
    "Claim {claim} has shown as pending for over 30 days. What is holding it?",
    "We sent a corrected claim for {claim} with modifier 59 on {code}. Please confirm it replaced "
    "the original.",
    "Our clearinghouse acceptance report shows claim {claim} arrived within the filing limit; the "
    "timely filing denial looks wrong.",
    "The remittance for claim {claim} shows {procedure} bundled into the office visit. The "
    "services were separate and documented.",
    "Claim {claim} was denied as a duplicate, but the second line is a different date of service.",
    "You asked for records on claim {claim}. The operative report and progress notes are attached.",
)
_VARIED_MEMBER_BODIES = (
    "The eligibility check for member {member} shows no coverage, but the patient has a new card. "
    "Can you confirm the effective date?",
    "Member {member} asked to move to one of our physicians as PCP. What do we need to send?",
    "Member {member} has other insurance. Which plan is primary for visits this year?",
    "Does {procedure} ({code}) need a prior authorization for member {member} on this plan?",
    "How much of the deductible has member {member} met this year? The patient is asking before "
    "scheduling {procedure}.",
    "Member {member} needs a specialist who is not in network. How do we request an exception?",
)
_VARIED_GENERAL_BODIES = (
    "Could you point us to the current policy on this? Our office manager needs it for training.",
    "We have asked by phone twice and would like the answer in writing, please.",
    "Is there a document on the portal that explains this? We could not find it under Documents.",
    "Our billing company handles this for us; please copy them on the answer.",
    "This affects several of our physicians, so a general answer would help.",
    "We noticed the change after the last portal update. Was it intended?",
)
_CLOSINGS = (
    "Thank you.",
    "Thanks for your help.",
    "Please call our office if you need more information.",
    "We appreciate a quick answer.",
    "",
)


def _make_varied(
    rng: random.Random,
    tin: str,
    organization_id: int,
    author: int,
    created: datetime,
    claim_pool: list[Any],
) -> _Thread:
    """A thread of the large scale: wider subjects, and bodies built from an opener, a question
    and a closing, so the words vary the way real mail does."""
    roll = rng.random()
    code, procedure = rng.choice(_PROCEDURES)
    base: dict[str, Any] = {
        "created_at": created,
        "tin": tin,
        "organization_id": organization_id,
        "author_id": author,
    }
    if claim_pool and roll < 0.55:
        claim = rng.choice(claim_pool)
        values = {
            "claim": claim.claim_number,
            "carc": claim.denial_carc or "16",
            "code": code,
            "procedure": procedure,
        }
        thread = _Thread(
            **base,
            topic="transaction",
            category=None,
            linked_kind="claim",
            linked_id=claim.claim_number,
            member_id=claim.member_id,
            subject=rng.choice(_VARIED_CLAIM_SUBJECTS).format(**values),
        )
        question = rng.choice(_VARIED_CLAIM_BODIES).format(**values)
    elif claim_pool and roll < 0.7:
        member = rng.choice(claim_pool).member_id
        values = {"member": member, "code": code, "procedure": procedure}
        thread = _Thread(
            **base,
            topic="transaction",
            category=None,
            linked_kind="member",
            linked_id=member,
            member_id=member,
            subject=rng.choice(_VARIED_MEMBER_SUBJECTS).format(**values),
        )
        question = rng.choice(_VARIED_MEMBER_BODIES).format(**values)
    else:
        category = rng.choice(CATEGORIES)
        thread = _Thread(
            **base,
            topic="general",
            category=category,
            linked_kind=None,
            linked_id=None,
            member_id=None,
            subject=rng.choice(_VARIED_GENERAL[category]),
        )
        question = rng.choice(_VARIED_GENERAL_BODIES)
    body = " ".join(p for p in (rng.choice(_OPENERS), question, rng.choice(_CLOSINGS)) if p)
    thread.posts.append((author, False, body, created))
    return thread


@dataclass
class _Thread:
    created_at: datetime
    tin: str
    organization_id: int
    author_id: int
    topic: str
    category: str | None
    linked_kind: str | None
    linked_id: str | None
    member_id: str | None
    subject: str
    posts: list[tuple[int, bool, str, datetime]] = field(default_factory=list)
    """(author, payer side, body, at)"""
    close: bool = False


def write_message_threads(
    db: Database,
    now: datetime,
    csr_id: int,
    billing_id: int,
    count: int = SMALL_THREADS,
    large_tin: str | None = None,
) -> int:
    """Write `count` threads with their posts and read state; returns how many.

    Past `SMALL_THREADS`, the extra threads belong to `large_tin` (the large scale)."""
    rng = random.Random(SEED)
    small = min(count, SMALL_THREADS)
    with db.read() as conn:
        authors = _authors(conn)
        organization_of = {
            tin: org for tin, org in conn.execute(select(tins.c.tin, tins.c.organization_id))
        }
        small_tins = sorted(t for t in authors if t != large_tin)
        claim_pool = _claims(conn, small_tins, 400)
        extra = count - small if large_tin is not None else 0
        large_pool = _claims(conn, [large_tin], 50_000) if extra and large_tin else {}
    threads: list[_Thread] = []
    weights = [4 if t == MAIN_TIN else 1 for t in small_tins]
    for index in range(small):
        billing = index < BILLING_AWAITING
        if billing:
            tin = MAIN_TIN if index % 2 == 0 else "521234567"
            author = billing_id
        else:
            tin = rng.choices(small_tins, weights)[0]
            author = rng.choice(authors[tin])
        created = now - timedelta(days=rng.uniform(0.2, 180))
        threads.append(
            _make(rng, tin, organization_of[tin], author, created, claim_pool.get(tin, []))
        )
        _converse(rng, threads[-1], csr_id, now, awaiting_payer=billing)
    if extra and large_tin is not None:
        large_rng = random.Random(LARGE_SEED)
        pool = large_pool.get(large_tin, [])
        people = authors.get(large_tin, [])
        for _ in range(extra):
            created = now - timedelta(days=large_rng.uniform(0.2, 365))
            thread = _make_varied(
                large_rng,
                large_tin,
                organization_of[large_tin],
                large_rng.choice(people),
                created,
                pool,
            )
            _converse(large_rng, thread, csr_id, now, awaiting_payer=False)
            threads.append(thread)
    threads.sort(key=lambda t: t.created_at)
    bulk = len(threads) > SMALL_THREADS
    saved = _set_text_triggers_aside(db) if bulk else []
    with db.read() as conn:
        numbering = _Numbering(
            thread_id=_highest(conn, message_threads.c.id),
            post_id=_highest(conn, message_posts.c.id),
        )
    first_thread = numbering.thread_id
    try:
        for start in range(0, len(threads), BATCH):
            with db.write() as conn:
                _insert(conn, threads[start : start + BATCH], csr_id, numbering)
    except BaseException:
        if saved:  # never leave the database without its full-text triggers
            with db.write() as conn:
                for sql in saved:
                    conn.exec_driver_sql(sql)
        raise
    with db.write() as conn:
        if saved:
            _fill_text_index(conn, first_thread, saved)
        sync_sequences(conn)
    return len(threads)


LARGE_SEED = 20261125
"""The large scale's own stream."""

BATCH = 20_000
"""Threads written per transaction."""


def _highest(conn: Connection, key: Any) -> int:
    return int(conn.execute(select(func.max(key))).scalar() or 0)


_TEXT_TRIGGERS = (
    "message_threads_text_insert",
    "message_posts_text_insert",
)
"""The SQLite triggers that copy subjects and posts into the FTS5 table (migration 0004)."""


def _set_text_triggers_aside(db: Database) -> list[str]:
    """Drop the full-text triggers before a bulk load (SQLite); returns their SQL to restore."""
    if not db.is_sqlite:
        return []
    saved: list[str] = []
    with db.write() as conn:
        for name in _TEXT_TRIGGERS:
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
            ).scalar()
            if sql:
                saved.append(str(sql))
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
    return saved


def _fill_text_index(conn: Connection, first_thread: int, triggers: list[str]) -> None:
    """Write the FTS5 rows the triggers would have written for the loaded rows, in one pass each,
    then put the triggers back."""
    conn.exec_driver_sql(
        "INSERT INTO message_text (rowid, subject, posts) "
        "SELECT t.id, t.subject, coalesce((SELECT group_concat(body, char(10)) FROM "
        "(SELECT body FROM message_posts p WHERE p.thread_id = t.id ORDER BY p.id)), '') "
        "FROM message_threads t WHERE t.id > ? ORDER BY t.id",
        (first_thread,),
    )
    conn.exec_driver_sql("INSERT INTO message_text (message_text) VALUES ('optimize')")
    for sql in triggers:
        conn.exec_driver_sql(sql)
    # The planner's statistics: without them it takes one Tax ID for a fifth of 200,000 threads.
    for name in ("message_threads", "message_posts", "message_reads"):
        conn.exec_driver_sql(f"ANALYZE {name}")


def _authors(conn: Connection) -> dict[str, list[int]]:
    """Active provider-side users by TIN (TINs nobody uses are left out)."""
    found: dict[str, list[int]] = {}
    rows = conn.execute(
        select(user_roles.c.tin, user_roles.c.user_id)
        .join(users, users.c.id == user_roles.c.user_id)
        .where(user_roles.c.status == "active", users.c.status == "active")
        .order_by(user_roles.c.tin, user_roles.c.user_id)
    )
    for tin, user_id in rows:
        found.setdefault(tin, []).append(user_id)
    return found


def _claims(conn: Connection, tin_list: list[str], limit: int) -> dict[str, list[Any]]:
    pool: dict[str, list[Any]] = {}
    for tin in tin_list:
        pool[tin] = list(
            conn.execute(
                select(claims.c.claim_number, claims.c.member_id, claims.c.denial_carc)
                .where(claims.c.tin == tin)
                .order_by(claims.c.id)
                .limit(limit)
            )
        )
    return pool


def _make(
    rng: random.Random,
    tin: str,
    organization_id: int,
    author: int,
    created: datetime,
    claim_pool: list[Any],
) -> _Thread:
    roll = rng.random()
    base: dict[str, Any] = {"created_at": created, "tin": tin, "organization_id": organization_id}
    if claim_pool and roll < 0.5:
        claim = rng.choice(claim_pool)
        values = {"claim": claim.claim_number, "carc": claim.denial_carc or "16"}
        thread = _Thread(
            **base,
            author_id=author,
            topic="transaction",
            category=None,
            linked_kind="claim",
            linked_id=claim.claim_number,
            member_id=claim.member_id,
            subject=rng.choice(_CLAIM_SUBJECTS).format(**values),
        )
        body = rng.choice(_CLAIM_BODIES).format(**values)
    elif claim_pool and roll < 0.65:
        member = rng.choice(claim_pool).member_id
        thread = _Thread(
            **base,
            author_id=author,
            topic="transaction",
            category=None,
            linked_kind="member",
            linked_id=member,
            member_id=member,
            subject=rng.choice(_MEMBER_SUBJECTS).format(member=member),
        )
        body = rng.choice(_MEMBER_BODIES).format(member=member)
    else:
        category = rng.choice(CATEGORIES)
        thread = _Thread(
            **base,
            author_id=author,
            topic="general",
            category=category,
            linked_kind=None,
            linked_id=None,
            member_id=None,
            subject=rng.choice(_GENERAL[category]),
        )
        body = rng.choice(_GENERAL_BODIES)
    thread.posts.append((author, False, body, created))
    return thread


def _converse(
    rng: random.Random, thread: _Thread, csr_id: int, now: datetime, *, awaiting_payer: bool
) -> None:
    """Answers and follow-ups after the first post, none later than `now`."""
    turns = 0 if awaiting_payer else rng.choice((0, 1, 1, 2, 3))
    at = thread.created_at
    for turn in range(turns):
        at += timedelta(hours=rng.uniform(2, 72))
        if at >= now:
            break
        payer = turn % 2 == 0
        if payer:
            thread.posts.append((csr_id, True, rng.choice(_ANSWERS), at))
        else:
            thread.posts.append((thread.author_id, False, rng.choice(_FOLLOW_UPS), at))
    last_payer = thread.posts[-1][1]
    thread.close = last_payer and (now - thread.posts[-1][3]).days > 10 and rng.random() < 0.6


@dataclass
class _Numbering:
    """The last ids and reference numbers written (carried from one batch to the next)."""

    thread_id: int
    post_id: int
    per_year: dict[int, int] = field(default_factory=dict)


def _insert(conn: Connection, threads: list[_Thread], csr_id: int, numbering: _Numbering) -> None:
    thread_rows: list[dict[str, Any]] = []
    post_rows: list[dict[str, Any]] = []
    read_rows: list[dict[str, Any]] = []
    for thread in threads:
        numbering.thread_id += 1
        thread_id = numbering.thread_id
        year = thread.created_at.year
        numbering.per_year[year] = number = numbering.per_year.get(year, 0) + 1
        _, last_payer, _, last_at = thread.posts[-1]
        waiting_since = None
        if not last_payer:
            waiting_since = last_at
            for _, payer, _, at in reversed(thread.posts):
                if payer:
                    break
                waiting_since = at
        closed_at = last_at + timedelta(days=3) if thread.close else None
        if thread.close:
            status = "closed"
        elif last_payer:
            status = "awaiting_provider"
        else:
            status = "awaiting_payer"
        thread_rows.append(
            {
                "id": thread_id,
                "reference": f"MSG-{year:04d}-{number:06d}",
                "organization_id": thread.organization_id,
                "tin": thread.tin,
                "author_id": thread.author_id,
                "topic": thread.topic,
                "category": thread.category,
                "linked_kind": thread.linked_kind,
                "linked_id": thread.linked_id,
                "member_id": thread.member_id,
                "subject": thread.subject,
                "status": status,
                "created_at": thread.created_at,
                "last_post_at": last_at,
                "waiting_since": None if status != "awaiting_payer" else waiting_since,
                "closed_at": closed_at,
            }
        )
        last_read: dict[int, datetime] = {}
        for author, payer, body, at in thread.posts:
            numbering.post_id += 1
            post_rows.append(
                {
                    "id": numbering.post_id,
                    "thread_id": thread_id,
                    "author_id": author,
                    "payer_side": payer,
                    "body": body,
                    "created_at": at,
                }
            )
            last_read[author] = at
        for user_id, at in last_read.items():
            if user_id == csr_id and thread.close and closed_at is not None:
                at = closed_at
            read_rows.append({"thread_id": thread_id, "user_id": user_id, "read_at": at})
    _bulk(conn, message_threads, thread_rows)
    _bulk(conn, message_posts, post_rows)
    _bulk(conn, message_reads, read_rows)


def _bulk(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    # Straight to the driver (SQLAlchemy's type layer costs more than SQLite on 500,000 posts),
    # with times in the text form the UTC column type writes.
    names = list(rows[0])
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    conn.exec_driver_sql(sql, [tuple(_raw(r[n]) for n in names) for r in rows])


def _raw(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value
