"""The Message Center through both clients on both databases: the free-text search (FTS5 on
SQLite, `tsvector` on PostgreSQL) answers the same, and so do paging, lookup and the reopen rule."""

from __future__ import annotations

import pytest

from portal_core.client.base import PortalClient
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.errors import Conflict, NotFound, ValidationFailed
from portal_core.models.claims import UploadFile
from portal_core.models.messages import NewPost, NewThread, ThreadFilter


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
