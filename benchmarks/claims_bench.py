"""Claim searches, eligibility lookups and a 10,000-row CSV export, in the services, on the large
demo (1,000,000 claims at the large TIN).

Each search runs as the large TIN's administrator (the whole TIN in scope) with random keys drawn
from the database, a first page of 100 rows, the member-read audit rows included.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from benchmarks.measure import Figure, fresh_copy
from portal_core.demo import DEMO_PASSWORD, LARGE_SIGN_IN
from portal_core.demo.catalog import LARGE_TIN
from portal_core.models.claims import ClaimReportDefinition, ClaimSearch
from portal_core.models.members import EligibilityQuery
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import claims, members, payments

ROUNDS = 200
BUDGET_MS = 10


def _time(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def measure(database: Path, scratch: Path) -> list[Figure]:
    """Every claim search's p50/p95, eligibility p95 and the CSV export, on a scratch copy."""

    copy = scratch / "claims.sqlite3"
    fresh_copy(database, copy)
    db = Database(f"sqlite:///{copy}")
    services = Services(db)
    rng = random.Random(7)
    try:
        token = services.identity.sign_in(LARGE_SIGN_IN.username, DEMO_PASSWORD).token
        principal = services.identity.resolve(token)
        with db.read() as conn:
            numbers = list(
                conn.execute(
                    select(claims.c.claim_number).where(claims.c.tin == LARGE_TIN).limit(20000)
                ).scalars()
            )
            people = list(
                conn.execute(
                    select(members.c.member_id, members.c.birth_date)
                    .where(members.c.member_id >= "NW200000001")
                    .limit(20000)
                )
            )
            checks = list(
                conn.execute(
                    select(payments.c.payment_number)
                    .where(payments.c.payee_tin == LARGE_TIN)
                    .limit(5000)
                ).scalars()
            )
        search = services.claims.search_claims
        cases: list[tuple[str, Callable[[], object]]] = [
            ("claim search by number", lambda: search(
                principal, ClaimSearch(claim_number=rng.choice(numbers)))),
            ("claim search by member + dates", lambda: search(
                principal, ClaimSearch(member_id=rng.choice(people)[0],
                                       service_from="2025-06-01", service_to="2026-11-01"))),
            ("claim search by TIN + status + dates", lambda: search(
                principal, ClaimSearch(tin=LARGE_TIN, status=rng.choice(("paid", "denied")),
                                       service_from="2025-01-01", service_to="2026-06-30"))),
            ("claim search by payment number", lambda: search(
                principal, ClaimSearch(payment_number=rng.choice(checks)))),
            ("claim search by TIN + status + dates, largest billed first", lambda: search(
                principal, ClaimSearch(tin=LARGE_TIN, status=rng.choice(("paid", "denied")),
                                       service_from="2025-01-01", service_to="2026-06-30",
                                       sort="billed"))),
        ]  # fmt: skip
        figures: list[Figure] = []
        for what, work in cases:
            # The budget is for the default order; another order is held to the first-page one.
            budget = BUDGET_MS if "first" not in what else 100
            figure = Figure(f"{what}, 1,000,000 claims, in the services", "ms", budget,
                            note="first page of 100, audit rows included")  # fmt: skip
            work()
            figure.samples = [_time(work) for _ in range(ROUNDS)]
            figures.append(figure)

        def lookup() -> object:
            member_id, birth = rng.choice(people)
            return services.members.check_eligibility(
                principal, EligibilityQuery(member_id=member_id, birth_date=birth.isoformat())
            )

        eligibility = Figure("eligibility lookup, 102,000 members", "ms", BUDGET_MS,
                             note="member ID + DOB, audited")  # fmt: skip
        eligibility.samples = [_time(lookup) for _ in range(ROUNDS)]
        figures.append(eligibility)

        export = Figure("claims report CSV export, 10,000 rows", "ms", None,
                        note="run + CSV, 10,000 member-read audit rows included")  # fmt: skip
        definition = ClaimReportDefinition(tin=LARGE_TIN, status="paid")
        export.samples = [
            _time(lambda: services.claim_reports.export_claim_report(principal, definition))
            for _ in range(5)
        ]
        figures.append(export)
        return figures
    finally:
        db.dispose()


if __name__ == "__main__":
    import sys

    for f in measure(Path(sys.argv[1]), Path(sys.argv[2])):
        print(f"{f.what}: median {f.median:.2f} ms, p95 {f.p95:.2f} ms ({f.verdict})")
