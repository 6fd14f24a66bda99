"""MemberService over a real SQLite file: eligibility, scope per role, audit, bad input."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from members_claims_world import World, principal, world
from sqlalchemy import select

from conftest import START
from portal_core.clock import SettableClock
from portal_core.demo import Scale, seed
from portal_core.errors import NotFound, PermissionDenied, ValidationFailed
from portal_core.models.members import EligibilityQuery, NetworkQuery, PanelQuery
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    path = tmp_path_factory.mktemp("members") / "demo.sqlite3"
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


def audit_rows(services: Services, action: str) -> list[dict[str, object]]:
    with services.db.read() as conn:
        return [dict(r) for r in conn.execute(
            select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)
        ).mappings()]  # fmt: skip


def test_eligibility_by_member_id_and_dob_is_answered_and_audited(
    demo: tuple[Services, World],
) -> None:
    services, w = demo
    staff = principal(services.db, "staff.lakeside")
    result = services.members.check_eligibility(
        staff, EligibilityQuery(member_id=w.member_id.lower(), birth_date=w.birth_date.isoformat(),
                                npi=w.rivera_npi)
    )  # fmt: skip
    assert result.member_id == w.member_id
    assert result.pcp is not None and result.pcp.npi == w.rivera_npi
    assert result.in_network is not None
    rows = audit_rows(services, "members.eligibility")
    assert rows[-1]["record_kind"] == "member" and rows[-1]["record_id"] == w.member_id
    assert rows[-1]["detail"] is None  # never PHI values


def test_eligibility_by_names_and_dob(demo: tuple[Services, World]) -> None:
    services, w = demo
    csr = principal(services.db, "csr.jones")
    detail = services.members.get_member(csr, w.member_id)
    result = services.members.check_eligibility(
        csr,
        EligibilityQuery(last_name=detail.last_name, first_name=detail.first_name,
                         birth_date=w.birth_date.strftime("%m/%d/%Y")),
    )  # fmt: skip
    assert result.member_id == w.member_id


def test_wrong_birth_date_is_not_found_and_audited(demo: tuple[Services, World]) -> None:
    services, w = demo
    staff = principal(services.db, "staff.lakeside")
    wrong = (w.birth_date - timedelta(days=1)).isoformat()
    with pytest.raises(NotFound):
        services.members.check_eligibility(
            staff, EligibilityQuery(member_id=w.member_id, birth_date=wrong)
        )
    assert audit_rows(services, "members.eligibility")[-1]["outcome"] == "failed"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"member_id": "12345", "birth_date": "1980-01-01"}, "member_id"),
        ({"member_id": "NW100000001", "birth_date": "31/31/1980"}, "birth_date"),
        ({"member_id": "NW100000001", "birth_date": "2099-01-01"}, "birth_date"),
        ({"member_id": "NW100000001", "birth_date": "1980-01-01", "npi": "1234567890"}, "npi"),
        ({"member_id": "NW100000001", "birth_date": "1980-01-01", "service_date": "2020-01-01"},
         "service_date"),
        ({"member_id": "NW100000001", "birth_date": "1980-01-01", "service_date": "2027-06-01"},
         "service_date"),
        ({"last_name": "Garcia", "birth_date": "1980-01-01"}, "member_id"),
    ],
)  # fmt: skip
def test_bad_eligibility_input_names_the_field(
    demo: tuple[Services, World], query: dict[str, str], field: str
) -> None:
    services, _ = demo
    with pytest.raises(ValidationFailed) as caught:
        services.members.check_eligibility(
            principal(services.db, "staff.lakeside"), EligibilityQuery(**query)
        )
    assert caught.value.field == field


def test_batch_answers_each_line_and_refuses_more_than_50(demo: tuple[Services, World]) -> None:
    services, w = demo
    staff = principal(services.db, "staff.lakeside")
    good = EligibilityQuery(member_id=w.member_id, birth_date=w.birth_date.isoformat())
    bad = EligibilityQuery(member_id="bad", birth_date="1980-01-01")
    items = services.members.check_eligibility_batch(staff, [good, bad])
    assert items[0].result is not None and items[1].error and "member ID" in items[1].error
    with pytest.raises(ValidationFailed):
        services.members.check_eligibility_batch(staff, [good] * 51)


def test_member_detail_scope_per_role(demo: tuple[Services, World]) -> None:
    services, w = demo
    for username in ("staff.lakeside", "dr.rivera", "billing.acme", "admin.lakeside", "csr.jones"):
        detail = services.members.get_member(principal(services.db, username), w.member_id)
        assert detail.member_id == w.member_id
        assert detail.coverage
    with pytest.raises(NotFound):
        services.members.get_member(principal(services.db, "admin.riverbend"), w.member_id)
    refused = audit_rows(services, "members.read")[-1]
    assert refused["outcome"] == "denied" and refused["record_id"] == w.member_id
    with pytest.raises(PermissionDenied):
        services.members.get_member(principal(services.db, "payer.admin"), w.member_id)


def test_billing_sees_no_care_plans(demo: tuple[Services, World]) -> None:
    services, w = demo
    billing = principal(services.db, "billing.acme")
    assert services.members.get_member(billing, w.member_id).care_plan_count == 0
    with pytest.raises(PermissionDenied):
        services.members.care_plans(billing, w.member_id)
    staff = principal(services.db, "staff.lakeside")
    plans = services.members.care_plans(staff, w.member_id)
    assert plans and plans[0].problems
    text = services.members.export_care_plan(staff, w.care_plan_id).decode()
    assert "Care team:" in text and w.member_id in text


def test_pcp_panel_pages_by_member_id_and_exports(demo: tuple[Services, World]) -> None:
    services, w = demo
    rivera = principal(services.db, "dr.rivera")
    first = services.members.pcp_panel(rivera, PanelQuery(npi=w.rivera_npi), limit=50)
    second = services.members.pcp_panel(rivera, PanelQuery(npi=w.rivera_npi), first.next_cursor, 50)
    ids = [m.member_id for m in first.items + second.items]
    assert len(ids) == 100 and ids == sorted(set(ids))
    csv_text = services.members.export_pcp_panel(rivera, PanelQuery(npi=w.rivera_npi)).decode()
    assert csv_text.startswith("member_id,") and w.member_id in csv_text
    with pytest.raises(NotFound):
        services.members.pcp_panel(
            principal(services.db, "admin.riverbend"), PanelQuery(npi=w.rivera_npi)
        )


def test_network_check_says_why(demo: tuple[Services, World]) -> None:
    services, w = demo
    staff = principal(services.db, "staff.lakeside")
    plans = services.members.list_plans(staff)
    assert {p.product_line for p in plans} == {"commercial", "medicare", "medicaid"}
    answer = services.members.check_network(
        staff, NetworkQuery(npi=w.rivera_npi, plan_id="NW-PPO-500")
    )
    assert answer.reason
    with pytest.raises(NotFound):
        services.members.check_network(staff, NetworkQuery(npi=w.rivera_npi, plan_id="NOPE"))
