"""Minimum necessary, as SQL: which claims, payments and members a principal may see.

A provider-side user sees records of their TINs, and within them only those tied to the providers
they are affiliated with (administrators and practice maintenance users see the whole TIN). A
member is visible when their PCP is one of those providers or a claim, admission or referral in
scope ties them to one, or a submitted preauthorization request. Payer-side readers see
everything. Each check names the action, so a role that may not do it sees nothing at that TIN.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, exists, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from portal_core.models.identity import Principal
from portal_core.rules.permissions import WHOLE_TIN_ROLES, Action, allowed, sees_all_tins
from portal_core.store.schema import (
    admissions,
    claims,
    pcp_assignments,
    preauth_requests,
    provider_tins,
    referrals,
)


def scoped_tins(
    principal: Principal, action: Action, now: datetime
) -> dict[str, frozenset[str] | None]:
    """TINs where the principal may do `action`: None for the whole TIN, else affiliated NPIs."""
    scopes: dict[str, frozenset[str] | None] = {}
    for tin, role in principal.tin_roles.items():
        if not allowed(principal, action, tin, now):
            continue
        scopes[tin] = (
            None if role in WHOLE_TIN_ROLES else principal.affiliations.get(tin, frozenset())
        )
    return scopes


def claim_condition(principal: Principal, action: Action, now: datetime) -> ColumnElement[bool]:
    """The claims the principal may see for `action`."""
    if sees_all_tins(principal) and allowed(principal, action, None, now):
        return true()
    conditions: list[ColumnElement[bool]] = []
    for tin, npis in scoped_tins(principal, action, now).items():
        if npis is None:
            conditions.append(claims.c.tin == tin)
        elif npis:
            tied = or_(
                claims.c.rendering_npi.in_(sorted(npis)), claims.c.billing_npi.in_(sorted(npis))
            )
            conditions.append(and_(claims.c.tin == tin, tied))
    return or_(*conditions) if conditions else false()


def tin_condition(
    principal: Principal, action: Action, now: datetime, column: ColumnElement[str]
) -> ColumnElement[bool]:
    """Rows of a TIN-level table (payments) the principal may see for `action`."""
    if sees_all_tins(principal) and allowed(principal, action, None, now):
        return true()
    tins = sorted(scoped_tins(principal, action, now))
    return column.in_(tins) if tins else false()


def provider_npis(
    conn: Connection, principal: Principal, action: Action, now: datetime
) -> set[str] | None:
    """Every NPI the principal works for under `action` (None: payer side, all of them)."""
    if sees_all_tins(principal) and allowed(principal, action, None, now):
        return None
    found: set[str] = set()
    for tin, npis in scoped_tins(principal, action, now).items():
        if npis is None:
            found.update(
                conn.execute(
                    select(provider_tins.c.npi).where(provider_tins.c.tin == tin)
                ).scalars()
            )
        else:
            found.update(npis)
    return found


def member_visible(
    conn: Connection, principal: Principal, member_id: str, action: Action, now: datetime
) -> bool:
    """True when the member is tied to the principal's providers (or the principal reads all)."""
    npis = provider_npis(conn, principal, action, now)
    if npis is None:
        return True
    if npis:
        by_pcp = conn.execute(
            select(
                exists().where(
                    pcp_assignments.c.member_id == member_id,
                    pcp_assignments.c.npi.in_(sorted(npis)),
                )
            )
        ).scalar()
        if by_pcp:
            return True
    by_claim = conn.execute(
        select(
            exists().where(
                claims.c.member_id == member_id,
                claim_condition(principal, Action.READ_CLAIMS, now),
            )
        )
    ).scalar()
    if by_claim:
        return True
    # An admission notified or a referral made by the user's providers ties the member too.
    by_admission = conn.execute(
        select(
            exists().where(
                admissions.c.member_id == member_id,
                admissions.c.status != "draft",
                admission_condition(principal, Action.READ_ADMISSIONS, now),
            )
        )
    ).scalar()
    if by_admission:
        return True
    by_referral = conn.execute(
        select(
            exists().where(
                referrals.c.member_id == member_id,
                referral_condition(principal, Action.READ_REFERRALS, now),
            )
        )
    ).scalar()
    if by_referral:
        return True
    # So does a submitted preauthorization request.
    by_preauth = conn.execute(
        select(
            exists().where(
                preauth_requests.c.member_id == member_id,
                preauth_requests.c.status != "draft",
                preauth_condition(principal, Action.READ_PREAUTH, now),
            )
        )
    ).scalar()
    return bool(by_preauth)


def admission_condition(principal: Principal, action: Action, now: datetime) -> ColumnElement[bool]:
    """The admissions the principal may see for `action`: the facility's or the admitting
    provider's at the notifying TIN, and the user's own (a draft may name no provider yet);
    payer-side readers: every one but drafts."""
    if sees_all_tins(principal) and allowed(principal, action, None, now):
        return admissions.c.status != "draft"
    conditions: list[ColumnElement[bool]] = []
    for tin, npis in scoped_tins(principal, action, now).items():
        if npis is None:
            conditions.append(admissions.c.tin == tin)
            continue
        tied = admissions.c.created_by == principal.user_id
        if npis:
            tied = or_(
                tied,
                admissions.c.facility_npi.in_(sorted(npis)),
                admissions.c.admitting_npi.in_(sorted(npis)),
            )
        conditions.append(and_(admissions.c.tin == tin, tied))
    return or_(*conditions) if conditions else false()


def referral_condition(principal: Principal, action: Action, now: datetime) -> ColumnElement[bool]:
    """The referrals the principal may see for `action`: made by their providers at the
    referring TIN, or sent to one of their providers as the specialist (whatever the TIN)."""
    if sees_all_tins(principal) and allowed(principal, action, None, now):
        return true()
    conditions: list[ColumnElement[bool]] = []
    for tin, npis in scoped_tins(principal, action, now).items():
        if npis is None:
            tin_npis = select(provider_tins.c.npi).where(provider_tins.c.tin == tin)
            conditions.append(referrals.c.tin == tin)
            conditions.append(referrals.c.specialist_npi.in_(tin_npis))
        elif npis:
            listed = sorted(npis)
            conditions.append(and_(referrals.c.tin == tin, referrals.c.referring_npi.in_(listed)))
            conditions.append(referrals.c.specialist_npi.in_(listed))
    return or_(*conditions) if conditions else false()


def preauth_condition(principal: Principal, action: Action, now: datetime) -> ColumnElement[bool]:
    """The preauthorization requests the principal may see for `action`: their TINs' requests
    whose requesting or servicing provider is one of theirs (the whole TIN for administrators);
    payer-side readers: every one but drafts."""
    if sees_all_tins(principal) and allowed(principal, action, None, now):
        return preauth_requests.c.status != "draft"
    conditions: list[ColumnElement[bool]] = []
    for tin, npis in scoped_tins(principal, action, now).items():
        if npis is None:
            conditions.append(preauth_requests.c.tin == tin)
        elif npis:
            tied = or_(
                preauth_requests.c.requesting_npi.in_(sorted(npis)),
                preauth_requests.c.servicing_npi.in_(sorted(npis)),
            )
            conditions.append(and_(preauth_requests.c.tin == tin, tied))
    return or_(*conditions) if conditions else false()
