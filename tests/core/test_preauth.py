"""Preauthorization use cases over a seeded demo in a real SQLite file: drafts, submission with
the automatic decision, review and letters, changes, scope per role, expiry, the check and
templates."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from members_claims_world import principal
from sqlalchemy import func, or_, select

from conftest import START
from portal_core.clock import SettableClock
from portal_core.demo import Scale, seed
from portal_core.demo.catalog import MAIN_TIN
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.claims import UploadFile
from portal_core.models.identity import Principal
from portal_core.models.preauth import (
    DecisionOutcome,
    PreauthChange,
    PreauthCheckQuery,
    PreauthDecision,
    PreauthDraft,
    PreauthQuery,
    PreauthStatus,
    Urgency,
)
from portal_core.rules import deadlines
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import (
    audit_log,
    coverage_spans,
    notifications,
    pcp_assignments,
    preauth_requests,
    user_affiliations,
    users,
)

SLEEP_ANSWERS = {
    "epworth_score": "14",
    "bmi": "33.5",
    "witnessed_apneas": "yes",
    "daytime_symptoms": "yes",
}


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    path = tmp_path_factory.mktemp("preauth") / "demo.sqlite3"
    shutil.copyfile(migrated_template, path)
    db = Database(f"sqlite:///{path}")
    seed(db, Scale.SMALL, SettableClock(START))
    db.dispose()
    return path


@dataclass
class World:
    services: Services
    clock: SettableClock
    db: Database
    rivera_npi: str
    member_id: str

    def who(self, username: str) -> Principal:
        return principal(self.db, username)

    def draft(self, **changes: object) -> PreauthDraft:
        today = self.clock.now().date()
        values: dict[str, object] = {
            "member_id": self.member_id,
            "tin": MAIN_TIN,
            "requesting_npi": self.rivera_npi,
            "servicing_npi": self.rivera_npi,
            "template_id": "sleep-study-psg",
            "procedure_codes": ["95810"],
            "diagnosis_codes": ["G47.33"],
            "units": 1,
            "start_date": today + timedelta(days=7),
            "end_date": today + timedelta(days=30),
            "answers": dict(SLEEP_ANSWERS),
        }
        values.update(changes)
        return PreauthDraft.model_validate(values)

    def count(self) -> int:
        with self.db.read() as conn:
            return int(
                conn.execute(select(func.count()).select_from(preauth_requests)).scalar_one()
            )


@pytest.fixture
def w(demo_file: Path, tmp_path: Path) -> Iterator[World]:
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_file, path)
    db = Database(f"sqlite:///{path}")
    clock = SettableClock(START + timedelta(minutes=5))
    today = clock.now().date()
    with db.read() as conn:
        rivera = conn.execute(select(users.c.id).where(users.c.username == "dr.rivera")).scalar()
        npi = conn.execute(
            select(user_affiliations.c.npi).where(user_affiliations.c.user_id == rivera)
        ).scalar_one()
        member = conn.execute(
            select(pcp_assignments.c.member_id)
            .join(coverage_spans, coverage_spans.c.member_id == pcp_assignments.c.member_id)
            .where(
                pcp_assignments.c.npi == npi,
                pcp_assignments.c.end_date.is_(None),
                coverage_spans.c.effective_date <= today,
                or_(
                    coverage_spans.c.end_date.is_(None),
                    coverage_spans.c.end_date >= today + timedelta(days=90),
                ),
            )
            .order_by(pcp_assignments.c.member_id)
        ).scalar()
    assert member, "the demo has a covered member on Dr. Rivera's panel"
    yield World(Services(db, clock), clock, db, npi, str(member))
    db.dispose()


def _notifications(w: World, username: str, number: str) -> list[str]:
    with w.db.read() as conn:
        user_id = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
        rows = conn.execute(
            select(notifications.c.kind, notifications.c.text).where(
                notifications.c.user_id == user_id
            )
        ).all()
    return [kind for kind, text in rows if number in text]


# -- the happy paths -------------------------------------------------------------------------------
def test_a_draft_meeting_the_criteria_is_approved_at_once_with_a_letter(w: World) -> None:
    rivera = w.who("dr.rivera")
    saved = w.services.preauth.save_preauth_draft(rivera, w.draft())
    assert saved.status is PreauthStatus.DRAFT and saved.number.startswith("PA-2026-")
    assert saved.draft_expires_at == w.clock.now() + deadlines.DRAFT_KEPT
    assert saved.letters == [] and saved.requested_by == "dr.rivera"

    done = w.services.preauth.submit_preauth(rivera, saved.number)
    assert done.status is PreauthStatus.APPROVED and done.approved_units == 1
    assert [h.status for h in done.history] == ["draft", "submitted", "approved"]
    assert done.history[-1].by == "system"
    assert len(done.letters) == 1 and done.letters[0].kind == "letter"
    letter = w.services.documents.get_document(rivera, done.letters[0].id)
    text = letter.content.decode()
    assert "DECISION: APPROVED" in text and w.member_id in text and "95810" in text
    assert sorted(_notifications(w, "dr.rivera", done.number)) == ["decision", "letter"]
    assert done.time_left is None and done.due_at is not None


def test_unmet_criteria_pend_it_with_its_clock_and_a_reviewer_decides(w: World) -> None:
    staff = w.who("staff.lakeside")
    answers = dict(SLEEP_ANSWERS, epworth_score="6")
    saved = w.services.preauth.save_preauth_draft(
        staff, w.draft(answers=answers, urgency=Urgency.EXPEDITED)
    )
    pended = w.services.preauth.submit_preauth(staff, saved.number)
    assert pended.status is PreauthStatus.PENDED
    assert pended.due_at == w.clock.now() + timedelta(hours=72)
    assert pended.time_left == timedelta(hours=72) and pended.time_left_text == "3 d 0 h left"
    assert "Epworth" in pended.history[-1].note and pended.letters == []

    reviewer = w.who("reviewer.kim")
    queue = w.services.preauth.preauth_queue(reviewer, limit=200)
    assert saved.number in [item.number for item in queue.items]
    dues = [item.due_at for item in queue.items]
    assert dues == sorted(dues), "least time left first"

    with pytest.raises(ValidationFailed, match="specific reason"):
        w.services.preauth.decide_preauth(
            reviewer, saved.number, PreauthDecision(outcome=DecisionOutcome.DENY)
        )
    decided = w.services.preauth.decide_preauth(
        reviewer,
        saved.number,
        PreauthDecision(outcome=DecisionOutcome.DENY, reason="criteria_not_met", note="ESS 6."),
    )
    assert decided.status is PreauthStatus.DENIED and decided.decision_reason == "criteria_not_met"
    assert decided.decision_reason_text and decided.history[-1].by == "reviewer.kim"

    # The provider finds the letter, with the reason and the appeal rights.
    seen = w.services.preauth.get_preauth(staff, saved.number)
    assert len(seen.letters) == 1
    text = w.services.documents.get_document(staff, seen.letters[0].id).content.decode()
    assert "DECISION: DENIED" in text and "APPEAL RIGHTS" in text and "clinical criteria" in text
    assert sorted(_notifications(w, "staff.lakeside", saved.number)) == ["decision", "letter"]
    with pytest.raises(Conflict):
        w.services.preauth.decide_preauth(
            reviewer, saved.number, PreauthDecision(outcome=DecisionOutcome.APPROVE)
        )


def test_partial_approval_needs_fewer_units_and_a_reason(w: World) -> None:
    rivera, reviewer = w.who("dr.rivera"), w.who("reviewer.kim")
    saved = w.services.preauth.save_preauth_draft(
        rivera, w.draft(template_id="dme-cpap", procedure_codes=["E0601"], units=13,
                        answers={"face_to_face_date": "2026-11-01", "prescription_signed": "yes",
                                 "rent_or_buy": "Rental", "length_of_need_months": "99",
                                 "ahi": "9", "sleep_study_done": "yes"})
    )  # fmt: skip
    number = w.services.preauth.submit_preauth(rivera, saved.number).number
    with pytest.raises(ValidationFailed, match="from 1 to 12"):
        w.services.preauth.decide_preauth(
            reviewer,
            number,
            PreauthDecision(
                outcome=DecisionOutcome.PARTIALLY_APPROVE,
                approved_units=13,
                reason="units_exceed_guideline",
            ),
        )
    done = w.services.preauth.decide_preauth(
        reviewer,
        number,
        PreauthDecision(
            outcome=DecisionOutcome.PARTIALLY_APPROVE,
            approved_units=3,
            reason="units_exceed_guideline",
        ),
    )
    assert done.status is PreauthStatus.PARTIALLY_APPROVED and done.approved_units == 3


def test_information_requested_leaves_the_queue_until_the_provider_answers(w: World) -> None:
    rivera, reviewer = w.who("dr.rivera"), w.who("reviewer.kim")
    saved = w.services.preauth.save_preauth_draft(
        rivera, w.draft(answers=dict(SLEEP_ANSWERS, daytime_symptoms="no"))
    )
    number = w.services.preauth.submit_preauth(rivera, saved.number).number
    with pytest.raises(ValidationFailed, match="information"):
        w.services.preauth.decide_preauth(
            reviewer, number, PreauthDecision(outcome=DecisionOutcome.REQUEST_INFORMATION)
        )
    asked = w.services.preauth.decide_preauth(
        reviewer,
        number,
        PreauthDecision(outcome=DecisionOutcome.REQUEST_INFORMATION, note="Send sleep diary."),
    )
    assert asked.status is PreauthStatus.PENDED and asked.information_requested
    assert len(asked.letters) == 1

    def queued() -> list[str]:
        page = w.services.preauth.preauth_queue(reviewer, limit=200)
        return [item.number for item in page.items]

    assert number not in queued()
    answered = w.services.preauth.attach_preauth_files(
        rivera, number, [UploadFile(file_name="diary.txt", content=b"two weeks of sleep diary")]
    )
    assert answered.information_requested is None and len(answered.attachments or []) == 1
    assert number in queued()


# -- refusals --------------------------------------------------------------------------------------
def test_a_decision_by_anyone_but_a_reviewer_is_refused_and_audited(w: World) -> None:
    rivera = w.who("dr.rivera")
    saved = w.services.preauth.save_preauth_draft(
        rivera, w.draft(answers=dict(SLEEP_ANSWERS, epworth_score="3"))
    )
    number = w.services.preauth.submit_preauth(rivera, saved.number).number
    for username in ("dr.rivera", "admin.lakeside", "csr.jones", "payer.admin"):
        with pytest.raises(PermissionDenied):
            w.services.preauth.decide_preauth(
                w.who(username), number, PreauthDecision(outcome=DecisionOutcome.APPROVE)
            )
    with w.db.read() as conn:
        refused = conn.execute(
            select(audit_log.c.actor_username).where(
                audit_log.c.action == "preauth.decide", audit_log.c.outcome == "denied"
            )
        ).scalars()
        assert sorted(refused) == ["admin.lakeside", "csr.jones", "dr.rivera", "payer.admin"]
    assert w.services.preauth.get_preauth(rivera, number).status is PreauthStatus.PENDED


def test_bad_input_is_refused_with_clear_words_and_nothing_written(w: World) -> None:
    rivera = w.who("dr.rivera")
    before = w.count()
    with pytest.raises(ValidationFailed, match="does not cover 95811"):
        w.services.preauth.save_preauth_draft(rivera, w.draft(procedure_codes=["95810", "95811"]))
    today = w.clock.now().date()
    with pytest.raises(ValidationFailed, match="end date is before"):
        w.services.preauth.save_preauth_draft(
            rivera, w.draft(start_date=today + timedelta(days=9), end_date=today)
        )
    with pytest.raises(ValidationFailed, match="no coverage on the start date"):
        w.services.preauth.save_preauth_draft(
            rivera, w.draft(start_date=date(1990, 1, 1), end_date=date(1990, 1, 2))
        )
    assert w.count() == before

    saved = w.services.preauth.save_preauth_draft(rivera, w.draft(answers={"bmi": "30"}))
    with pytest.raises(ValidationFailed, match="Answer the required questions: Epworth"):
        w.services.preauth.submit_preauth(rivera, saved.number)
    assert w.services.preauth.get_preauth(rivera, saved.number).status is PreauthStatus.DRAFT


def test_a_provider_outside_the_user_s_scope_is_refused(w: World) -> None:
    riverbend = w.who("admin.riverbend")
    with pytest.raises(PermissionDenied):
        w.services.preauth.save_preauth_draft(riverbend, w.draft())
    billing = w.who("billing.acme")
    with pytest.raises(PermissionDenied):
        w.services.preauth.save_preauth_draft(billing, w.draft())


# -- reading and scope -----------------------------------------------------------------------------
def test_billing_sees_the_request_but_no_clinical_answers(w: World) -> None:
    staff = w.who("staff.lakeside")
    saved = w.services.preauth.save_preauth_draft(
        staff, w.draft(answers=dict(SLEEP_ANSWERS, epworth_score="4"))
    )
    number = w.services.preauth.submit_preauth(staff, saved.number).number
    w.services.preauth.attach_preauth_files(
        staff, number, [UploadFile(file_name="notes.txt", content=b"clinical notes")]
    )
    for_staff = w.services.preauth.get_preauth(staff, number)
    assert for_staff.answers == dict(SLEEP_ANSWERS, epworth_score="4")
    assert for_staff.attachments and for_staff.attachments[0].file_name == "notes.txt"
    for_billing = w.services.preauth.get_preauth(w.who("billing.acme"), number)
    assert for_billing.answers is None and for_billing.attachments is None
    assert for_billing.status is PreauthStatus.PENDED
    with w.db.read() as conn:
        reads = conn.execute(
            select(func.count()).where(
                audit_log.c.action == "preauth.read", audit_log.c.record_kind == "member"
            )
        ).scalar_one()
    assert reads == 2


def test_each_role_sees_its_own_scope(w: World) -> None:
    service = w.services.preauth
    mine = service.list_preauths(w.who("dr.rivera"), PreauthQuery(), limit=200)
    assert mine.total and all(
        w.rivera_npi in (item.requesting_npi, item.servicing_npi) for item in mine.items
    )
    admin = service.list_preauths(w.who("admin.lakeside"), PreauthQuery(), limit=200)
    assert admin.total and admin.total > mine.total
    riverbend = service.list_preauths(w.who("admin.riverbend"), PreauthQuery(), limit=200)
    assert all(item.tin == "521234567" for item in riverbend.items)
    some_number = mine.items[0].number
    with pytest.raises(NotFound):
        service.get_preauth(w.who("admin.riverbend"), some_number)
    reviewer = service.list_preauths(w.who("reviewer.kim"), PreauthQuery(), limit=200)
    assert reviewer.total and all(item.status != "draft" for item in reviewer.items)
    with pytest.raises(PermissionDenied):
        service.list_preauths(w.who("payer.admin"), PreauthQuery())
    with pytest.raises(PermissionDenied):
        service.preauth_queue(w.who("dr.rivera"))


def test_lists_page_by_keyset_and_filter(w: World) -> None:
    admin = w.who("admin.lakeside")
    service = w.services.preauth
    first = service.list_preauths(admin, PreauthQuery(), limit=20)
    assert len(first.items) == 20 and first.next_cursor and first.total
    second = service.list_preauths(admin, PreauthQuery(), after=first.next_cursor, limit=20)
    assert not {i.number for i in first.items} & {i.number for i in second.items}
    stamps = [i.created_at for i in first.items + second.items]
    assert stamps == sorted(stamps, reverse=True)
    pending = service.list_preauths(admin, PreauthQuery(pending_only=True), limit=200)
    assert pending.items and all(i.status == "pended" and i.time_left for i in pending.items)
    overdue = [i for i in pending.items if i.time_left and i.time_left < timedelta(0)]
    soon = [
        i for i in pending.items if i.time_left and timedelta(0) < i.time_left < timedelta(hours=12)
    ]
    assert overdue and soon, "the demo has requests past and near their deadlines"
    assert all(i.time_left_text.startswith("overdue by") for i in overdue)
    denied = service.list_preauths(admin, PreauthQuery(statuses=[PreauthStatus.DENIED]))
    assert denied.items and all(i.status == "denied" for i in denied.items)


# -- changes ---------------------------------------------------------------------------------------
def test_drafts_expire_after_96_hours_and_are_purged(w: World) -> None:
    rivera = w.who("dr.rivera")
    saved = w.services.preauth.save_preauth_draft(rivera, w.draft())
    w.clock.advance(hours=95)
    again = w.services.preauth.save_preauth_draft(rivera, w.draft(number=saved.number, units=1))
    assert again.draft_expires_at == w.clock.now() + deadlines.DRAFT_KEPT, "saving renews it"
    w.clock.advance(hours=97)
    with pytest.raises(NotFound):
        w.services.preauth.get_preauth(rivera, saved.number)
    with pytest.raises(NotFound):
        w.services.preauth.submit_preauth(rivera, saved.number)
    listed = w.services.preauth.list_preauths(
        rivera, PreauthQuery(statuses=[PreauthStatus.DRAFT]), limit=200
    )
    assert saved.number not in [i.number for i in listed.items]
    w.services.preauth.save_preauth_draft(rivera, w.draft())
    with w.db.read() as conn:
        left = conn.execute(
            select(func.count()).where(preauth_requests.c.number == saved.number)
        ).scalar_one()
    assert left == 0


def test_modify_until_decided_then_cancel_and_withdraw(w: World) -> None:
    rivera = w.who("dr.rivera")
    service = w.services.preauth
    draft = service.save_preauth_draft(rivera, w.draft())
    with pytest.raises(Conflict):
        service.withdraw_preauth(rivera, draft.number, "not needed")
    cancelled = service.cancel_preauth(rivera, draft.number, "entered twice")
    assert cancelled.status is PreauthStatus.CANCELLED

    saved = service.save_preauth_draft(
        rivera, w.draft(answers=dict(SLEEP_ANSWERS, witnessed_apneas="no"))
    )
    number = service.submit_preauth(rivera, saved.number).number
    with pytest.raises(ValidationFailed):
        service.modify_preauth(rivera, number, PreauthChange())
    today = w.clock.now().date()
    with pytest.raises(ValidationFailed, match="end date"):
        service.modify_preauth(rivera, number, PreauthChange(end_date=today))
    changed = service.modify_preauth(
        rivera, number, PreauthChange(units=2, note="Two nights needed.")
    )
    assert changed.units == 2 and "units 1 → 2" in changed.history[-1].note
    with pytest.raises(Conflict):
        service.cancel_preauth(rivera, number, "changed our mind")
    with pytest.raises(ValidationFailed):
        service.withdraw_preauth(rivera, number, "  ")
    withdrawn = service.withdraw_preauth(rivera, number, "member moved away")
    assert withdrawn.status is PreauthStatus.WITHDRAWN
    with pytest.raises(Conflict):
        service.modify_preauth(rivera, number, PreauthChange(units=1))
    with pytest.raises(PermissionDenied):
        service.withdraw_preauth(w.who("billing.acme"), number, "no")


def test_attachments_follow_the_upload_rules(w: World) -> None:
    rivera = w.who("dr.rivera")
    saved = w.services.preauth.save_preauth_draft(rivera, w.draft())
    with pytest.raises(ValidationFailed, match="not the PDF"):
        w.services.preauth.attach_preauth_files(
            rivera, saved.number, [UploadFile(file_name="scan.pdf", content=b"plain text")]
        )
    done = w.services.preauth.attach_preauth_files(
        rivera, saved.number, [UploadFile(file_name="q.txt", content=b"questionnaire")]
    )
    assert [a.file_name for a in done.attachments or []] == ["q.txt"]


# -- the check and templates -----------------------------------------------------------------------
def test_the_check_says_whether_a_code_needs_a_preauth_and_with_which_template(w: World) -> None:
    staff = w.who("staff.lakeside")
    today = w.clock.now().date()
    needed = w.services.preauth.check_preauth(
        staff, PreauthCheckQuery(member_id=w.member_id, procedure_code="95810", service_date=today)
    )
    assert needed.required and needed.template_ids == ["sleep-study-psg"] and needed.plan_name
    assert "Sleep study (polysomnography)" in needed.why
    office_visit = w.services.preauth.check_preauth(
        staff, PreauthCheckQuery(member_id=w.member_id, procedure_code="99213", service_date=today)
    )
    assert not office_visit.required and "needs no preauthorization" in office_visit.why
    uncovered = w.services.preauth.check_preauth(
        staff,
        PreauthCheckQuery(
            member_id=w.member_id, procedure_code="95810", service_date=date(1990, 1, 1)
        ),
    )
    assert not uncovered.required and "no coverage" in uncovered.why
    with pytest.raises(NotFound):
        w.services.preauth.check_preauth(
            staff,
            PreauthCheckQuery(member_id="ZZ999999999", procedure_code="95810", service_date=today),
        )


def test_payer_admins_manage_templates_and_inactive_ones_are_not_offered(w: World) -> None:
    service = w.services.preauth
    admin, staff = w.who("payer.admin"), w.who("staff.lakeside")
    assert len(service.preauth_templates(staff)) > 100
    assert service.preauth_templates(staff, "sleep")[0].id == "sleep-study-psg"
    template = service.get_preauth_template(staff, "sleep-study-psg")
    with pytest.raises(PermissionDenied):
        service.save_preauth_template(staff, template)
    changed = service.save_preauth_template(
        admin, template.model_copy(update={"max_units": 2, "procedure_codes": ["95810", "95800"]})
    )
    assert service.get_preauth_template(staff, changed.id).max_units == 2
    with pytest.raises(ValidationFailed, match="procedure code"):
        service.save_preauth_template(admin, template.model_copy(update={"procedure_codes": []}))
    service.set_preauth_template_active(admin, "sleep-study-psg", False)
    assert "sleep-study-psg" not in [t.id for t in service.preauth_templates(staff)]
    assert "sleep-study-psg" in [t.id for t in service.preauth_templates(admin)]
    with pytest.raises(ValidationFailed, match="no longer offered"):
        service.save_preauth_draft(w.who("dr.rivera"), w.draft())
    check = service.check_preauth(
        staff,
        PreauthCheckQuery(
            member_id=w.member_id, procedure_code="95810", service_date=w.clock.now().date()
        ),
    )
    assert not check.required


def test_the_demo_has_requests_in_every_status_with_letters(w: World) -> None:
    with w.db.read() as conn:
        by_status = dict(
            conn.execute(
                select(preauth_requests.c.status, func.count()).group_by(preauth_requests.c.status)
            ).all()
        )
        decided = conn.execute(
            select(preauth_requests.c.number).where(
                preauth_requests.c.status.in_(["approved", "partially_approved", "denied"]),
                preauth_requests.c.tin == MAIN_TIN,
            )
        ).scalars()
        decided_numbers = set(decided)
    assert sum(by_status.values()) >= 140
    assert set(by_status) == {s.value for s in PreauthStatus} - {"submitted"}
    admin = w.who("admin.lakeside")
    sample = sorted(decided_numbers)[:5]
    for number in sample:
        detail = w.services.preauth.get_preauth(admin, number)
        assert detail.letters, number
