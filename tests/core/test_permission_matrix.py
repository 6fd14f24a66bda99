"""Every role against every client method, on the demo world, through the real LocalClient and
through RemoteClient over the real API app (in process).

`METHOD_ACTIONS` states which permission each method needs; the test checks that each method
refuses exactly the roles the matrix refuses (PermissionDenied, or NotFound where the record is out
of scope) and lets the others through. A method added to `PortalClient` without a row here fails
`test_every_client_method_is_in_the_matrix`.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from admissions_referrals_world import admissions_referrals_world
from sqlalchemy import exists, select

from conftest import START
from portal_core.api.catalog import ROUTES_BY_METHOD
from portal_core.client.base import PortalClient
from portal_core.client.local import LocalClient
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD, DEMO_SIGN_INS, Scale, seed
from portal_core.demo.catalog import MAIN_TIN
from portal_core.errors import NotFound, PermissionDenied, PortalError
from portal_core.models.admissions import (
    AdmissionDetermination,
    AdmissionDischarge,
    AdmissionDraft,
    AdmissionQuery,
    DeterminationOutcome,
    DischargeDisposition,
    ReviewKind,
)
from portal_core.models.announcements import NewAnnouncement
from portal_core.models.claims import (
    AppealAnswer,
    ClaimReportDefinition,
    ClaimSearch,
    DeniedQuery,
    InquiryAnswer,
    NewAppeal,
    NewInquiry,
    PaymentSearch,
    UploadFile,
)
from portal_core.models.documents import DocumentQuery
from portal_core.models.identity import AccountSettings, Role
from portal_core.models.members import EligibilityQuery, NetworkQuery, PanelQuery
from portal_core.models.messages import NewPost, NewThread, ThreadFilter
from portal_core.models.providers import (
    NewProfileUpdate,
    ProfileFieldChange,
    ProfileUpdateDecision,
    ProviderSearch,
)
from portal_core.models.referrals import NewReferral, ReferralQuery
from portal_core.models.reviews import BulkDecision, ReviewDecision, ReviewDecisionKind
from portal_core.models.users import ContactUpdate, NewUser, UserFilter
from portal_core.rules.permissions import Action, allowed
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import (
    announcements,
    care_plans,
    claim_appeals,
    claim_inquiries,
    claims,
    documents,
    members,
    message_threads,
    payments,
    pcp_assignments,
    provider_tins,
    review_campaigns,
    review_items,
    user_roles,
    users,
)
from preauth_world import PREAUTH_METHOD_ACTIONS, preauth_world

PUBLIC = {
    "sign_in",
    "register",
    "forgot_username",
    "request_password_reset",
    "reset_password",
    "confirm_registration_email",
    "migrate_legacy_account",
    "sign_out",
}
"""Methods that need no permission (they start or end a session)."""

Call = Callable[[PortalClient, dict[str, Any]], Awaitable[Any]]

METHOD_ACTIONS: dict[str, tuple[Action, bool, Call]] = {
    # name: (action, checked at MAIN_TIN?, call)
    "account": (Action.OWN_ACCOUNT, False, lambda c, w: c.account()),
    "verify_password": (Action.OWN_ACCOUNT, False, lambda c, w: c.verify_password(DEMO_PASSWORD)),
    "change_password": (
        Action.OWN_ACCOUNT,
        False,
        lambda c, w: c.change_password(DEMO_PASSWORD, "another long passphrase 2027"),
    ),
    "begin_totp_enrollment": (Action.OWN_ACCOUNT, False, lambda c, w: c.begin_totp_enrollment()),
    "confirm_totp_enrollment": (
        Action.OWN_ACCOUNT,
        False,
        lambda c, w: c.confirm_totp_enrollment("000000"),
    ),
    "remove_totp": (Action.OWN_ACCOUNT, False, lambda c, w: c.remove_totp(DEMO_PASSWORD)),
    "regenerate_recovery_codes": (
        Action.OWN_ACCOUNT,
        False,
        lambda c, w: c.regenerate_recovery_codes(DEMO_PASSWORD),
    ),
    "update_settings": (
        Action.OWN_ACCOUNT,
        False,
        lambda c, w: c.update_settings(AccountSettings(theme="light")),
    ),
    "set_active_tin": (Action.OWN_ACCOUNT, False, lambda c, w: c.set_active_tin(MAIN_TIN)),
    "register_additional_tin": (
        Action.REGISTER_ADDITIONAL_TIN,
        False,
        lambda c, w: c.register_additional_tin(
            "521234568", _code("RIVERBEND-SURGERY-BG3S-E37G-BSAE-F64F")
        ),
    ),
    "consolidate_account": (
        Action.OWN_ACCOUNT,
        False,
        lambda c, w: c.consolidate_account("nobody.here", DEMO_PASSWORD),
    ),
    "administrators_of": (
        Action.VIEW_ADMINISTRATORS,
        True,
        lambda c, w: c.administrators_of(MAIN_TIN),
    ),
    "offer_admin_handover": (
        Action.HAND_OVER_ADMIN,
        True,
        lambda c, w: c.offer_admin_handover(MAIN_TIN, w["staff_id"], Role.STAFF),
    ),
    "pending_handovers": (Action.OWN_ACCOUNT, False, lambda c, w: c.pending_handovers()),
    "answer_admin_handover": (
        Action.OWN_ACCOUNT,
        False,
        lambda c, w: c.answer_admin_handover(999999, False),
    ),
    "start_break_glass": (
        Action.BREAK_GLASS,
        False,
        lambda c, w: c.start_break_glass("patient in the emergency room", 30),
    ),
    "notifications": (Action.OWN_ACCOUNT, False, lambda c, w: c.notifications()),
    "mark_notifications_read": (
        Action.OWN_ACCOUNT,
        False,
        lambda c, w: c.mark_notifications_read([]),
    ),
    "outbox": (Action.OWN_ACCOUNT, False, lambda c, w: c.outbox()),
    "request_email_change": (
        Action.OWN_ACCOUNT,
        False,
        lambda c, w: c.request_email_change("matrix.moved@example.org"),
    ),
    "confirm_email_change": (
        Action.OWN_ACCOUNT,
        False,
        lambda c, w: c.confirm_email_change("00000000"),
    ),
    "list_users": (
        Action.VIEW_USERS,
        True,
        lambda c, w: c.list_users(UserFilter(tin=MAIN_TIN)),
    ),
    "get_user": (Action.VIEW_USERS, True, lambda c, w: c.get_user(w["staff_id"])),
    "sign_in_history": (
        Action.VIEW_USERS,
        True,
        lambda c, w: c.sign_in_history(w["staff_id"]),
    ),
    "create_user": (
        Action.MANAGE_USERS,
        True,
        lambda c, w: c.create_user(
            NewUser(
                username="matrix.newuser",
                full_name="Matrix New",
                email="matrix.new@example.org",
                tin=MAIN_TIN,
                role=Role.STAFF,
            )
        ),
    ),
    "update_user_contact": (
        Action.MANAGE_USERS,
        True,
        lambda c, w: c.update_user_contact(w["staff_id"], ContactUpdate(phone="555-0199")),
    ),
    "change_role": (
        Action.MANAGE_USERS,
        True,
        lambda c, w: c.change_role(w["staff_id"], MAIN_TIN, Role.BILLING),
    ),
    "change_affiliations": (
        Action.MANAGE_USERS,
        True,
        lambda c, w: c.change_affiliations(w["staff_id"], MAIN_TIN, []),
    ),
    "approve_user": (
        Action.MANAGE_USERS,
        True,
        lambda c, w: c.approve_user(w["pending_id"], MAIN_TIN, Role.STAFF, []),
    ),
    "reject_user": (
        Action.MANAGE_USERS,
        True,
        lambda c, w: c.reject_user(w["pending_id"], MAIN_TIN, "not one of ours"),
    ),
    "send_password_reset": (
        Action.MANAGE_USERS,
        True,
        lambda c, w: c.send_password_reset(w["staff_id"]),
    ),
    "unlock_user": (Action.MANAGE_USERS, True, lambda c, w: c.unlock_user(w["locked_id"])),
    "deactivate_user": (
        Action.MANAGE_USERS,
        True,
        lambda c, w: c.deactivate_user(w["staff_id"], MAIN_TIN, "left the practice"),
    ),
    "reactivate_user": (
        Action.MANAGE_USERS,
        True,
        lambda c, w: c.reactivate_user(w["staff_id"], MAIN_TIN),
    ),
    "tin_providers": (Action.READ_PROVIDERS, True, lambda c, w: c.tin_providers(MAIN_TIN)),
    "list_campaigns": (Action.RUN_REVIEWS, True, lambda c, w: c.list_campaigns(MAIN_TIN)),
    "open_campaign": (Action.RUN_REVIEWS, True, lambda c, w: c.open_campaign(MAIN_TIN)),
    "get_campaign": (Action.RUN_REVIEWS, True, lambda c, w: c.get_campaign(w["campaign_id"])),
    "review_items": (Action.RUN_REVIEWS, True, lambda c, w: c.review_items(w["campaign_id"])),
    "preview_decision": (
        Action.RUN_REVIEWS,
        True,
        lambda c, w: c.preview_decision(
            w["campaign_id"],
            BulkDecision(
                decision=ReviewDecision(decision=ReviewDecisionKind.KEEP), item_ids=[w["item_id"]]
            ),
        ),
    ),
    "decide": (
        Action.RUN_REVIEWS,
        True,
        lambda c, w: c.decide(
            w["campaign_id"],
            BulkDecision(
                decision=ReviewDecision(decision=ReviewDecisionKind.KEEP), item_ids=[w["item_id"]]
            ),
        ),
    ),
    "sign_off": (Action.RUN_REVIEWS, True, lambda c, w: c.sign_off(w["campaign_id"])),
    "export_evidence": (
        Action.RUN_REVIEWS,
        True,
        lambda c, w: c.export_evidence(w["campaign_id"]),
    ),
    "overdue_campaigns": (Action.VIEW_OVERDUE_REVIEWS, False, lambda c, w: c.overdue_campaigns()),
    "reassign_targets": (
        Action.RUN_REVIEWS,
        True,
        lambda c, w: c.reassign_targets(w["campaign_id"]),
    ),
    "list_documents": (Action.READ_DOCUMENTS, False, lambda c, w: c.list_documents()),
    # A document has its record's readers: the world's document is an EOP (payments' readers).
    "get_document": (Action.READ_PAYMENTS, True, lambda c, w: c.get_document(w["document_id"])),
    "audit_member_access": (
        Action.READ_AUDIT,
        False,
        lambda c, w: c.audit_member_access("AB123456789"),
    ),
    "audit_user_activity": (
        Action.READ_AUDIT,
        False,
        lambda c, w: c.audit_user_activity(w["staff_id"]),
    ),
    "audit_failed_sign_ins": (
        Action.READ_AUDIT,
        False,
        lambda c, w: c.audit_failed_sign_ins(w["now"] - timedelta(days=7)),
    ),
    # members
    "check_eligibility": (
        Action.CHECK_ELIGIBILITY,
        False,
        lambda c, w: c.check_eligibility(
            EligibilityQuery(member_id=w["member_id"], birth_date=w["birth_date"])
        ),
    ),
    "check_eligibility_batch": (
        Action.CHECK_ELIGIBILITY,
        False,
        lambda c, w: c.check_eligibility_batch(
            [EligibilityQuery(member_id=w["member_id"], birth_date=w["birth_date"])]
        ),
    ),
    "get_member": (Action.READ_MEMBERS, True, lambda c, w: c.get_member(w["member_id"])),
    "list_plans": (Action.CHECK_ELIGIBILITY, False, lambda c, w: c.list_plans()),
    "check_network": (
        Action.CHECK_ELIGIBILITY,
        False,
        lambda c, w: c.check_network(NetworkQuery(npi=w["npi"], plan_id="NW-PPO-500")),
    ),
    "pcp_panel": (Action.READ_MEMBERS, True, lambda c, w: c.pcp_panel(PanelQuery(npi=w["npi"]))),
    "export_pcp_panel": (
        Action.READ_MEMBERS,
        True,
        lambda c, w: c.export_pcp_panel(PanelQuery(npi=w["npi"])),
    ),
    "care_plans": (Action.READ_CARE_PLANS, True, lambda c, w: c.care_plans(w["member_id"])),
    "export_care_plan": (
        Action.READ_CARE_PLANS,
        True,
        lambda c, w: c.export_care_plan(w["care_plan_id"]),
    ),
    # claims and payments
    "search_claims": (
        Action.READ_CLAIMS,
        True,
        lambda c, w: c.search_claims(ClaimSearch(tin=MAIN_TIN)),
    ),
    "get_claim": (Action.READ_CLAIMS, True, lambda c, w: c.get_claim(w["claim_number"])),
    "search_payments": (
        Action.READ_PAYMENTS,
        True,
        lambda c, w: c.search_payments(PaymentSearch(tin=MAIN_TIN)),
    ),
    "get_payment": (Action.READ_PAYMENTS, True, lambda c, w: c.get_payment(w["payment_number"])),
    "export_payment": (
        Action.READ_PAYMENTS,
        True,
        lambda c, w: c.export_payment(w["payment_number"]),
    ),
    "denied_worklist": (
        Action.READ_CLAIMS,
        True,
        lambda c, w: c.denied_worklist(DeniedQuery(tin=MAIN_TIN)),
    ),
    "denied_claims": (
        Action.READ_CLAIMS,
        True,
        lambda c, w: c.denied_claims(DeniedQuery(tin=MAIN_TIN)),
    ),
    "submit_claim_documents": (
        Action.SUBMIT_CLAIM_DOCUMENTS,
        True,
        lambda c, w: c.submit_claim_documents(
            w["claim_number"], [UploadFile(file_name="notes.txt", content=b"visit notes")]
        ),
    ),
    "claim_documents": (
        Action.READ_CLAIMS,
        True,
        lambda c, w: c.claim_documents(w["claim_number"]),
    ),
    "file_inquiry": (
        Action.FILE_INQUIRIES,
        True,
        lambda c, w: c.file_inquiry(
            w["claim_number"], NewInquiry(reason="reconsider", text="please look again")
        ),
    ),
    "claim_inquiries": (
        Action.READ_CLAIMS,
        True,
        lambda c, w: c.claim_inquiries(w["claim_number"]),
    ),
    "open_inquiries": (Action.ANSWER_INQUIRIES, False, lambda c, w: c.open_inquiries()),
    "answer_inquiry": (
        Action.ANSWER_INQUIRIES,
        False,
        lambda c, w: c.answer_inquiry(w["inquiry_id"], InquiryAnswer(text="reprocessed")),
    ),
    "file_appeal": (
        Action.FILE_INQUIRIES,
        True,
        lambda c, w: c.file_appeal(w["denied_claim"], NewAppeal(text="we disagree")),
    ),
    "claim_appeals": (
        Action.READ_CLAIMS,
        True,
        lambda c, w: c.claim_appeals(w["denied_claim"]),
    ),
    "open_appeals": (Action.ANSWER_INQUIRIES, False, lambda c, w: c.open_appeals()),
    "answer_appeal": (
        Action.ANSWER_INQUIRIES,
        False,
        lambda c, w: c.answer_appeal(w["appeal_id"], AppealAnswer(outcome="upheld", text="ok")),
    ),
    "save_claim_report": (
        Action.RUN_CLAIM_REPORTS,
        False,
        lambda c, w: c.save_claim_report(ClaimReportDefinition(name="denials")),
    ),
    "list_claim_reports": (Action.RUN_CLAIM_REPORTS, False, lambda c, w: c.list_claim_reports()),
    "delete_claim_report": (
        Action.RUN_CLAIM_REPORTS,
        False,
        lambda c, w: c.delete_claim_report(999999),
    ),
    "run_claim_report": (
        Action.RUN_CLAIM_REPORTS,
        False,
        lambda c, w: c.run_claim_report(ClaimReportDefinition(status="denied")),
    ),
    "export_claim_report": (
        Action.RUN_CLAIM_REPORTS,
        False,
        lambda c, w: c.export_claim_report(ClaimReportDefinition(status="denied")),
    ),
    # messages
    "send_message": (
        Action.SEND_MESSAGES,
        True,
        lambda c, w: c.send_message(
            NewThread(tin=MAIN_TIN, category="claims", subject="Question", body="Please help.")
        ),
    ),
    "reply_to_thread": (
        Action.SEND_MESSAGES,
        True,
        lambda c, w: c.reply_to_thread(w["thread_ref"], NewPost(body="More detail.")),
    ),
    "close_thread": (
        Action.ANSWER_MESSAGES,
        False,
        lambda c, w: c.close_thread(w["thread_ref"]),
    ),
    "get_thread": (Action.SEND_MESSAGES, True, lambda c, w: c.get_thread(w["thread_ref"])),
    "list_threads": (Action.SEND_MESSAGES, False, lambda c, w: c.list_threads(ThreadFilter())),
    "unread_thread_count": (Action.SEND_MESSAGES, False, lambda c, w: c.unread_thread_count()),
    "message_queue": (Action.ANSWER_MESSAGES, False, lambda c, w: c.message_queue()),
    "lookup_thread": (Action.ANSWER_MESSAGES, False, lambda c, w: c.lookup_thread(w["thread_ref"])),
    **PREAUTH_METHOD_ACTIONS,  # preauthorization (tests/preauth_world.py)
    # provider profiles (demo change request 1 is pending at MAIN_TIN)
    "search_providers": (
        Action.READ_PROVIDERS,
        False,
        lambda c, w: c.search_providers(ProviderSearch(name="rivera")),
    ),
    "get_provider": (Action.READ_PROVIDERS, False, lambda c, w: c.get_provider(w["npi"])),
    "request_profile_update": (
        Action.REQUEST_PROFILE_UPDATE,
        True,
        lambda c, w: c.request_profile_update(
            NewProfileUpdate(
                npi=w["npi"],
                tin=MAIN_TIN,
                changes=[ProfileFieldChange(field="phone", value="312-555-0199")],
                reason="The office moved its phone line.",
            )
        ),
    ),
    "profile_update_requests": (
        Action.REQUEST_PROFILE_UPDATE,
        False,
        lambda c, w: c.profile_update_requests(),
    ),
    "get_profile_update": (
        Action.REQUEST_PROFILE_UPDATE,
        True,
        lambda c, w: c.get_profile_update(1),
    ),
    "decide_profile_update": (
        Action.APPROVE_PROFILE_UPDATE,
        False,
        lambda c, w: c.decide_profile_update(1, ProfileUpdateDecision(approve=True)),
    ),
    # documents and announcements
    "search_documents": (
        Action.READ_DOCUMENTS,
        False,
        lambda c, w: c.search_documents(DocumentQuery(kind="review_evidence")),
    ),
    "publish_announcement": (
        Action.PUBLISH_ANNOUNCEMENTS,
        False,
        lambda c, w: c.publish_announcement(NewAnnouncement(title="Maintenance", body="Sunday.")),
    ),
    "current_announcements": (Action.OWN_ACCOUNT, False, lambda c, w: c.current_announcements()),
    "withdraw_announcement": (
        Action.PUBLISH_ANNOUNCEMENTS,
        False,
        lambda c, w: c.withdraw_announcement(w["announcement_id"]),
    ),
    "recent_items": (Action.OWN_ACCOUNT, False, lambda c, w: c.recent_items()),
    # admissions and referrals
    "save_admission_draft": (
        Action.NOTIFY_ADMISSIONS,
        True,
        lambda c, w: c.save_admission_draft(AdmissionDraft(tin=MAIN_TIN, admitting_npi=w["npi"])),
    ),
    "submit_admission": (
        Action.NOTIFY_ADMISSIONS,
        True,
        lambda c, w: c.submit_admission(w["admission_draft"]),
    ),
    "cancel_admission": (
        Action.NOTIFY_ADMISSIONS,
        True,
        lambda c, w: c.cancel_admission(w["admission_open"], "entered in error"),
    ),
    "get_admission": (
        Action.READ_ADMISSIONS,
        True,
        lambda c, w: c.get_admission(w["admission_open"]),
    ),
    "list_admissions": (
        Action.READ_ADMISSIONS,
        False,
        lambda c, w: c.list_admissions(AdmissionQuery()),
    ),
    "admission_review_queue": (
        Action.REVIEW_ADMISSIONS,
        False,
        lambda c, w: c.admission_review_queue(),
    ),
    "record_admission_review": (
        Action.REVIEW_ADMISSIONS,
        False,
        lambda c, w: c.record_admission_review(
            w["admission_open"],
            AdmissionDetermination(
                kind=ReviewKind.INITIAL,
                outcome=DeterminationOutcome.APPROVED,
                approved_days=3,
                next_review_date=w["now"].date() + timedelta(days=3),
            ),
        ),
    ),
    "discharge_admission": (
        Action.NOTIFY_ADMISSIONS,
        True,
        lambda c, w: c.discharge_admission(
            w["admission_open"],
            AdmissionDischarge(discharged_at=w["now"], disposition=DischargeDisposition.HOME),
        ),
    ),
    "create_referral": (
        Action.MANAGE_REFERRALS,
        True,
        lambda c, w: c.create_referral(
            NewReferral(
                tin=MAIN_TIN,
                member_id=w["member_id"],
                referring_npi=w["npi"],
                specialist_npi=w["specialist_npi"],
                diagnosis_codes=["M25.561"],
                visits_authorized=3,
                start_date=w["now"].date(),
            )
        ),
    ),
    "get_referral": (Action.READ_REFERRALS, True, lambda c, w: c.get_referral(w["referral"])),
    "list_referrals": (
        Action.READ_REFERRALS,
        False,
        lambda c, w: c.list_referrals(ReferralQuery()),
    ),
    "record_referral_visit": (
        Action.MANAGE_REFERRALS,
        True,
        lambda c, w: c.record_referral_visit(w["referral"]),
    ),
    "cancel_referral": (
        Action.MANAGE_REFERRALS,
        True,
        lambda c, w: c.cancel_referral(w["referral"], "member moved away"),
    ),
}

# Reviews are read by payer administrators too (they follow campaigns across TINs), but only the
# TIN's administrators and practice maintenance users decide.
READ_ONLY_FOR_PAYER_ADMIN = {"list_campaigns", "get_campaign", "review_items", "export_evidence"}
# Profile change requests are read by the TIN's administrators and by payer administrators,
# who approve them.
READ_ONLY_FOR_PAYER_ADMIN |= {"profile_update_requests", "get_profile_update"}


# Reviewers read only the members of their queue (a submitted preauthorization or admission names
# them) and open no PCP panel; the world's member is a panel member outside the queue.
# tests/security/test_payer_minimum_necessary.py reads a queue member.
OUTSIDE_REVIEWER_QUEUE = {"get_member", "care_plans", "export_care_plan", "pcp_panel"}
OUTSIDE_REVIEWER_QUEUE |= {"export_pcp_panel"}


def _code(code: str) -> Any:
    from portal_core.models.identity import RegistrationProof

    return RegistrationProof(registration_code=code)


def test_every_client_method_is_in_the_matrix() -> None:
    methods = set(PortalClient.__abstractmethods__)
    assert methods == set(METHOD_ACTIONS) | PUBLIC


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    path = tmp_path_factory.mktemp("matrix") / "demo.sqlite3"
    shutil.copyfile(migrated_template, path)
    db = Database(f"sqlite:///{path}")
    seed(db, Scale.SMALL, SettableClock(START))
    db.dispose()
    return path


def user_affiliations_table() -> Any:
    from portal_core.store.schema import user_affiliations

    return user_affiliations


def _world(db: Database, now: Any) -> dict[str, Any]:
    with db.read() as conn:
        ids = {
            row.username: row.id
            for row in conn.execute(select(users.c.username, users.c.id, users.c.status))
        }
        pending_id = conn.execute(
            select(user_roles.c.user_id).where(
                user_roles.c.tin == MAIN_TIN, user_roles.c.status == "pending"
            )
        ).scalar()
        campaign_id = conn.execute(
            select(review_campaigns.c.id).where(review_campaigns.c.tin == MAIN_TIN)
        ).scalar()
        item_id = conn.execute(
            select(review_items.c.id).where(review_items.c.campaign_id == campaign_id)
        ).scalar()
        document_id = conn.execute(
            select(documents.c.id)
            .where(documents.c.tin == MAIN_TIN, documents.c.kind == "eop")
            .order_by(documents.c.id)
        ).scalar()
        rivera = conn.execute(
            select(users.c.id).where(users.c.username == "dr.rivera")
        ).scalar_one()
        npi = conn.execute(
            select(provider_tins.c.npi)
            .join(user_affiliations_table(), provider_tins.c.npi == user_affiliations_table().c.npi)
            .where(user_affiliations_table().c.user_id == rivera)
        ).scalar_one()
        member = conn.execute(
            select(members.c.member_id, members.c.birth_date, care_plans.c.id)
            .join(pcp_assignments, pcp_assignments.c.member_id == members.c.member_id)
            .join(care_plans, care_plans.c.member_id == members.c.member_id)
            .where(
                pcp_assignments.c.npi == npi,
                pcp_assignments.c.end_date.is_(None),
                # tied to no other TIN, so another TIN's administrator must not see them
                ~exists().where(
                    claims.c.member_id == members.c.member_id, claims.c.tin != MAIN_TIN
                ),
            )
            .order_by(members.c.member_id)
        ).first()
        claim = conn.execute(
            select(claims.c.claim_number, payments.c.payment_number)
            .join(payments, payments.c.id == claims.c.payment_id)
            .where(claims.c.rendering_npi == npi, claims.c.tin == MAIN_TIN)
            .order_by(claims.c.id)
        ).first()
        denied = conn.execute(
            select(claims.c.claim_number)
            .where(
                claims.c.rendering_npi == npi,
                claims.c.status == "denied",
                claims.c.adjudicated_date >= (now - timedelta(days=60)).date(),
            )
            .order_by(claims.c.adjudicated_date.desc())
            .offset(5)
        ).scalar()
        inquiry_id = conn.execute(
            select(claim_inquiries.c.id).where(claim_inquiries.c.status == "open")
        ).scalar()
        appeal_id = conn.execute(
            select(claim_appeals.c.id).where(claim_appeals.c.status == "open")
        ).scalar()
        thread_ref = conn.execute(
            select(message_threads.c.reference)
            .where(message_threads.c.tin == MAIN_TIN, message_threads.c.status == "awaiting_payer")
            .order_by(message_threads.c.id)
        ).scalar()
        admissions_and_referrals = admissions_referrals_world(conn, npi)
        preauths = preauth_world(conn, npi)
        announcement_id = conn.execute(
            select(announcements.c.id).order_by(announcements.c.id)
        ).scalar()
    assert member and claim and denied and inquiry_id and appeal_id and thread_ref
    locked = [name for name in ids if name.startswith("locked")]
    assert locked and pending_id and campaign_id and document_id
    return {
        "staff_id": ids["staff.lakeside"],
        "locked_id": ids[locked[0]],
        "pending_id": pending_id,
        "campaign_id": campaign_id,
        "document_id": document_id,
        "item_id": item_id,
        "now": now,
        "npi": npi,
        "member_id": member.member_id,
        "birth_date": member.birth_date.isoformat(),
        "care_plan_id": member.id,
        "claim_number": claim.claim_number,
        "payment_number": claim.payment_number,
        "denied_claim": denied,
        "inquiry_id": inquiry_id,
        "appeal_id": appeal_id,
        "thread_ref": thread_ref,
        **admissions_and_referrals,
        **preauths,
        "announcement_id": announcement_id or 999999,
    }


def _expected_refusal(role: Role, method: str, principal: Any) -> bool:
    action, at_tin, _ = METHOD_ACTIONS[method]
    if role is Role.PAYER_ADMIN and method in READ_ONLY_FOR_PAYER_ADMIN:
        return False
    if role is Role.REVIEWER and method in OUTSIDE_REVIEWER_QUEUE:
        return True
    return not allowed(principal, action, MAIN_TIN if at_tin and not role.is_payer else None)


NOT_FOUND_FOR_EVERYONE = {"answer_admin_handover", "delete_claim_report"}
"""Methods called with an id nobody has, whose NotFound is the rule's answer, not a refusal."""


async def _attempt(
    client: PortalClient, services: Services, sign_in: Any, method: str, world: dict[str, Any]
) -> str:
    """Call `method` as the signed-in role; '' when the outcome is what the matrix says."""
    await client.sign_in(sign_in.username, DEMO_PASSWORD)
    principal = services.identity.resolve(client.token or "")
    refused = _expected_refusal(sign_in.role, method, principal)
    try:
        await METHOD_ACTIONS[method][2](client, world)
    except NotFound as error:
        if refused or method in NOT_FOUND_FOR_EVERYONE:
            return ""
        return f"{method}: refused (NotFound: {error})"
    except PermissionDenied as error:
        return "" if refused else f"{method}: refused (PermissionDenied: {error})"
    except PortalError:
        # Through the permission check; the rule itself said no (a conflict, bad input).
        pass
    return f"{method}: let through" if refused else ""


async def _closing(client: PortalClient, attempt: Awaitable[str]) -> str:
    try:
        return await attempt
    finally:
        await client.close()


def _client_for(kind: str, services: Services, apps: dict[str, Any]) -> PortalClient:
    """The client of `kind` over `services`: in process, or through one reused API app."""
    if kind == "local":
        return LocalClient(services)
    from in_process_api import remote_client
    from portal_core.api.app import create_app, use_services

    if "app" not in apps:
        apps["app"] = create_app(services)
    use_services(apps["app"], services)
    return remote_client(app=apps["app"])


@pytest.mark.parametrize("kind", ["local", "remote"])
@pytest.mark.parametrize("sign_in", DEMO_SIGN_INS, ids=lambda s: s.role.value)
def test_each_role_gets_exactly_what_the_matrix_allows(
    sign_in: Any, kind: str, demo_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "matrix.sqlite3"
    unexpected: list[str] = []
    apps: dict[str, Any] = {}
    for method in sorted(METHOD_ACTIONS):
        if kind == "remote" and method not in ROUTES_BY_METHOD:
            continue  # the API serves it once its area's routes exist
        # A fresh copy per call, so one call's change never decides the next one's outcome.
        shutil.copyfile(demo_template, path)
        db = Database(f"sqlite:///{path}")
        clock = SettableClock(START + timedelta(minutes=1))
        services = Services(db, clock)
        client = _client_for(kind, services, apps)
        world = _world(db, clock.now())

        outcome = asyncio.run(_closing(client, _attempt(client, services, sign_in, method, world)))
        db.dispose()
        if outcome:
            unexpected.append(outcome)
    assert unexpected == [], f"{sign_in.role.value}: {unexpected}"
