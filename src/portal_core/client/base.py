"""`PortalClient`: the async interface the TUI and CLI see, implemented by `LocalClient` (services
in-process, off the event loop) and `RemoteClient` (HTTP to `portal serve`).

Every method raises only `PortalError` subclasses. A signed-in client holds its session token;
methods that act for a user raise `SessionExpired` once the session's idle or absolute limit has
passed.
Service methods carry the same names and arguments, with the acting principal first.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime

from portal_core.errors import BackendUnavailable
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


class PortalClient(ABC):
    """The portal as the TUI sees it."""

    backend_label: str = ""
    """What the status bar shows: `local: /path/portal.sqlite3` or `remote: https://…`."""

    token: str | None = None
    """The session token once signed in."""

    on_reachability: Callable[[BackendUnavailable | None], None] | None = None
    """Told after each call whether the backend answered (None) or could not be reached (the
    error), in the caller's task; the TUI shows its "cannot reach the server" state from it."""

    # -- identity, no session needed ------------------------------------------------------------
    @abstractmethod
    async def sign_in(
        self, username: str, password: str, totp_code: str | None = None
    ) -> SignInResult:
        """Start a session. Raises `AuthenticationFailed` (same words for unknown user and wrong
        password), `SecondFactorRequired` when a TOTP code is needed, `MigrationRequired` for an
        old-portal account."""

    @abstractmethod
    async def register(self, registration: Registration) -> RegistrationOutcome:
        """Register a new user for a TIN with proof of the relationship."""

    @abstractmethod
    async def forgot_username(self, email: str) -> None:
        """Mail the usernames registered to `email` (the same answer whether or not it is known)."""

    @abstractmethod
    async def request_password_reset(self, username: str, email: str) -> None:
        """Mail a single-use reset token valid 30 minutes (the same answer whatever the input)."""

    @abstractmethod
    async def confirm_registration_email(self, username: str, code: str) -> None:
        """Prove the address registered with: the code mailed to it (before signing in)."""

    @abstractmethod
    async def reset_password(self, token: str, new_password: str) -> None:
        """Set a new password with a mailed token; ends all of the user's sessions."""

    @abstractmethod
    async def migrate_legacy_account(self, migration: LegacyMigration) -> SignInResult:
        """First sign-in of an old-portal account: new username, password and email; signs in."""

    # -- identity, own account -------------------------------------------------------------------
    @abstractmethod
    async def sign_out(self) -> None:
        """End the session (idempotent)."""

    @abstractmethod
    async def account(self) -> Account:
        """The signed-in user's account; also proves the session is alive."""

    @abstractmethod
    async def verify_password(self, password: str) -> None:
        """Unlock the idle-locked screen: checks the password and keeps the session alive."""

    @abstractmethod
    async def change_password(self, current_password: str, new_password: str) -> None:
        """Change the password; other sessions end."""

    @abstractmethod
    async def begin_totp_enrollment(self) -> TotpEnrollment:
        """A new TOTP secret to add to an authenticator app."""

    @abstractmethod
    async def confirm_totp_enrollment(self, code: str) -> RecoveryCodes:
        """Turn TOTP on with a code from the app; answers its recovery codes (shown once)."""

    @abstractmethod
    async def remove_totp(self, password: str) -> None:
        """Turn TOTP off (needs the password; refused while the password is under 15 characters)."""

    @abstractmethod
    async def regenerate_recovery_codes(self, password: str) -> RecoveryCodes:
        """A new set of recovery codes (needs the password); the old set stops working."""

    @abstractmethod
    async def update_settings(self, changes: AccountSettings) -> Account:
        """Change own name, phone, default TIN, theme or notification choices."""

    @abstractmethod
    async def set_active_tin(self, tin: str) -> Account:
        """Work as the user's role at `tin` for the rest of the session."""

    @abstractmethod
    async def register_additional_tin(
        self, tin: str, proof: RegistrationProof
    ) -> RegistrationOutcome:
        """Ask for a role at another TIN with the same proof as registration."""

    @abstractmethod
    async def consolidate_account(
        self, other_username: str, other_password: str
    ) -> ConsolidationResult:
        """Move another account (same email, proven by its password) into this one."""

    @abstractmethod
    async def administrators_of(self, tin: str) -> list[UserBrief]:
        """Who manages access at `tin` ("who manages my access?")."""

    @abstractmethod
    async def offer_admin_handover(self, tin: str, to_user_id: int, my_new_role: Role) -> int:
        """Offer the administrator role at `tin` to another active user; returns the offer id."""

    @abstractmethod
    async def pending_handovers(self) -> list[AdminHandover]:
        """Handover offers made to or by the signed-in user that await an answer."""

    @abstractmethod
    async def answer_admin_handover(self, handover_id: int, accept: bool) -> None:
        """Accept or decline an offer made to the signed-in user."""

    @abstractmethod
    async def start_break_glass(self, reason: str, minutes: int) -> Account:
        """Open a time-boxed emergency read window (break_glass role only; reason required)."""

    @abstractmethod
    async def notifications(self, unread_only: bool = False, limit: int = 50) -> list[Notification]:
        """The signed-in user's notifications, newest first."""

    @abstractmethod
    async def mark_notifications_read(self, ids: list[int]) -> None:
        """Mark notifications read."""

    @abstractmethod
    async def request_email_change(self, email: str) -> None:
        """Mail a code to a new address (the old one is told); it is used once the code is in."""

    @abstractmethod
    async def confirm_email_change(self, code: str) -> None:
        """Enter the code mailed to the pending address: it becomes the account's address."""

    @abstractmethod
    async def outbox(self, limit: int = 50) -> list[OutboxMail]:
        """Mail sent to the signed-in user's proven address (found by account, not address)."""

    # -- user management -------------------------------------------------------------------------
    @abstractmethod
    async def list_users(
        self, filter: UserFilter, after: str | None = None, limit: int = 100
    ) -> Page[UserSummary]:
        """Users of a TIN (or payer staff), keyset-paged by username."""

    @abstractmethod
    async def get_user(self, user_id: int) -> UserDetail:
        """One user within the actor's scope."""

    @abstractmethod
    async def sign_in_history(self, user_id: int, limit: int = 20) -> list[SignInEvent]:
        """A user's last sign-ins and failed or refused attempts, newest first (audited)."""

    @abstractmethod
    async def create_user(self, new_user: NewUser) -> UserDetail:
        """Create a user; they are mailed a link to set their password."""

    @abstractmethod
    async def update_user_contact(self, user_id: int, changes: ContactUpdate) -> UserDetail:
        """Edit a user's name, email or phone."""

    @abstractmethod
    async def change_role(self, user_id: int, tin: str, role: Role) -> UserDetail:
        """Change a user's role at a TIN (the last active administrator is kept)."""

    @abstractmethod
    async def change_affiliations(self, user_id: int, tin: str, npis: list[str]) -> UserDetail:
        """Set the providers a user is affiliated with at a TIN."""

    @abstractmethod
    async def approve_user(self, user_id: int, tin: str, role: Role, npis: list[str]) -> UserDetail:
        """Approve a pending registrant with a role and affiliations."""

    @abstractmethod
    async def reject_user(self, user_id: int, tin: str, reason: str) -> UserDetail:
        """Refuse a pending registrant."""

    @abstractmethod
    async def send_password_reset(self, user_id: int) -> None:
        """Mail the user a reset token (admins never see or choose a password)."""

    @abstractmethod
    async def unlock_user(self, user_id: int) -> UserDetail:
        """Clear a lock after too many failed sign-ins."""

    @abstractmethod
    async def deactivate_user(self, user_id: int, tin: str | None, reason: str) -> UserDetail:
        """Remove a user's access at a TIN (or entirely for payer staff); ends their sessions."""

    @abstractmethod
    async def reactivate_user(self, user_id: int, tin: str | None) -> UserDetail:
        """Give a deactivated user their access back."""

    @abstractmethod
    async def tin_providers(self, tin: str) -> list[ProviderBrief]:
        """Providers affiliated with a TIN (for affiliation pickers)."""

    # -- user reviews ----------------------------------------------------------------------------
    @abstractmethod
    async def list_campaigns(self, tin: str | None = None) -> list[CampaignSummary]:
        """Review campaigns of the actor's TINs (or of `tin`), newest first."""

    @abstractmethod
    async def open_campaign(self, tin: str) -> CampaignSummary:
        """Open a review of every active user of `tin`, due in 30 days."""

    @abstractmethod
    async def get_campaign(self, campaign_id: int) -> CampaignSummary:
        """One campaign with its progress."""

    @abstractmethod
    async def review_items(
        self,
        campaign_id: int,
        filter: ReviewItemFilter | None = None,
        after: str | None = None,
        limit: int = 200,
    ) -> Page[ReviewItem]:
        """Items of a campaign, keyset-paged; `total` counts the filter's matches."""

    @abstractmethod
    async def preview_decision(self, campaign_id: int, bulk: BulkDecision) -> BulkDecisionPreview:
        """How many items a bulk decision would set and what the decided ones hold, deciding
        nothing."""

    @abstractmethod
    async def decide(self, campaign_id: int, bulk: BulkDecision) -> int:
        """Record a decision over selected items or a filter (undecided items only, unless
        `overwrite`); returns how many items it set."""

    @abstractmethod
    async def sign_off(self, campaign_id: int) -> SignOffResult:
        """Apply every decision in one transaction and file the evidence report."""

    @abstractmethod
    async def export_evidence(self, campaign_id: int, format: str = "csv") -> bytes:
        """The evidence report as CSV (`csv`) or a text document (`text`)."""

    @abstractmethod
    async def overdue_campaigns(self) -> list[CampaignSummary]:
        """Open campaigns past their due date, across TINs (payer administrators)."""

    @abstractmethod
    async def reassign_targets(self, campaign_id: int) -> list[UserBrief]:
        """Users who may decide a campaign's items (for `reassign`)."""

    # -- documents and audit ---------------------------------------------------------------------
    @abstractmethod
    async def list_documents(
        self,
        kind: str | None = None,
        tin: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[DocumentSummary]:
        """Documents the actor may see, newest first."""

    @abstractmethod
    async def get_document(self, document_id: int) -> Document:
        """One document with its content (the read is audited)."""

    @abstractmethod
    async def audit_member_access(
        self, member_id: str, after: str | None = None
    ) -> Page[AuditEntry]:
        """Who accessed a member's records."""

    @abstractmethod
    async def audit_user_activity(self, user_id: int, after: str | None = None) -> Page[AuditEntry]:
        """What a user did."""

    @abstractmethod
    async def audit_failed_sign_ins(
        self, since: datetime, after: str | None = None
    ) -> Page[AuditEntry]:
        """Failed sign-ins since a time."""

    # -- members ---------------------------------------------------------------------------------
    @abstractmethod
    async def check_eligibility(self, query: EligibilityQuery) -> EligibilityResult:
        """Eligibility on a date of service from member ID + DOB or names + DOB (audited);
        `NotFound` when nothing matches."""

    @abstractmethod
    async def check_eligibility_batch(
        self, queries: list[EligibilityQuery]
    ) -> list[EligibilityBatchItem]:
        """Up to 50 lookups; each line carries its result or its own error message."""

    @abstractmethod
    async def get_member(self, member_id: str) -> MemberDetail:
        """A member tied to the user's providers: coverage, PCPs, cost sharing (audited)."""

    @abstractmethod
    async def list_plans(self) -> list[PlanSummary]:
        """The payer's plans with cost sharing (for the in-network check's picker)."""

    @abstractmethod
    async def check_network(self, query: NetworkQuery) -> NetworkResult:
        """Whether a provider is in network for a plan on a date, and why."""

    @abstractmethod
    async def pcp_panel(
        self, query: PanelQuery, after: str | None = None, limit: int = 100
    ) -> Page[PanelMember]:
        """Members assigned to a PCP on a date with their eligibility, by member ID."""

    @abstractmethod
    async def export_pcp_panel(self, query: PanelQuery) -> bytes:
        """The PCP panel as CSV (up to 10,000 members)."""

    @abstractmethod
    async def care_plans(self, member_id: str) -> list[CarePlan]:
        """A member's care plans (not for billing users)."""

    @abstractmethod
    async def export_care_plan(self, care_plan_id: int) -> bytes:
        """A care plan as a text document to save or print."""

    # -- claims and payments ---------------------------------------------------------------------
    @abstractmethod
    async def search_claims(
        self, search: ClaimSearch, after: str | None = None, limit: int = 100
    ) -> Page[ClaimSummary]:
        """Claims by number, member + dates, TIN or NPI + status + dates, or payment number;
        newest service first, keyset-paged."""

    @abstractmethod
    async def get_claim(self, claim_number: str) -> ClaimDetail:
        """A claim with lines, decoded adjustments and remarks, and the next step if denied."""

    @abstractmethod
    async def search_payments(
        self, search: PaymentSearch, after: str | None = None, limit: int = 100
    ) -> Page[PaymentSummary]:
        """Payments (EOPs) by number, or by TIN and payment dates, newest first."""

    @abstractmethod
    async def get_payment(self, payment_number: str) -> PaymentDetail:
        """An EOP with its claims and their line detail."""

    @abstractmethod
    async def export_payment(self, payment_number: str) -> bytes:
        """An EOP as a text document to save."""

    @abstractmethod
    async def denied_worklist(self, query: DeniedQuery) -> list[DenialReasonGroup]:
        """Denials of the last days grouped by reason code, with the next step for each."""

    @abstractmethod
    async def denied_claims(
        self, query: DeniedQuery, after: str | None = None, limit: int = 100
    ) -> Page[ClaimSummary]:
        """The worklist's claims (of one reason when `query.carc` is set)."""

    @abstractmethod
    async def submit_claim_documents(
        self, claim_number: str, files: list[UploadFile]
    ) -> list[ClaimDocument]:
        """Attach up to 5 files (25 MB each; PDF, TIFF, PNG, JPEG, text); one bad file refuses
        them all. Returns every document now on the claim."""

    @abstractmethod
    async def claim_documents(self, claim_number: str) -> list[ClaimDocument]:
        """Documents attached to a claim."""

    @abstractmethod
    async def file_inquiry(self, claim_number: str, inquiry: NewInquiry) -> ClaimInquiry:
        """Ask the payer to reconsider a claim."""

    @abstractmethod
    async def claim_inquiries(self, claim_number: str) -> list[ClaimInquiry]:
        """A claim's inquiries with the payer's answers."""

    @abstractmethod
    async def open_inquiries(
        self, after: str | None = None, limit: int = 100
    ) -> Page[ClaimInquiry]:
        """Customer service's queue of unanswered inquiries, oldest first."""

    @abstractmethod
    async def answer_inquiry(self, inquiry_id: int, answer: InquiryAnswer) -> ClaimInquiry:
        """Record the payer's answer to an inquiry (customer service)."""

    @abstractmethod
    async def file_appeal(self, claim_number: str, appeal: NewAppeal) -> ClaimAppeal:
        """A grievance or appeal within 180 days of the denial, one open at a time per claim."""

    @abstractmethod
    async def claim_appeals(self, claim_number: str) -> list[ClaimAppeal]:
        """A claim's grievances and appeals with the payer's decisions."""

    @abstractmethod
    async def open_appeals(self, after: str | None = None, limit: int = 100) -> Page[ClaimAppeal]:
        """Customer service's queue of open grievances and appeals, oldest first."""

    @abstractmethod
    async def answer_appeal(self, appeal_id: int, answer: AppealAnswer) -> ClaimAppeal:
        """Record the payer's decision on a grievance or appeal (upheld or overturned)."""

    @abstractmethod
    async def save_claim_report(self, definition: ClaimReportDefinition) -> SavedClaimReport:
        """Save a report definition under its name (replacing one of the same name)."""

    @abstractmethod
    async def list_claim_reports(self) -> list[SavedClaimReport]:
        """The signed-in user's saved reports."""

    @abstractmethod
    async def delete_claim_report(self, report_id: int) -> None:
        """Delete one of the user's saved reports."""

    @abstractmethod
    async def run_claim_report(self, definition: ClaimReportDefinition) -> ClaimReportResult:
        """Run a report (at most 10,000 rows)."""

    @abstractmethod
    async def export_claim_report(self, definition: ClaimReportDefinition) -> bytes:
        """Run a report and return it as CSV."""

    # -- messages --------------------------------------------------------------------------------
    @abstractmethod
    async def send_message(self, thread: NewThread) -> ThreadDetail:
        """Open a thread: general with a category, or about a claim or member the user can see;
        its reference number (`MSG-YYYY-NNNNNN`) is in the answer."""

    @abstractmethod
    async def reply_to_thread(self, reference: str, post: NewPost) -> ThreadDetail:
        """Reply to a thread (a provider reply within 30 days of closing reopens it)."""

    @abstractmethod
    async def close_thread(self, reference: str) -> ThreadDetail:
        """Close a thread (CSR)."""

    @abstractmethod
    async def get_thread(self, reference: str) -> ThreadDetail:
        """A thread with its posts, marked read."""

    @abstractmethod
    async def list_threads(
        self, query: ThreadFilter, after: str | None = None, limit: int = 50
    ) -> Page[ThreadSummary]:
        """The inbox, newest activity first, with unread marks, filters and free-text search."""

    @abstractmethod
    async def unread_thread_count(self) -> int:
        """Threads with unread posts (for a CSR: unread ones waiting for the payer)."""

    @abstractmethod
    async def message_queue(self, after: str | None = None, limit: int = 50) -> Page[ThreadSummary]:
        """The CSR work queue: threads waiting for the payer, oldest waiting first."""

    @abstractmethod
    async def lookup_thread(self, reference: str) -> ThreadLookup:
        """A CSR's look-up of a caller's reference number: the thread and the caller's
        organization."""

    # -- preauthorization -------------------------------------------------------------------
    # (section owned by the preauthorization work; methods go here)
    @abstractmethod
    async def preauth_templates(self, search: str = "") -> list[PreauthTemplateSummary]:
        """Active and inactive templates, by name; `search` narrows by words of the name, the
        category or a procedure code (the picker ranks them itself with
        `rules.template_search`)."""

    @abstractmethod
    async def get_preauth_template(self, template_id: str) -> PreauthTemplate:
        """A template with its questions, attachments and criteria for approval at once."""

    @abstractmethod
    async def save_preauth_template(self, template: PreauthTemplate) -> PreauthTemplate:
        """Create or replace a template (payer administrators); checked for consistency."""

    @abstractmethod
    async def set_preauth_template_active(
        self, template_id: str, active: bool
    ) -> PreauthTemplateSummary:
        """Offer a template for new requests again, or stop offering it."""

    @abstractmethod
    async def check_preauth(self, query: PreauthCheckQuery) -> PreauthCheckResult:
        """Does this procedure code need a preauthorization for the member's plan on that date,
        and with which template?"""

    @abstractmethod
    async def save_preauth_draft(self, draft: PreauthDraft) -> PreauthDetail:
        """Save a new draft (`number` None) or over an existing one; kept 96 hours."""

    @abstractmethod
    async def submit_preauth(self, number: str) -> PreauthDetail:
        """Submit a draft: approved at once when the template's criteria are met, else pended
        for review with its decision clock."""

    @abstractmethod
    async def modify_preauth(self, number: str, change: PreauthChange) -> PreauthDetail:
        """New units or dates (and/or a note) for a submitted request, until it is decided."""

    @abstractmethod
    async def cancel_preauth(self, number: str, reason: str) -> PreauthDetail:
        """Cancel a draft or a submitted request."""

    @abstractmethod
    async def withdraw_preauth(self, number: str, reason: str) -> PreauthDetail:
        """Withdraw a submitted or pended request."""

    @abstractmethod
    async def attach_preauth_files(self, number: str, files: list[UploadFile]) -> PreauthDetail:
        """Attach up to 5 files to a request that is not decided; one bad file refuses them all."""

    @abstractmethod
    async def get_preauth(self, number: str) -> PreauthDetail:
        """A request with its history, letters and (for clinical roles) answers and files."""

    @abstractmethod
    async def list_preauths(
        self, query: PreauthQuery, after: str | None = None, limit: int = 50
    ) -> Page[PreauthSummary]:
        """Requests in the viewer's scope, newest first, keyset-paged."""

    @abstractmethod
    async def preauth_queue(
        self, after: str | None = None, limit: int = 50
    ) -> Page[PreauthSummary]:
        """The reviewer's queue: pended requests, least time left first."""

    @abstractmethod
    async def decide_preauth(self, number: str, decision: PreauthDecision) -> PreauthDetail:
        """Approve, partly approve, deny (with a specific reason) or ask for information; files
        the determination letter (reviewers only)."""

    # -- admissions and referrals -----------------------------------------------------------
    # (section owned by the admissions and referrals work; methods go here)
    @abstractmethod
    async def save_admission_draft(self, draft: AdmissionDraft) -> AdmissionDetail:
        """Save an admission notification as a draft (new when `draft.number` is None); drafts
        are kept 96 hours after their last save."""

    @abstractmethod
    async def submit_admission(self, number: str) -> AdmissionDetail:
        """Send a draft notification: checks coverage, scope and codes, flags it late when past
        due (24 hours, or the next business day), and opens the concurrent review."""

    @abstractmethod
    async def cancel_admission(self, number: str, reason: str) -> AdmissionDetail:
        """Cancel a draft, or a notification before its first determination."""

    @abstractmethod
    async def get_admission(self, number: str) -> AdmissionDetail:
        """An admission with its review history, letters and discharge (audited)."""

    @abstractmethod
    async def list_admissions(
        self, query: AdmissionQuery, after: str | None = None, limit: int = 50
    ) -> Page[AdmissionSummary]:
        """Admissions in the user's scope, newest first (drafts included), keyset-paged."""

    @abstractmethod
    async def admission_review_queue(
        self, after: str | None = None, limit: int = 50
    ) -> Page[AdmissionSummary]:
        """The reviewer's queue: open reviews owing a determination, earliest review date first
        (overdue ones on top; a new notification is due for review the day it arrives)."""

    @abstractmethod
    async def record_admission_review(
        self, number: str, determination: AdmissionDetermination
    ) -> AdmissionDetail:
        """Record an initial or continued-stay determination (reviewers only; refusals are
        audited); files a letter and notifies the submitter."""

    @abstractmethod
    async def discharge_admission(
        self, number: str, discharge: AdmissionDischarge
    ) -> AdmissionDetail:
        """Record the discharge; closes the review."""

    @abstractmethod
    async def create_referral(self, referral: NewReferral) -> ReferralDetail:
        """Create a referral (the referring NPI must be the member's PCP on the start date and
        the specialist in network for the member's plan)."""

    @abstractmethod
    async def get_referral(self, number: str) -> ReferralDetail:
        """A referral with its history (audited)."""

    @abstractmethod
    async def list_referrals(
        self, query: ReferralQuery, after: str | None = None, limit: int = 50
    ) -> Page[ReferralSummary]:
        """Referrals in the user's scope, newest start first, keyset-paged."""

    @abstractmethod
    async def record_referral_visit(self, number: str) -> ReferralDetail:
        """Count one visit against an active referral (`used` once all are counted)."""

    @abstractmethod
    async def cancel_referral(self, number: str, reason: str) -> ReferralDetail:
        """Cancel an active referral, with a reason."""

    # -- provider profiles ------------------------------------------------------------------
    # (section owned by the provider profiles work; methods go here)
    @abstractmethod
    async def search_providers(
        self, query: ProviderSearch, after: str | None = None, limit: int = 50
    ) -> Page[ProviderSummary]:
        """The provider directory: by NPI, name, specialty, location, plan or open panel."""

    @abstractmethod
    async def get_provider(self, npi: str) -> ProviderProfile:
        """A provider's profile: TIN affiliations, locations, specialties, languages, networks."""

    @abstractmethod
    async def request_profile_update(self, request: NewProfileUpdate) -> ProfileUpdateRequest:
        """Ask for profile changes, field by field with documents (a TIN's administrator)."""

    @abstractmethod
    async def profile_update_requests(
        self, status: str | None = None, after: str | None = None, limit: int = 50
    ) -> Page[ProfileUpdateRequest]:
        """Change requests: an administrator's TINs' (newest first), or for a payer
        administrator the approval queue (oldest first)."""

    @abstractmethod
    async def get_profile_update(self, request_id: int) -> ProfileUpdateRequest:
        """One change request with each field's old and new value and its documents."""

    @abstractmethod
    async def decide_profile_update(
        self, request_id: int, decision: ProfileUpdateDecision
    ) -> ProfileUpdateRequest:
        """Approve or reject a request, whole or per field (a payer administrator); approved
        fields apply at once."""

    # -- documents and announcements --------------------------------------------------------
    # (section owned by the documents and announcements work; methods go here)
    @abstractmethod
    async def search_documents(
        self, query: DocumentQuery, after: str | None = None, limit: int = 100
    ) -> Page[DocumentSummary]:
        """Documents the actor may see by kind, TIN, filing dates and linked record, newest
        first; the first page carries the count."""

    @abstractmethod
    async def publish_announcement(self, announcement: NewAnnouncement) -> Announcement:
        """Publish news to every organization or to product lines (payer administrators)."""

    @abstractmethod
    async def current_announcements(self) -> list[Announcement]:
        """Unexpired announcements meant for the signed-in user, newest first."""

    @abstractmethod
    async def withdraw_announcement(self, announcement_id: int) -> None:
        """Stop showing an announcement (payer administrators)."""

    @abstractmethod
    async def recent_items(self, limit: int = 10) -> list[RecentItem]:
        """The records the signed-in user opened most recently, one entry per record."""

    async def close(self) -> None:  # noqa: B027 (optional: a client may hold no connections)
        """Release connections (the default has none)."""
