"""Account consolidation: moving one account's TIN roles and affiliations into another.

When both accounts hold a role at the same TIN, an active role beats a pending request, and between
two of the same standing the broader role is kept (administrator > practice maintenance > provider >
staff > billing); each such conflict is told in a note.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from portal_core.models.identity import Role
from portal_core.rules.identifiers import format_tin
from portal_core.store.schema import user_affiliations, user_roles

ROLE_BREADTH = (
    Role.ADMINISTRATOR,
    Role.PRACTICE_MAINTENANCE,
    Role.PROVIDER,
    Role.STAFF,
    Role.BILLING,
)
"""Provider-side roles from broadest to narrowest (consolidation keeps the broader)."""


def move_roles(
    conn: Connection, from_id: int, to_id: int, now: datetime
) -> tuple[list[str], list[str]]:
    """Move every live TIN role and affiliation of `from_id` to `to_id`; (tins, notes)."""
    theirs = list(
        conn.execute(
            select(user_roles).where(
                user_roles.c.user_id == from_id,
                user_roles.c.status.in_(("active", "pending")),
            )
        ).mappings()
    )
    moved: list[str] = []
    notes: list[str] = []
    for role_row in sorted(theirs, key=lambda r: r["tin"]):
        tin = role_row["tin"]
        mine = (
            conn.execute(
                select(user_roles).where(user_roles.c.user_id == to_id, user_roles.c.tin == tin)
            )
            .mappings()
            .first()
        )
        if mine is None or mine["status"] == "removed":
            conn.execute(
                delete(user_roles).where(user_roles.c.user_id == to_id, user_roles.c.tin == tin)
            )
            conn.execute(
                insert(user_roles).values(
                    user_id=to_id,
                    tin=tin,
                    role=role_row["role"],
                    status=role_row["status"],
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            kept_role, kept_status, note = merge_roles(mine, role_row, format_tin(tin))
            if (kept_role, kept_status) != (mine["role"], mine["status"]):
                conn.execute(
                    update(user_roles)
                    .where(user_roles.c.user_id == to_id, user_roles.c.tin == tin)
                    .values(role=kept_role, status=kept_status, updated_at=now)
                )
            if note:
                notes.append(note)
        _move_affiliations(conn, from_id, to_id, tin)
        conn.execute(
            update(user_roles)
            .where(user_roles.c.user_id == from_id, user_roles.c.tin == tin)
            .values(status="removed", updated_at=now)
        )
        moved.append(tin)
    return moved, notes


def _move_affiliations(conn: Connection, from_id: int, to_id: int, tin: str) -> None:
    theirs = set(
        conn.execute(
            select(user_affiliations.c.npi).where(
                user_affiliations.c.user_id == from_id, user_affiliations.c.tin == tin
            )
        ).scalars()
    )
    mine = set(
        conn.execute(
            select(user_affiliations.c.npi).where(
                user_affiliations.c.user_id == to_id, user_affiliations.c.tin == tin
            )
        ).scalars()
    )
    for npi in sorted(theirs - mine):
        conn.execute(insert(user_affiliations).values(user_id=to_id, tin=tin, npi=npi))
    conn.execute(
        delete(user_affiliations).where(
            user_affiliations.c.user_id == from_id, user_affiliations.c.tin == tin
        )
    )


def merge_roles(
    mine: RowMapping, theirs: RowMapping, shown_tin: str
) -> tuple[str, str, str | None]:
    """The role and status kept when both accounts have one at a TIN, and a note on any conflict."""
    # An active role beats a pending request; between two of the same standing the broader wins.
    mine_key = (mine["status"] != "active", ROLE_BREADTH.index(Role(mine["role"])))
    theirs_key = (theirs["status"] != "active", ROLE_BREADTH.index(Role(theirs["role"])))
    if mine["role"] == theirs["role"] and mine["status"] == theirs["status"]:
        return mine["role"], mine["status"], None
    kept = mine if mine_key <= theirs_key else theirs
    dropped = theirs if kept is mine else mine

    def said(row: RowMapping) -> str:
        label = Role(row["role"]).label.lower()
        return label if row["status"] == "active" else f"a pending request ({label})"

    note = (
        f"Tax ID {shown_tin}: this account had {said(mine)} and the other account "
        f"{said(theirs)}; kept {said(kept)}, dropped {said(dropped)}."
    )
    return kept["role"], kept["status"], note
