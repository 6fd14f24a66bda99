"""ClaimService over a real SQLite file: four searches, scope, detail, uploads, appeals, reports."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from members_claims_world import World, principal, world
from sqlalchemy import func, select

from conftest import START
from portal_core.clock import SettableClock
from portal_core.demo import Scale, seed
from portal_core.demo.catalog import MAIN_TIN
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.claims import (
    AppealAnswer,
    ClaimReportDefinition,
    ClaimSearch,
    ClaimSummary,
    DeniedQuery,
    InquiryAnswer,
    NewAppeal,
    NewInquiry,
    PaymentSearch,
    UploadFile,
)
from portal_core.models.identity import RegistrationProof
from portal_core.rules.adjustment_codes import carc_texts, rarc_texts
from portal_core.services import Services
from portal_core.services.tin_proof import proves_tin
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log, claims, documents, payments


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    path = tmp_path_factory.mktemp("claims") / "demo.sqlite3"
    shutil.copyfile(migrated_template, path)
    db = Database(f"sqlite:///{path}")
    seed(db, Scale.SMALL, SettableClock(START))
    db.dispose()
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path) -> Iterator[tuple[Services, World]]:
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_file, path)
    db = Database(f"sqlite:///{path}")
    yield Services(db, SettableClock(START + timedelta(minutes=5))), world(db)
    db.dispose()


def test_reference_data_is_substantial() -> None:
    assert len(carc_texts()) > 200 and carc_texts()["197"].startswith("Precertification")
    assert len(rarc_texts()) > 80 and "N290" in rarc_texts()


def test_four_searches(demo: tuple[Services, World]) -> None:
    services, w = demo
    staff = principal(services.db, "staff.lakeside")
    found = services.claims.search_claims(staff, ClaimSearch(claim_number=w.claim_number.lower()))
    assert [c.claim_number for c in found.items] == [w.claim_number]
    claim = found.items[0]
    by_member = services.claims.search_claims(staff, ClaimSearch(member_id=claim.member_id))
    assert w.claim_number in {c.claim_number for c in by_member.items}
    by_tin = services.claims.search_claims(
        staff, ClaimSearch(tin="46-1234567", status="denied"), limit=20
    )
    assert by_tin.items and all(c.status == "denied" for c in by_tin.items)
    by_npi = services.claims.search_claims(staff, ClaimSearch(npi=w.rivera_npi), limit=5)
    assert all(c.rendering_npi == w.rivera_npi for c in by_npi.items)
    assert claim.payment_number
    by_payment = services.claims.search_claims(
        staff, ClaimSearch(payment_number=claim.payment_number)
    )
    assert w.claim_number in {c.claim_number for c in by_payment.items}


def test_keyset_pages_do_not_overlap(demo: tuple[Services, World]) -> None:
    services, _ = demo
    admin = principal(services.db, "admin.lakeside")
    seen: list[str] = []
    after = None
    for _ in range(3):
        page = services.claims.search_claims(admin, ClaimSearch(tin=MAIN_TIN), after, 40)
        seen += [c.claim_number for c in page.items]
        after = page.next_cursor
    assert len(seen) == 120 == len(set(seen))


def test_other_tins_claims_are_not_found_and_audited(demo: tuple[Services, World]) -> None:
    services, w = demo
    staff = principal(services.db, "staff.lakeside")
    with pytest.raises(NotFound):
        services.claims.get_claim(staff, w.other_tin_claim)
    with pytest.raises(NotFound):
        services.claims.search_claims(staff, ClaimSearch(tin="521234568"))
    assert not services.claims.search_claims(
        staff, ClaimSearch(claim_number=w.other_tin_claim)
    ).items
    with services.db.read() as conn:
        outcomes = list(conn.execute(
            select(audit_log.c.action, audit_log.c.record_id).where(audit_log.c.outcome == "denied")
        ))  # fmt: skip
    assert ("claims.read", w.other_tin_claim) in outcomes


@pytest.mark.parametrize(
    ("search", "field"),
    [
        ({"claim_number": "12345"}, "claim_number"),
        ({"member_id": "NOPE"}, "member_id"),
        ({"npi": "1234567890"}, "npi"),
        ({"tin": "12"}, "tin"),
        ({"tin": MAIN_TIN, "status": "lost"}, "status"),
        ({"tin": MAIN_TIN, "service_from": "yesterday"}, "service_from"),
        ({"tin": MAIN_TIN, "service_from": "2026-05-01", "service_to": "2026-04-01"},
         "service_from"),
        ({}, "claim_number"),
    ],
)  # fmt: skip
def test_bad_search_input(demo: tuple[Services, World], search: dict[str, str], field: str) -> None:
    services, _ = demo
    with pytest.raises(ValidationFailed) as caught:
        services.claims.search_claims(
            principal(services.db, "staff.lakeside"), ClaimSearch(**search)
        )
    assert caught.value.field == field


def test_claim_detail_decodes_codes_and_audits_the_member(demo: tuple[Services, World]) -> None:
    services, w = demo
    detail = services.claims.get_claim(principal(services.db, "dr.rivera"), w.denied_claim)
    assert detail.status == "denied" and detail.status_code == "F2" and detail.status_text
    denial = [a for line in detail.lines for a in line.adjustments]
    assert denial and all(a.carc_text for a in denial)
    assert detail.denial_next_step and detail.appeal_deadline
    with services.db.read() as conn:
        row = conn.execute(select(audit_log).order_by(audit_log.c.id.desc())).mappings().first()
    assert row is not None and row["record_kind"] == "member"
    assert row["record_id"] == detail.member_id


def test_billing_reads_payments_and_staff_does_not(demo: tuple[Services, World]) -> None:
    services, w = demo
    billing = principal(services.db, "billing.acme")
    page = services.payments.search_payments(billing, PaymentSearch(tin=MAIN_TIN), limit=5)
    assert page.items and page.next_cursor
    claim = services.claims.get_claim(billing, w.claim_number)
    assert claim.payment_number
    eop = services.payments.get_payment(billing, claim.payment_number)
    assert eop.claims and eop.payee_tin == MAIN_TIN
    text = services.payments.export_payment(billing, eop.payment_number).decode()
    assert eop.payment_number in text
    with pytest.raises(PermissionDenied):
        services.payments.search_payments(principal(services.db, "staff.lakeside"), PaymentSearch())
    with pytest.raises(NotFound):
        services.payments.get_payment(principal(services.db, "admin.riverbend"), eop.payment_number)


def test_denied_worklist_groups_by_reason_with_next_steps(demo: tuple[Services, World]) -> None:
    services, _ = demo
    admin = principal(services.db, "admin.lakeside")
    groups = services.claims.denied_worklist(admin, DeniedQuery(tin=MAIN_TIN))
    assert len(groups) > 3 and all(g.next_step for g in groups)
    first = groups[0]
    page = services.claims.denied_claims(
        admin, DeniedQuery(tin=MAIN_TIN, carc=first.carc), limit=500
    )
    assert len(page.items) == first.claim_count
    with pytest.raises(ValidationFailed):
        services.claims.denied_worklist(admin, DeniedQuery(carc="ZZZ"))


def _documents(services: Services) -> int:
    with services.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(documents)).scalar_one())


@pytest.mark.parametrize(
    "files",
    [
        [UploadFile(file_name=f"n{i}.txt", content=b"notes") for i in range(6)],
        [UploadFile(file_name="ok.txt", content=b"notes"),
         UploadFile(file_name="virus.exe", content=b"MZ\x90\x00")],
        [UploadFile(file_name="fake.pdf", content=b"plain text pretending")],
        [UploadFile(file_name="big.txt", content=b"a" * (25 * 1024 * 1024 + 1))],
        [],
    ],
)  # fmt: skip
def test_refused_uploads_are_rejected_whole(
    demo: tuple[Services, World], files: list[UploadFile]
) -> None:
    services, w = demo
    before = _documents(services)
    with pytest.raises(ValidationFailed):
        services.claims.submit_claim_documents(
            principal(services.db, "staff.lakeside"), w.claim_number, files
        )
    assert _documents(services) == before


def test_upload_keeps_checksums(demo: tuple[Services, World]) -> None:
    services, w = demo
    staff = principal(services.db, "staff.lakeside")
    pdf = UploadFile(file_name="C:\\scans\\records.pdf", content=b"%PDF-1.7\n...")
    png = UploadFile(file_name="xray.png", content=b"\x89PNG\r\n\x1a\n....")
    attached = services.claims.submit_claim_documents(staff, w.claim_number, [pdf, png])
    assert {d.file_name for d in attached} == {"records.pdf", "xray.png"}
    assert all(len(d.sha256) == 64 for d in attached)
    assert services.claims.claim_documents(staff, w.claim_number) == attached


def test_appeal_once_within_180_days_and_answered_by_csr(demo: tuple[Services, World]) -> None:
    services, w = demo
    staff = principal(services.db, "staff.lakeside")
    appeal = services.claim_requests.file_appeal(
        staff, w.denied_claim, NewAppeal(text="records attached")
    )
    with pytest.raises(Conflict):
        services.claim_requests.file_appeal(staff, w.denied_claim, NewAppeal(text="again"))
    with pytest.raises(Conflict):
        services.claim_requests.file_appeal(staff, w.claim_number, NewAppeal(text="paid claim"))
    csr = principal(services.db, "csr.jones")
    assert appeal.id in {a.id for a in services.claim_requests.open_appeals(csr).items}
    decided = services.claim_requests.answer_appeal(
        csr, appeal.id, AppealAnswer(outcome="overturned", text="ok")
    )
    assert decided.status == "overturned"
    with pytest.raises(PermissionDenied):
        services.claim_requests.answer_appeal(
            staff, appeal.id, AppealAnswer(outcome="upheld", text="x")
        )
    services.clock.advance(days=200)  # type: ignore[attr-defined]
    with pytest.raises(Conflict):
        services.claim_requests.file_appeal(staff, w.denied_claim, NewAppeal(text="late"))


def test_inquiry_answered_by_customer_service(demo: tuple[Services, World]) -> None:
    services, w = demo
    staff = principal(services.db, "staff.lakeside")
    inquiry = services.claim_requests.file_inquiry(
        staff, w.claim_number, NewInquiry(reason="underpaid", text="Allowed looks low.")
    )
    answered = services.claim_requests.answer_inquiry(
        principal(services.db, "csr.jones"), inquiry.id, InquiryAnswer(text="Reprocessed.")
    )
    assert answered.status == "answered"
    assert (
        services.claim_requests.claim_inquiries(staff, w.claim_number)[0].answer == "Reprocessed."
    )


def test_reports_save_run_and_export(demo: tuple[Services, World]) -> None:
    services, _ = demo
    admin = principal(services.db, "admin.lakeside")
    definition = ClaimReportDefinition(
        name="Denials", columns=["claim_number", "denial_carc", "billed"], status="denied"
    )
    saved = services.claim_reports.save_claim_report(admin, definition)
    assert [r.name for r in services.claim_reports.list_claim_reports(admin)] == ["Denials"]
    result = services.claim_reports.run_claim_report(admin, saved.definition)
    assert result.columns == ["claim_number", "denial_carc", "billed"] and result.rows
    assert services.claim_reports.export_claim_report(admin, definition).startswith(
        b"claim_number,"
    )
    with pytest.raises(ValidationFailed):
        services.claim_reports.run_claim_report(admin, ClaimReportDefinition(columns=["ssn"]))
    services.claim_reports.delete_claim_report(admin, saved.id)
    with pytest.raises(NotFound):
        services.claim_reports.delete_claim_report(admin, saved.id)


def test_paid_claim_proves_the_tin(demo: tuple[Services, World]) -> None:
    services, _ = demo
    with services.db.read() as conn:
        row = conn.execute(
            select(claims.c.claim_number, claims.c.paid_cents, claims.c.tin)
            .join(payments, payments.c.id == claims.c.payment_id)
            .where(claims.c.paid_cents > 0)
        ).first()
        assert row is not None
        amount = f"{row.paid_cents // 100}.{row.paid_cents % 100:02d}"
        now = services.clock.now()
        good = RegistrationProof(claim_number=row.claim_number, paid_amount=amount)
        assert proves_tin(conn, row.tin, good, now)
        off = RegistrationProof(claim_number=row.claim_number, paid_amount="0.01")
        assert not proves_tin(conn, row.tin, off, now)
        assert not proves_tin(conn, "521234568" if row.tin != "521234568" else MAIN_TIN, good, now)


_SORT_VALUE = {
    "service_date": lambda c: (c.service_from,),
    "billed": lambda c: (c.billed,),
    "paid": lambda c: (c.paid,),
    "status": lambda c: (c.status, c.service_from),
    "claim_number": lambda c: (c.claim_number,),
}


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("sort", list(_SORT_VALUE))
def test_sorted_keyset_pages_are_ordered_and_do_not_overlap(
    demo: tuple[Services, World], sort: str, descending: bool
) -> None:
    services, _ = demo
    admin = principal(services.db, "admin.lakeside")
    search = ClaimSearch(tin=MAIN_TIN, sort=sort, descending=descending)
    seen: list[ClaimSummary] = []
    after = None
    for _ in range(4):
        page = services.claims.search_claims(admin, search, after, 30)
        seen += page.items
        after = page.next_cursor
        assert after is not None
    keys = [_SORT_VALUE[sort](c) for c in seen]
    assert keys == sorted(keys, reverse=descending)
    assert len({c.claim_number for c in seen}) == 120
    if descending:  # ascending, the first 120 paid amounts are all denials' zeros
        assert len(set(keys)) > 1  # the order is not vacuous


def test_sort_and_cursor_input_is_checked(demo: tuple[Services, World]) -> None:
    services, _ = demo
    admin = principal(services.db, "admin.lakeside")
    with pytest.raises(ValidationFailed) as caught:
        services.claims.search_claims(admin, ClaimSearch(tin=MAIN_TIN, sort="ssn"))
    assert caught.value.field == "sort"
    by_date = services.claims.search_claims(admin, ClaimSearch(tin=MAIN_TIN), limit=5)
    assert by_date.next_cursor
    with pytest.raises(ValidationFailed) as caught:  # a date cursor is no billed-amount position
        services.claims.search_claims(
            admin, ClaimSearch(tin=MAIN_TIN, sort="billed"), by_date.next_cursor
        )
    assert caught.value.field == "after"


def test_each_page_audits_its_members_and_the_chain_holds(demo: tuple[Services, World]) -> None:
    services, _ = demo
    admin = principal(services.db, "admin.lakeside")
    before = services.audit.count()
    page = services.claims.search_claims(
        admin, ClaimSearch(tin=MAIN_TIN, sort="paid", descending=False), limit=50
    )
    members_on_page = list(dict.fromkeys(c.member_id for c in page.items))
    with services.db.read() as conn:
        rows = list(conn.execute(
            select(audit_log.c.action, audit_log.c.record_kind, audit_log.c.record_id)
            .order_by(audit_log.c.id.desc()).limit(len(members_on_page))
        ))  # fmt: skip
    assert services.audit.count() == before + len(members_on_page)
    assert [r.record_id for r in reversed(rows)] == members_on_page
    assert {(r.action, r.record_kind) for r in rows} == {("claims.search", "member")}
    assert services.audit.verify().intact


@pytest.mark.parametrize("probe", [1, 10**9])  # walk the order's index / sort the matches
def test_amount_order_with_status_and_dates_either_way(
    demo: tuple[Services, World], probe: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal_core.services import claims as claim_service

    monkeypatch.setattr(claim_service, "WALK_PROBE", probe)
    services, _ = demo
    admin = principal(services.db, "admin.lakeside")
    search = ClaimSearch(
        tin=MAIN_TIN, status="paid", service_from="2025-06-01", service_to="2026-06-30",
        sort="billed",
    )  # fmt: skip
    first = services.claims.search_claims(admin, search, limit=25)
    second = services.claims.search_claims(admin, search, first.next_cursor, 25)
    seen = first.items + second.items
    assert len(seen) == 50 == len({c.claim_number for c in seen})
    assert all(c.status == "paid" for c in seen)
    assert all(date(2025, 6, 1) <= c.service_from <= date(2026, 6, 30) for c in seen)
    billed = [c.billed for c in seen]
    assert billed == sorted(billed, reverse=True)
    with services.db.read() as conn:
        top = conn.execute(
            select(func.max(claims.c.billed_cents)).where(
                claims.c.tin == MAIN_TIN, claims.c.status == "paid",
                claims.c.service_from.between(date(2025, 6, 1), date(2026, 6, 30)),
            )
        ).scalar_one()  # fmt: skip
    assert billed[0] * 100 == top


@pytest.mark.parametrize(
    ("search", "field", "words"),
    [
        # A claim number or a payment number finds its claims alone: nothing beside it is dropped.
        (
            ClaimSearch(claim_number="C2026000004326", payment_number="EFT000001524"),
            "payment_number",
            "not both",
        ),
        (ClaimSearch(claim_number="C2026000004326", tin=MAIN_TIN), "claim_number", "Tax ID"),
        (ClaimSearch(payment_number="EFT000001524", status="paid"), "payment_number", "status"),
        # Every criterion is checked, even beside one that would decide the search alone.
        (ClaimSearch(payment_number="12345"), "payment_number", "EFT or CHK"),
        (ClaimSearch(tin=MAIN_TIN, service_to="garbage"), "service_to", "date"),
        (ClaimSearch(claim_number="C2026000004326", service_to="garbage"), "service_to", "date"),
        (ClaimSearch(payment_number="EFT000001524", npi="12"), "npi", ""),
        (ClaimSearch(status="paid"), "claim_number", "Search by"),
    ],
)
def test_conflicting_or_bad_criteria_are_refused_with_a_message(
    demo: tuple[Services, World], search: ClaimSearch, field: str, words: str
) -> None:
    services, _ = demo
    admin = principal(services.db, "admin.lakeside")
    with pytest.raises(ValidationFailed) as caught:
        services.claims.search_claims(admin, search)
    assert caught.value.field == field
    assert words in caught.value.message


def test_member_npi_and_tin_narrow_one_another(demo: tuple[Services, World]) -> None:
    services, w = demo
    staff = principal(services.db, "staff.lakeside")
    by_npi = services.claims.search_claims(staff, ClaimSearch(npi=w.rivera_npi), limit=500)
    member = by_npi.items[0].member_id
    both = services.claims.search_claims(staff, ClaimSearch(npi=w.rivera_npi, member_id=member))
    assert both.items
    assert all(c.member_id == member and c.rendering_npi == w.rivera_npi for c in both.items)
    number = next(c.payment_number for c in by_npi.items if c.payment_number)
    lower = services.claims.search_claims(staff, ClaimSearch(payment_number=number.lower()))
    assert {c.payment_number for c in lower.items} == {number}


def test_billing_sees_the_eops_of_its_providers_with_their_claims(
    demo: tuple[Services, World],
) -> None:
    services, _ = demo
    billing = principal(services.db, "billing.acme")
    admin = principal(services.db, "admin.lakeside")
    mine = services.payments.search_payments(billing, PaymentSearch(tin=MAIN_TIN), limit=500)
    every = services.payments.search_payments(admin, PaymentSearch(tin=MAIN_TIN), limit=500)
    assert mine.items and len(mine.items) < len(every.items)
    # Every EOP it is shown pays its own providers: its claims are there, found by its number too.
    for summary in mine.items[:5]:
        eop = services.payments.get_payment(billing, summary.payment_number)
        assert eop.claims and len(eop.claims) == eop.claim_count and eop.hidden_claims == 0
        found = services.claims.search_claims(
            billing, ClaimSearch(payment_number=summary.payment_number)
        )
        assert len(found.items) == eop.claim_count
    # Another provider's EOP is no EOP of its: not found, as that provider's claims are not.
    shown = {p.payment_number for p in mine.items}
    other = next(p for p in every.items if p.payment_number not in shown)
    with pytest.raises(NotFound):
        services.payments.get_payment(billing, other.payment_number)
    assert services.payments.get_payment(admin, other.payment_number).hidden_claims == 0

    # An EOP paying its providers and another: the others' claims are counted, not shown.
    with services.db.write() as conn:
        target = conn.execute(
            select(payments.c.id).where(payments.c.payment_number == mine.items[0].payment_number)
        ).scalar_one()
        source = conn.execute(
            select(payments.c.id).where(payments.c.payment_number == other.payment_number)
        ).scalar_one()
        moved = conn.execute(select(claims.c.id).where(claims.c.payment_id == source)).scalars()
        conn.execute(
            claims.update().where(claims.c.id == next(iter(moved))).values(payment_id=target)
        )
    eop = services.payments.get_payment(billing, mine.items[0].payment_number)
    assert eop.hidden_claims == 1 and len(eop.claims) == eop.claim_count - 1
    assert "1 of its" in services.payments.export_payment(billing, eop.payment_number).decode()
