"""Identity and access: roles, accounts, sessions, registration and the acting principal."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    """One role per user per TIN (provider side), or one payer role."""

    ADMINISTRATOR = "administrator"
    PRACTICE_MAINTENANCE = "practice_maintenance"
    PROVIDER = "provider"
    STAFF = "staff"
    BILLING = "billing"
    CSR = "csr"
    REVIEWER = "reviewer"
    PAYER_ADMIN = "payer_admin"
    BREAK_GLASS = "break_glass"

    @property
    def is_payer(self) -> bool:
        return self in PAYER_ROLES

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


PROVIDER_ROLES = (
    Role.ADMINISTRATOR,
    Role.PRACTICE_MAINTENANCE,
    Role.PROVIDER,
    Role.STAFF,
    Role.BILLING,
)
PAYER_ROLES = (Role.CSR, Role.REVIEWER, Role.PAYER_ADMIN, Role.BREAK_GLASS)
ROLE_LABELS = {
    Role.ADMINISTRATOR: "Administrator",
    Role.PRACTICE_MAINTENANCE: "Practice maintenance",
    Role.PROVIDER: "Provider",
    Role.STAFF: "Staff",
    Role.BILLING: "Billing",
    Role.CSR: "Customer service",
    Role.REVIEWER: "Reviewer",
    Role.PAYER_ADMIN: "Payer administrator",
    Role.BREAK_GLASS: "Emergency access",
}


class UserStatus(StrEnum):
    """Where an account stands."""

    ACTIVE = "active"
    PENDING = "pending"
    DEACTIVATED = "deactivated"
    LEGACY = "legacy"


class Principal(BaseModel):
    """Who is acting: resolved from a live session on every call, never trusted from a client."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    username: str
    session_key: str
    """The session's token hash (never the token)."""
    payer_role: Role | None = None
    tin_roles: dict[str, Role] = Field(default_factory=dict)
    """Active provider-side roles by TIN."""
    affiliations: dict[str, frozenset[str]] = Field(default_factory=dict)
    """NPIs the user is affiliated with, by TIN."""
    active_tin: str | None = None
    break_glass_reason: str | None = None
    break_glass_until: datetime | None = None

    def role_for(self, tin: str | None) -> Role | None:
        """The user's role for `tin`, or the payer role when `tin` is None."""
        if tin is None:
            return self.payer_role
        return self.tin_roles.get(tin)

    @property
    def primary_role(self) -> Role | None:
        """The payer role, else the role for the active TIN."""
        return self.payer_role or self.role_for(self.active_tin)


class TinRole(BaseModel):
    """A user's role at one TIN."""

    tin: str
    tin_name: str
    role: Role
    status: str
    """active | pending | removed"""
    affiliations: list[str] = Field(default_factory=list)


class Account(BaseModel):
    """The signed-in user's own account, as settings and the status bar show it."""

    id: int
    username: str
    full_name: str
    email: str
    phone: str
    status: UserStatus
    totp_enabled: bool
    recovery_codes_left: int = 0
    """Unused recovery codes of the second factor (0 when it is off)."""
    email_verified: bool = False
    """The address on file was proven by a code mailed to it (recovery mail goes only there)."""
    pending_email: str | None = None
    """An address waiting for its code (mailed to it) before it replaces `email`."""
    payer_role: Role | None
    default_tin: str | None
    active_tin: str | None
    theme: str | None
    notification_prefs: dict[str, bool]
    roles: list[TinRole]
    last_sign_in_at: datetime | None
    idle_minutes: int
    """The idle lock for this session (the organization's timeout)."""
    break_glass_until: datetime | None = None


class SignInResult(BaseModel):
    """A successful sign-in."""

    token: str
    """The opaque session token (kept by the client, never logged)."""
    account: Account
    expires_at: datetime
    """Absolute expiry of the session."""


class RegistrationProof(BaseModel):
    """Proof of a relationship to a TIN: its registration code, or a paid claim and its amount."""

    registration_code: str | None = None
    claim_number: str | None = None
    paid_amount: str | None = None
    """As typed (`123.45`); compared to the cent."""


class Registration(BaseModel):
    """A new registrant's form."""

    full_name: str
    email: str
    phone: str = ""
    username: str
    password: str = Field(repr=False)
    tin: str
    proof: RegistrationProof


class RegistrationOutcome(BaseModel):
    """What became of a registration or an additional-TIN request."""

    user_id: int
    tin: str
    role: Role | None
    """The role granted at once (administrator), or None while pending approval."""
    pending: bool
    message: str


class TotpEnrollment(BaseModel):
    """A TOTP secret being enrolled; confirmed with a code from the app."""

    secret: str
    provisioning_uri: str


class RecoveryCodes(BaseModel):
    """Single-use recovery codes of the second factor, shown once: each can stand in for a code
    from the app at sign-in. Making a new set voids the old one."""

    codes: list[str]


class AccountSettings(BaseModel):
    """Fields a user may change about themself; None leaves a field as it is."""

    full_name: str | None = None
    phone: str | None = None
    default_tin: str | None = None
    theme: str | None = None
    notification_prefs: dict[str, bool] | None = None


class ConsolidationResult(BaseModel):
    """What an account consolidation moved."""

    merged_user_id: int
    moved_tins: list[str]
    notes: list[str]
    """Conflicts resolved (the broader role kept), in plain words."""


class UserBrief(BaseModel):
    """A user named in a list: who manages access, a reassign target."""

    id: int
    username: str
    full_name: str
    email: str
    role: Role | None = None


class LegacyMigration(BaseModel):
    """The first sign-in of an account from the old portal: new username and password, email."""

    legacy_username: str
    legacy_password: str = Field(repr=False)
    new_username: str
    new_password: str = Field(repr=False)
    email: str


class AdminHandover(BaseModel):
    """An administrator handing the role to another user of the TIN."""

    id: int
    tin: str
    from_user: UserBrief
    to_user: UserBrief
    from_new_role: Role
    status: str
    created_at: datetime


class OutboxMail(BaseModel):
    """A mail in the outbox (the demo shows these)."""

    id: int
    to_address: str
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None


class Notification(BaseModel):
    """An in-app notification."""

    id: int
    kind: str
    text: str
    link_kind: str | None
    link_id: str | None
    created_at: datetime
    read_at: datetime | None


class ProviderBrief(BaseModel):
    """A provider as an affiliation picker lists them."""

    npi: str
    name: str
    specialty: str
    left_on: date | None = None
    """When the provider left the TIN, if they have."""
