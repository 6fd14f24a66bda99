"""Admission notifications and the concurrent review, over a real SQLite database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from admissions_referrals_builders import MEMBER, OTHER_TIN, TIN, UNCOVERED, CareWorld, build
from sqlalchemy import func, select

from conftest import START
from portal_core.clock import SettableClock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.admissions import (
    AdmissionDetermination,
    AdmissionDischarge,
    AdmissionDraft,
    AdmissionQuery,
    AdmissionStatus,
    DeterminationOutcome,
    DischargeDisposition,
    ReviewKind,
)
from portal_core.models.identity import Principal
from portal_core.rules.permissions import Action
from portal_core.services import Services
from portal_core.services.record_scope import member_visible
from portal_core.store.engine import Database
from portal_core.store.schema import admissions, audit_log, documents, notifications

CHICAGO = ZoneInfo("America/Chicago")
# START is Monday 2026-11-23 08:00 in Chicago (the payer's zone).
SUNDAY_MORNING = datetime(2026, 11, 22, 6, 0, tzinfo=CHICAGO)
THURSDAY_MORNING = datetime(2026, 11, 19, 9, 0, tzinfo=CHICAGO)


@pytest.fixture
def world(db: Database) -> CareWorld:
    return build(db)


def _draft(
    w: CareWorld, admitted_at: datetime = SUNDAY_MORNING, **changes: object
) -> AdmissionDraft:
    values: dict[str, object] = {
        "tin": TIN,
        "member_id": MEMBER,
        "facility_npi": w.hospital,
        "admitting_npi": w.pcp,
        "admitted_at": admitted_at,
        "diagnosis_codes": ["J18.9"],
        "notes": "Through the emergency department.",
    }
    values.update(changes)
    return AdmissionDraft.model_validate(values)


def _submitted(services: Services, w: CareWorld, who: Principal | None = None) -> str:
    who = who or w.staff
    draft = services.admissions.save_admission_draft(who, _draft(w))
    return services.admissions.submit_admission(who, draft.number).number


def _approve(
    days: int, next_in: int | None, kind: ReviewKind = ReviewKind.INITIAL
) -> AdmissionDetermination:
    return AdmissionDetermination(
        kind=kind,
        outcome=DeterminationOutcome.APPROVED,
        approved_days=days,
        next_review_date=None if next_in is None else START.date() + timedelta(days=next_in),
        final=next_in is None,
    )


def _notes(db: Database, user_id: int, kind: str) -> int:
    with db.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(notifications)
                .where(notifications.c.user_id == user_id, notifications.c.kind == kind)
            ).scalar_one()
        )


# -- notice deadline -----------------------------------------------------------------------------
def test_a_sunday_admission_notified_monday_morning_is_on_time(
    services: Services, world: CareWorld
) -> None:
    number = _submitted(services, world)
    detail = services.admissions.get_admission(world.staff, number)
    # More than 24 hours have passed, but the weekend moves the deadline to Monday's end.
    assert timedelta(hours=24) < START - SUNDAY_MORNING
    assert detail.status is AdmissionStatus.IN_REVIEW
    assert detail.notified_at == START
    assert detail.due_at == datetime(2026, 11, 23, 23, 59, 59, tzinfo=CHICAGO)
    assert detail.late is False
    assert detail.member_name == "Ada Member"
    assert detail.facility_name == "Lakeside Hospital"


def test_a_thursday_admission_notified_monday_is_late(services: Services, world: CareWorld) -> None:
    draft = services.admissions.save_admission_draft(world.staff, _draft(world, THURSDAY_MORNING))
    detail = services.admissions.submit_admission(world.staff, draft.number)
    assert detail.late is True
    assert detail.due_at == (THURSDAY_MORNING + timedelta(hours=24)).astimezone(UTC)
    late = services.admissions.list_admissions(world.staff, AdmissionQuery(late_only=True))
    assert [a.number for a in late.items] == [draft.number]


# -- drafts and bad input ------------------------------------------------------------------------
def test_a_partial_draft_saves_and_submit_names_what_is_missing(
    services: Services, world: CareWorld
) -> None:
    draft = services.admissions.save_admission_draft(
        world.staff, AdmissionDraft(tin=TIN, member_id=MEMBER)
    )
    assert draft.number.startswith("ADM-2026-")
    assert draft.status is AdmissionStatus.DRAFT
    assert draft.draft_expires_at == START + timedelta(hours=96)
    with pytest.raises(ValidationFailed, match="facility NPI"):
        services.admissions.submit_admission(world.staff, draft.number)
    assert (
        services.admissions.get_admission(world.staff, draft.number).status is AdmissionStatus.DRAFT
    )
    # Filling it in later keeps the number.
    full = _draft(world).model_copy(update={"number": draft.number})
    again = services.admissions.save_admission_draft(world.staff, full)
    assert again.number == draft.number and again.admitting_npi == world.pcp


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"member_id": UNCOVERED}, "no coverage on the admission date"),
        ({"facility_npi": "pcp"}, "not a hospital"),
        ({"admitting_npi": "hospital"}, "not a clinician"),
    ],
)
def test_submit_refuses_bad_records_and_writes_nothing(
    services: Services, world: CareWorld, changes: dict[str, str], message: str
) -> None:
    resolved = {k: getattr(world, v) if v in ("pcp", "hospital") else v for k, v in changes.items()}
    draft = services.admissions.save_admission_draft(world.staff, _draft(world, **resolved))
    with pytest.raises(ValidationFailed, match=message):
        services.admissions.submit_admission(world.staff, draft.number)
    assert (
        services.admissions.get_admission(world.staff, draft.number).status is AdmissionStatus.DRAFT
    )


def test_bad_codes_and_future_times_are_refused_on_save(
    services: Services, world: CareWorld, db: Database
) -> None:
    with pytest.raises(ValidationFailed, match="ICD-10"):
        services.admissions.save_admission_draft(
            world.staff, _draft(world, diagnosis_codes=["XYZ"])
        )
    with pytest.raises(ValidationFailed, match="future"):
        services.admissions.save_admission_draft(
            world.staff, _draft(world, admitted_at=START + timedelta(hours=1))
        )
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(admissions)).scalar_one() == 0


def test_a_provider_outside_the_users_affiliations_cannot_be_notified(
    services: Services, world: CareWorld
) -> None:
    draft = services.admissions.save_admission_draft(world.narrow_staff, _draft(world))
    with pytest.raises(ValidationFailed, match="work for"):
        services.admissions.submit_admission(world.narrow_staff, draft.number)


def test_drafts_are_gone_after_96_hours(
    services: Services, world: CareWorld, clock: SettableClock
) -> None:
    draft = services.admissions.save_admission_draft(world.staff, _draft(world))
    clock.advance(hours=96, seconds=1)
    with pytest.raises(NotFound):
        services.admissions.get_admission(world.staff, draft.number)


# -- the concurrent review -----------------------------------------------------------------------
def test_determinations_file_letters_and_tell_the_submitter(
    services: Services, world: CareWorld, db: Database
) -> None:
    number = _submitted(services, world)
    queue = services.admissions.admission_review_queue(world.reviewer)
    assert [a.number for a in queue.items] == [number]

    first = services.admissions.record_admission_review(world.reviewer, number, _approve(3, 3))
    assert first.approved_days == 3
    assert first.next_review_date == START.date() + timedelta(days=3)
    assert [r.kind for r in first.reviews] == [ReviewKind.INITIAL]
    assert first.reviews[0].reviewer_username == "reviewer.one"
    assert len(first.letters) == 1 and first.letters[0].kind == "letter"
    assert _notes(db, world.staff.user_id, "decision") == 1
    assert _notes(db, world.staff.user_id, "letter") == 1

    second = services.admissions.record_admission_review(
        world.reviewer,
        number,
        AdmissionDetermination(
            kind=ReviewKind.CONTINUED_STAY,
            outcome=DeterminationOutcome.PARTIALLY_APPROVED,
            approved_days=2,
            next_review_date=START.date() + timedelta(days=5),
            reason="Two of four days meet continued-stay criteria.",
        ),
    )
    assert second.approved_days == 5
    assert len(second.letters) == 2
    with db.read() as conn:
        letter = conn.execute(
            select(documents.c.content).where(documents.c.id == second.letters[1].id)
        ).scalar_one()
    assert b"partially approved" in letter and b"Days approved in all: 5" in letter
    assert b"J18.9" not in letter  # no diagnosis in the letter

    # The provider finds the letters among their documents.
    docs = services.documents.list_documents(world.staff, kind="letter")
    assert {d.linked_id for d in docs.items} == {number}


def test_a_second_initial_or_a_first_continued_stay_is_refused(
    services: Services, world: CareWorld
) -> None:
    number = _submitted(services, world)
    with pytest.raises(Conflict, match="initial determination first"):
        services.admissions.record_admission_review(
            world.reviewer, number, _approve(2, 2, ReviewKind.CONTINUED_STAY)
        )
    services.admissions.record_admission_review(world.reviewer, number, _approve(2, 2))
    with pytest.raises(Conflict, match="already recorded"):
        services.admissions.record_admission_review(world.reviewer, number, _approve(2, 2))


@pytest.mark.parametrize(
    ("determination", "field"),
    [
        (
            AdmissionDetermination(
                kind=ReviewKind.INITIAL, outcome=DeterminationOutcome.DENIED, reason=""
            ),
            "reason",
        ),
        (
            AdmissionDetermination(
                kind=ReviewKind.INITIAL,
                outcome=DeterminationOutcome.APPROVED,
                approved_days=3,
            ),
            "next_review_date",
        ),
        (
            AdmissionDetermination(
                kind=ReviewKind.INITIAL,
                outcome=DeterminationOutcome.APPROVED,
                approved_days=0,
                final=True,
            ),
            "approved_days",
        ),
    ],
)
def test_incomplete_determinations_are_refused(
    services: Services,
    world: CareWorld,
    db: Database,
    determination: AdmissionDetermination,
    field: str,
) -> None:
    number = _submitted(services, world)
    with pytest.raises(ValidationFailed) as caught:
        services.admissions.record_admission_review(world.reviewer, number, determination)
    assert caught.value.field == field
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 0


@pytest.mark.parametrize("who", ["staff", "admin", "csr", "payer_admin"])
def test_a_determination_by_anyone_but_a_reviewer_is_refused_and_audited(
    services: Services, world: CareWorld, db: Database, who: str
) -> None:
    number = _submitted(services, world)
    actor: Principal = getattr(world, who)
    with pytest.raises(PermissionDenied):
        services.admissions.record_admission_review(actor, number, _approve(3, 3))
    with db.read() as conn:
        row = conn.execute(
            select(audit_log.c.actor_user_id, audit_log.c.outcome)
            .where(audit_log.c.action == "admissions.review")
            .order_by(audit_log.c.id.desc())
        ).first()
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 0
    assert row is not None and tuple(row) == (actor.user_id, "denied")


def test_a_denial_closes_the_review_without_a_next_date(
    services: Services, world: CareWorld
) -> None:
    number = _submitted(services, world)
    denied = services.admissions.record_admission_review(
        world.reviewer,
        number,
        AdmissionDetermination(
            kind=ReviewKind.INITIAL,
            outcome=DeterminationOutcome.DENIED,
            reason="Observation level of care.",
        ),
    )
    assert denied.next_review_date is None and denied.approved_days == 0
    assert services.admissions.admission_review_queue(world.reviewer).items == []
    with pytest.raises(Conflict):
        services.admissions.record_admission_review(
            world.reviewer, number, _approve(2, 2, ReviewKind.CONTINUED_STAY)
        )


def test_the_submitter_is_told_once_when_the_next_review_date_arrives(
    services: Services, world: CareWorld, db: Database, clock: SettableClock
) -> None:
    number = _submitted(services, world)
    services.admissions.record_admission_review(world.reviewer, number, _approve(2, 2))
    services.admissions.list_admissions(world.staff, AdmissionQuery())
    assert _notes(db, world.staff.user_id, "admission_review_due") == 0
    clock.advance(days=2)
    services.admissions.list_admissions(world.staff, AdmissionQuery())
    services.admissions.admission_review_queue(world.reviewer)
    assert _notes(db, world.staff.user_id, "admission_review_due") == 1


def test_the_queue_puts_the_soonest_review_first_and_pages(
    services: Services, world: CareWorld
) -> None:
    later = _submitted(services, world)
    sooner = _submitted(services, world)
    fresh = _submitted(services, world)
    services.admissions.record_admission_review(world.reviewer, later, _approve(3, 4))
    services.admissions.record_admission_review(world.reviewer, sooner, _approve(1, 1))
    first = services.admissions.admission_review_queue(world.reviewer, limit=2)
    assert [a.number for a in first.items] == [fresh, sooner]
    assert first.total == 3 and first.next_cursor
    rest = services.admissions.admission_review_queue(world.reviewer, after=first.next_cursor)
    assert [a.number for a in rest.items] == [later]


# -- discharge and cancel ------------------------------------------------------------------------
def test_discharge_closes_the_review(services: Services, world: CareWorld) -> None:
    number = _submitted(services, world)
    services.admissions.record_admission_review(world.reviewer, number, _approve(3, 3))
    with pytest.raises(ValidationFailed, match="before the admission"):
        services.admissions.discharge_admission(
            world.staff,
            number,
            AdmissionDischarge(
                discharged_at=SUNDAY_MORNING - timedelta(hours=1),
                disposition=DischargeDisposition.HOME,
            ),
        )
    done = services.admissions.discharge_admission(
        world.staff,
        number,
        AdmissionDischarge(discharged_at=START, disposition=DischargeDisposition.SKILLED_NURSING),
    )
    assert done.status is AdmissionStatus.DISCHARGED
    assert done.discharge is not None
    assert done.discharge.disposition is DischargeDisposition.SKILLED_NURSING
    assert done.next_review_date is None
    assert services.admissions.admission_review_queue(world.reviewer).items == []


def test_cancel_before_review_only_and_with_a_reason(services: Services, world: CareWorld) -> None:
    number = _submitted(services, world)
    with pytest.raises(ValidationFailed):
        services.admissions.cancel_admission(world.staff, number, "  ")
    cancelled = services.admissions.cancel_admission(world.staff, number, "Observation stay.")
    assert cancelled.status is AdmissionStatus.CANCELLED
    assert cancelled.cancel_reason == "Observation stay."
    reviewed = _submitted(services, world)
    services.admissions.record_admission_review(world.reviewer, reviewed, _approve(3, 3))
    with pytest.raises(Conflict):
        services.admissions.cancel_admission(world.staff, reviewed, "too late")


# -- scope ---------------------------------------------------------------------------------------
def test_scope_per_role(services: Services, world: CareWorld, db: Database) -> None:
    number = _submitted(services, world)
    draft = services.admissions.save_admission_draft(world.staff, _draft(world)).number
    for reader in (world.staff, world.admin, world.reviewer, world.csr):
        assert services.admissions.get_admission(reader, number).number == number
    with pytest.raises(NotFound):
        services.admissions.get_admission(world.other_admin, number)
    with pytest.raises(NotFound):
        services.admissions.get_admission(world.narrow_staff, number)
    for refused in (world.billing, world.payer_admin):
        with pytest.raises(PermissionDenied):
            services.admissions.get_admission(refused, number)
    # Drafts stay on the provider side.
    with pytest.raises(NotFound):
        services.admissions.get_admission(world.csr, draft)
    listed = services.admissions.list_admissions(world.admin, AdmissionQuery())
    assert {a.number for a in listed.items} == {number, draft}
    payer = services.admissions.list_admissions(world.csr, AdmissionQuery())
    assert [a.number for a in payer.items] == [number]
    assert services.admissions.list_admissions(world.other_admin, AdmissionQuery()).items == []
    # Reads are audited as reads of the member's data.
    with db.read() as conn:
        reads = conn.execute(
            select(func.count())
            .select_from(audit_log)
            .where(audit_log.c.action == "admissions.read", audit_log.c.record_id == MEMBER)
        ).scalar_one()
    assert reads >= 4


def test_a_notified_admission_ties_the_member_to_the_notifying_side(
    services: Services, world: CareWorld, db: Database, clock: SettableClock
) -> None:
    # The specialist's office (another TIN) is tied to the member by nothing else.
    staff = world.specialist_staff
    with db.read() as conn:
        assert not member_visible(conn, staff, MEMBER, Action.READ_MEMBERS, clock.now())
    draft = services.admissions.save_admission_draft(
        staff, _draft(world, tin=OTHER_TIN, admitting_npi=world.specialist)
    )
    with db.read() as conn:  # a draft ties nobody
        assert not member_visible(conn, staff, MEMBER, Action.READ_MEMBERS, clock.now())
    services.admissions.submit_admission(staff, draft.number)
    with db.read() as conn:
        assert member_visible(conn, staff, MEMBER, Action.READ_MEMBERS, clock.now())
        # Billing users see no admissions, so nothing changes for them.
        assert not member_visible(conn, world.billing, UNCOVERED, Action.READ_MEMBERS, clock.now())
