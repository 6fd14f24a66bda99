"""Two terminals, one server: users signed in through two `RemoteClient`s against one real
`portal serve --workers 2` over PostgreSQL see each other's decisions at once (no state in a
worker, every answer from the shared database)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pg_server import PostgresServer
from portal_core.client.credentials import MemoryTokenStore
from portal_core.client.remote import RemoteClient
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.models.identity import Role
from portal_core.models.reviews import (
    BulkDecision,
    ReviewDecision,
    ReviewDecisionKind,
    ReviewItemFilter,
)
from portal_core.models.users import UserFilter
from serve_process import running_server

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_server_url(postgres: PostgresServer, demo_postgres: str) -> Iterator[str]:
    """`portal serve` with two workers over a fresh copy of the demo in PostgreSQL."""
    database = postgres.create_database(f"terminals_{os.getpid()}", template=demo_postgres)
    with running_server({**os.environ, "PORTAL_DATABASE_URL": database}) as url:
        yield url


async def test_two_users_see_each_others_decisions(pg_server_url: str) -> None:
    admin = RemoteClient.connect(pg_server_url, token_store=MemoryTokenStore())
    staff = RemoteClient.connect(pg_server_url, token_store=MemoryTokenStore())
    maintenance = RemoteClient.connect(pg_server_url, token_store=MemoryTokenStore())
    try:
        await admin.sign_in("admin.lakeside", DEMO_PASSWORD)
        await staff.sign_in("staff.lakeside", DEMO_PASSWORD)
        await maintenance.sign_in("maint.lakeside", DEMO_PASSWORD)

        # The administrator changes the staff member's role; the staff member's own terminal
        # sees the new role on its next call.
        before = await staff.account()
        assert {r.tin: r.role for r in before.roles}[MAIN_TIN] is Role.STAFF
        found = await admin.list_users(UserFilter(tin=MAIN_TIN, text="staff.lakeside"))
        target = next(u for u in found.items if u.username == "staff.lakeside")
        await admin.change_role(target.id, MAIN_TIN, Role.BILLING)
        after = await staff.account()
        assert {r.tin: r.role for r in after.roles}[MAIN_TIN] is Role.BILLING

        # A review decision by the administrator shows in the practice maintenance user's list.
        campaign = (await admin.list_campaigns(MAIN_TIN))[0]
        undecided = ReviewItemFilter(decided=False)
        item = (await admin.review_items(campaign.id, undecided, limit=1)).items[0]
        keep = ReviewDecision(decision=ReviewDecisionKind.KEEP)
        decided = await admin.decide(campaign.id, BulkDecision(decision=keep, item_ids=[item.id]))
        assert decided == 1
        seen = await maintenance.review_items(campaign.id, ReviewItemFilter(decided=True))
        mine = next(i for i in seen.items if i.id == item.id)
        assert mine.decision is ReviewDecisionKind.KEEP
        assert mine.decided_by is not None
    finally:
        for client in (admin, staff, maintenance):
            await client.close()
