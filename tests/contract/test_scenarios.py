"""The same scenarios through both clients, on both databases: same answers, same errors."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from portal_core.client.base import PortalClient
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.errors import (
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    SessionExpired,
    ValidationFailed,
)
from portal_core.models.documents import DocumentQuery
from portal_core.models.identity import AccountSettings, Role, UserStatus
from portal_core.models.reviews import (
    BulkDecision,
    ReviewDecision,
    ReviewDecisionKind,
    ReviewItemFilter,
)
from portal_core.models.users import NewUser, UserFilter
from portal_core.store.engine import Database
from portal_core.store.schema import documents

OTHER_TIN = "521234567"
"""Riverbend's TIN: none of Lakeside's staff may see it."""


async def test_sign_in_and_out(client: PortalClient) -> None:
    result = await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    assert client.token == result.token
    account = await client.account()
    assert account.username == "admin.lakeside"
    assert account.active_tin == MAIN_TIN
    await client.sign_out()
    assert client.token is None
    with pytest.raises(SessionExpired):
        await client.account()
    await client.sign_out()  # idempotent


async def test_a_signed_out_token_stays_dead(client: PortalClient) -> None:
    token = (await client.sign_in("admin.lakeside", DEMO_PASSWORD)).token
    await client.sign_out()
    client.token = token
    with pytest.raises(SessionExpired):
        await client.account()


async def test_unknown_user_and_wrong_password_get_the_same_words(client: PortalClient) -> None:
    with pytest.raises(AuthenticationFailed) as unknown:
        await client.sign_in("nobody.at.all", DEMO_PASSWORD)
    with pytest.raises(AuthenticationFailed) as wrong:
        await client.sign_in("admin.lakeside", "not the password at all")
    assert type(unknown.value) is type(wrong.value) is AuthenticationFailed
    assert unknown.value.message == wrong.value.message
    assert client.token is None


async def test_the_session_ends_after_the_idle_timeout(
    client: PortalClient, clock: SettableClock
) -> None:
    account = (await client.sign_in("staff.lakeside", DEMO_PASSWORD)).account
    clock.advance(minutes=account.idle_minutes - 1)
    await client.notifications()  # activity keeps it alive
    clock.advance(minutes=account.idle_minutes + 1)
    with pytest.raises(SessionExpired, match="without activity"):
        await client.account()


async def test_own_settings_round_trip(client: PortalClient) -> None:
    await client.sign_in("staff.lakeside", DEMO_PASSWORD)
    changed = await client.update_settings(AccountSettings(theme="light", phone="555-0100"))
    assert (changed.theme, changed.phone) == ("light", "555-0100")
    assert (await client.account()).theme == "light"


async def test_user_list_pages_by_username(client: PortalClient) -> None:
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    first = await client.list_users(UserFilter(tin=MAIN_TIN), limit=5)
    second = await client.list_users(UserFilter(tin=MAIN_TIN), after=first.next_cursor, limit=5)
    names = [u.username for u in first.items + second.items]
    assert len(names) == 10 and names == sorted(names, key=str.lower)
    assert first.total is not None and first.total > 10
    staff = await client.list_users(UserFilter(tin=MAIN_TIN, role=Role.STAFF, text="carmen"))
    assert [u.username for u in staff.items] == ["staff.lakeside"]


async def test_create_then_deactivate_a_user(client: PortalClient) -> None:
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    created = await client.create_user(
        NewUser(
            username="contract.user",
            full_name="Contract User",
            email="contract.user@example.org",
            tin=MAIN_TIN,
            role=Role.BILLING,
        )
    )
    fetched = await client.get_user(created.id)
    assert fetched.username == "contract.user"
    assert [(r.tin, r.role) for r in fetched.roles] == [(MAIN_TIN, Role.BILLING)]
    outbox_before = len(await client.outbox())  # the new user's mail goes to them, not to us
    assert outbox_before >= 0
    gone = await client.deactivate_user(created.id, MAIN_TIN, "contract test")
    assert gone.status is UserStatus.DEACTIVATED or not [
        r for r in gone.roles if r.tin == MAIN_TIN and r.status == "active"
    ]


async def test_bad_input_names_its_field(client: PortalClient) -> None:
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    with pytest.raises(ValidationFailed) as refused:
        await client.create_user(
            NewUser(
                username="bad.email",
                full_name="Bad Email",
                email="not an address",
                tin=MAIN_TIN,
                role=Role.STAFF,
            )
        )
    assert refused.value.field == "email"


async def test_review_decide_and_sign_off(client: PortalClient) -> None:
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    campaigns = await client.list_campaigns(MAIN_TIN)
    campaign = campaigns[0]
    assert campaign.status == "open"
    page = await client.review_items(campaign.id, ReviewItemFilter(decided=False), limit=10)
    assert len(page.items) == 10
    keep = ReviewDecision(decision=ReviewDecisionKind.KEEP)
    assert (
        await client.decide(campaign.id, BulkDecision(decision=keep, item_ids=[page.items[0].id]))
        == 1
    )
    # The confirmation's counts: the kept item stays kept unless the bulk decision overwrites it.
    preview = await client.preview_decision(
        campaign.id, BulkDecision(decision=keep, filter=ReviewItemFilter())
    )
    assert (preview.matched, preview.undecided) == (campaign.total, campaign.total - 1)
    assert preview.decided == {ReviewDecisionKind.KEEP: 1}
    assert preview.will_change == campaign.total - 1
    everything = BulkDecision(decision=keep, filter=ReviewItemFilter(decided=False))
    assert await client.decide(campaign.id, everything) == campaign.total - 1
    result = await client.sign_off(campaign.id)
    assert result.applied.get("keep") == campaign.total
    evidence = await client.export_evidence(campaign.id)
    assert evidence.startswith(b"item_id,username")
    document = await client.get_document(result.evidence_document_id)
    assert document.kind == "review_evidence"
    assert hashlib.sha256(document.content).hexdigest() == document.sha256


async def test_documents_list_and_read(client: PortalClient) -> None:
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    listed = await client.list_documents(tin=MAIN_TIN)
    assert listed.items
    first = listed.items[0]
    document = await client.get_document(first.id)
    assert (document.file_name, document.size) == (first.file_name, len(document.content))
    assert hashlib.sha256(document.content).hexdigest() == first.sha256


async def test_refusals_are_the_same_error_classes(client: PortalClient) -> None:
    await client.sign_in("staff.lakeside", DEMO_PASSWORD)
    with pytest.raises(PermissionDenied):
        await client.list_users(UserFilter(tin=MAIN_TIN))
    with pytest.raises(PermissionDenied):
        await client.open_campaign(MAIN_TIN)
    await client.sign_out()
    await client.sign_in("admin.riverbend", DEMO_PASSWORD)
    users = await client.list_users(UserFilter(tin=OTHER_TIN), limit=1)
    await client.sign_out()
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    with pytest.raises((NotFound, PermissionDenied)):
        await client.list_users(UserFilter(tin=OTHER_TIN))
    with pytest.raises(NotFound):
        await client.get_user(users.items[0].id)  # another TIN's user: not even its existence


async def test_calls_without_a_session_are_refused(client: PortalClient) -> None:
    with pytest.raises(SessionExpired):
        await client.account()
    with pytest.raises(SessionExpired):
        await client.list_documents()


async def test_documents_follow_their_records_readers(
    client: PortalClient, world_db: Database
) -> None:
    """The document rule's SQL (correlated record scopes) answers alike on both databases."""
    with world_db.read() as conn:
        letter = conn.execute(
            select(documents.c.id)
            .where(
                documents.c.tin == MAIN_TIN,
                documents.c.kind == "letter",
                documents.c.linked_kind == "admission",
            )
            .order_by(documents.c.id)
            .limit(1)
        ).scalar_one()
        eop = conn.execute(
            select(documents.c.id)
            .where(documents.c.tin == MAIN_TIN, documents.c.kind == "eop")
            .order_by(documents.c.id)
            .limit(1)
        ).scalar_one()
    await client.sign_in("billing.acme", DEMO_PASSWORD)
    listed = await client.search_documents(DocumentQuery(tin=MAIN_TIN))
    assert all(d.linked_kind != "admission" for d in listed.items)
    assert eop in {d.id for d in listed.items}
    with pytest.raises(NotFound):
        await client.get_document(letter)
    await client.sign_out()
    await client.sign_in("staff.lakeside", DEMO_PASSWORD)
    listed = await client.search_documents(DocumentQuery(tin=MAIN_TIN))
    assert eop not in {d.id for d in listed.items}
    with pytest.raises(NotFound):
        await client.get_document(eop)
