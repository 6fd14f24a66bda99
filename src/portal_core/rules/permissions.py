"""The permission matrix: which role may do which action, and the scope of each role.

Every service method names one `Action` and calls `require()` (or `allowed()`), so the matrix here
is the single answer to "may this role do this?". Scope (which TINs and providers) is checked by
`tin_in_scope()` and `provider_in_scope()`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from portal_core.errors import PermissionDenied
from portal_core.models.identity import Account, Principal, Role

A = Role.ADMINISTRATOR
PM = Role.PRACTICE_MAINTENANCE
PRV = Role.PROVIDER
STF = Role.STAFF
BIL = Role.BILLING
CSR = Role.CSR
REV = Role.REVIEWER
PAD = Role.PAYER_ADMIN
BG = Role.BREAK_GLASS


class Action(StrEnum):
    """Everything a user can ask the portal to do, named for the permission check."""

    # identity (every signed-in user acts on their own account)
    OWN_ACCOUNT = "own_account"
    VIEW_ADMINISTRATORS = "view_administrators"
    REGISTER_ADDITIONAL_TIN = "register_additional_tin"
    HAND_OVER_ADMIN = "hand_over_admin"
    BREAK_GLASS = "break_glass"
    # user management
    VIEW_USERS = "view_users"
    MANAGE_USERS = "manage_users"
    MANAGE_ADMINISTRATORS = "manage_administrators"
    MANAGE_PAYER_STAFF = "manage_payer_staff"
    # user reviews
    RUN_REVIEWS = "run_reviews"
    VIEW_OVERDUE_REVIEWS = "view_overdue_reviews"
    # audit
    READ_AUDIT = "read_audit"
    # documents and notifications
    READ_DOCUMENTS = "read_documents"
    # members
    CHECK_ELIGIBILITY = "check_eligibility"
    READ_MEMBERS = "read_members"
    READ_CARE_PLANS = "read_care_plans"
    # claims and payments
    READ_CLAIMS = "read_claims"
    READ_PAYMENTS = "read_payments"
    SUBMIT_CLAIM_DOCUMENTS = "submit_claim_documents"
    FILE_INQUIRIES = "file_inquiries"
    ANSWER_INQUIRIES = "answer_inquiries"
    RUN_CLAIM_REPORTS = "run_claim_reports"
    # preauth, admissions, referrals
    REQUEST_PREAUTH = "request_preauth"
    READ_PREAUTH = "read_preauth"
    READ_PREAUTH_TEMPLATES = "read_preauth_templates"
    READ_PREAUTH_CLINICAL = "read_preauth_clinical"
    DECIDE_PREAUTH = "decide_preauth"
    MANAGE_PREAUTH_TEMPLATES = "manage_preauth_templates"
    NOTIFY_ADMISSIONS = "notify_admissions"
    REVIEW_ADMISSIONS = "review_admissions"
    MANAGE_REFERRALS = "manage_referrals"
    READ_ADMISSIONS = "read_admissions"
    READ_REFERRALS = "read_referrals"
    # messages
    SEND_MESSAGES = "send_messages"
    ANSWER_MESSAGES = "answer_messages"
    # provider profiles and announcements
    READ_PROVIDERS = "read_providers"
    REQUEST_PROFILE_UPDATE = "request_profile_update"
    APPROVE_PROFILE_UPDATE = "approve_profile_update"
    PUBLISH_ANNOUNCEMENTS = "publish_announcements"


EVERYONE = frozenset(Role)
PROVIDER_SIDE = frozenset({A, PM, PRV, STF, BIL})
CLINICAL_PROVIDER_SIDE = frozenset({A, PM, PRV, STF})
READ_ALL = frozenset({CSR, BG})

MATRIX: dict[Action, frozenset[Role]] = {
    Action.OWN_ACCOUNT: EVERYONE,
    Action.VIEW_ADMINISTRATORS: EVERYONE,
    Action.REGISTER_ADDITIONAL_TIN: PROVIDER_SIDE,
    Action.HAND_OVER_ADMIN: frozenset({A}),
    Action.BREAK_GLASS: frozenset({BG}),
    Action.VIEW_USERS: frozenset({A, PM, PAD, CSR, BG}),
    Action.MANAGE_USERS: frozenset({A, PM}),
    Action.MANAGE_ADMINISTRATORS: frozenset({A}),
    Action.MANAGE_PAYER_STAFF: frozenset({PAD}),
    Action.RUN_REVIEWS: frozenset({A, PM}),
    Action.VIEW_OVERDUE_REVIEWS: frozenset({PAD}),
    Action.READ_AUDIT: frozenset({PAD}),
    Action.READ_DOCUMENTS: frozenset({A, PM, PRV, STF, BIL, CSR, REV, PAD, BG}),
    Action.CHECK_ELIGIBILITY: CLINICAL_PROVIDER_SIDE | {BIL} | READ_ALL,
    # Reviewers read only the members of their queue (`record_scope.member_condition`).
    Action.READ_MEMBERS: CLINICAL_PROVIDER_SIDE | {BIL, REV} | READ_ALL,
    Action.READ_CARE_PLANS: CLINICAL_PROVIDER_SIDE | {REV} | READ_ALL,
    Action.READ_CLAIMS: PROVIDER_SIDE | READ_ALL,
    Action.READ_PAYMENTS: frozenset({A, PM, PRV, BIL}) | READ_ALL,
    Action.SUBMIT_CLAIM_DOCUMENTS: PROVIDER_SIDE,
    Action.FILE_INQUIRIES: PROVIDER_SIDE,
    Action.ANSWER_INQUIRIES: frozenset({CSR}),
    Action.RUN_CLAIM_REPORTS: PROVIDER_SIDE | READ_ALL,
    Action.REQUEST_PREAUTH: CLINICAL_PROVIDER_SIDE,
    # Billing sees requests (not their clinical answers); reviewers read what they decide.
    Action.READ_PREAUTH: PROVIDER_SIDE | {REV} | READ_ALL,
    Action.READ_PREAUTH_TEMPLATES: EVERYONE,
    Action.READ_PREAUTH_CLINICAL: CLINICAL_PROVIDER_SIDE | {REV} | READ_ALL,
    Action.DECIDE_PREAUTH: frozenset({REV}),
    Action.MANAGE_PREAUTH_TEMPLATES: frozenset({PAD}),
    Action.NOTIFY_ADMISSIONS: CLINICAL_PROVIDER_SIDE,
    Action.REVIEW_ADMISSIONS: frozenset({REV}),
    Action.MANAGE_REFERRALS: CLINICAL_PROVIDER_SIDE,
    # Clinical records: no billing; reviewers read the admissions they review (their queue),
    # the payer's readers every TIN's. Referrals are no reviewer's work (minimum necessary).
    Action.READ_ADMISSIONS: CLINICAL_PROVIDER_SIDE | {REV} | READ_ALL,
    Action.READ_REFERRALS: CLINICAL_PROVIDER_SIDE | READ_ALL,
    Action.SEND_MESSAGES: PROVIDER_SIDE | {CSR},
    Action.ANSWER_MESSAGES: frozenset({CSR}),
    Action.READ_PROVIDERS: EVERYONE,
    Action.REQUEST_PROFILE_UPDATE: frozenset({A}),
    Action.APPROVE_PROFILE_UPDATE: frozenset({PAD}),
    Action.PUBLISH_ANNOUNCEMENTS: frozenset({PAD}),
}
"""Roles allowed each action. Scope comes on top: a provider-side role acts only within its TINs."""

WHOLE_TIN_ROLES = frozenset({A, PM})
"""Provider-side roles that see the whole TIN, not only their affiliated providers."""


def _break_glass_live(principal: Principal, now: datetime | None) -> bool:
    """Whether the break-glass window is open: at `now` when given, else as resolved.

    A principal is resolved from its session on every call and carries `break_glass_until` only
    while the window is open then, so without a `now` its presence is the answer.
    """
    if principal.break_glass_until is None:
        return False
    return now is None or principal.break_glass_until > now


def roles_for(principal: Principal, tin: str | None = None) -> set[Role]:
    """The roles the principal can act with: at `tin`, or anywhere when `tin` is None."""
    roles: set[Role] = set()
    if principal.payer_role is not None:
        roles.add(principal.payer_role)
    if tin is None:
        roles.update(principal.tin_roles.values())
    elif tin in principal.tin_roles:
        roles.add(principal.tin_roles[tin])
    return roles


def allowed(
    principal: Principal, action: Action, tin: str | None = None, now: datetime | None = None
) -> bool:
    """True when some role of the principal (at `tin`, when given) may do `action`.

    `break_glass` users act only during a live, reasoned break-glass window, and only to read.
    """
    permitted = MATRIX[action]
    for role in roles_for(principal, tin):
        if role not in permitted:
            continue
        reads_in_window = action not in (Action.OWN_ACCOUNT, Action.BREAK_GLASS)
        if role is Role.BREAK_GLASS and reads_in_window and not _break_glass_live(principal, now):
            continue
        return True
    return False


def require(
    principal: Principal, action: Action, tin: str | None = None, now: datetime | None = None
) -> None:
    """Raise `PermissionDenied` unless `allowed()`."""
    if not allowed(principal, action, tin, now):
        raise PermissionDenied("Your role does not allow this.")


def sees_all_tins(principal: Principal) -> bool:
    """Payer-side users read across organizations (break-glass only inside its window)."""
    role = principal.payer_role
    if role is None:
        return False
    if role is Role.BREAK_GLASS:
        return _break_glass_live(principal, None)
    return True


def tin_in_scope(principal: Principal, tin: str) -> bool:
    """True when the principal may see records of `tin` at all."""
    return sees_all_tins(principal) or tin in principal.tin_roles


def provider_in_scope(principal: Principal, tin: str, npi: str) -> bool:
    """True when the principal may see records of provider `npi` billed under `tin`.

    Administrators and practice maintenance users see the whole TIN; other provider-side users only
    the providers they are affiliated with.
    """
    if sees_all_tins(principal):
        return True
    role = principal.tin_roles.get(tin)
    if role is None:
        return False
    if role in WHOLE_TIN_ROLES:
        return True
    return npi in principal.affiliations.get(tin, frozenset())


def can_grant(principal: Principal, tin: str, role: Role) -> bool:
    """Whether the principal may give `role` at `tin` (practice maintenance cannot make admins)."""
    if role.is_payer:
        return allowed(principal, Action.MANAGE_PAYER_STAFF)
    if not allowed(principal, Action.MANAGE_USERS, tin):
        return False
    if role is Role.ADMINISTRATOR:
        return allowed(principal, Action.MANAGE_ADMINISTRATORS, tin)
    return True


def account_principal(account: Account) -> Principal:
    """The principal a signed-in account acts as, from what the account carries: its payer role,
    its active TIN roles and affiliations, and its break-glass window. For interfaces (the TUI)
    that hold the account, not the session, so that what they offer is what `allowed()` grants;
    the portal still decides every call from the session's own principal."""
    active = [role for role in account.roles if role.status == "active"]
    return Principal(
        user_id=account.id,
        username=account.username,
        session_key="",
        payer_role=account.payer_role,
        tin_roles={role.tin: role.role for role in active},
        affiliations={role.tin: frozenset(role.affiliations) for role in active},
        active_tin=account.active_tin,
        break_glass_until=account.break_glass_until,
    )


def account_allowed(
    account: Account, action: Action, tin: str | None = None, now: datetime | None = None
) -> bool:
    """`allowed()` for the account's principal (see `account_principal`)."""
    return allowed(account_principal(account), action, tin, now)
