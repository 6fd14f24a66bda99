"""(b) sign-in to a populated home screen, local, and (d) sign-off applying 10,000 decisions.

(b) times, through `LocalClient`, exactly the calls the sign-in and home screens make: `sign_in`,
then the home screen's six facts gathered concurrently (as `HomeScreen._gather` does). The user is
the administrator of the 10,000-user TIN, the heaviest home screen the demo has.

(d) decides every item of the 10,000-user campaign (keep, with deactivations of inactive staff),
then times `sign_off` alone, on a fresh copy of the database each round.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from benchmarks.measure import Figure, fresh_copy
from portal_core.client.local import LocalClient
from portal_core.demo import DEMO_PASSWORD, LARGE_SIGN_IN
from portal_core.models.identity import Role
from portal_core.models.reviews import (
    BulkDecision,
    ReviewDecision,
    ReviewDecisionKind,
    ReviewFlag,
    ReviewItemFilter,
)
from portal_core.models.users import UserFilter
from portal_core.services import Services
from portal_core.store.engine import Database

SIGN_IN_ROUNDS = 20
SIGN_OFF_ROUNDS = 3


async def _sign_in_to_home(client: LocalClient) -> float:
    start = time.perf_counter()
    result = await client.sign_in(LARGE_SIGN_IN.username, DEMO_PASSWORD)
    tin = result.account.active_tin or result.account.default_tin
    await asyncio.gather(
        client.list_users(UserFilter(tin=tin, status="pending"), limit=1),
        client.list_users(UserFilter(tin=tin, status="locked"), limit=1),
        client.list_campaigns(tin),
        client.notifications(unread_only=True, limit=50),
        client.notifications(limit=5),
    )
    elapsed = time.perf_counter() - start
    await client.sign_out()
    return elapsed * 1000


def measure_sign_in(database: Path) -> Figure:
    """Sign-in to a populated home screen through the local client."""
    db = Database(f"sqlite:///{database}")
    client = LocalClient(Services(db))
    figure = Figure(
        "sign-in to a populated home screen, local",
        "ms",
        300,
        note="sign_in + the home screen's calls, LocalClient, 10,000-user TIN administrator",
    )
    try:

        async def rounds() -> None:
            await _sign_in_to_home(client)  # warm-up: imports, first connection
            for _ in range(SIGN_IN_ROUNDS):
                figure.samples.append(await _sign_in_to_home(client))

        asyncio.run(rounds())
    finally:
        db.dispose()
    return figure


def _decide_everything(services: Services, token: str, campaign_id: int) -> None:
    principal = services.identity.resolve(token)
    reviews = services.reviews
    reviews.decide(
        principal,
        campaign_id,
        BulkDecision(decision=ReviewDecision(decision=ReviewDecisionKind.KEEP),
                     filter=ReviewItemFilter()),
    )  # fmt: skip
    reviews.decide(
        principal,
        campaign_id,
        BulkDecision(
            decision=ReviewDecision(
                decision=ReviewDecisionKind.DEACTIVATE,
                justification="No sign-in for more than 90 days.",
            ),
            filter=ReviewItemFilter(flag=ReviewFlag.INACTIVE_90D, role=Role.STAFF),
        ),
    )


def measure_sign_off(database: Path, scratch: Path) -> Figure:
    """Sign-off of a fully decided 10,000-item campaign, one fresh copy per round."""
    figure = Figure("sign-off applying 10,000 decisions", "ms", 2000)
    for round_no in range(SIGN_OFF_ROUNDS):
        copy = scratch / f"sign-off-{round_no}.sqlite3"
        fresh_copy(database, copy)
        db = Database(f"sqlite:///{copy}")
        try:
            services = Services(db)
            token = services.identity.sign_in(LARGE_SIGN_IN.username, DEMO_PASSWORD).token
            principal = services.identity.resolve(token)
            (campaign,) = [
                c for c in services.reviews.list_campaigns(principal) if c.status == "open"
            ]
            _decide_everything(services, token, campaign.id)
            principal = services.identity.resolve(token)
            start = time.perf_counter()
            result = services.reviews.sign_off(principal, campaign.id)
            figure.samples.append((time.perf_counter() - start) * 1000)
            figure.note = f"applied {sum(result.applied.values()):,} decisions: {result.applied}"
        finally:
            db.dispose()
            copy.unlink(missing_ok=True)
    return figure
