"""Documents: filing with size and hash, scoped keyset listing, audited reads.

The documents here need no record behind them: unlinked letters and uploads are notices to their
TIN's users, an EOP follows the payments of its TIN, review evidence whoever runs that TIN's
reviews. Documents that follow a claim, preauth, admission or member are tried on the demo world
in tests/security/test_document_access.py.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from builders import add_tin, add_user, principal_for
from portal_core.clock import SettableClock
from portal_core.errors import NotFound, PermissionDenied, ValidationFailed
from portal_core.models.documents import DocumentQuery
from portal_core.models.identity import Principal, Role
from portal_core.services import Services
from portal_core.services.documents import file_document
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log

TIN = "123456789"
OTHER_TIN = "987654321"


def file(
    db: Database,
    clock: SettableClock,
    kind: str,
    tin: str | None,
    name: str,
    content: bytes = b"hello",
    retain_years: int | None = None,
) -> int:
    with db.write() as conn:
        return file_document(
            conn,
            kind=kind,
            tin=tin,
            file_name=name,
            media_type="text/plain",
            content=content,
            at=clock.now(),
            created_by=None,
            linked_kind="payment" if kind == "eop" else None,
            linked_id="EFT-000001" if kind == "eop" else None,
            retain_years=retain_years,
        )


@pytest.fixture
def tins(db: Database) -> None:
    add_tin(db, TIN)
    add_tin(db, OTHER_TIN)


def who(db: Database, username: str, role: Role, tin: str | None = TIN) -> Principal:
    return principal_for(db, add_user(db, username, role, tin))


def test_file_document_records_size_hash_and_retention(
    services: Services, db: Database, clock: SettableClock, tins: None
) -> None:
    content = b"Determination letter\n" * 10
    doc_id = file(db, clock, "letter", TIN, "letter.txt", content, retain_years=6)
    admin = who(db, "alice.admin", Role.ADMINISTRATOR)
    doc = services.documents.get_document(admin, doc_id)
    assert doc.size == len(content)
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    assert doc.content == content
    assert doc.retain_until == date(2032, 11, 23)
    assert doc.linked_id is None


def test_retention_from_the_29th_of_february(db: Database, tins: None) -> None:
    clock = SettableClock(datetime(2028, 2, 29, 12, tzinfo=UTC))
    doc_id = file(db, clock, "letter", TIN, "leap.txt", retain_years=6)
    services = Services(db, clock)
    doc = services.documents.get_document(who(db, "cora.csr", Role.CSR, None), doc_id)
    assert doc.retain_until == date(2034, 2, 28)


def test_unknown_kind_is_refused(db: Database, clock: SettableClock, tins: None) -> None:
    with pytest.raises(ValidationFailed):
        file(db, clock, "recipe", TIN, "x.txt")


def test_list_is_newest_first_keyset_paged_and_scoped(
    services: Services, db: Database, clock: SettableClock, tins: None
) -> None:
    mine = []
    for n in range(5):
        mine.append(file(db, clock, "letter" if n % 2 else "eop", TIN, f"doc{n}.txt"))
        clock.advance(minutes=1)
    file(db, clock, "letter", OTHER_TIN, "theirs.txt")
    file(db, clock, "letter", None, "payer-only.txt")
    admin = who(db, "alice.admin", Role.ADMINISTRATOR)

    seen: list[int] = []
    after = None
    while True:
        page = services.documents.list_documents(admin, after=after, limit=2)
        seen += [d.id for d in page.items]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == list(reversed(mine))

    letters = services.documents.list_documents(admin, kind="letter")
    assert [d.file_name for d in letters.items] == ["doc3.txt", "doc1.txt"]
    with pytest.raises(PermissionDenied):
        services.documents.list_documents(admin, tin=OTHER_TIN)

    csr = who(db, "cora.csr", Role.CSR, None)
    assert len(services.documents.list_documents(csr).items) == 7


def test_same_second_documents_page_without_loss(
    services: Services, db: Database, clock: SettableClock, tins: None
) -> None:
    ids = [file(db, clock, "letter", TIN, f"same{n}.txt") for n in range(5)]
    admin = who(db, "alice.admin", Role.ADMINISTRATOR)
    first = services.documents.list_documents(admin, limit=3)
    rest = services.documents.list_documents(admin, after=first.next_cursor, limit=3)
    assert [d.id for d in first.items + rest.items] == list(reversed(ids))


def test_review_evidence_only_for_whole_tin_roles(
    services: Services, db: Database, clock: SettableClock, tins: None
) -> None:
    evidence = file(db, clock, "review_evidence", TIN, "evidence.txt")
    eop = file(db, clock, "eop", TIN, "eop.txt")
    staff = who(db, "sam.staff", Role.STAFF)
    billing = who(db, "bill.billing", Role.BILLING)
    pm = who(db, "pat.maint", Role.PRACTICE_MAINTENANCE)
    # Staff may not read payments, so not their EOPs either; billing reads the EOPs of payments
    # to its affiliated providers (none here: `payment_condition`), the whole TIN's roles all.
    assert services.documents.list_documents(staff).items == []
    assert services.documents.list_documents(billing).items == []
    assert {d.id for d in services.documents.list_documents(pm).items} == {evidence, eop}
    with pytest.raises(NotFound):
        services.documents.get_document(staff, evidence)
    with pytest.raises(NotFound):
        services.documents.get_document(staff, eop)


def test_read_is_audited_and_out_of_scope_is_not_found(
    services: Services, db: Database, clock: SettableClock, tins: None
) -> None:
    theirs = file(db, clock, "letter", OTHER_TIN, "theirs.txt")
    mine = file(db, clock, "letter", TIN, "mine.txt")
    admin = who(db, "alice.admin", Role.ADMINISTRATOR)
    services.documents.get_document(admin, mine)
    with pytest.raises(NotFound):
        services.documents.get_document(admin, theirs)
    with pytest.raises(NotFound):
        services.documents.get_document(admin, 999_999)
    with db.read() as conn:
        rows = conn.execute(
            select(audit_log.c.record_id, audit_log.c.outcome).where(
                audit_log.c.action == "documents.read"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (str(mine), "ok"),
        (str(theirs), "denied"),
        ("999999", "denied"),
    ]


def test_break_glass_reads_only_inside_its_window(
    services: Services, db: Database, clock: SettableClock, tins: None
) -> None:
    doc_id = file(db, clock, "letter", TIN, "x.txt")
    closed = who(db, "bree.glass", Role.BREAK_GLASS, None)
    with pytest.raises(PermissionDenied):
        services.documents.list_documents(closed)
    open_window = closed.model_copy(
        update={
            "break_glass_reason": "outage",
            "break_glass_until": clock.now() + timedelta(minutes=30),
        }
    )
    assert services.documents.get_document(open_window, doc_id).id == doc_id


# -- search with filters ---------------------------------------------------------------------


def _linked(db: Database, clock: SettableClock, kind: str, tin: str, linked: str | None) -> int:
    """A document of `kind`; EOPs are linked to their payment, the others are TIN notices."""
    with db.write() as conn:
        return file_document(
            conn,
            kind=kind,
            tin=tin,
            file_name=f"{kind}-{linked}.txt",
            media_type="text/plain",
            content=(linked or kind).encode(),
            at=clock.now(),
            created_by=None,
            linked_kind="payment" if linked else None,
            linked_id=linked,
        )


def test_search_filters_by_kind_dates_and_linked_record(
    services: Services, db: Database, clock: SettableClock, tins: None
) -> None:
    old_letter = _linked(db, clock, "letter", TIN, None)
    clock.advance(days=10)
    eop = _linked(db, clock, "eop", TIN, "EFT-000002")
    clock.advance(days=10)
    new_letter = _linked(db, clock, "letter", TIN, None)
    _linked(db, clock, "letter", OTHER_TIN, None)
    _linked(db, clock, "eop", OTHER_TIN, "EFT-000003")
    admin = who(db, "alice.admin", Role.ADMINISTRATOR)
    search = services.documents.search_documents

    page = search(admin, DocumentQuery(kind="letter"))
    assert [d.id for d in page.items] == [new_letter, old_letter]
    assert page.total == 2
    start = clock.now().date()
    assert [d.id for d in search(admin, DocumentQuery(since=start)).items] == [new_letter]
    until = (clock.now() - timedelta(days=15)).date()
    assert [d.id for d in search(admin, DocumentQuery(until=until)).items] == [old_letter]
    middle = DocumentQuery(since=start - timedelta(days=12), until=start - timedelta(days=1))
    assert [d.id for d in search(admin, middle).items] == [eop]
    linked = DocumentQuery(linked_kind="payment", linked_id="eft-000002")
    assert [d.id for d in search(admin, linked).items] == [eop]
    assert search(admin, DocumentQuery(linked_id="EFT-000002")).total == 1
    assert search(admin, DocumentQuery(linked_id="EFT-000003")).total == 0

    with pytest.raises(ValidationFailed):
        search(admin, DocumentQuery(kind="recipe"))
    with pytest.raises(ValidationFailed):
        search(admin, DocumentQuery(since=start, until=start - timedelta(days=1)))
    with pytest.raises(ValidationFailed):
        search(admin, DocumentQuery(linked_kind="claim"))


def test_search_keeps_scope_and_pages(
    services: Services, db: Database, clock: SettableClock, tins: None
) -> None:
    ids = [_linked(db, clock, "upload", TIN, None) for _ in range(5)]
    _linked(db, clock, "upload", OTHER_TIN, None)
    evidence = file(db, clock, "review_evidence", TIN, "evidence.txt")
    admin = who(db, "alice.admin", Role.ADMINISTRATOR)
    billing = who(db, "bill.billing", Role.BILLING)
    first = services.documents.search_documents(admin, DocumentQuery(kind="upload"), limit=3)
    rest = services.documents.search_documents(
        admin, DocumentQuery(kind="upload"), after=first.next_cursor, limit=3
    )
    assert [d.id for d in first.items + rest.items] == list(reversed(ids))
    assert first.total == 5 and rest.total is None
    # Another TIN's documents and a billing user's user-access evidence stay out of sight.
    everything = services.documents.search_documents(billing, DocumentQuery())
    assert evidence not in [d.id for d in everything.items]
    assert everything.total == 5
    with pytest.raises(PermissionDenied):
        services.documents.search_documents(admin, DocumentQuery(tin=OTHER_TIN))
    csr = who(db, "cora.csr", Role.CSR, None)
    assert services.documents.search_documents(csr, DocumentQuery(kind="upload")).total == 6
