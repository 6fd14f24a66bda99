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
)
Index("ix_audit_record", audit_log.c.record_kind, audit_log.c.record_id)
Index("ix_audit_actor", audit_log.c.actor_user_id, audit_log.c.id)
Index("ix_audit_action", audit_log.c.action, audit_log.c.id)
