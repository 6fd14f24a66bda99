"""`LocalClient`: the services in-process over the embedded database, off the event loop.

Each call runs in a worker thread (`asyncio.to_thread`) so the TUI's event loop never waits on SQL
or a password hash. Calls for a signed-in user first resolve the session token to a `Principal`, so
idle and absolute expiry and revocation hold exactly as they do through the API.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from portal_core.client.base import PortalClient
from portal_core.errors import BackendUnavailable, PortalError, SessionExpired
from portal_core.models.admissions import (
    AdmissionDetail,
    AdmissionDetermination,
    AdmissionDischarge,
    AdmissionDraft,
    AdmissionQuery,
    AdmissionSummary,
)
from portal_core.models.announcements import Announcement, NewAnnouncement
from portal_core.models.audit import AuditEntry
from portal_core.models.claims import (
    AppealAnswer,
    ClaimAppeal,
    ClaimDetail,
    ClaimDocument,
    ClaimInquiry,
    ClaimReportDefinition,
    ClaimReportResult,
    ClaimSearch,
    ClaimSummary,
    DenialReasonGroup,
    DeniedQuery,
    InquiryAnswer,
    NewAppeal,
    NewInquiry,
    PaymentDetail,
    PaymentSearch,
    PaymentSummary,
    SavedClaimReport,
    UploadFile,
)
from portal_core.models.common import Page
from portal_core.models.documents import Document, DocumentQuery, DocumentSummary
from portal_core.models.identity import (
    Account,
    AccountSettings,
    AdminHandover,
    ConsolidationResult,
    LegacyMigration,
    Notification,
    OutboxMail,
    Principal,
    ProviderBrief,
    RecoveryCodes,
    Registration,
    RegistrationOutcome,
    RegistrationProof,
    Role,
    SignInResult,
    TotpEnrollment,
    UserBrief,
)
from portal_core.models.members import (
    CarePlan,
    EligibilityBatchItem,
    EligibilityQuery,
    EligibilityResult,
    MemberDetail,
    NetworkQuery,
    NetworkResult,
    PanelMember,
    PanelQuery,
    PlanSummary,
)
from portal_core.models.messages import (
    NewPost,
    NewThread,
    ThreadDetail,
    ThreadFilter,
    ThreadLookup,
    ThreadSummary,
)
from portal_core.models.preauth import (
    PreauthChange,
    PreauthCheckQuery,
    PreauthCheckResult,
    PreauthDecision,
    PreauthDetail,
    PreauthDraft,
    PreauthQuery,
    PreauthSummary,
    PreauthTemplate,
    PreauthTemplateSummary,
)
from portal_core.models.providers import (
    NewProfileUpdate,
    ProfileUpdateDecision,
    ProfileUpdateRequest,
    ProviderProfile,
    ProviderSearch,
    ProviderSummary,
)
from portal_core.models.recent_items import RecentItem
from portal_core.models.referrals import (
    NewReferral,
    ReferralDetail,
    ReferralQuery,
    ReferralSummary,
)
from portal_core.models.reviews import (
    BulkDecision,
    BulkDecisionPreview,
    CampaignSummary,
    ReviewItem,
    ReviewItemFilter,
    SignOffResult,
)
from portal_core.models.users import (
    ContactUpdate,
    NewUser,
    SignInEvent,
    UserDetail,
    UserFilter,
    UserSummary,
)
from portal_core.services import Services
from portal_core.services.audit import checkpoint_now

T = TypeVar("T")


class LocalClient(PortalClient):
    """The portal over an in-process `Services`."""

    def __init__(self, services: Services) -> None:
        self.services = services
        """The services this client runs."""
        self.token: str | None = None
        self.backend_label = f"local: {services.db.url.removeprefix('sqlite:///')}"

    async def _run(self, call: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(call)
        except OperationalError as error:
            raise BackendUnavailable("The database is not available right now.") from error

    async def _as_user(self, call: Callable[[Principal], T]) -> T:
        token = self.token
        if token is None:
            raise SessionExpired("You are signed out. Sign in again.")

        def resolved() -> T:
            return call(self.services.identity.resolve(token))

        return await self._run(resolved)

    def _keep_token(self, result: SignInResult) -> SignInResult:
        self.token = result.token
        return result

    # -- identity, no session needed ------------------------------------------------------------
    async def sign_in(
        self, username: str, password: str, totp_code: str | None = None
    ) -> SignInResult:
        identity = self.services.identity
        return self._keep_token(
            await self._run(lambda: identity.sign_in(username, password, totp_code))
        )

    async def register(self, registration: Registration) -> RegistrationOutcome:
        return await self._run(lambda: self.services.identity.register(registration))

    async def forgot_username(self, email: str) -> None:
        await self._run(lambda: self.services.identity.forgot_username(email))

    async def request_password_reset(self, username: str, email: str) -> None:
        await self._run(lambda: self.services.identity.request_password_reset(username, email))

    async def confirm_registration_email(self, username: str, code: str) -> None:
        proofs = self.services.email_proofs
        await self._run(lambda: proofs.confirm_registration_email(username, code))

    async def reset_password(self, token: str, new_password: str) -> None:
        await self._run(lambda: self.services.identity.reset_password(token, new_password))

    async def migrate_legacy_account(self, migration: LegacyMigration) -> SignInResult:
        identity = self.services.identity
        return self._keep_token(await self._run(lambda: identity.migrate_legacy_account(migration)))

    # -- identity, own account -------------------------------------------------------------------
    async def sign_out(self) -> None:
        if self.token is None:
            return
        try:
            await self._as_user(self.services.identity.sign_out)
        except SessionExpired:
            pass
        finally:
            self.token = None

    async def account(self) -> Account:
        return await self._as_user(self.services.identity.account)

    async def verify_password(self, password: str) -> None:
        await self._as_user(lambda p: self.services.identity.verify_password(p, password))

    async def change_password(self, current_password: str, new_password: str) -> None:
        identity = self.services.identity
        await self._as_user(lambda p: identity.change_password(p, current_password, new_password))

    async def begin_totp_enrollment(self) -> TotpEnrollment:
        return await self._as_user(self.services.identity.begin_totp_enrollment)

    async def confirm_totp_enrollment(self, code: str) -> RecoveryCodes:
        return await self._as_user(
            lambda p: self.services.identity.confirm_totp_enrollment(p, code)
        )

    async def remove_totp(self, password: str) -> None:
        await self._as_user(lambda p: self.services.identity.remove_totp(p, password))

    async def regenerate_recovery_codes(self, password: str) -> RecoveryCodes:
        return await self._as_user(
            lambda p: self.services.identity.regenerate_recovery_codes(p, password)
        )

    async def update_settings(self, changes: AccountSettings) -> Account:
        return await self._as_user(lambda p: self.services.identity.update_settings(p, changes))

    async def set_active_tin(self, tin: str) -> Account:
        return await self._as_user(lambda p: self.services.identity.set_active_tin(p, tin))

    async def register_additional_tin(
        self, tin: str, proof: RegistrationProof
    ) -> RegistrationOutcome:
        identity = self.services.identity
        return await self._as_user(lambda p: identity.register_additional_tin(p, tin, proof))

    async def consolidate_account(
        self, other_username: str, other_password: str
    ) -> ConsolidationResult:
        identity = self.services.identity
        return await self._as_user(
            lambda p: identity.consolidate_account(p, other_username, other_password)
        )

    async def administrators_of(self, tin: str) -> list[UserBrief]:
        return await self._as_user(lambda p: self.services.handovers.administrators_of(p, tin))

    async def offer_admin_handover(self, tin: str, to_user_id: int, my_new_role: Role) -> int:
        handovers = self.services.handovers
        return await self._as_user(
            lambda p: handovers.offer_admin_handover(p, tin, to_user_id, my_new_role)
        )

    async def pending_handovers(self) -> list[AdminHandover]:
        return await self._as_user(self.services.handovers.pending_handovers)

    async def answer_admin_handover(self, handover_id: int, accept: bool) -> None:
        handovers = self.services.handovers
        await self._as_user(lambda p: handovers.answer_admin_handover(p, handover_id, accept))

    async def start_break_glass(self, reason: str, minutes: int) -> Account:
        identity = self.services.identity
        return await self._as_user(lambda p: identity.start_break_glass(p, reason, minutes))

    async def notifications(self, unread_only: bool = False, limit: int = 50) -> list[Notification]:
        notifications = self.services.notifications
        return await self._as_user(lambda p: notifications.notifications(p, unread_only, limit))

    async def mark_notifications_read(self, ids: list[int]) -> None:
        await self._as_user(lambda p: self.services.notifications.mark_notifications_read(p, ids))

    async def request_email_change(self, email: str) -> None:
        await self._as_user(lambda p: self.services.email_proofs.request_email_change(p, email))

    async def confirm_email_change(self, code: str) -> None:
        await self._as_user(lambda p: self.services.email_proofs.confirm_email_change(p, code))

    async def outbox(self, limit: int = 50) -> list[OutboxMail]:
        return await self._as_user(lambda p: self.services.notifications.outbox(p, limit))

    # -- user management -------------------------------------------------------------------------
    async def list_users(
        self, filter: UserFilter, after: str | None = None, limit: int = 100
    ) -> Page[UserSummary]:
        return await self._as_user(
            lambda p: self.services.users.list_users(p, filter, after, limit)
        )

    async def get_user(self, user_id: int) -> UserDetail:
        return await self._as_user(lambda p: self.services.users.get_user(p, user_id))

    async def sign_in_history(self, user_id: int, limit: int = 20) -> list[SignInEvent]:
        return await self._as_user(lambda p: self.services.users.sign_in_history(p, user_id, limit))

    async def create_user(self, new_user: NewUser) -> UserDetail:
        return await self._as_user(lambda p: self.services.users.create_user(p, new_user))

    async def update_user_contact(self, user_id: int, changes: ContactUpdate) -> UserDetail:
        users = self.services.users
        return await self._as_user(lambda p: users.update_user_contact(p, user_id, changes))

    async def change_role(self, user_id: int, tin: str, role: Role) -> UserDetail:
        return await self._as_user(lambda p: self.services.users.change_role(p, user_id, tin, role))

    async def change_affiliations(self, user_id: int, tin: str, npis: list[str]) -> UserDetail:
        users = self.services.users
        return await self._as_user(lambda p: users.change_affiliations(p, user_id, tin, npis))

    async def approve_user(self, user_id: int, tin: str, role: Role, npis: list[str]) -> UserDetail:
        users = self.services.users
        return await self._as_user(lambda p: users.approve_user(p, user_id, tin, role, npis))

    async def reject_user(self, user_id: int, tin: str, reason: str) -> UserDetail:
        users = self.services.users
        return await self._as_user(lambda p: users.reject_user(p, user_id, tin, reason))

    async def send_password_reset(self, user_id: int) -> None:
        await self._as_user(lambda p: self.services.users.send_password_reset(p, user_id))

    async def unlock_user(self, user_id: int) -> UserDetail:
        return await self._as_user(lambda p: self.services.users.unlock_user(p, user_id))

    async def deactivate_user(self, user_id: int, tin: str | None, reason: str) -> UserDetail:
        users = self.services.users
        return await self._as_user(lambda p: users.deactivate_user(p, user_id, tin, reason))

    async def reactivate_user(self, user_id: int, tin: str | None) -> UserDetail:
        return await self._as_user(lambda p: self.services.users.reactivate_user(p, user_id, tin))

    async def tin_providers(self, tin: str) -> list[ProviderBrief]:
        return await self._as_user(lambda p: self.services.users.tin_providers(p, tin))

    # -- user reviews ----------------------------------------------------------------------------
    async def list_campaigns(self, tin: str | None = None) -> list[CampaignSummary]:
        return await self._as_user(lambda p: self.services.reviews.list_campaigns(p, tin))

    async def open_campaign(self, tin: str) -> CampaignSummary:
        return await self._as_user(lambda p: self.services.reviews.open_campaign(p, tin))

    async def get_campaign(self, campaign_id: int) -> CampaignSummary:
        return await self._as_user(lambda p: self.services.reviews.get_campaign(p, campaign_id))

    async def review_items(
        self,
        campaign_id: int,
        filter: ReviewItemFilter | None = None,
        after: str | None = None,
        limit: int = 200,
    ) -> Page[ReviewItem]:
        reviews = self.services.reviews
        return await self._as_user(
            lambda p: reviews.review_items(p, campaign_id, filter, after, limit)
        )

    async def preview_decision(self, campaign_id: int, bulk: BulkDecision) -> BulkDecisionPreview:
        reviews = self.services.reviews
        return await self._as_user(lambda p: reviews.preview_decision(p, campaign_id, bulk))

    async def decide(self, campaign_id: int, bulk: BulkDecision) -> int:
        return await self._as_user(lambda p: self.services.reviews.decide(p, campaign_id, bulk))

    async def sign_off(self, campaign_id: int) -> SignOffResult:
        return await self._as_user(lambda p: self.services.reviews.sign_off(p, campaign_id))

    async def export_evidence(self, campaign_id: int, format: str = "csv") -> bytes:
        reviews = self.services.reviews
        return await self._as_user(lambda p: reviews.export_evidence(p, campaign_id, format))

    async def overdue_campaigns(self) -> list[CampaignSummary]:
        return await self._as_user(self.services.reviews.overdue_campaigns)

    async def reassign_targets(self, campaign_id: int) -> list[UserBrief]:
        reviews = self.services.reviews
        return await self._as_user(lambda p: reviews.reassign_targets(p, campaign_id))

    # -- documents and audit ---------------------------------------------------------------------
    async def list_documents(
        self,
        kind: str | None = None,
        tin: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[DocumentSummary]:
        documents = self.services.documents
        return await self._as_user(lambda p: documents.list_documents(p, kind, tin, after, limit))

    async def get_document(self, document_id: int) -> Document:
        return await self._as_user(lambda p: self.services.documents.get_document(p, document_id))

    async def audit_member_access(
        self, member_id: str, after: str | None = None
    ) -> Page[AuditEntry]:
        return await self._as_user(lambda p: self.services.audit.member_access(p, member_id, after))

    async def audit_user_activity(self, user_id: int, after: str | None = None) -> Page[AuditEntry]:
        return await self._as_user(lambda p: self.services.audit.user_activity(p, user_id, after))

    async def audit_failed_sign_ins(
        self, since: datetime, after: str | None = None
    ) -> Page[AuditEntry]:
        return await self._as_user(lambda p: self.services.audit.failed_sign_ins(p, since, after))

    # -- members ---------------------------------------------------------------------------------
    async def check_eligibility(self, query: EligibilityQuery) -> EligibilityResult:
        return await self._as_user(lambda p: self.services.members.check_eligibility(p, query))

    async def check_eligibility_batch(
        self, queries: list[EligibilityQuery]
    ) -> list[EligibilityBatchItem]:
        members = self.services.members
        return await self._as_user(lambda p: members.check_eligibility_batch(p, queries))

    async def get_member(self, member_id: str) -> MemberDetail:
        return await self._as_user(lambda p: self.services.members.get_member(p, member_id))

    async def list_plans(self) -> list[PlanSummary]:
        return await self._as_user(self.services.members.list_plans)

    async def check_network(self, query: NetworkQuery) -> NetworkResult:
        return await self._as_user(lambda p: self.services.members.check_network(p, query))

    async def pcp_panel(
        self, query: PanelQuery, after: str | None = None, limit: int = 100
    ) -> Page[PanelMember]:
        members = self.services.members
        return await self._as_user(lambda p: members.pcp_panel(p, query, after, limit))

    async def export_pcp_panel(self, query: PanelQuery) -> bytes:
        return await self._as_user(lambda p: self.services.members.export_pcp_panel(p, query))

    async def care_plans(self, member_id: str) -> list[CarePlan]:
        return await self._as_user(lambda p: self.services.members.care_plans(p, member_id))

    async def export_care_plan(self, care_plan_id: int) -> bytes:
        members = self.services.members
        return await self._as_user(lambda p: members.export_care_plan(p, care_plan_id))

    # -- claims and payments ---------------------------------------------------------------------
    async def search_claims(
        self, search: ClaimSearch, after: str | None = None, limit: int = 100
    ) -> Page[ClaimSummary]:
        claims = self.services.claims
        return await self._as_user(lambda p: claims.search_claims(p, search, after, limit))

    async def get_claim(self, claim_number: str) -> ClaimDetail:
        return await self._as_user(lambda p: self.services.claims.get_claim(p, claim_number))

    async def search_payments(
        self, search: PaymentSearch, after: str | None = None, limit: int = 100
    ) -> Page[PaymentSummary]:
        payments = self.services.payments
        return await self._as_user(lambda p: payments.search_payments(p, search, after, limit))

    async def get_payment(self, payment_number: str) -> PaymentDetail:
        return await self._as_user(lambda p: self.services.payments.get_payment(p, payment_number))

    async def export_payment(self, payment_number: str) -> bytes:
        payments = self.services.payments
        return await self._as_user(lambda p: payments.export_payment(p, payment_number))

    async def denied_worklist(self, query: DeniedQuery) -> list[DenialReasonGroup]:
        return await self._as_user(lambda p: self.services.claims.denied_worklist(p, query))

    async def denied_claims(
        self, query: DeniedQuery, after: str | None = None, limit: int = 100
    ) -> Page[ClaimSummary]:
        claims = self.services.claims
        return await self._as_user(lambda p: claims.denied_claims(p, query, after, limit))

    async def submit_claim_documents(
        self, claim_number: str, files: list[UploadFile]
    ) -> list[ClaimDocument]:
        claims = self.services.claims
        return await self._as_user(lambda p: claims.submit_claim_documents(p, claim_number, files))

    async def claim_documents(self, claim_number: str) -> list[ClaimDocument]:
        claims = self.services.claims
        return await self._as_user(lambda p: claims.claim_documents(p, claim_number))

    async def file_inquiry(self, claim_number: str, inquiry: NewInquiry) -> ClaimInquiry:
        claim_requests = self.services.claim_requests
        return await self._as_user(lambda p: claim_requests.file_inquiry(p, claim_number, inquiry))

    async def claim_inquiries(self, claim_number: str) -> list[ClaimInquiry]:
        claim_requests = self.services.claim_requests
        return await self._as_user(lambda p: claim_requests.claim_inquiries(p, claim_number))

    async def open_inquiries(
        self, after: str | None = None, limit: int = 100
    ) -> Page[ClaimInquiry]:
        claim_requests = self.services.claim_requests
        return await self._as_user(lambda p: claim_requests.open_inquiries(p, after, limit))

    async def answer_inquiry(self, inquiry_id: int, answer: InquiryAnswer) -> ClaimInquiry:
        claim_requests = self.services.claim_requests
        return await self._as_user(lambda p: claim_requests.answer_inquiry(p, inquiry_id, answer))

    async def file_appeal(self, claim_number: str, appeal: NewAppeal) -> ClaimAppeal:
        claim_requests = self.services.claim_requests
        return await self._as_user(lambda p: claim_requests.file_appeal(p, claim_number, appeal))

    async def claim_appeals(self, claim_number: str) -> list[ClaimAppeal]:
        claim_requests = self.services.claim_requests
        return await self._as_user(lambda p: claim_requests.claim_appeals(p, claim_number))

    async def open_appeals(self, after: str | None = None, limit: int = 100) -> Page[ClaimAppeal]:
        claim_requests = self.services.claim_requests
        return await self._as_user(lambda p: claim_requests.open_appeals(p, after, limit))

    async def answer_appeal(self, appeal_id: int, answer: AppealAnswer) -> ClaimAppeal:
        claim_requests = self.services.claim_requests
        return await self._as_user(lambda p: claim_requests.answer_appeal(p, appeal_id, answer))

    async def save_claim_report(self, definition: ClaimReportDefinition) -> SavedClaimReport:
        claim_reports = self.services.claim_reports
        return await self._as_user(lambda p: claim_reports.save_claim_report(p, definition))

    async def list_claim_reports(self) -> list[SavedClaimReport]:
        return await self._as_user(self.services.claim_reports.list_claim_reports)

    async def delete_claim_report(self, report_id: int) -> None:
        claim_reports = self.services.claim_reports
        await self._as_user(lambda p: claim_reports.delete_claim_report(p, report_id))

    async def run_claim_report(self, definition: ClaimReportDefinition) -> ClaimReportResult:
        claim_reports = self.services.claim_reports
        return await self._as_user(lambda p: claim_reports.run_claim_report(p, definition))

    async def export_claim_report(self, definition: ClaimReportDefinition) -> bytes:
        claim_reports = self.services.claim_reports
        return await self._as_user(lambda p: claim_reports.export_claim_report(p, definition))

    async def send_message(self, thread: NewThread) -> ThreadDetail:
        messages = self.services.messages
        return await self._as_user(lambda p: messages.send_message(p, thread))

    async def reply_to_thread(self, reference: str, post: NewPost) -> ThreadDetail:
        messages = self.services.messages
        return await self._as_user(lambda p: messages.reply_to_thread(p, reference, post))

    async def close_thread(self, reference: str) -> ThreadDetail:
        messages = self.services.messages
        return await self._as_user(lambda p: messages.close_thread(p, reference))

    async def get_thread(self, reference: str) -> ThreadDetail:
        messages = self.services.messages
        return await self._as_user(lambda p: messages.get_thread(p, reference))

    async def list_threads(
        self, query: ThreadFilter, after: str | None = None, limit: int = 50
    ) -> Page[ThreadSummary]:
        messages = self.services.messages
        return await self._as_user(lambda p: messages.list_threads(p, query, after, limit))

    async def unread_thread_count(self) -> int:
        return await self._as_user(self.services.messages.unread_thread_count)

    async def message_queue(self, after: str | None = None, limit: int = 50) -> Page[ThreadSummary]:
        messages = self.services.messages
        return await self._as_user(lambda p: messages.message_queue(p, after, limit))

    async def lookup_thread(self, reference: str) -> ThreadLookup:
        messages = self.services.messages
        return await self._as_user(lambda p: messages.lookup_thread(p, reference))

    # -- preauthorization (section owned by the preauthorization work)
    async def preauth_templates(self, search: str = "") -> list[PreauthTemplateSummary]:
        return await self._as_user(lambda p: self.services.preauth.preauth_templates(p, search))

    async def get_preauth_template(self, template_id: str) -> PreauthTemplate:
        preauth = self.services.preauth
        return await self._as_user(lambda p: preauth.get_preauth_template(p, template_id))

    async def save_preauth_template(self, template: PreauthTemplate) -> PreauthTemplate:
        preauth = self.services.preauth
        return await self._as_user(lambda p: preauth.save_preauth_template(p, template))

    async def set_preauth_template_active(
        self, template_id: str, active: bool
    ) -> PreauthTemplateSummary:
        preauth = self.services.preauth
        return await self._as_user(
            lambda p: preauth.set_preauth_template_active(p, template_id, active)
        )

    async def check_preauth(self, query: PreauthCheckQuery) -> PreauthCheckResult:
        return await self._as_user(lambda p: self.services.preauth.check_preauth(p, query))

    async def save_preauth_draft(self, draft: PreauthDraft) -> PreauthDetail:
        return await self._as_user(lambda p: self.services.preauth.save_preauth_draft(p, draft))

    async def submit_preauth(self, number: str) -> PreauthDetail:
        return await self._as_user(lambda p: self.services.preauth.submit_preauth(p, number))

    async def modify_preauth(self, number: str, change: PreauthChange) -> PreauthDetail:
        preauth = self.services.preauth
        return await self._as_user(lambda p: preauth.modify_preauth(p, number, change))

    async def cancel_preauth(self, number: str, reason: str) -> PreauthDetail:
        preauth = self.services.preauth
        return await self._as_user(lambda p: preauth.cancel_preauth(p, number, reason))

    async def withdraw_preauth(self, number: str, reason: str) -> PreauthDetail:
        preauth = self.services.preauth
        return await self._as_user(lambda p: preauth.withdraw_preauth(p, number, reason))

    async def attach_preauth_files(self, number: str, files: list[UploadFile]) -> PreauthDetail:
        preauth = self.services.preauth
        return await self._as_user(lambda p: preauth.attach_preauth_files(p, number, files))

    async def get_preauth(self, number: str) -> PreauthDetail:
        return await self._as_user(lambda p: self.services.preauth.get_preauth(p, number))

    async def list_preauths(
        self, query: PreauthQuery, after: str | None = None, limit: int = 50
    ) -> Page[PreauthSummary]:
        preauth = self.services.preauth
        return await self._as_user(lambda p: preauth.list_preauths(p, query, after, limit))

    async def preauth_queue(
        self, after: str | None = None, limit: int = 50
    ) -> Page[PreauthSummary]:
        preauth = self.services.preauth
        return await self._as_user(lambda p: preauth.preauth_queue(p, after, limit))

    async def decide_preauth(self, number: str, decision: PreauthDecision) -> PreauthDetail:
        preauth = self.services.preauth
        return await self._as_user(lambda p: preauth.decide_preauth(p, number, decision))

    # -- admissions and referrals (section owned by the admissions and referrals work)
    async def save_admission_draft(self, draft: AdmissionDraft) -> AdmissionDetail:
        admissions = self.services.admissions
        return await self._as_user(lambda p: admissions.save_admission_draft(p, draft))

    async def submit_admission(self, number: str) -> AdmissionDetail:
        admissions = self.services.admissions
        return await self._as_user(lambda p: admissions.submit_admission(p, number))

    async def cancel_admission(self, number: str, reason: str) -> AdmissionDetail:
        admissions = self.services.admissions
        return await self._as_user(lambda p: admissions.cancel_admission(p, number, reason))

    async def get_admission(self, number: str) -> AdmissionDetail:
        admissions = self.services.admissions
        return await self._as_user(lambda p: admissions.get_admission(p, number))

    async def list_admissions(
        self, query: AdmissionQuery, after: str | None = None, limit: int = 50
    ) -> Page[AdmissionSummary]:
        admissions = self.services.admissions
        return await self._as_user(lambda p: admissions.list_admissions(p, query, after, limit))

    async def admission_review_queue(
        self, after: str | None = None, limit: int = 50
    ) -> Page[AdmissionSummary]:
        admissions = self.services.admissions
        return await self._as_user(lambda p: admissions.admission_review_queue(p, after, limit))

    async def record_admission_review(
        self, number: str, determination: AdmissionDetermination
    ) -> AdmissionDetail:
        admissions = self.services.admissions
        return await self._as_user(
            lambda p: admissions.record_admission_review(p, number, determination)
        )

    async def discharge_admission(
        self, number: str, discharge: AdmissionDischarge
    ) -> AdmissionDetail:
        admissions = self.services.admissions
        return await self._as_user(lambda p: admissions.discharge_admission(p, number, discharge))

    async def create_referral(self, referral: NewReferral) -> ReferralDetail:
        referrals = self.services.referrals
        return await self._as_user(lambda p: referrals.create_referral(p, referral))

    async def get_referral(self, number: str) -> ReferralDetail:
        referrals = self.services.referrals
        return await self._as_user(lambda p: referrals.get_referral(p, number))

    async def list_referrals(
        self, query: ReferralQuery, after: str | None = None, limit: int = 50
    ) -> Page[ReferralSummary]:
        referrals = self.services.referrals
        return await self._as_user(lambda p: referrals.list_referrals(p, query, after, limit))

    async def record_referral_visit(self, number: str) -> ReferralDetail:
        referrals = self.services.referrals
        return await self._as_user(lambda p: referrals.record_referral_visit(p, number))

    async def cancel_referral(self, number: str, reason: str) -> ReferralDetail:
        referrals = self.services.referrals
        return await self._as_user(lambda p: referrals.cancel_referral(p, number, reason))

    # -- provider profiles (section owned by the provider profiles work)
    async def search_providers(
        self, query: ProviderSearch, after: str | None = None, limit: int = 50
    ) -> Page[ProviderSummary]:
        providers = self.services.providers
        return await self._as_user(lambda p: providers.search_providers(p, query, after, limit))

    async def get_provider(self, npi: str) -> ProviderProfile:
        providers = self.services.providers
        return await self._as_user(lambda p: providers.get_provider(p, npi))

    async def request_profile_update(self, request: NewProfileUpdate) -> ProfileUpdateRequest:
        providers = self.services.providers
        return await self._as_user(lambda p: providers.request_profile_update(p, request))

    async def profile_update_requests(
        self, status: str | None = None, after: str | None = None, limit: int = 50
    ) -> Page[ProfileUpdateRequest]:
        providers = self.services.providers
        return await self._as_user(
            lambda p: providers.profile_update_requests(p, status, after, limit)
        )

    async def get_profile_update(self, request_id: int) -> ProfileUpdateRequest:
        providers = self.services.providers
        return await self._as_user(lambda p: providers.get_profile_update(p, request_id))

    async def decide_profile_update(
        self, request_id: int, decision: ProfileUpdateDecision
    ) -> ProfileUpdateRequest:
        providers = self.services.providers
        return await self._as_user(
            lambda p: providers.decide_profile_update(p, request_id, decision)
        )

    # -- documents and announcements (section owned by the documents and announcements work)
    async def search_documents(
        self, query: DocumentQuery, after: str | None = None, limit: int = 100
    ) -> Page[DocumentSummary]:
        documents = self.services.documents
        return await self._as_user(lambda p: documents.search_documents(p, query, after, limit))

    async def publish_announcement(self, announcement: NewAnnouncement) -> Announcement:
        service = self.services.announcements
        return await self._as_user(lambda p: service.publish_announcement(p, announcement))

    async def current_announcements(self) -> list[Announcement]:
        return await self._as_user(self.services.announcements.current_announcements)

    async def withdraw_announcement(self, announcement_id: int) -> None:
        service = self.services.announcements
        await self._as_user(lambda p: service.withdraw_announcement(p, announcement_id))

    async def recent_items(self, limit: int = 10) -> list[RecentItem]:
        return await self._as_user(lambda p: self.services.audit.recent_items(p, limit))

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        """Seal the audit log as this process leaves it (as `portal serve` does at stop), then
        let the database go."""
        # A closing app never fails on it: `portal audit checkpoint` can seal the log later.
        with contextlib.suppress(PortalError, SQLAlchemyError, OSError):
            checkpoint_now(self.services.db, self.services.clock.now(), unless_sealed=True)
        self.services.db.dispose()
