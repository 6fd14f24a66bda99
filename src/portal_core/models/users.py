"""User management records."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from portal_core.models.identity import Role, TinRole, UserStatus


class UserFilter(BaseModel):
    """A filter over the users of one TIN (or payer staff when `tin` is None)."""

    tin: str | None = None
    text: str = ""
    """Matches username, name or email, case-free."""
    role: Role | None = None
    status: UserStatus | str | None = None
    """A user status, or `locked` / `pending`."""


class UserSummary(BaseModel):
    """A row of the user list."""

    id: int
    username: str
    full_name: str
    email: str
    role: Role | None
    role_status: str
    status: UserStatus
    locked: bool
    last_sign_in_at: datetime | None
    affiliation_count: int


USER_EXPORT_COLUMNS = (
    "id",
    "username",
    "full_name",
    "email",
    "role",
    "status",
    "locked",
    "last_sign_in_at",
    "affiliation_count",
)
"""The columns of a user list exported (CLI `portal users list`, the Users menu's `x`)."""


class UserDetail(BaseModel):
    """One user as an administrator sees them."""

    id: int
    username: str
    full_name: str
    email: str
    phone: str
    status: UserStatus
    locked: bool
    totp_enabled: bool
    payer_role: Role | None
    roles: list[TinRole]
    created_at: datetime
    last_sign_in_at: datetime | None
    email_verified: bool = False
    """The user proved the address on file (recovery mail goes only there)."""
    pending_email: str | None = None
    """An address waiting for the user to enter the code mailed to it."""


class NewUser(BaseModel):
    """A user an administrator creates; they receive a mail to set their own password."""

    username: str
    full_name: str
    email: str
    phone: str = ""
    tin: str | None = None
    """The TIN for a provider-side role; None for payer staff."""
    role: Role
    affiliations: list[str] = Field(default_factory=list)


class SignInEvent(BaseModel):
    """One sign-in of a user, or one failed or refused attempt with their username, from the
    audit log (no address, no typed text)."""

    at: datetime
    outcome: str
    """`ok`, `failed` (a wrong password or code) or `denied` (refused before or after the check:
    throttled, locked, pending, deactivated)."""
    reason: str | None = None
    """Why it failed or was refused (`wrong_password`, `wrong_code`, `wrong_recovery_code`,
    `replayed_code`, `throttled`, `locked`, `pending`, `deactivated`, `no_access`, `legacy`...)."""
    second_factor: bool | None = None
    """For a sign-in of a user with two-step sign-in on: whether a second factor was given."""
    recovery_code: bool = False
    """The sign-in used a recovery code in place of the app's code."""


SIGN_IN_HISTORY_LIMIT = 100
"""The most sign-in events one request returns."""


class ContactUpdate(BaseModel):
    """Contact fields an administrator may edit; None leaves a field as it is."""

    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
