"""The one database schema (SQLAlchemy Core), for SQLite and PostgreSQL alike.

Times are stored as timezone-aware UTC (`DateTime(timezone=True)`); identifiers the domain defines
(TIN, NPI, usernames) are kept as text. Changing this file means a new Alembic migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTimeType(TypeDecorator[datetime]):
    """A point in time: stored as UTC, always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("times stored must be timezone-aware")
        utc: datetime = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = UtcDateTimeType()

organizations = Table(
    "organizations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),  # practice | hospital | billing | payer
    CheckConstraint("kind IN ('practice','hospital','billing','payer')", name="kind"),
)

tins = Table(
    "tins",
    metadata,
    Column("tin", String(9), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("registration_code_hash", String(200)),
    Column("idle_timeout_minutes", Integer, nullable=False, default=15),
    CheckConstraint("idle_timeout_minutes BETWEEN 1 AND 30", name="idle_timeout"),
)

providers = Table(
    "providers",
    metadata,
    Column("npi", String(10), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),  # individual | facility
    Column("specialty", String(100), nullable=False, default=""),
    Column("taxonomy", String(20), nullable=False, default=""),
    Column("phone", String(30), nullable=False, default=""),
    Column("panel_status", String(10), nullable=False, default="open"),
)

provider_tins = Table(
    "provider_tins",
    metadata,
    Column("npi", ForeignKey("providers.npi"), primary_key=True),
    Column("tin", ForeignKey("tins.tin"), primary_key=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),  # set when the provider left the TIN
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(30), nullable=False),
    Column("username_key", String(30), nullable=False, unique=True),  # lower-cased
    Column("full_name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    # When the address on file was proven (a code mailed to it came back); None: not proven, so
    # no recovery mail goes there.
    Column("email_verified_at", UtcDateTime),
    Column("phone", String(30), nullable=False, default=""),
    Column("password_hash", String(200)),
    # active | pending | deactivated | legacy
    Column("status", String(12), nullable=False, default="active"),
    Column("failed_sign_ins", Integer, nullable=False, default=0),
    Column("throttled_until", UtcDateTime),
    Column("locked", Boolean, nullable=False, default=False),
    Column("totp_secret", String(64)),
    Column("totp_enabled", Boolean, nullable=False, default=False),
    Column("totp_last_step", Integer),  # refuses a replayed code
    Column("payer_role", String(20)),  # csr | reviewer | payer_admin | break_glass
    Column("default_tin", String(9)),
    Column("theme", String(40)),
    Column("notification_prefs", JSON, nullable=False, default=dict),
    Column("merged_into", ForeignKey("users.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_sign_in_at", UtcDateTime),
    Column("password_changed_at", UtcDateTime),
    CheckConstraint("status IN ('active','pending','deactivated','legacy')", name="status"),
)
Index("ix_users_email", users.c.email)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("tin", ForeignKey("tins.tin"), primary_key=True),
    # administrator | practice_maintenance | provider | staff | billing
    Column("role", String(24), nullable=False),
    Column("status", String(12), nullable=False, default="active"),  # active | pending | removed
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_user_roles_tin", user_roles.c.tin, user_roles.c.status)

user_affiliations = Table(
    "user_affiliations",
    metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("tin", ForeignKey("tins.tin"), primary_key=True),
    Column("npi", ForeignKey("providers.npi"), primary_key=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),  # absolute expiry
    Column("idle_minutes", Integer, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("active_tin", String(9)),
    Column("break_glass_reason", Text),
    Column("break_glass_until", UtcDateTime),
    Column("client_address", String(64)),
)
Index("ix_sessions_user", sessions.c.user_id)

password_resets = Table(
    "password_resets",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)

totp_recovery_codes = Table(
    "totp_recovery_codes",
    metadata,
    # Single-use stand-ins for a code from the authenticator app; replaced as a set.
    Column("code_hash", String(64), primary_key=True),  # keyed digest, never the code
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)
Index("ix_totp_recovery_codes_user", totp_recovery_codes.c.user_id)

admin_handovers = Table(
    "admin_handovers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tin", ForeignKey("tins.tin"), nullable=False),
    Column("from_user_id", ForeignKey("users.id"), nullable=False),
    Column("to_user_id", ForeignKey("users.id"), nullable=False),
    Column("from_new_role", String(24), nullable=False),
    Column("status", String(12), nullable=False, default="offered"),  # offered|accepted|declined
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
)

mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("to_address", String(254), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    # The account whose proven address this is; None for mail to an address not (yet) proven.
    Column("user_id", ForeignKey("users.id")),
)
Index("ix_mail_outbox_user", mail_outbox.c.user_id, mail_outbox.c.id)

email_proofs = Table(
    "email_proofs",
    metadata,
    # One address waiting for proof per user: a new request replaces the old one.
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("address", String(254), nullable=False),
    Column("code_hash", String(64), nullable=False),  # keyed digest, never the code
    Column("requested_by", ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    # reply | decision | letter | review_due | admission_review_due | access
    Column("kind", String(30), nullable=False),
    Column("text", String(300), nullable=False),
    Column("link_kind", String(30)),
    Column("link_id", String(40)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("read_at", UtcDateTime),
)
Index("ix_notifications_user", notifications.c.user_id, notifications.c.read_at)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    # letter | eop | care_plan | review_evidence | upload
    Column("kind", String(20), nullable=False),
    Column("tin", ForeignKey("tins.tin")),
    Column("linked_kind", String(30)),
    Column("linked_id", String(40)),
    Column("file_name", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", ForeignKey("users.id")),
    Column("retain_until", Date),
    Column("content", LargeBinary, nullable=False),
)
Index("ix_documents_tin_kind", documents.c.tin, documents.c.kind, documents.c.created_at)
Index("ix_documents_link", documents.c.linked_kind, documents.c.linked_id)

review_campaigns = Table(
    "review_campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tin", ForeignKey("tins.tin"), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("opened_by", ForeignKey("users.id")),
    Column("due_date", Date, nullable=False),
    Column("status", String(12), nullable=False, default="open"),  # open | signed_off
    Column("signed_off_at", UtcDateTime),
    Column("signed_off_by", ForeignKey("users.id")),
    Column("evidence_document_id", ForeignKey("documents.id")),
    Column("reminders_sent", JSON, nullable=False, default=list),  # days-before values sent
)
Index("ix_review_campaigns_tin", review_campaigns.c.tin, review_campaigns.c.status)

review_items = Table(
    "review_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("review_campaigns.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("role", String(24), nullable=False),
    Column("affiliations", JSON, nullable=False, default=list),  # NPIs at opening
    Column("last_sign_in_at", UtcDateTime),
    Column("flags", JSON, nullable=False, default=list),
    # keep | deactivate | change_role | narrow_affiliations | reassign (null: undecided)
    Column("decision", String(24)),
    Column("new_role", String(24)),
    Column("new_affiliations", JSON),
    Column("justification", Text),
    Column("assigned_to", ForeignKey("users.id")),
    Column("decided_by", ForeignKey("users.id")),
    Column("decided_at", UtcDateTime),
    Column("result", Text),  # what sign-off did
    UniqueConstraint("campaign_id", "user_id", name="uq_review_items_campaign_user"),
)
Index("ix_review_items_campaign", review_items.c.campaign_id, review_items.c.id)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor_user_id", Integer),  # no FK: the log outlives everything
    Column("actor_username", String(30)),
    Column("role", String(24)),
    Column("tin", String(9)),
    Column("action", String(60), nullable=False),
    Column("record_kind", String(30)),
    Column("record_id", String(40)),
    Column("outcome", String(12), nullable=False),  # ok | denied | failed
    Column("reason", Text),
    Column("detail", JSON),  # before/after of non-PHI fields
    Column("break_glass", Boolean, nullable=False, default=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("seq", Integer, nullable=False),  # position in the chain: 1, 2, 3, ... (hashed)
)
Index("ix_audit_record", audit_log.c.record_kind, audit_log.c.record_id)
Index("ix_audit_actor", audit_log.c.actor_user_id, audit_log.c.id)
Index("ix_audit_action", audit_log.c.action, audit_log.c.id)
# Migration 0007 adds triggers (not declared here: nothing builds the schema from this metadata)
# that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on audit_log and audit_checkpoints.

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("seq", Integer, nullable=False),  # rows in the chain when written
    Column("last_id", Integer, nullable=False),  # the id of the row at `seq`
    Column("head_hash", String(64), nullable=False),  # that row's hash
    Column("legacy_through", Integer, nullable=False),  # rows hashed without the key (pre-0007)
    Column("signature", String(64)),  # HMAC under the key; null only for 0007's own boundary
)

# -- members ---------------------------------------------------------------------------------------
# Money is kept in integer cents; dates of service and coverage are calendar dates.

plans = Table(
    "plans",
    metadata,
    Column("plan_id", String(20), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("product_line", String(12), nullable=False),  # commercial | medicare | medicaid
    Column("pcp_copay_cents", Integer, nullable=False, default=0),
    Column("specialist_copay_cents", Integer, nullable=False, default=0),
    Column("coinsurance_percent", Integer, nullable=False, default=0),
    Column("deductible_cents", Integer, nullable=False, default=0),
    Column("out_of_pocket_max_cents", Integer, nullable=False, default=0),
    CheckConstraint("product_line IN ('commercial','medicare','medicaid')", name="product_line"),
)

members = Table(
    "members",
    metadata,
    Column("member_id", String(12), primary_key=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),  # F | M | U
    Column("address", String(300), nullable=False, default=""),
    Column("phone", String(30), nullable=False, default=""),
)
# Eligibility by names + date of birth; names are stored as entered and matched case-free.
Index("ix_members_name_dob", members.c.last_name, members.c.first_name, members.c.birth_date)

coverage_spans = Table(
    "coverage_spans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", ForeignKey("members.member_id"), nullable=False),
    Column("plan_id", ForeignKey("plans.plan_id"), nullable=False),
    Column("group_number", String(20), nullable=False, default=""),
    Column("effective_date", Date, nullable=False),
    Column("end_date", Date),  # open-ended when null
)
Index("ix_coverage_spans_member", coverage_spans.c.member_id, coverage_spans.c.effective_date)

pcp_assignments = Table(
    "pcp_assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", ForeignKey("members.member_id"), nullable=False),
    Column("npi", ForeignKey("providers.npi"), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
)
Index("ix_pcp_assignments_member", pcp_assignments.c.member_id, pcp_assignments.c.start_date)
# The panel report pages a PCP's members by member ID.
Index("ix_pcp_assignments_npi", pcp_assignments.c.npi, pcp_assignments.c.member_id)

care_plans = Table(
    "care_plans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", ForeignKey("members.member_id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("problems", JSON, nullable=False, default=list),
    Column("goals", JSON, nullable=False, default=list),
    Column("interventions", JSON, nullable=False, default=list),
    Column("care_team", JSON, nullable=False, default=list),  # [{"name", "role", "phone"}]
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_care_plans_member", care_plans.c.member_id)

network_participation = Table(
    "network_participation",
    metadata,
    Column("npi", ForeignKey("providers.npi"), primary_key=True),
    Column("plan_id", ForeignKey("plans.plan_id"), primary_key=True),
    Column("start_date", Date, primary_key=True),
    Column("end_date", Date),
)

# -- claims and payments ---------------------------------------------------------------------------

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("payment_number", String(20), nullable=False, unique=True),  # check or EFT trace
    Column("payment_date", Date, nullable=False),
    Column("method", String(3), nullable=False),  # ACH | CHK
    Column("payee_tin", ForeignKey("tins.tin"), nullable=False),
    Column("total_cents", Integer, nullable=False),
    # [{"code": "L6", "reference": "...", "amount_cents": -1234}] (PLB provider-level adjustments)
    Column("provider_adjustments", JSON, nullable=False, default=list),
)
Index("ix_payments_tin_date", payments.c.payee_tin, payments.c.payment_date, payments.c.id)
Index("ix_payments_date", payments.c.payment_date, payments.c.id)

claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("claim_number", String(14), nullable=False),
    Column("patient_account", String(30), nullable=False, default=""),
    Column("member_id", ForeignKey("members.member_id"), nullable=False),
    Column("billing_npi", String(10), nullable=False),
    Column("rendering_npi", String(10), nullable=False),
    Column("tin", ForeignKey("tins.tin"), nullable=False),
    Column("claim_type", String(13), nullable=False),  # professional | institutional
    Column("service_from", Date, nullable=False),
    Column("service_to", Date, nullable=False),
    Column("received_date", Date, nullable=False),
    # received | pending | paid | denied | adjusted | rejected
    Column("status", String(10), nullable=False),
    Column("status_code", String(2), nullable=False),  # the X12 277 category: A1, P1, F1, ...
    Column("status_reason", String(200), nullable=False, default=""),
    Column("adjudicated_date", Date),
    Column("billed_cents", Integer, nullable=False),
    Column("allowed_cents", Integer, nullable=False, default=0),
    Column("paid_cents", Integer, nullable=False, default=0),
    Column("patient_responsibility_cents", Integer, nullable=False, default=0),
    Column("payment_id", ForeignKey("payments.id")),
    # The main denial reason (CARC) of a denied or partly denied claim: the worklist groups on it.
    Column("denial_carc", String(5)),
    CheckConstraint(
        "status IN ('received','pending','paid','denied','adjusted','rejected')", name="status"
    ),
    CheckConstraint("claim_type IN ('professional','institutional')", name="claim_type"),
)
# One index per way to search, each ending in the keyset order (service_from desc, id desc).
Index("ix_claims_number", claims.c.claim_number, unique=True)
Index("ix_claims_member_dates", claims.c.member_id, claims.c.service_from, claims.c.id)
Index(
    "ix_claims_tin_status_dates", claims.c.tin, claims.c.status, claims.c.service_from, claims.c.id
)
Index("ix_claims_tin_dates", claims.c.tin, claims.c.service_from, claims.c.id)
Index(
    "ix_claims_npi_status_dates",
    claims.c.rendering_npi,
    claims.c.status,
    claims.c.service_from,
    claims.c.id,
)
Index("ix_claims_npi_dates", claims.c.rendering_npi, claims.c.service_from, claims.c.id)
Index("ix_claims_payment", claims.c.payment_id, claims.c.id)
# A payment's claims newest first without sorting the thousands a large EFT can hold.
Index("ix_claims_payment_dates", claims.c.payment_id, claims.c.service_from, claims.c.id)
# The other orders a search may ask for, for the searches that can match a million claims.
Index("ix_claims_tin_billed", claims.c.tin, claims.c.billed_cents, claims.c.id)
Index("ix_claims_tin_paid", claims.c.tin, claims.c.paid_cents, claims.c.id)
Index("ix_claims_tin_number", claims.c.tin, claims.c.claim_number)
Index("ix_claims_npi_billed", claims.c.rendering_npi, claims.c.billed_cents, claims.c.id)
Index("ix_claims_npi_paid", claims.c.rendering_npi, claims.c.paid_cents, claims.c.id)
Index("ix_claims_npi_number", claims.c.rendering_npi, claims.c.claim_number)
Index("ix_claims_denials", claims.c.tin, claims.c.denial_carc, claims.c.adjudicated_date)

claim_lines = Table(
    "claim_lines",
    metadata,
    Column("claim_id", ForeignKey("claims.id"), primary_key=True),
    Column("line_number", Integer, primary_key=True),
    Column("service_date", Date, nullable=False),
    Column("procedure_code", String(5), nullable=False),
    Column("modifiers", String(11), nullable=False, default=""),  # "25,59"
    Column("units", Integer, nullable=False, default=1),
    Column("billed_cents", Integer, nullable=False),
    Column("allowed_cents", Integer, nullable=False, default=0),
    Column("paid_cents", Integer, nullable=False, default=0),
)

claim_adjustments = Table(
    "claim_adjustments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False),
    Column("line_number", Integer),  # null: a claim-level adjustment
    Column("group_code", String(2), nullable=False),  # CO | PR | OA | PI | CR
    Column("carc", String(5), nullable=False),
    Column("amount_cents", Integer, nullable=False),
)
Index("ix_claim_adjustments_claim", claim_adjustments.c.claim_id)

claim_remarks = Table(
    "claim_remarks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False),
    Column("line_number", Integer),
    Column("rarc", String(6), nullable=False),
)
Index("ix_claim_remarks_claim", claim_remarks.c.claim_id)

claim_documents = Table(
    "claim_documents",
    metadata,
    Column("claim_id", ForeignKey("claims.id"), primary_key=True),
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
    Column("submission", Integer, nullable=False),  # files sent together share a number
    Column("submitted_by", ForeignKey("users.id"), nullable=False),
    Column("submitted_at", UtcDateTime, nullable=False),
)

claim_inquiries = Table(
    "claim_inquiries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False),
    Column("tin", ForeignKey("tins.tin"), nullable=False),
    Column("opened_by", ForeignKey("users.id"), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(10), nullable=False, default="open"),  # open | answered
    Column("answer", Text),
    Column("answered_by", ForeignKey("users.id")),
    Column("answered_at", UtcDateTime),
)
Index("ix_claim_inquiries_claim", claim_inquiries.c.claim_id)
Index("ix_claim_inquiries_status", claim_inquiries.c.status, claim_inquiries.c.opened_at)

claim_appeals = Table(
    "claim_appeals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False),
    Column("tin", ForeignKey("tins.tin"), nullable=False),
    Column("kind", String(10), nullable=False),  # grievance | appeal
    Column("opened_by", ForeignKey("users.id"), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(10), nullable=False, default="open"),  # open | upheld | overturned
    Column("answer", Text),
    Column("answered_by", ForeignKey("users.id")),
    Column("answered_at", UtcDateTime),
    CheckConstraint("kind IN ('grievance','appeal')", name="kind"),
)
Index("ix_claim_appeals_claim", claim_appeals.c.claim_id, claim_appeals.c.status)

claim_reports = Table(
    "claim_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("definition", JSON, nullable=False),  # filters and columns (ClaimReportDefinition)
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("owner_id", "name", name="uq_claim_reports_owner_name"),
)

throttle_counters = Table(
    "throttle_counters",
    metadata,
    # Failed attempts at a guessable secret (a password, a registration code, a reset code, ...),
    # kept in the database so that every `portal serve` worker counts the same attempts. `kind`
    # names what is counted (`store/throttles.py`); `key_digest` and `subject` are keyed digests
    # (`keys.keyed_digest`), so no client address, username, email address or TIN is kept in clear.
    Column("kind", String(40), primary_key=True),
    Column("key_digest", String(64), primary_key=True),
    Column("subject", String(64)),  # the account's digest, so its reset lifts every counter of it
    Column("failures", Integer, nullable=False, default=0),
    # Sign-in attempts whose password is being checked (not failures until they fail), and when
    # the last began: a hold older than `store/throttles.HOLD_LIVE` is a crashed check's, ignored.
    Column("in_flight", Integer, nullable=False, server_default="0"),
    Column("held_at", UtcDateTime),
    Column("window_started_at", UtcDateTime, nullable=False),
    Column("blocked_until", UtcDateTime),
    Column("proven_at", UtcDateTime),  # the account's owner last succeeded from this key
)
Index("ix_throttle_counters_subject", throttle_counters.c.subject)

# -- messages --------------------------------------------------------------------------------------
# Free-text search over subjects and posts is a full-text index kept outside this file: an FTS5
# table with triggers on SQLite, a GIN `to_tsvector` index on PostgreSQL (migration 0002).

message_threads = Table(
    "message_threads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(15), nullable=False, unique=True),  # MSG-YYYY-NNNNNN
    Column("organization_id", ForeignKey("organizations.id"), nullable=False),
    Column("tin", ForeignKey("tins.tin"), nullable=False),
    Column("author_id", ForeignKey("users.id"), nullable=False),
    Column("topic", String(12), nullable=False),  # general | transaction
    # general: claims | eligibility | preauthorization | provider_data | portal_access |
    # grievance_appeal | other
    Column("category", String(20)),
    # transaction: claim | preauth | referral | admission | member
    Column("linked_kind", String(12)),
    Column("linked_id", String(40)),
    Column("member_id", String(12)),  # the member a linked record concerns (read auditing)
    Column("subject", String(200), nullable=False),
    # open | awaiting_payer | awaiting_provider | closed
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_post_at", UtcDateTime, nullable=False),
    Column("waiting_since", UtcDateTime),  # when it began awaiting the payer
    Column("closed_at", UtcDateTime),
    CheckConstraint("topic IN ('general','transaction')", name="topic"),
    CheckConstraint(
        "status IN ('open','awaiting_payer','awaiting_provider','closed')", name="status"
    ),
)
Index("ix_message_threads_tin_activity", message_threads.c.tin, message_threads.c.last_post_at,
      message_threads.c.id)  # fmt: skip
Index("ix_message_threads_activity", message_threads.c.last_post_at, message_threads.c.id)
Index("ix_message_threads_queue", message_threads.c.status, message_threads.c.waiting_since,
      message_threads.c.id)  # fmt: skip
Index("ix_message_threads_link", message_threads.c.linked_kind, message_threads.c.linked_id)

message_posts = Table(
    "message_posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("thread_id", ForeignKey("message_threads.id"), nullable=False),
    Column("author_id", ForeignKey("users.id"), nullable=False),
    Column("payer_side", Boolean, nullable=False, default=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
Index("ix_message_posts_thread", message_posts.c.thread_id, message_posts.c.id)

message_attachments = Table(
    "message_attachments",
    metadata,
    Column("post_id", ForeignKey("message_posts.id"), primary_key=True),
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
)

message_reads = Table(
    "message_reads",
    metadata,
    Column("thread_id", ForeignKey("message_threads.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("read_at", UtcDateTime, nullable=False),
)
Index("ix_message_reads_user", message_reads.c.user_id, message_reads.c.thread_id)

# -- preauthorization -------------------------------------------------------------------------
# (section owned by the preauthorization work)
# Templates ship in `portal_core/data/preauth_templates.json` and are copied here on first use
# (when the table is empty) so that payer administrators can edit them.

preauth_templates = Table(
    "preauth_templates",
    metadata,
    Column("id", String(60), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(30), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("definition", JSON, nullable=False),  # the whole `PreauthTemplate`, as JSON
    # Raised by one on every change, so a process's parsed copy knows when it is stale.
    Column("revision", Integer, nullable=False, default=1),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", ForeignKey("users.id")),
)

preauth_requests = Table(
    "preauth_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(14), nullable=False, unique=True),  # PA-YYYY-NNNNNN
    # draft | submitted | pended | approved | partially_approved | denied | cancelled | withdrawn
    Column("status", String(20), nullable=False),
    Column("urgency", String(10), nullable=False),  # standard | expedited
    Column("member_id", ForeignKey("members.member_id"), nullable=False),
    Column("tin", ForeignKey("tins.tin"), nullable=False),
    Column("requesting_npi", ForeignKey("providers.npi"), nullable=False),
    Column("servicing_npi", ForeignKey("providers.npi"), nullable=False),
    Column("template_id", ForeignKey("preauth_templates.id"), nullable=False),
    Column("procedure_codes", JSON, nullable=False, default=list),
    Column("diagnosis_codes", JSON, nullable=False, default=list),
    Column("units", Integer, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("answers", JSON, nullable=False, default=dict),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("draft_expires_at", UtcDateTime),  # drafts only: 96 hours after the last save
    Column("submitted_at", UtcDateTime),
    Column("due_at", UtcDateTime),
    Column("decided_at", UtcDateTime),
    Column("decided_by", ForeignKey("users.id")),
    Column("approved_units", Integer),
    Column("decision_reason", String(40)),
    Column("decision_note", Text, nullable=False, default=""),
    Column("information_requested", Text),
    CheckConstraint(
        "status IN ('draft','submitted','pended','approved','partially_approved','denied',"
        "'cancelled','withdrawn')",
        name="status",
    ),
    CheckConstraint("urgency IN ('standard','expedited')", name="urgency"),
)
Index("ix_preauth_requests_created", preauth_requests.c.created_at, preauth_requests.c.id)
Index("ix_preauth_requests_tin_created", preauth_requests.c.tin, preauth_requests.c.created_at,
      preauth_requests.c.id)  # fmt: skip
# The review queue: pended requests, least time left first.
Index("ix_preauth_requests_queue", preauth_requests.c.status, preauth_requests.c.due_at,
      preauth_requests.c.id)  # fmt: skip
Index("ix_preauth_requests_member", preauth_requests.c.member_id)
Index("ix_preauth_requests_requesting", preauth_requests.c.requesting_npi)
Index("ix_preauth_requests_servicing", preauth_requests.c.servicing_npi)

preauth_events = Table(
    "preauth_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", ForeignKey("preauth_requests.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("status", String(20), nullable=False),
    Column("actor_id", ForeignKey("users.id")),  # None for automatic decisions
    Column("note", Text, nullable=False, default=""),
)
Index("ix_preauth_events_request", preauth_events.c.request_id, preauth_events.c.id)

# -- admissions and referrals -----------------------------------------------------------------
# (section owned by the admissions and referrals work)

admissions = Table(
    "admissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(16), nullable=False, unique=True),  # ADM-2026-000123
    Column("tin", ForeignKey("tins.tin"), nullable=False),
    Column("status", String(12), nullable=False),  # draft|notified|in_review|discharged|cancelled
    # A draft keeps what was typed, so no foreign keys here: submit checks them.
    Column("member_id", String(12), nullable=False, default=""),
    Column("facility_npi", String(10), nullable=False, default=""),
    Column("admitting_npi", String(10), nullable=False, default=""),
    Column("admitted_at", UtcDateTime),
    Column("diagnosis_codes", JSON, nullable=False, default=list),
    Column("admission_type", String(12), nullable=False),
    Column("notes", Text, nullable=False, default=""),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("draft_expires_at", UtcDateTime),
    Column("submitted_by", ForeignKey("users.id")),
    Column("notified_at", UtcDateTime),
    Column("due_at", UtcDateTime),
    Column("late", Boolean, nullable=False, default=False),
    Column("review_count", Integer, nullable=False, default=0),
    Column("approved_days", Integer, nullable=False, default=0),
    # The day the reviewer next owes a determination (the notified day for a new one); null
    # when nothing is owed (denied, final, discharged, cancelled).
    Column("review_due_on", Date),
    Column("review_due_notified_on", Date),  # the review_due_on already told to the submitter
    Column("discharged_at", UtcDateTime),
    Column("discharge_disposition", String(20)),
    Column("cancel_reason", Text),
    Column("cancelled_at", UtcDateTime),
)
Index("ix_admissions_tin", admissions.c.tin, admissions.c.id)
Index("ix_admissions_member", admissions.c.member_id, admissions.c.id)
Index("ix_admissions_facility", admissions.c.facility_npi, admissions.c.id)
Index("ix_admissions_admitting", admissions.c.admitting_npi, admissions.c.id)
Index("ix_admissions_review_due", admissions.c.review_due_on, admissions.c.id)

admission_reviews = Table(
    "admission_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("admission_id", ForeignKey("admissions.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(16), nullable=False),  # initial | continued_stay
    Column("outcome", String(20), nullable=False),  # approved | partially_approved | denied
    Column("approved_days", Integer, nullable=False, default=0),
    Column("next_review_date", Date),
    Column("final", Boolean, nullable=False, default=False),
    Column("reviewer_id", ForeignKey("users.id"), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("letter_id", ForeignKey("documents.id")),
)
Index("ix_admission_reviews_admission", admission_reviews.c.admission_id, admission_reviews.c.id)

referrals = Table(
    "referrals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(16), nullable=False, unique=True),  # REF-2026-000123
    Column("tin", ForeignKey("tins.tin"), nullable=False),
    Column("member_id", ForeignKey("members.member_id"), nullable=False),
    Column("referring_npi", ForeignKey("providers.npi"), nullable=False),
    Column("specialist_npi", ForeignKey("providers.npi"), nullable=False),
    Column("diagnosis_codes", JSON, nullable=False, default=list),
    Column("visits_authorized", Integer, nullable=False),
    Column("visits_used", Integer, nullable=False, default=0),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    # Only `active` and `cancelled` are stored; `used` and `expired` are computed when read.
    Column("status", String(10), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("cancel_reason", Text),
    Column("cancelled_at", UtcDateTime),
)
Index("ix_referrals_tin", referrals.c.tin, referrals.c.id)
Index("ix_referrals_member", referrals.c.member_id, referrals.c.id)
Index("ix_referrals_referring", referrals.c.referring_npi, referrals.c.id)
Index("ix_referrals_specialist", referrals.c.specialist_npi, referrals.c.id)

referral_events = Table(
    "referral_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("referral_id", ForeignKey("referrals.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("event", String(12), nullable=False),  # created | visit | cancelled
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("detail", String(300), nullable=False, default=""),
)
Index("ix_referral_events_referral", referral_events.c.referral_id, referral_events.c.id)

# -- provider profiles ------------------------------------------------------------------------
# (section owned by the provider profiles work)
# Directory data (not PHI): where a provider sees patients, what they speak, other specialties, and
# the administrators' change requests that a payer administrator approves field by field.

provider_locations = Table(
    "provider_locations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("npi", ForeignKey("providers.npi"), nullable=False),
    Column("address", String(200), nullable=False),
    Column("city", String(100), nullable=False),
    Column("state", String(2), nullable=False),
    Column("zip", String(10), nullable=False),
    Column("phone", String(30), nullable=False, default=""),
    Column("is_primary", Boolean, nullable=False, default=False),
)
Index("ix_provider_locations_npi", provider_locations.c.npi)
# Location search: by state and city, or by ZIP.
Index("ix_provider_locations_place", provider_locations.c.state, provider_locations.c.city)
Index("ix_provider_locations_zip", provider_locations.c.zip)

provider_languages = Table(
    "provider_languages",
    metadata,
    Column("npi", ForeignKey("providers.npi"), primary_key=True),
    Column("language", String(40), primary_key=True),
)

provider_specialties = Table(
    "provider_specialties",
    metadata,
    # Specialties besides the primary one kept on `providers`.
    Column("npi", ForeignKey("providers.npi"), primary_key=True),
    Column("specialty", String(100), primary_key=True),
    Column("taxonomy", String(20), nullable=False, default=""),
)

profile_update_requests = Table(
    "profile_update_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("npi", ForeignKey("providers.npi"), nullable=False),
    Column("tin", ForeignKey("tins.tin"), nullable=False),
    Column("requested_by", ForeignKey("users.id"), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    # pending | approved | rejected | partly_approved
    Column("status", String(20), nullable=False, default="pending"),
    Column("decided_by", ForeignKey("users.id")),
    Column("decided_at", UtcDateTime),
    Column("decision_note", Text),
    CheckConstraint("status IN ('pending','approved','rejected','partly_approved')", name="status"),
)
Index("ix_profile_update_requests_status", profile_update_requests.c.status)
Index("ix_profile_update_requests_tin", profile_update_requests.c.tin)
Index("ix_profile_update_requests_npi", profile_update_requests.c.npi)

profile_update_changes = Table(
    "profile_update_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", ForeignKey("profile_update_requests.id"), nullable=False),
    Column("field", String(20), nullable=False),  # phone | panel_status | languages | ...
    Column("location_id", ForeignKey("provider_locations.id")),  # a location changed
    Column("old_value", Text, nullable=False),  # as shown to the approver
    Column("new_value", Text, nullable=False),
    Column("new_data", JSON, nullable=False),  # the structured value applied on approval
    Column("decision", String(10)),  # approved | rejected, once decided
)
Index("ix_profile_update_changes_request", profile_update_changes.c.request_id)

# -- announcements ----------------------------------------------------------------------------
# (section owned by the announcements work)

announcements = Table(
    "announcements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    # `all`, or product lines joined by commas (`commercial,medicare`)
    Column("audience", String(40), nullable=False, default="all"),
    Column("kind", String(20), nullable=False),  # portal_update | review_notice | policy
    Column("published_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("published_by", ForeignKey("users.id"), nullable=False),
    Column("withdrawn_at", UtcDateTime),
    CheckConstraint("kind IN ('portal_update','review_notice','policy')", name="kind"),
)
Index("ix_announcements_published", announcements.c.published_at)
