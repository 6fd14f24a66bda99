"""Repository for changing users' access at a TIN: roles, removals and affiliations.

`apply_access_changes` is the one place that changes access, for one user (user management) or for
thousands at once (a review sign-off). It keeps the rule that a TIN never loses its last active
administrator, and it works in set-based statements so a sign-off of 10,000 decisions stays fast.
Functions take the caller's connection so they join the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from portal_core.errors import Conflict
from portal_core.models.identity import Role
from portal_core.rules.identifiers import format_tin
from portal_core.store.schema import (
    provider_tins,
    sessions,
    user_affiliations,
    user_roles,
    users,
)

CHUNK = 500
"""Ids per `IN (...)` list, well under every backend's limit on bound parameters."""

T = TypeVar("T")


def chunked(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class LastAdministrator(Conflict):
    """The change would leave a TIN without an active administrator."""


@dataclass
class AccessOutcome:
    """What `apply_access_changes` did."""

    removed: set[int] = field(default_factory=set)
    """Users whose role at the TIN is now removed."""
    deactivated: set[int] = field(default_factory=set)
    """Of those, users left with no active access anywhere, now deactivated."""
    role_changed: dict[int, tuple[Role, Role]] = field(default_factory=dict)
    """User id to (old role, new role)."""
    affiliations_set: dict[int, tuple[list[str], list[str]]] = field(default_factory=dict)
    """User id to (old NPIs, new NPIs)."""
    skipped: dict[int, str] = field(default_factory=dict)
    """Users left alone, with why (plain words)."""


def active_role_rows(conn: Connection, tin: str) -> dict[int, Role]:
    """Active roles at a TIN by user id."""
    rows = conn.execute(
        select(user_roles.c.user_id, user_roles.c.role).where(
            user_roles.c.tin == tin, user_roles.c.status == "active"
        )
    )
    return {row.user_id: Role(row.role) for row in rows}


def active_administrators(conn: Connection, tin: str) -> set[int]:
    """Ids of the active administrators of a TIN (active user, active role)."""
    rows = conn.execute(
        select(user_roles.c.user_id)
        .join(users, users.c.id == user_roles.c.user_id)
        .where(
            user_roles.c.tin == tin,
            user_roles.c.status == "active",
            user_roles.c.role == Role.ADMINISTRATOR.value,
            users.c.status == "active",
        )
    )
    return {row.user_id for row in rows}


def tin_affiliations(conn: Connection, tin: str, user_ids: Iterable[int]) -> dict[int, list[str]]:
    """The NPIs each of `user_ids` is affiliated with at `tin`, sorted."""
    ids = list(user_ids)
    found: dict[int, list[str]] = {uid: [] for uid in ids}
    for part in chunked(ids):
        rows = conn.execute(
            select(user_affiliations.c.user_id, user_affiliations.c.npi).where(
                user_affiliations.c.tin == tin, user_affiliations.c.user_id.in_(part)
            )
        )
        for row in rows:
            found[row.user_id].append(row.npi)
    for npis in found.values():
        npis.sort()
    return found


def current_providers(conn: Connection, tin: str, on: date) -> set[str]:
    """NPIs affiliated with a TIN on a date (not yet left)."""
    rows = conn.execute(
        select(provider_tins.c.npi).where(
            provider_tins.c.tin == tin,
            or_(provider_tins.c.end_date.is_(None), provider_tins.c.end_date >= on),
        )
    )
    return {row.npi for row in rows}


def apply_access_changes(
    conn: Connection,
    tin: str,
    at: datetime,
    *,
    remove: Collection[int] = (),
    roles: Mapping[int, Role] | None = None,
    affiliations: Mapping[int, Collection[str]] | None = None,
) -> AccessOutcome:
    """Remove roles, change roles and replace affiliations at `tin`, all or nothing.

    Only users with an active role at the TIN are touched; the others are reported in `skipped`.
    Raises `LastAdministrator` before writing anything when the TIN, which has an active
    administrator now, would have none afterwards. A user removed here who keeps no active role
    anywhere (and no payer role) is deactivated; every removed user's sessions end, so their next
    call sees the new access.
    """
    roles = dict(roles or {})
    affiliations = dict(affiliations or {})
    outcome = AccessOutcome()
    current = active_role_rows(conn, tin)

    remove_ids = set()
    for uid in remove:
        if uid in current:
            remove_ids.add(uid)
        else:
            outcome.skipped[uid] = "already without access"
    role_changes: dict[int, Role] = {}
    for uid, role in roles.items():
        if uid in remove_ids:
            continue
        if uid not in current:
            outcome.skipped[uid] = "no longer active at this Tax ID"
        elif current[uid] is not role:
            role_changes[uid] = role
    affiliation_changes: dict[int, list[str]] = {}
    for uid, npis in affiliations.items():
        if uid in remove_ids:
            continue
        if uid not in current:
            outcome.skipped[uid] = "no longer active at this Tax ID"
        else:
            affiliation_changes[uid] = sorted(set(npis))

    _guard_last_administrator(conn, tin, current, remove_ids, role_changes)

    if remove_ids:
        outcome.removed = remove_ids
        outcome.deactivated = _remove_roles(conn, tin, sorted(remove_ids), at)
    if role_changes:
        by_role: dict[Role, list[int]] = {}
        for uid, role in role_changes.items():
            by_role.setdefault(role, []).append(uid)
            outcome.role_changed[uid] = (current[uid], role)
        for role, ids in by_role.items():
            for part in chunked(sorted(ids)):
                conn.execute(
                    update(user_roles)
                    .where(user_roles.c.tin == tin, user_roles.c.user_id.in_(part))
                    .values(role=role.value, updated_at=at)
                )
    if affiliation_changes:
        before = tin_affiliations(conn, tin, affiliation_changes)
        for part in chunked(sorted(affiliation_changes)):
            conn.execute(
                delete(user_affiliations).where(
                    user_affiliations.c.tin == tin, user_affiliations.c.user_id.in_(part)
                )
            )
        rows = [
            {"user_id": uid, "tin": tin, "npi": npi}
            for uid, npis in affiliation_changes.items()
            for npi in npis
        ]
        if rows:
            conn.execute(insert(user_affiliations), rows)
        for uid, npis in affiliation_changes.items():
            outcome.affiliations_set[uid] = (before[uid], npis)
    return outcome


def _guard_last_administrator(
    conn: Connection,
    tin: str,
    current: Mapping[int, Role],
    remove_ids: set[int],
    role_changes: Mapping[int, Role],
) -> None:
    admins = active_administrators(conn, tin)
    if not admins:
        return  # nothing to protect (and no change here can remove what is not there)
    after = {uid for uid in admins if uid not in remove_ids and uid not in role_changes}
    after |= {
        uid
        for uid, role in role_changes.items()
        if role is Role.ADMINISTRATOR and current.get(uid) is not None
    }
    if not after:
        raise LastAdministrator(
            f"Tax ID {format_tin(tin)} must keep at least one active administrator; "
            "this change would leave it with none."
        )


def _remove_roles(conn: Connection, tin: str, user_ids: Sequence[int], at: datetime) -> set[int]:
    for part in chunked(user_ids):
        conn.execute(
            update(user_roles)
            .where(user_roles.c.tin == tin, user_roles.c.user_id.in_(part))
            .values(status="removed", updated_at=at)
        )
    still_active: set[int] = set()
    for part in chunked(user_ids):
        still_active.update(
            conn.execute(
                select(user_roles.c.user_id)
                .where(user_roles.c.user_id.in_(part), user_roles.c.status == "active")
                .distinct()
            ).scalars()
        )
    payer_staff: set[int] = set()
    for part in chunked(user_ids):
        payer_staff.update(
            conn.execute(
                select(users.c.id).where(users.c.id.in_(part), users.c.payer_role.is_not(None))
            ).scalars()
        )
    to_deactivate = sorted(set(user_ids) - still_active - payer_staff)
    deactivated: set[int] = set()
    for part in chunked(to_deactivate):
        deactivated.update(
            conn.execute(
                select(users.c.id).where(users.c.id.in_(part), users.c.status != "deactivated")
            ).scalars()
        )
        conn.execute(update(users).where(users.c.id.in_(part)).values(status="deactivated"))
    end_sessions_of(conn, user_ids, at)
    return deactivated


def end_sessions_of(conn: Connection, user_ids: Sequence[int], at: datetime) -> None:
    """Revoke every live session of many users in a few statements."""
    for part in chunked(list(user_ids)):
        conn.execute(
            update(sessions)
            .where(and_(sessions.c.user_id.in_(part), sessions.c.revoked_at.is_(None)))
            .values(revoked_at=at)
        )
