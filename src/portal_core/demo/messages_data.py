"""Demo Message Center threads: questions from the demo offices about their own claims and members,
general questions by category, and the call center's answers.

Deterministic: the same rows for the same anchor time. Each thread is written as the services would
leave it (status, waiting time, reference number, per-user read state); the full-text index fills
itself through the database's triggers (SQLite) or expression indexes (PostgreSQL).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

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
    db: Database, now: datetime, csr_id: int, billing_id: int, count: int = SMALL_THREADS
) -> int:
    """Write `count` threads with their posts and read state; returns how many."""
    rng = random.Random(SEED)
    with db.write() as conn:
        authors = _authors(conn)
        organization_of = {
            tin: org for tin, org in conn.execute(select(tins.c.tin, tins.c.organization_id))
        }
        claim_pool = _claims(conn, sorted(authors))
        threads: list[_Thread] = []
        tin_list = sorted(authors)
        weights = [4 if t == MAIN_TIN else 1 for t in tin_list]
        for index in range(count):
            billing = index < BILLING_AWAITING
            if billing:
                tin = MAIN_TIN if index % 2 == 0 else "521234567"
                author = billing_id
            else:
                tin = rng.choices(tin_list, weights)[0]
                author = rng.choice(authors[tin])
            created = now - timedelta(days=rng.uniform(0.2, 180))
            threads.append(
                _make(rng, tin, organization_of[tin], author, created, claim_pool.get(tin, []))
            )
            _converse(rng, threads[-1], csr_id, now, awaiting_payer=billing)
        threads.sort(key=lambda t: t.created_at)
        _insert(conn, threads, csr_id)
        sync_sequences(conn)
    return len(threads)


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


def _claims(conn: Connection, tin_list: list[str]) -> dict[str, list[Any]]:
    pool: dict[str, list[Any]] = {}
    for tin in tin_list:
        pool[tin] = list(
            conn.execute(
                select(claims.c.claim_number, claims.c.member_id, claims.c.denial_carc)
                .where(claims.c.tin == tin)
                .order_by(claims.c.id)
                .limit(400)
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


def _insert(conn: Connection, threads: list[_Thread], csr_id: int) -> None:
    numbers: dict[int, int] = {}
    thread_rows: list[dict[str, Any]] = []
    post_rows: list[dict[str, Any]] = []
    read_rows: list[dict[str, Any]] = []
    post_id = int(conn.execute(select(message_posts.c.id).order_by(message_posts.c.id.desc()))
                  .scalar() or 0)  # fmt: skip
    first_id = int(
        conn.execute(select(message_threads.c.id).order_by(message_threads.c.id.desc())).scalar()
        or 0
    )
    for offset, thread in enumerate(threads, start=1):
        thread_id = first_id + offset
        year = thread.created_at.year
        numbers[year] = numbers.get(year, 0) + 1
        last_author, last_payer, _, last_at = thread.posts[-1]
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
                "reference": f"MSG-{year:04d}-{numbers[year]:06d}",
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
            post_id += 1
            post_rows.append(
                {
                    "id": post_id,
                    "thread_id": thread_id,
                    "author_id": author,
                    "payer_side": payer,
                    "body": body,
                    "created_at": at,
                }
            )
            last_read[author] = at
        del last_author
        for user_id, at in last_read.items():
            if user_id == csr_id and thread.close and closed_at is not None:
                at = closed_at
            read_rows.append({"thread_id": thread_id, "user_id": user_id, "read_at": at})
    conn.execute(insert(message_threads), thread_rows)
    conn.execute(insert(message_posts), post_rows)
    conn.execute(insert(message_reads), read_rows)
