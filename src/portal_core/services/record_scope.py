"""Minimum necessary, as SQL: which claims, payments and members a principal may see.

A billing user (or staff, or a provider) sees the claims and the EOPs of the providers they are
affiliated with, one rule for both: an EOP is theirs when it pays one of those providers' claims.

A provider-side user sees records of their TINs, and within them only those tied to the providers
they are affiliated with (administrators and practice maintenance users see the whole TIN). A
member is visible when their PCP is one of those providers or a claim, admission or referral in
scope ties them to one, or a submitted preauthorization request. Payer-side readers see as far as
their work reaches (`rules.document_access.PAYER_WORK`): the call center every organization's
records, a reviewer its queue and the members in it. Each check names the action, so a role that
may not do it sees nothing at that TIN.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, String, and_, exists, false, literal, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from portal_core.models.identity import Principal
from portal_core.rules.document_access import PayerReach, Record, payer_reach
from portal_core.rules.permissions import WHOLE_TIN_ROLES, Action, allowed, sees_all_tins
from portal_core.store.schema import (
    admissions,
    claims,
    payments,
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


def payment_condition(
    principal: Principal,
    action: Action,
    now: datetime,
    payee_tin: ColumnElement[str] = payments.c.payee_tin,
    payment_id: ColumnElement[int] = payments.c.id,
) -> ColumnElement[bool]:
    """The payments (EOPs) the principal may see for `action`, as claims are seen: the whole
    payee TIN's for administrators and practice maintenance users (and payer-side readers),
    else the EOPs paying a claim of a provider the user is affiliated with (`claim_condition`).
    An EOP's other claims stay hidden from such a user; the EOP says how many there are."""
    if sees_all_tins(principal) and allowed(principal, action, None, now):
        return true()
    conditions: list[ColumnElement[bool]] = []
    for tin, npis in scoped_tins(principal, action, now).items():
        if npis is None:
            conditions.append(payee_tin == tin)
        elif npis:
            tied = or_(
                claims.c.rendering_npi.in_(sorted(npis)), claims.c.billing_npi.in_(sorted(npis))
            )
            paid = exists().where(claims.c.payment_id == payment_id, claims.c.tin == tin, tied)
            conditions.append(and_(payee_tin == tin, paid))
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
    """Every NPI the principal works for under `action` (None: payer side, all of them).

    A payer-side role whose work reaches only its queue (a reviewer) works for no provider: it
    gets an empty set, so no PCP panel opens to it.
    """
    if sees_all_tins(principal) and allowed(principal, action, None, now):
        reach = payer_reach(principal, _MEMBER_RECORDS.get(action, Record.MEMBER))
        return None if reach is PayerReach.EVERY_ORGANIZATION else set()
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


_MEMBER_RECORDS = {Action.READ_CARE_PLANS: Record.CARE_PLAN}
"""The record kind a member read names in the payer work table (else `Record.MEMBER`)."""


def queue_member_condition(member_id: ColumnElement[str]) -> ColumnElement[bool]:
    """Members named by a record in the reviewers' queue: a submitted preauthorization or a
    notified admission (drafts are the provider's own)."""
    return or_(
        exists().where(
            preauth_requests.c.member_id == member_id, preauth_requests.c.status != "draft"
        ),
        exists().where(admissions.c.member_id == member_id, admissions.c.status != "draft"),
    )


def member_condition(
    principal: Principal, action: Action, now: datetime, member_id: ColumnElement[str]
) -> ColumnElement[bool]:
    """The members (by the `member_id` column or value) the principal may read for `action`.

    Provider side: the member's PCP is one of the user's providers, or a claim, admission,
    referral or submitted preauthorization in the user's scope ties the member to them. Payer
    side: as far as the role's work reaches (`rules.document_access.PAYER_WORK`): every member
    for the call center and break glass, the queue's members for a reviewer, none otherwise.
    """
    if principal.payer_role is not None and sees_all_tins(principal):
        if not allowed(principal, action, None, now):
            return false()
        reach = payer_reach(principal, _MEMBER_RECORDS.get(action, Record.MEMBER))
        if reach is PayerReach.EVERY_ORGANIZATION:
            return true()
        if reach is PayerReach.QUEUE:
            return queue_member_condition(member_id)
        return false()
    conditions: list[ColumnElement[bool]] = []
    whole = [tin for tin, npis in scoped_tins(principal, action, now).items() if npis is None]
    listed = sorted(
        {npi for npis in scoped_tins(principal, action, now).values() if npis for npi in npis}
    )
    if whole:
        conditions.append(
            exists().where(
                pcp_assignments.c.member_id == member_id,
                pcp_assignments.c.npi.in_(
                    select(provider_tins.c.npi).where(provider_tins.c.tin.in_(whole))
                ),
            )
        )
    if listed:
        conditions.append(
            exists().where(
                pcp_assignments.c.member_id == member_id, pcp_assignments.c.npi.in_(listed)
            )
        )
    conditions.append(
        exists().where(
            claims.c.member_id == member_id,
            claim_condition(principal, Action.READ_CLAIMS, now),
        )
    )
    # An admission notified or a referral made by the user's providers ties the member too.
    conditions.append(
        exists().where(
            admissions.c.member_id == member_id,
            admissions.c.status != "draft",
            admission_condition(principal, Action.READ_ADMISSIONS, now),
        )
    )
    conditions.append(
        exists().where(
            referrals.c.member_id == member_id,
            referral_condition(principal, Action.READ_REFERRALS, now),
        )
    )
    # So does a submitted preauthorization request.
    conditions.append(
        exists().where(
            preauth_requests.c.member_id == member_id,
            preauth_requests.c.status != "draft",
            preauth_condition(principal, Action.READ_PREAUTH, now),
        )
    )
    return or_(*conditions)


def member_visible(
    conn: Connection, principal: Principal, member_id: str, action: Action, now: datetime
) -> bool:
    """True when the principal may read the member for `action` (`member_condition`)."""
    condition = member_condition(principal, action, now, literal(member_id, String()))
    return bool(conn.execute(select(condition)).scalar())


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
