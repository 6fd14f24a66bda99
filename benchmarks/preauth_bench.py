"""Preauthorization: the template picker's fuzzy search per keystroke, and submit-to-decision time.

The picker ranks client-side over the list `preauth_templates()` returned, once per keystroke, so
the search figure times `TemplateSearch.rank` for every prefix of "sleep study" over all the
templates in the database (budget: a frame, 16 ms). Submit-to-decision is timed in the services on
a copy of the benchmark database: a sleep-study request meeting its template's criteria, saved as
a draft and then submitted (the automatic approval files its letter and notifications), and a
pended one decided by the reviewer.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import or_, select

from benchmarks.measure import Figure, fresh_copy
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.models.identity import Principal
from portal_core.models.preauth import DecisionOutcome, PreauthDecision, PreauthDraft
from portal_core.rules.template_search import TemplateSearch
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import coverage_spans, pcp_assignments, user_affiliations, users

QUERY = "sleep study"
"""What the user types, one key at a time."""
SEARCH_ROUNDS = 50
SUBMIT_ROUNDS = 30
SLEEP_ANSWERS = {
    "epworth_score": "14",
    "bmi": "33",
    "witnessed_apneas": "yes",
    "daytime_symptoms": "yes",
}


def _principal(services: Services, username: str) -> Principal:
    result = services.identity.sign_in(username, DEMO_PASSWORD)
    return services.identity.resolve(result.token)


def measure_search(services: Services, principal: Principal) -> Figure:
    """Ranking all templates for each prefix of QUERY, as the picker does per keystroke."""
    templates = services.preauth.preauth_templates(principal)
    search = TemplateSearch(templates)
    figure = Figure(
        "preauth template picker: fuzzy search per keystroke",
        "ms",
        16,
        note=f"TemplateSearch.rank over {len(templates)} templates, each prefix of '{QUERY}'",
    )
    for _ in range(SEARCH_ROUNDS):
        for end in range(1, len(QUERY) + 1):
            start = time.perf_counter()
            search.rank(QUERY[:end])
            figure.samples.append((time.perf_counter() - start) * 1000)
    return figure


def _draft(db: Database, services: Services, epworth: str) -> PreauthDraft:
    today = services.clock.now().date()
    with db.read() as conn:
        rivera = conn.execute(select(users.c.id).where(users.c.username == "dr.rivera")).scalar()
        npi = conn.execute(
            select(user_affiliations.c.npi).where(user_affiliations.c.user_id == rivera)
        ).scalar_one()
        member = conn.execute(
            select(pcp_assignments.c.member_id)
            .join(coverage_spans, coverage_spans.c.member_id == pcp_assignments.c.member_id)
            .where(
                pcp_assignments.c.npi == npi,
                pcp_assignments.c.end_date.is_(None),
                coverage_spans.c.effective_date <= today,
                or_(
                    coverage_spans.c.end_date.is_(None),
                    coverage_spans.c.end_date >= today + timedelta(days=60),
                ),
            )
            .order_by(pcp_assignments.c.member_id)
        ).scalar()
    return PreauthDraft(
        member_id=str(member),
        tin=MAIN_TIN,
        requesting_npi=npi,
        servicing_npi=npi,
        template_id="sleep-study-psg",
        procedure_codes=["95810"],
        diagnosis_codes=["G47.33"],
        start_date=today + timedelta(days=7),
        end_date=today + timedelta(days=30),
        answers=dict(SLEEP_ANSWERS, epworth_score=epworth),
    )


def measure_decisions(database: Path, scratch: Path) -> list[Figure]:
    """Submit to the automatic decision, and a reviewer's decision, on a copy of `database`."""
    copy = scratch / "preauth.sqlite3"
    fresh_copy(database, copy)
    db = Database(f"sqlite:///{copy}")
    services = Services(db)
    automatic = Figure(
        "preauth submit to automatic decision, in the services",
        "ms",
        None,
        note="submit_preauth of a draft meeting its criteria: approval, letter, notifications",
    )
    reviewed = Figure(
        "preauth reviewer decision with its letter, in the services",
        "ms",
        None,
        note="decide_preauth (deny with a reason) of a pended request",
    )
    try:
        rivera = _principal(services, "dr.rivera")
        reviewer = _principal(services, "reviewer.kim")
        approvable = _draft(db, services, "14")
        pendable = approvable.model_copy(update={"answers": dict(SLEEP_ANSWERS, epworth_score="4")})
        for _ in range(SUBMIT_ROUNDS):
            number = services.preauth.save_preauth_draft(rivera, approvable).number
            start = time.perf_counter()
            services.preauth.submit_preauth(rivera, number)
            automatic.samples.append((time.perf_counter() - start) * 1000)
            number = services.preauth.save_preauth_draft(rivera, pendable).number
            services.preauth.submit_preauth(rivera, number)
            decision = PreauthDecision(outcome=DecisionOutcome.DENY, reason="criteria_not_met")
            start = time.perf_counter()
            services.preauth.decide_preauth(reviewer, number, decision)
            reviewed.samples.append((time.perf_counter() - start) * 1000)
        search = measure_search(services, rivera)
    finally:
        db.dispose()
        copy.unlink(missing_ok=True)
    return [search, automatic, reviewed]


def measure(database: Path, scratch: Path) -> list[Figure]:
    """Every preauthorization figure."""
    return measure_decisions(database, scratch)
