"""Builders for test data, written straight to the store (the services under test read it back).

Each returns what a test needs to refer to the record. Passwords are real Argon2id hashes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

from sqlalchemy import insert

from portal_core.models.identity import Principal, Role
from portal_core.rules.identifiers import npi_check_digit, username_key
from portal_core.rules.passwords import hash_password
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.schema import (
    organizations,
    provider_tins,
    providers,
    tins,
    user_affiliations,
    user_roles,
    users,
)

PASSWORD = "correct horse battery staple"
"""The password every built user has unless told otherwise."""

_NOW = datetime(2026, 11, 1, tzinfo=UTC)
_npi_serial = count(100000001)
_hash_cache: dict[str, str] = {}


def make_npi(serial: int) -> str:
    """A valid NPI from a 9-digit serial (prefix 1)."""
    first_nine = f"1{serial % 100000000:08d}"
    return first_nine + str(npi_check_digit(first_nine))


def add_org(db: Database, name: str = "Lakeside Family Practice", kind: str = "practice") -> int:
    with db.write() as conn:
        return int(
            conn.execute(insert(organizations).values(name=name, kind=kind)).inserted_primary_key[0]
        )


def add_tin(
    db: Database,
    tin: str,
    org_id: int | None = None,
    name: str | None = None,
    registration_code: str | None = None,
    idle_minutes: int = 15,
) -> str:
    if org_id is None:
        org_id = add_org(db, name or f"Org {tin}")
    with db.write() as conn:
        conn.execute(
            insert(tins).values(
                tin=tin,
                organization_id=org_id,
                name=name or f"Org {tin}",
                registration_code_hash=hash_password(registration_code)
                if registration_code
                else None,
                idle_timeout_minutes=idle_minutes,
            )
        )
    return tin


def add_provider(
    db: Database,
    tin: str,
    name: str = "Dr. Ada Lovelace",
    left_on: date | None = None,
    npi: str | None = None,
) -> str:
    npi = npi or make_npi(next(_npi_serial))
    with db.write() as conn:
        conn.execute(insert(providers).values(npi=npi, name=name, kind="individual"))
        conn.execute(
            insert(provider_tins).values(
                npi=npi, tin=tin, start_date=date(2020, 1, 1), end_date=left_on
            )
        )
    return npi


def add_user(
    db: Database,
    username: str,
    role: Role,
    tin: str | None = None,
    *,
    password: str | None = PASSWORD,
    email: str | None = None,
    status: str = "active",
    role_status: str = "active",
    npis: list[str] | tuple[str, ...] = (),
    last_sign_in_at: datetime | None = None,
    locked: bool = False,
    full_name: str | None = None,
) -> int:
    """A user with one role: a payer role when `tin` is None, else a role at `tin`."""
    if password is not None and password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    with db.write() as conn:
        user_id = int(
            conn.execute(
                insert(users).values(
                    username=username,
                    username_key=username_key(username),
                    full_name=full_name or username.replace(".", " ").title(),
                    email=email or f"{username}@example.org",
                    email_verified_at=None if status == "legacy" else _NOW,
                    phone="555-0100",
                    password_hash=_hash_cache[password] if password is not None else None,
                    status=status,
                    failed_sign_ins=10 if locked else 0,
                    locked=locked,
                    totp_enabled=False,
                    payer_role=role.value if role.is_payer else None,
                    default_tin=tin,
                    notification_prefs={},
                    created_at=_NOW,
                    last_sign_in_at=last_sign_in_at,
                    password_changed_at=_NOW,
                )
            ).inserted_primary_key[0]
        )
        if not role.is_payer:
            assert tin is not None, "a provider-side role needs a TIN"
            conn.execute(
                insert(user_roles).values(
                    user_id=user_id,
                    tin=tin,
                    role=role.value,
                    status=role_status,
                    created_at=_NOW,
                    updated_at=_NOW,
                )
            )
            for npi in npis:
                conn.execute(insert(user_affiliations).values(user_id=user_id, tin=tin, npi=npi))
    return user_id


def principal_for(db: Database, user_id: int, active_tin: str | None = None) -> Principal:
    """The acting principal of a user, built from the store as a live session would resolve it."""
    with db.read() as conn:
        row = accounts.user_row(conn, user_id)
        assert row is not None, "no such user"
        tin_roles = accounts.active_roles(conn, user_id)
        return Principal(
            user_id=user_id,
            username=row["username"],
            session_key=f"test-session-{user_id}",
            payer_role=Role(row["payer_role"]) if row["payer_role"] else None,
            tin_roles=tin_roles,
            affiliations=accounts.affiliations(conn, user_id),
            active_tin=active_tin or next(iter(sorted(tin_roles)), None),
        )
