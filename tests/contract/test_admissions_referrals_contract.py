"""Admissions and referrals through both clients on both databases: a demo draft submitted, the
reviewer's determination with its letter, discharge; a referral created, its visits counted
until used."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal_core.client.base import PortalClient
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.errors import Conflict, NotFound, PermissionDenied
from portal_core.models.admissions import (
    AdmissionDetermination,
    AdmissionDischarge,
    AdmissionQuery,
    AdmissionStatus,
    DeterminationOutcome,
    DischargeDisposition,
    ReviewKind,
)
from portal_core.models.referrals import NewReferral, ReferralQuery, ReferralStatus
from portal_core.services import Services
from portal_core.store.schema import referrals


async def test_an_admission_from_draft_to_discharge(
    client: PortalClient, clock: SettableClock
) -> None:
    await client.sign_in("dr.rivera", DEMO_PASSWORD)
    drafts = await client.list_admissions(AdmissionQuery(status=AdmissionStatus.DRAFT))
    assert drafts.items and drafts.total == len(drafts.items)
    sent = await client.submit_admission(drafts.items[0].number)
    assert sent.status is AdmissionStatus.IN_REVIEW and sent.notified_at == clock.now()
    await client.sign_out()

    await client.sign_in("reviewer.kim", DEMO_PASSWORD)
    queue = await client.admission_review_queue(limit=500)
    assert sent.number in [a.number for a in queue.items]
    decided = await client.record_admission_review(
        sent.number,
        AdmissionDetermination(
            kind=ReviewKind.INITIAL,
            outcome=DeterminationOutcome.APPROVED,
            approved_days=3,
            next_review_date=clock.now().date() + timedelta(days=3),
        ),
    )
    assert decided.approved_days == 3 and len(decided.letters) == 1
    await client.sign_out()

    await client.sign_in("staff.lakeside", DEMO_PASSWORD)
    with pytest.raises(PermissionDenied):
        await client.record_admission_review(
            sent.number,
            AdmissionDetermination(
                kind=ReviewKind.CONTINUED_STAY,
                outcome=DeterminationOutcome.APPROVED,
                approved_days=1,
                final=True,
            ),
        )
    letter = await client.get_document(decided.letters[0].id)
    assert sent.number.encode() in letter.content
    clock.advance(minutes=5)
    done = await client.discharge_admission(
        sent.number,
        AdmissionDischarge(discharged_at=clock.now(), disposition=DischargeDisposition.HOME),
    )
    assert done.status is AdmissionStatus.DISCHARGED
    with pytest.raises(Conflict):
        await client.cancel_admission(sent.number, "too late")
    await client.sign_out()

    await client.sign_in("admin.riverbend", DEMO_PASSWORD)
    with pytest.raises(NotFound):
        await client.get_admission(sent.number)


async def test_a_referral_until_its_visits_are_used(
    client: PortalClient, world: Services, clock: SettableClock
) -> None:
    with world.db.read() as conn:
        model = conn.execute(
            select(referrals.c.member_id, referrals.c.referring_npi, referrals.c.specialist_npi)
            .where(referrals.c.tin == MAIN_TIN, referrals.c.status == "active")
            .order_by(referrals.c.start_date.desc(), referrals.c.id.desc())
        ).first()
    assert model is not None
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    made = await client.create_referral(
        NewReferral(
            tin=MAIN_TIN,
            member_id=model.member_id,
            referring_npi=model.referring_npi,
            specialist_npi=model.specialist_npi,
            diagnosis_codes=["M25.561"],
            visits_authorized=2,
            start_date=clock.now().date(),
        )
    )
    assert made.end_date == clock.now().date() + timedelta(days=90)
    await client.record_referral_visit(made.number)
    used = await client.record_referral_visit(made.number)
    assert used.status is ReferralStatus.USED and used.visits_used == 2
    listed = await client.list_referrals(
        ReferralQuery(member_id=model.member_id, status=ReferralStatus.USED)
    )
    assert made.number in [r.number for r in listed.items]
    shown = await client.get_referral(made.number)
    assert [e.event for e in shown.history] == ["created", "visit", "visit"]
