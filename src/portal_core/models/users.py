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


class ContactUpdate(BaseModel):
    """Contact fields an administrator may edit; None leaves a field as it is."""

    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
