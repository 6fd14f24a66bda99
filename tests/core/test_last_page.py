"""The last page of every paged list (End): `keyset.LAST` gives the list's last rows in its own
order, and paging backwards from it (`next_cursor` then goes backwards) walks the whole list, each
page in order, the same rows as walking it forwards; never OFFSET, never every page."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Hashable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from members_claims_world import principal

from conftest import START
from portal_core.clock import SettableClock
from portal_core.demo import Scale, seed
from portal_core.demo.catalog import MAIN_TIN
from portal_core.errors import ValidationFailed
from portal_core.models.admissions import AdmissionQuery
from portal_core.models.claims import ClaimSearch, DeniedQuery, PaymentSearch
from portal_core.models.common import Page
from portal_core.models.documents import DocumentQuery
from portal_core.models.messages import ThreadFilter
from portal_core.models.preauth import PreauthQuery
from portal_core.models.providers import ProviderSearch
from portal_core.models.referrals import ReferralQuery
from portal_core.models.users import UserFilter
from portal_core.services import Services, keyset
from portal_core.store.engine import Database

Fetch = Callable[[Services, str | None, int], Page[Any]]


@pytest.fixture(scope="module")
def services(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: Path
) -> Iterator[Services]:
    path = tmp_path_factory.mktemp("last-page") / "demo.sqlite3"
    shutil.copyfile(migrated_template, path)
    db = Database(f"sqlite:///{path}")
    seed(db, Scale.SMALL, SettableClock(START))
    yield Services(db, SettableClock(START + timedelta(minutes=5)))
    db.dispose()


def _as(username: str) -> Callable[[Services], Any]:
    return lambda s: principal(s.db, username)


LISTS: dict[str, tuple[Callable[[Services], Any], Fetch, Callable[[Any], Hashable]]] = {
    "denied claims of a TIN": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.claims.search_claims(
            principal(s.db, "admin.lakeside"),
            ClaimSearch(tin=MAIN_TIN, status="denied"),
            after,
            limit,
        ),
        lambda c: c.claim_number,
    ),
    "claims by billed, ascending": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.claims.search_claims(
            principal(s.db, "admin.lakeside"),
            ClaimSearch(tin=MAIN_TIN, status="denied", sort="billed", descending=False),
            after,
            limit,
        ),
        lambda c: c.claim_number,
    ),
    "denied claims": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.claims.denied_claims(
            principal(s.db, "admin.lakeside"), DeniedQuery(days=90), after, limit
        ),
        lambda c: c.claim_number,
    ),
    "payments": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.payments.search_payments(
            principal(s.db, "admin.lakeside"), PaymentSearch(tin=MAIN_TIN), after, limit
        ),
        lambda p: p.payment_number,
    ),
    "users": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.users.list_users(
            principal(s.db, "admin.lakeside"), UserFilter(tin=MAIN_TIN), after, limit
        ),
        lambda u: u.id,
    ),
    "documents": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.documents.search_documents(
            principal(s.db, "admin.lakeside"), DocumentQuery(), after, limit
        ),
        lambda d: d.id,
    ),
    "messages": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.messages.list_threads(
            principal(s.db, "admin.lakeside"), ThreadFilter(), after, limit
        ),
        lambda t: t.reference,
    ),
    "message queue": (
        _as("csr.jones"),
        lambda s, after, limit: s.messages.message_queue(
            principal(s.db, "csr.jones"), after, limit
        ),
        lambda t: t.reference,
    ),
    "preauth": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.preauth.list_preauths(
            principal(s.db, "admin.lakeside"), PreauthQuery(), after, limit
        ),
        lambda p: p.number,
    ),
    "preauth queue": (
        _as("reviewer.kim"),
        lambda s, after, limit: s.preauth.preauth_queue(
            principal(s.db, "reviewer.kim"), after, limit
        ),
        lambda p: p.number,
    ),
    "admissions": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.admissions.list_admissions(
            principal(s.db, "admin.lakeside"), AdmissionQuery(), after, limit
        ),
        lambda a: a.number,
    ),
    "referrals": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.referrals.list_referrals(
            principal(s.db, "admin.lakeside"), ReferralQuery(), after, limit
        ),
        lambda r: r.number,
    ),
    "providers": (
        _as("admin.lakeside"),
        lambda s, after, limit: s.providers.search_providers(
            principal(s.db, "admin.lakeside"), ProviderSearch(), after, limit
        ),
        lambda p: p.npi,
    ),
}


def _forwards(services: Services, fetch: Fetch, limit: int) -> list[Any]:
    rows: list[Any] = []
    after: str | None = None
    while True:
        page = fetch(services, after, limit)
        rows += page.items
        if page.next_cursor is None:
            return rows
        after = page.next_cursor


@pytest.mark.parametrize("name", list(LISTS))
def test_the_last_page_is_the_last_rows_and_paging_back_walks_the_list(
    services: Services, name: str
) -> None:
    _, fetch, key = LISTS[name]
    everything = [key(r) for r in _forwards(services, fetch, 500)]
    limit = min(max(len(everything) // 4, 2), 100)  # a few pages back (pages are capped)
    assert len(everything) > 2 * limit, f"{name}: the demo should give a few pages"
    last = fetch(services, keyset.LAST, limit)
    assert [key(r) for r in last.items] == everything[-limit:]
    assert last.next_cursor is not None and last.next_cursor.startswith(keyset.BACKWARD)
    pages = [[key(r) for r in last.items]]
    after = last.next_cursor
    while after is not None:
        page = fetch(services, after, limit)
        assert page.items, f"{name}: a backward cursor gave an empty page"
        pages.insert(0, [key(r) for r in page.items])
        after = page.next_cursor
    assert [k for p in pages for k in p] == everything


def test_a_short_list_s_last_page_is_all_of_it(services: Services) -> None:
    admin = principal(services.db, "admin.lakeside")
    some = services.claims.search_claims(admin, ClaimSearch(tin=MAIN_TIN), None, 1).items[0]
    search = ClaimSearch(member_id=some.member_id)
    first = services.claims.search_claims(admin, search, None, 500)
    last = services.claims.search_claims(admin, search, keyset.LAST, 500)
    assert first.next_cursor is None and last.next_cursor is None
    assert [c.claim_number for c in last.items] == [c.claim_number for c in first.items]


@pytest.mark.parametrize("cursor", ["~~", "~" + "A" * 30, "~bm90IGEgY3Vyc29y", "abc~def"])
def test_a_tampered_backward_cursor_is_refused(services: Services, cursor: str) -> None:
    admin = principal(services.db, "admin.lakeside")
    with pytest.raises(ValidationFailed) as caught:
        services.claims.search_claims(admin, ClaimSearch(tin=MAIN_TIN), cursor, 5)
    assert caught.value.field == "after"
