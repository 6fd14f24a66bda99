"""A small world for the admissions and referrals tests: a practice with a PCP, a specialist in
and one out of network, a hospital, a covered member, and a user per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert

from builders import add_provider, add_tin, add_user, make_npi, principal_for
from portal_core.models.identity import Principal, Role
from portal_core.store.engine import Database
from portal_core.store.schema import (
    coverage_spans,
    members,
    network_participation,
    pcp_assignments,
    plans,
    providers,
)

TIN = "461234567"
OTHER_TIN = "521234567"
MEMBER = "NW100000001"
UNCOVERED = "NW100000002"
PLAN = "NW-PPO-500"


@dataclass
class CareWorld:
    """Records and principals the tests use."""

    pcp: str
    other_doctor: str
    specialist: str
    out_of_network: str
    hospital: str
    staff: Principal
    """Staff at TIN affiliated with the PCP only."""
    narrow_staff: Principal
    """Staff at TIN affiliated with `other_doctor` only."""
    admin: Principal
    other_admin: Principal
    """Administrator of OTHER_TIN."""
    billing: Principal
    reviewer: Principal
    csr: Principal
    payer_admin: Principal
    specialist_staff: Principal
    """Staff at OTHER_TIN affiliated with the specialist."""


def build(db: Database) -> CareWorld:
    add_tin(db, TIN)
    add_tin(db, OTHER_TIN)
    pcp = add_provider(db, TIN, "Dr. Pat Primary")
    other_doctor = add_provider(db, TIN, "Dr. Olive Other")
    specialist = add_provider(db, OTHER_TIN, "Dr. Sam Special")
    out_of_network = add_provider(db, OTHER_TIN, "Dr. Owen Outside")
    hospital = make_npi(99000001)
    with db.write() as conn:
        conn.execute(
            insert(providers).values(npi=hospital, name="Lakeside Hospital", kind="facility")
        )
        conn.execute(
            insert(plans).values(plan_id=PLAN, name="Northwind PPO 500", product_line="commercial")
        )
        for member_id in (MEMBER, UNCOVERED):
            conn.execute(
                insert(members).values(
                    member_id=member_id,
                    first_name="Ada",
                    last_name="Member",
                    birth_date=date(1970, 1, 1),
                    sex="F",
                )
            )
        conn.execute(
            insert(coverage_spans).values(
                member_id=MEMBER, plan_id=PLAN, effective_date=date(2025, 1, 1), end_date=None
            )
        )
        conn.execute(
            insert(coverage_spans).values(
                member_id=UNCOVERED,
                plan_id=PLAN,
                effective_date=date(2024, 1, 1),
                end_date=date(2025, 12, 31),
            )
        )
        # The PCP took the member over on 2026-06-01; before that it was the other doctor.
        conn.execute(
            insert(pcp_assignments).values(
                member_id=MEMBER, npi=other_doctor, start_date=date(2025, 1, 1),
                end_date=date(2026, 5, 31),
            )
        )  # fmt: skip
        conn.execute(
            insert(pcp_assignments).values(
                member_id=MEMBER, npi=pcp, start_date=date(2026, 6, 1), end_date=None
            )
        )
        for npi in (pcp, other_doctor, specialist, hospital):
            conn.execute(
                insert(network_participation).values(
                    npi=npi, plan_id=PLAN, start_date=date(2020, 1, 1), end_date=None
                )
            )
        conn.execute(
            insert(network_participation).values(
                npi=out_of_network,
                plan_id=PLAN,
                start_date=date(2020, 1, 1),
                end_date=date(2026, 1, 31),
            )
        )

    def who(name: str, role: Role, tin: str | None = None, npis: tuple[str, ...] = ()) -> Principal:
        return principal_for(db, add_user(db, name, role, tin, npis=npis), tin)

    return CareWorld(
        pcp=pcp,
        other_doctor=other_doctor,
        specialist=specialist,
        out_of_network=out_of_network,
        hospital=hospital,
        staff=who("staff.one", Role.STAFF, TIN, (pcp,)),
        narrow_staff=who("staff.two", Role.STAFF, TIN, (other_doctor,)),
        admin=who("admin.one", Role.ADMINISTRATOR, TIN),
        other_admin=who("admin.other", Role.ADMINISTRATOR, OTHER_TIN),
        billing=who("billing.one", Role.BILLING, TIN, (pcp,)),
        reviewer=who("reviewer.one", Role.REVIEWER),
        csr=who("csr.one", Role.CSR),
        payer_admin=who("payer.admin1", Role.PAYER_ADMIN),
        specialist_staff=who("staff.spec", Role.STAFF, OTHER_TIN, (specialist,)),
    )
