"""Message Center: free-text search over the large demo's 200,000 threads, and the inbox's first
page, in the services.

Each search is what the inbox's search box sends (`list_threads` with a text, a first page of 100,
newest activity first, the member-read audit rows included), run in turn as the large TIN's
administrator (about 198,000 threads in scope) and as customer service (every thread). Four kinds of
query, each its own figure: a word, a "quoted phrase", a prefix*, and a claim number a thread is
about. The inbox is the same call without text.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.measure import Figure, fresh_copy, percentile
from portal_core.demo import DEMO_PASSWORD, LARGE_SIGN_IN
from portal_core.demo.catalog import LARGE_TIN
from portal_core.models.identity import Principal
from portal_core.models.messages import ThreadFilter
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import message_threads

ROUNDS = 30
"""Searches of each kind, per user."""

SEARCH_BUDGET_MS = 50
INBOX_BUDGET_MS = 100
PAGE = 100

WORDS = (
    "remittance",
    "deductible",
    "arthroscopy",
    "credentialing",
    "recoupment",
    "colonoscopy",
    "echocardiogram",
    "clearinghouse",
    "newborn",
    "psychotherapy",
)
PHRASES = (
    '"prior authorization"',
    '"timely filing"',
    '"fee schedule"',
    '"medical records"',
    '"corrected claim"',
    '"out-of-network exception"',
    '"sleep study"',
)
PREFIXES = ("reprocess*", "colono*", "credential*", "echocardio*", "mammo*", "authoriz*", "recoup*")


def _list(services: Services, who: Principal, query: ThreadFilter, cpu: list[float]) -> float:
    """Milliseconds for the first page (wall clock); the process's CPU time goes to `cpu` (on a
    shared machine the wall clock also holds the time other programs had the processor)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    services.messages.list_threads(who, query, limit=PAGE)
    cpu.append((time.process_time() - start_cpu) * 1000)
    return (time.perf_counter() - start) * 1000


def _cpu_note(cpu: list[float]) -> str:
    return f"; CPU time median {statistics.median(cpu):.1f} ms, p95 {percentile(cpu, 0.95):.1f} ms"


def measure(database: Path, scratch: Path) -> list[Figure]:
    """Search p95 per kind of query and the inbox's first page, on a scratch copy (the searches
    write their audit rows)."""
    copy = scratch / "messages.sqlite3"
    fresh_copy(database, copy)
    db = Database(f"sqlite:///{copy}")
    services = Services(db)
    rng = random.Random(11)
    try:
        people = [_principal(services, LARGE_SIGN_IN.username), _principal(services, "csr.jones")]
        with db.read() as conn:
            threads = int(
                conn.execute(select(func.count()).select_from(message_threads)).scalar_one()
            )
            claims = list(
                conn.execute(
                    select(message_threads.c.linked_id)
                    .where(
                        message_threads.c.tin == LARGE_TIN,
                        message_threads.c.linked_kind == "claim",
                    )
                    .limit(5000)
                ).scalars()
            )
        note = f"{threads:,} threads; as the large TIN's administrator and as customer service"
        if threads < 200_000:
            note += " (an older build of the demo: rebuild benchmarks/.data for 200,000)"
        kinds: list[tuple[str, Callable[[], str]]] = [
            ("a word", lambda: rng.choice(WORDS)),
            ("a phrase", lambda: rng.choice(PHRASES)),
            ("a prefix", lambda: rng.choice(PREFIXES)),
            ("a claim number", lambda: rng.choice(claims) if claims else "C2026000000001"),
        ]
        figures = []
        for kind, query in kinds:
            figure = Figure(
                f"free-text message search over 200,000 threads: {kind}",
                "ms",
                SEARCH_BUDGET_MS,
                note=note,
            )
            cpu: list[float] = []
            for who in people:
                for _ in range(ROUNDS):
                    figure.samples.append(_list(services, who, ThreadFilter(text=query()), cpu))
            figure.note += _cpu_note(cpu)
            figures.append(figure)
        inbox = Figure(
            "opening the inbox: first page of 100 threads, in the services",
            "ms",
            INBOX_BUDGET_MS,
            note=note,
        )
        cpu = []
        for who in people:
            for _ in range(ROUNDS):
                inbox.samples.append(_list(services, who, ThreadFilter(), cpu))
        inbox.note += _cpu_note(cpu)
        figures.append(inbox)
        return figures
    finally:
        db.dispose()
        copy.unlink(missing_ok=True)


def _principal(services: Services, username: str) -> Principal:
    return services.identity.resolve(services.identity.sign_in(username, DEMO_PASSWORD).token)


if __name__ == "__main__":
    import sys

    from benchmarks.__main__ import report

    source = Path(sys.argv[1])
    work = Path(sys.argv[2]) if len(sys.argv) > 2 else source.parent
    print(report(measure(source, work)))
