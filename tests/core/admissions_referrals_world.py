"""The demo's admissions and referrals the permission matrix calls with (tied to Dr. Rivera)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, exists, select

from portal_core.demo.catalog import MAIN_TIN
from portal_core.store.schema import admissions, provider_tins, referrals


def admissions_referrals_world(conn: Connection, npi: str) -> dict[str, Any]:
    """A draft and an open (not yet determined) admission admitted by `npi` at the main TIN, an
    active referral from `npi` to a specialist not of Riverbend's, and that specialist."""

    def admission(status: str, reviewed: bool = False) -> str:
        query = select(admissions.c.number).where(
            admissions.c.tin == MAIN_TIN,
            admissions.c.admitting_npi == npi,
            admissions.c.status == status,
        )
        if status == "in_review":
            query = query.where(admissions.c.review_count == 0)
        number = conn.execute(query.order_by(admissions.c.id)).scalar()
        assert number, f"the demo has no {status} admission by the main provider"
        return str(number)

    # Not a specialist of Riverbend's, whose administrator must not see the referral.
    elsewhere = exists().where(
        provider_tins.c.npi == referrals.c.specialist_npi,
        provider_tins.c.tin.in_(("521234567", "521234568")),
    )
    referral = conn.execute(
        select(referrals.c.number, referrals.c.specialist_npi)
        .where(
            referrals.c.tin == MAIN_TIN,
            referrals.c.referring_npi == npi,
            referrals.c.status == "active",
            referrals.c.visits_used < referrals.c.visits_authorized - 1,
            ~elsewhere,
        )
        .order_by(referrals.c.end_date.desc())
    ).first()
    assert referral, "the demo has no active referral from the main provider"
    return {
        "admission_draft": admission("draft"),
        "admission_open": admission("in_review"),
        "referral": referral.number,
        "specialist_npi": referral.specialist_npi,
    }
