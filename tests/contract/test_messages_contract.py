"""The Message Center through both clients on both databases: the free-text search (FTS5 on
SQLite, `tsvector` on PostgreSQL) answers the same, and so do paging, lookup and the reopen rule;
reference numbers stay unique when senders write at the same instant."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, insert, select, text

from portal_core.client.base import PortalClient
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.errors import Conflict, NotFound, ValidationFailed
from portal_core.models.claims import UploadFile
from portal_core.models.identity import Principal
from portal_core.models.messages import NewPost, NewThread, ThreadDetail, ThreadFilter
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import message_threads


async def _search(client: PortalClient, text: str) -> list[str]:
    page = await client.list_threads(ThreadFilter(text=text), limit=50)
    return [t.reference for t in page.items]


async def test_threads_search_lookup_and_reopen(client: PortalClient, clock: SettableClock) -> None:
    await client.sign_in("billing.acme", DEMO_PASSWORD)
    first = await client.send_message(
        NewThread(
            tin=MAIN_TIN,
            category="claims",
            subject="Zebrafish clinic remittance",
            body="The capybara invoice is overdue.",
            attachments=[UploadFile(file_name="notes.txt", content=b"copy of the EOP")],
        )
    )
    assert first.posts[0].attachments[0].file_name == "notes.txt"
    clock.advance(minutes=1)
    second = await client.send_message(
        NewThread(
            tin=MAIN_TIN,
            category="other",
            subject="Invoice for the zebrafish",
            body="Overdue capybara payments.",
        )
    )
    assert set(await _search(client, "zebrafish")) == {first.reference, second.reference}
    assert await _search(client, "Zebrafish capybara") == [second.reference, first.reference]
    assert await _search(client, '"capybara invoice"') == [first.reference]
    assert set(await _search(client, "capyb*")) == {first.reference, second.reference}
    assert await _search(client, "capyb") == []
    assert await _search(client, 'okapi OR "zebrafish') == []
    with pytest.raises(ValidationFailed):
        await _search(client, '" * "')

    inbox = await client.list_threads(ThreadFilter(), limit=3)
    more = await client.list_threads(ThreadFilter(), after=inbox.next_cursor, limit=3)
    assert [t.reference for t in inbox.items][:2] == [second.reference, first.reference]
    assert not {t.reference for t in inbox.items} & {t.reference for t in more.items}
    assert more.items[0].last_post_at <= inbox.items[-1].last_post_at

    await client.sign_in("admin.riverbend", DEMO_PASSWORD)
    with pytest.raises(NotFound):
        await client.get_thread(first.reference)
    assert await _search(client, "zebrafish") == []

    await client.sign_in("csr.jones", DEMO_PASSWORD)
    found = await client.lookup_thread(first.reference)
    assert found.author_role == "billing" and MAIN_TIN in found.organization_tins
    queue = await client.message_queue(limit=5)
    assert {t.status for t in queue.items} == {"awaiting_payer"}
    answered = await client.reply_to_thread(first.reference, NewPost(body="Resent today."))
    assert answered.status == "awaiting_provider"
    closed = await client.close_thread(first.reference)
    assert closed.status == "closed"

    await client.sign_in("billing.acme", DEMO_PASSWORD)
    unread = await client.list_threads(ThreadFilter(unread_only=True, reference=first.reference))
    assert [t.reference for t in unread.items] == [first.reference]
    clock.advance(days=31)
    await client.sign_in("billing.acme", DEMO_PASSWORD)
    with pytest.raises(Conflict):
        await client.reply_to_thread(first.reference, NewPost(body="Still missing."))


# -- reference numbers under concurrency -----------------------------------------------------------


def _staff(world: Services) -> Principal:
    token = world.identity.sign_in("staff.lakeside", DEMO_PASSWORD).token
    return world.identity.resolve(token)


def _note(subject: str) -> NewThread:
    return NewThread(tin=MAIN_TIN, category="claims", subject=subject, body="Where is our EOP?")


def test_senders_at_the_same_instant_get_distinct_references(world: Services) -> None:
    staff = _staff(world)
    with ThreadPoolExecutor(max_workers=6) as pool:
        sent = list(
            pool.map(lambda n: world.messages.send_message(staff, _note(f"Note {n}")), range(12))
        )
    numbers = sorted(int(t.reference[-6:]) for t in sent)
    assert numbers == list(range(numbers[0], numbers[0] + 12))
    assert len({t.created_at for t in sent}) == 1  # one instant: the clock does not move


def test_a_reference_committed_by_another_sender_meanwhile_is_skipped(
    world: Services, world_db: Database
) -> None:
    """Another transaction holds the next number, not yet committed: the sender's insert waits on
    the unique index, fails when the other commits, and takes the number after."""
    if world_db.is_sqlite:
        pytest.skip("SQLite writers take turns (BEGIN IMMEDIATE): no two hold a number at once")
    staff = _staff(world)
    now = world.clock.now()
    with world_db.engine.connect() as other:
        held = other.begin()
        row = other.execute(select(message_threads).limit(1)).mappings().one()
        taken = world.messages._next_reference(other, now)
        values = {k: v for k, v in row.items() if k not in ("id", "reference")}
        other.execute(insert(message_threads).values(reference=taken, **values))
        with ThreadPoolExecutor(max_workers=1) as pool:
            sending = pool.submit(world.messages.send_message, staff, _note("Meanwhile"))
            _wait_for_a_lock_wait(other, sending)
            held.commit()
            thread = sending.result(timeout=60)
    assert thread.reference == f"{taken[:-6]}{int(taken[-6:]) + 1:06d}"
    with world_db.read() as conn:
        assert (
            conn.execute(
                select(message_threads.c.subject).where(message_threads.c.reference == taken)
            ).scalar_one()
            == row["subject"]
        )


def _wait_for_a_lock_wait(conn: Connection, sending: Future[ThreadDetail]) -> None:
    """Until the sender's insert waits for the held row's lock (or it finished anyway)."""
    for _ in range(600):
        waiting = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        ).scalar_one()
        if waiting or sending.done():
            return
        time.sleep(0.05)
