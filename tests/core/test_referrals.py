"""Referrals, over a real SQLite database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from admissions_referrals_builders import MEMBER, TIN, UNCOVERED, CareWorld, build
from sqlalchemy import func, select

from conftest import START
from portal_core.clock import SettableClock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.referrals import NewReferral, ReferralQuery, ReferralStatus
from portal_core.rules.permissions import Action
from portal_core.services import Services
from portal_core.services.record_scope import member_visible
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log, referrals

TODAY = START.date()


@pytest.fixture
def world(db: Database) -> CareWorld:
    return build(db)


def _new(w: CareWorld, **changes: object) -> NewReferral:
    values: dict[str, object] = {
        "tin": TIN,
        "member_id": MEMBER,
        "referring_npi": w.pcp,
        "specialist_npi": w.specialist,
        "diagnosis_codes": ["M25.561"],
        "visits_authorized": 2,
        "start_date": TODAY,
        "reason": "Knee pain after a fall.",
    }
    values.update(changes)
    return NewReferral.model_validate(values)


def _count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(referrals)).scalar_one())


def test_a_referral_runs_90_days_by_default(services: Services, world: CareWorld) -> None:
    made = services.referrals.create_referral(world.staff, _new(world))
    assert made.number == "REF-2026-000001"
    assert made.status is ReferralStatus.ACTIVE
    assert made.end_date == TODAY + timedelta(days=90)
    assert (made.referring_name, made.specialist_name) == ("Dr. Pat Primary", "Dr. Sam Special")
    assert made.member_name == "Ada Member"
    assert [e.event for e in made.history] == ["created"]
    given = services.referrals.create_referral(
        world.staff, _new(world, end_date=TODAY + timedelta(days=30))
    )
    assert given.number == "REF-2026-000002" and given.end_date == TODAY + timedelta(days=30)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"referring_npi": "other_doctor"}, "referring_npi", "not the member's PCP"),
        ({"specialist_npi": "out_of_network"}, "specialist_npi", "not in network"),
        ({"member_id": UNCOVERED}, "member_id", "no coverage"),
        ({"end_date": TODAY - timedelta(days=1)}, "end_date", "before the start"),
        ({"visits_authorized": 0}, "visits_authorized", "between 1 and"),
        ({"diagnosis_codes": []}, "diagnosis_codes", "at least one"),
        ({"diagnosis_codes": ["knee"]}, "diagnosis_code", "ICD-10"),
        ({"specialist_npi": "pcp"}, "specialist_npi", "another provider"),
    ],
)
def test_bad_referrals_are_refused_and_nothing_is_written(
    services: Services,
    world: CareWorld,
    db: Database,
    changes: dict[str, object],
    field: str,
    words: str,
) -> None:
    resolved = {
        k: getattr(world, v) if isinstance(v, str) and hasattr(world, v) else v
        for k, v in changes.items()
    }
    with pytest.raises(ValidationFailed, match=words) as caught:
        services.referrals.create_referral(world.admin, _new(world, **resolved))
    assert caught.value.field == field
    assert _count(db) == 0


def test_the_pcp_on_the_start_date_decides(services: Services, world: CareWorld) -> None:
    # The other doctor was the PCP until May 31; the start date must fall in the PCP's span.
    with pytest.raises(ValidationFailed, match="PCP"):
        services.referrals.create_referral(
            world.admin, _new(world, referring_npi=world.other_doctor)
        )
    assert services.referrals.create_referral(world.admin, _new(world)).referring_npi == world.pcp


def test_a_referring_provider_outside_the_users_affiliations_is_refused(
    services: Services, world: CareWorld
) -> None:
    with pytest.raises(ValidationFailed, match="work for"):
        services.referrals.create_referral(world.narrow_staff, _new(world))


def test_visits_count_until_used(services: Services, world: CareWorld) -> None:
    number = services.referrals.create_referral(world.staff, _new(world)).number
    first = services.referrals.record_referral_visit(world.specialist_staff, number)
    assert (first.visits_used, first.status) == (1, ReferralStatus.ACTIVE)
    second = services.referrals.record_referral_visit(world.staff, number)
    assert (second.visits_used, second.status) == (2, ReferralStatus.USED)
    assert [e.detail for e in second.history if e.event == "visit"] == [
        "visit 1 of 2",
        "visit 2 of 2",
    ]
    with pytest.raises(Conflict, match="already used"):
        services.referrals.record_referral_visit(world.staff, number)
    used = services.referrals.list_referrals(world.staff, ReferralQuery(status=ReferralStatus.USED))
    assert [r.number for r in used.items] == [number]


def test_a_referral_expires_after_its_end_date(
    services: Services, world: CareWorld, clock: SettableClock
) -> None:
    number = services.referrals.create_referral(
        world.staff, _new(world, end_date=TODAY + timedelta(days=5))
    ).number
    clock.advance(days=5)
    assert services.referrals.get_referral(world.staff, number).status is ReferralStatus.ACTIVE
    clock.advance(days=1)
    assert services.referrals.get_referral(world.staff, number).status is ReferralStatus.EXPIRED
    expired = services.referrals.list_referrals(
        world.staff, ReferralQuery(status=ReferralStatus.EXPIRED)
    )
    assert [r.number for r in expired.items] == [number]
    active = services.referrals.list_referrals(
        world.staff, ReferralQuery(status=ReferralStatus.ACTIVE)
    )
    assert active.items == []
    with pytest.raises(Conflict, match="expired"):
        services.referrals.record_referral_visit(world.staff, number)


def test_cancel_needs_a_reason_and_ends_the_referral(services: Services, world: CareWorld) -> None:
    number = services.referrals.create_referral(world.staff, _new(world)).number
    with pytest.raises(ValidationFailed):
        services.referrals.cancel_referral(world.staff, number, "")
    cancelled = services.referrals.cancel_referral(world.staff, number, "Member moved away.")
    assert cancelled.status is ReferralStatus.CANCELLED
    assert cancelled.cancel_reason == "Member moved away."
    assert cancelled.history[-1].event == "cancelled"
    with pytest.raises(Conflict):
        services.referrals.record_referral_visit(world.staff, number)
    with pytest.raises(Conflict):
        services.referrals.cancel_referral(world.staff, number, "again")


def test_search_by_member_provider_and_status(services: Services, world: CareWorld) -> None:
    first = services.referrals.create_referral(world.staff, _new(world)).number
    second = services.referrals.create_referral(
        world.staff, _new(world, start_date=TODAY + timedelta(days=3))
    ).number
    by_member = services.referrals.list_referrals(world.staff, ReferralQuery(member_id=MEMBER))
    assert [r.number for r in by_member.items] == [second, first]  # newest start first
    assert by_member.total == 2
    by_specialist = services.referrals.list_referrals(
        world.csr, ReferralQuery(npi=world.specialist)
    )
    assert len(by_specialist.items) == 2
    assert (
        services.referrals.list_referrals(
            world.staff, ReferralQuery(npi=world.out_of_network)
        ).items
        == []
    )
    paged = services.referrals.list_referrals(world.staff, ReferralQuery(), limit=1)
    rest = services.referrals.list_referrals(world.staff, ReferralQuery(), after=paged.next_cursor)
    assert [r.number for r in paged.items + rest.items] == [second, first]


def test_scope_per_role(services: Services, world: CareWorld, db: Database) -> None:
    number = services.referrals.create_referral(world.staff, _new(world)).number
    # The referring side, the specialist's side (another TIN) and the payer's readers see it;
    # referrals are no reviewer's work (minimum necessary).
    for reader in (
        world.staff,
        world.admin,
        world.specialist_staff,
        world.other_admin,
        world.csr,
    ):
        assert services.referrals.get_referral(reader, number).number == number
    with pytest.raises(NotFound):
        services.referrals.get_referral(world.narrow_staff, number)
    for refused in (world.billing, world.payer_admin, world.reviewer):
        with pytest.raises(PermissionDenied):
            services.referrals.get_referral(refused, number)
    with pytest.raises(PermissionDenied):
        services.referrals.create_referral(world.other_admin, _new(world))
    with pytest.raises(PermissionDenied):
        services.referrals.record_referral_visit(world.csr, number)
    with db.read() as conn:
        refusals = conn.execute(
            select(func.count())
            .select_from(audit_log)
            .where(audit_log.c.outcome == "denied", audit_log.c.action.like("referrals.%"))
        ).scalar_one()
        reads = conn.execute(
            select(func.count())
            .select_from(audit_log)
            .where(audit_log.c.action == "referrals.read", audit_log.c.record_id == MEMBER)
        ).scalar_one()
    # narrow staff's NotFound, billing, payer admin, reviewer, other admin, CSR
    assert refusals == 6
    assert reads == 5


def test_a_referral_ties_the_member_to_the_specialist(
    services: Services, world: CareWorld, db: Database, clock: SettableClock
) -> None:
    with db.read() as conn:
        assert not member_visible(
            conn, world.specialist_staff, MEMBER, Action.READ_MEMBERS, clock.now()
        )
    services.referrals.create_referral(world.staff, _new(world))
    with db.read() as conn:
        assert member_visible(
            conn, world.specialist_staff, MEMBER, Action.READ_MEMBERS, clock.now()
        )


def test_start_dates_far_back_or_ahead_are_refused(services: Services, world: CareWorld) -> None:
    with pytest.raises(ValidationFailed, match="days back"):
        services.referrals.create_referral(
            world.staff, _new(world, start_date=TODAY - timedelta(days=31))
        )
    with pytest.raises(ValidationFailed, match="days ahead"):
        services.referrals.create_referral(world.staff, _new(world, start_date=date(2027, 12, 1)))
