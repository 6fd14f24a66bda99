"""A seeded small demo shared by the members and claims tests (seeded once, copied per test)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, select

from portal_core.demo.catalog import MAIN_TIN
from portal_core.models.identity import Principal
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.schema import (
    care_plans,
    claims,
    members,
    pcp_assignments,
    user_affiliations,
    users,
)


@dataclass
class World:
    """Records the tests refer to."""

    rivera_npi: str
    member_id: str
    birth_date: date
    care_plan_id: int
    claim_number: str
    other_tin_claim: str
    denied_claim: str


def principal(db: Database, username: str) -> Principal:
    """A demo user as a live session resolves them."""
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).mappings().one()
        roles = accounts.active_roles(conn, row["id"])
        from portal_core.models.identity import Role

        return Principal(
            user_id=row["id"],
            username=username,
            session_key="test",
            payer_role=Role(row["payer_role"]) if row["payer_role"] else None,
            tin_roles=roles,
            affiliations=accounts.affiliations(conn, row["id"]),
            active_tin=row["default_tin"],
        )


def world(db: Database) -> World:
    with db.read() as conn:
        rivera = conn.execute(select(users.c.id).where(users.c.username == "dr.rivera")).scalar()
        npi = conn.execute(
            select(user_affiliations.c.npi).where(user_affiliations.c.user_id == rivera)
        ).scalar()
        member: Any = conn.execute(
            select(members.c.member_id, members.c.birth_date, care_plans.c.id)
            .join(pcp_assignments, pcp_assignments.c.member_id == members.c.member_id)
            .join(care_plans, care_plans.c.member_id == members.c.member_id)
            .where(
                pcp_assignments.c.npi == npi,
                pcp_assignments.c.end_date.is_(None),
                ~exists().where(
                    claims.c.member_id == members.c.member_id, claims.c.tin != MAIN_TIN
                ),
            )
            .order_by(members.c.member_id)
        ).first()
        claim = conn.execute(
            select(claims.c.claim_number)
            .where(claims.c.rendering_npi == npi, claims.c.status == "paid")
            .order_by(claims.c.id)
        ).scalar()
        other = conn.execute(
            select(claims.c.claim_number).where(claims.c.tin == "521234568").order_by(claims.c.id)
        ).scalar()
        denied = conn.execute(
            select(claims.c.claim_number)
            .where(claims.c.rendering_npi == npi, claims.c.status == "denied")
            .order_by(claims.c.adjudicated_date.desc())
            .offset(5)
        ).scalar()
    return World(npi, member.member_id, member.birth_date, member.id, str(claim), str(other),
                 str(denied))  # fmt: skip
