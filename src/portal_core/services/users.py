"""User management: administrators and practice maintenance users manage the users of their TINs;
payer administrators manage payer staff; call-center and break-glass users may look.

Scope: a user outside the actor's TINs is reported as not found (no existence leak) and the attempt
is audited as denied. Practice maintenance users cannot create, edit, promote to or demote an
administrator. Role changes, removals and affiliation changes go through
`store.users.apply_access_changes`, which the review sign-off uses too, so the rule that a TIN
keeps an active administrator lives in one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, literal, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from portal_core.clock import Clock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.common import Page
from portal_core.models.identity import (
    Principal,
    ProviderBrief,
    Role,
    TinRole,
    UserStatus,
)
from portal_core.models.users import (
    SIGN_IN_HISTORY_LIMIT,
    ContactUpdate,
    NewUser,
    SignInEvent,
    UserDetail,
    UserFilter,
    UserSummary,
)
from portal_core.rules.identifiers import (
    format_tin,
    parse_email,
    parse_tin,
    parse_username,
    username_key,
)
from portal_core.rules.permissions import Action, allowed, can_grant, sees_all_tins
from portal_core.services import audit, keyset, throttles
from portal_core.services.email_proof import pending_address, start_proof
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.schema import (
    audit_log,
    provider_tins,
    providers,
    tins,
    user_affiliations,
    user_roles,
    users,
)
from portal_core.store.users import apply_access_changes, current_providers

PAYER_STAFF_LIST = "payer"
"""What the audit log names as the TIN of payer-staff lists."""


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _effective_status(user_status: str, role_status: str) -> UserStatus:
    """A user's standing at one TIN: removed there reads as deactivated, pending as pending."""
    if role_status == "removed":
        return UserStatus.DEACTIVATED
    if role_status == "pending":
        return UserStatus.PENDING
    return UserStatus(user_status)


class UserAdminService:
    """Create, edit, approve, deactivate and reactivate users within the actor's rights."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    # -- plumbing ---------------------------------------------------------------------------------
    def _deny(
        self, principal: Principal, action: str, user_id: int | None, tin: str | None
    ) -> None:
        """Record a refused attempt in its own transaction."""
        audit.record_refusal(
            self.db,
            self.clock.now(),
            principal,
            action,
            tin=tin,
            record_kind="user",
            record_id=user_id,
        )

    @contextmanager
    def _acting(
        self,
        principal: Principal,
        action: str,
        user_id: int | None,
        tin: str | None,
        *,
        read_only: bool = False,
    ) -> Iterator[Connection]:
        """A transaction (a write one unless `read_only`) whose refusals (not found, not allowed)
        are audited as denied, in a transaction of their own since this one rolls back."""
        try:
            with self.db.read() if read_only else self.db.write() as conn:
                yield conn
        except (NotFound, PermissionDenied):
            self._deny(principal, action, user_id, tin)
            raise

    def _viewable_tins(self, principal: Principal) -> set[str]:
        now = self.clock.now()
        return {
            tin for tin in principal.tin_roles if allowed(principal, Action.VIEW_USERS, tin, now)
        }

    def _target(self, conn: Connection, principal: Principal, user_id: int) -> RowMapping:
        """The user's row when the actor may see them, else `NotFound`."""
        row = accounts.user_row(conn, user_id)
        if row is None:
            raise NotFound("No such user.")
        if sees_all_tins(principal) and allowed(
            principal, Action.VIEW_USERS, None, self.clock.now()
        ):
            return row
        tins_seen = self._viewable_tins(principal)
        if tins_seen:
            shared = conn.execute(
                select(user_roles.c.tin).where(
                    user_roles.c.user_id == user_id, user_roles.c.tin.in_(tins_seen)
                )
            ).first()
            if shared is not None:
                return row
        raise NotFound("No such user.")

    def _role_row(self, conn: Connection, user_id: int, tin: str) -> RowMapping:
        row = (
            conn.execute(
                select(user_roles).where(user_roles.c.user_id == user_id, user_roles.c.tin == tin)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound("No such user at that Tax ID.")
        return row

    def _require_manage_at(self, principal: Principal, tin: str, *roles: Role) -> None:
        """The actor may manage users at `tin`, including administrators if any of `roles` is."""
        now = self.clock.now()
        if not allowed(principal, Action.MANAGE_USERS, tin, now):
            raise PermissionDenied("Your role does not allow this.")
        if Role.ADMINISTRATOR in roles and not allowed(
            principal, Action.MANAGE_ADMINISTRATORS, tin, now
        ):
            raise PermissionDenied("Only an administrator can change an administrator's access.")

    def _require_manage(self, conn: Connection, principal: Principal, target: RowMapping) -> None:
        """The actor may manage this user at some TIN they share (or as payer staff)."""
        now = self.clock.now()
        if target["payer_role"] is not None:
            if not allowed(principal, Action.MANAGE_PAYER_STAFF, None, now):
                raise PermissionDenied("Your role does not allow this.")
            return
        rows = conn.execute(
            select(user_roles.c.tin, user_roles.c.role).where(user_roles.c.user_id == target["id"])
        )
        for row in rows:
            if not allowed(principal, Action.MANAGE_USERS, row.tin, now):
                continue
            if row.role != Role.ADMINISTRATOR.value or allowed(
                principal, Action.MANAGE_ADMINISTRATORS, row.tin, now
            ):
                return
        raise PermissionDenied("Your role does not allow this.")

    def _require_manage_contact(
        self, conn: Connection, principal: Principal, target: RowMapping
    ) -> None:
        """The actor manages the user at every TIN the user belongs to (or as payer staff):
        contact details are the user's everywhere, so one TIN's administrator may not change
        them for another TIN's user."""
        now = self.clock.now()
        if target["payer_role"] is not None:
            self._require_manage(conn, principal, target)
            return
        rows = list(
            conn.execute(
                select(user_roles.c.tin, user_roles.c.role, user_roles.c.status).where(
                    user_roles.c.user_id == target["id"]
                )
            )
        )
        current = [row for row in rows if row.status != "removed"] or rows
        for row in current:
            if not allowed(principal, Action.MANAGE_USERS, row.tin, now) or (
                row.role == Role.ADMINISTRATOR.value
                and not allowed(principal, Action.MANAGE_ADMINISTRATORS, row.tin, now)
            ):
                raise PermissionDenied(
                    "This user also works for a Tax ID you do not administer: only they, or an "
                    "administrator of all their Tax IDs, can change their contact details."
                )
        if not current:
            raise PermissionDenied("Your role does not allow this.")

    def _check_npis(self, conn: Connection, tin: str, npis: list[str]) -> list[str]:
        wanted = sorted({npi.strip() for npi in npis if npi.strip()})
        known = current_providers(conn, tin, self.clock.now().date())
        if any(npi not in known for npi in wanted):
            raise ValidationFailed(
                "Choose only providers who work under this Tax ID.", field="affiliations"
            )
        return wanted

    def _detail(self, conn: Connection, principal: Principal, user_id: int) -> UserDetail:
        row = accounts.user_row(conn, user_id)
        if row is None:
            raise NotFound("No such user.")
        query = (
            select(user_roles.c.tin, tins.c.name, user_roles.c.role, user_roles.c.status)
            .join(tins, tins.c.tin == user_roles.c.tin)
            .where(user_roles.c.user_id == user_id)
            .order_by(user_roles.c.tin)
        )
        if not sees_all_tins(principal):
            query = query.where(user_roles.c.tin.in_(self._viewable_tins(principal)))
        role_rows = list(conn.execute(query))
        affiliations = accounts.affiliations(conn, user_id)
        roles = [
            TinRole(
                tin=r.tin,
                tin_name=r.name,
                role=Role(r.role),
                status=r.status,
                affiliations=sorted(affiliations.get(r.tin, frozenset())),
            )
            for r in role_rows
        ]
        return UserDetail(
            id=row["id"],
            username=row["username"],
            full_name=row["full_name"],
            email=row["email"],
            phone=row["phone"],
            status=UserStatus(row["status"]),
            locked=bool(row["locked"]),
            totp_enabled=bool(row["totp_enabled"]),
            payer_role=Role(row["payer_role"]) if row["payer_role"] else None,
            roles=roles,
            created_at=row["created_at"],
            last_sign_in_at=row["last_sign_in_at"],
            email_verified=row["email_verified_at"] is not None,
            pending_email=pending_address(conn, user_id, self.clock.now()),
        )

    def _record(
        self,
        conn: Connection,
        principal: Principal,
        action: str,
        user_id: int,
        tin: str | None,
        detail: Mapping[str, Any],
        reason: str | None = None,
    ) -> None:
        audit.record(
            conn,
            at=self.clock.now(),
            action=action,
            principal=principal,
            tin=tin,
            record_kind="user",
            record_id=user_id,
            reason=reason,
            detail=dict(detail),
        )

    # -- reading ----------------------------------------------------------------------------------
    def list_users(
        self, principal: Principal, filter: UserFilter, after: str | None = None, limit: int = 100
    ) -> Page[UserSummary]:
        """Users of a TIN (or payer staff when `filter.tin` is None), keyset-paged by username."""
        now = self.clock.now()
        limit = max(1, min(limit, 500))
        tin = filter.tin
        if tin is None and principal.payer_role is None:
            tin = principal.active_tin
            if tin is None:
                raise ValidationFailed("Choose a Tax ID.", field="tin")
        if tin is None:
            if not (sees_all_tins(principal) and allowed(principal, Action.VIEW_USERS, None, now)):
                self._deny(principal, "users.list", None, None)
                raise PermissionDenied("Your role does not allow this.")
        elif not allowed(principal, Action.VIEW_USERS, tin, now) or not (
            sees_all_tins(principal) or tin in principal.tin_roles
        ):
            self._deny(principal, "users.list", None, tin)
            raise PermissionDenied("Your role does not allow this.")

        conditions: list[ColumnElement[bool]] = []
        if tin is None:
            role_col: Any = users.c.payer_role
            role_status: Any = users.c.status
            affiliation_count: Any = literal(0)
            source: Any = users
            conditions.append(users.c.payer_role.is_not(None))
        else:
            role_col = user_roles.c.role
            role_status = user_roles.c.status
            affiliation_count = (
                select(func.count())
                .where(user_affiliations.c.user_id == users.c.id, user_affiliations.c.tin == tin)
                .scalar_subquery()
            )
            source = users.join(
                user_roles, (user_roles.c.user_id == users.c.id) & (user_roles.c.tin == tin)
            )
        if filter.text.strip():
            pattern = _like(filter.text.strip())
            conditions.append(
                or_(
                    users.c.username_key.like(pattern, escape="\\"),
                    func.lower(users.c.full_name).like(pattern, escape="\\"),
                    func.lower(users.c.email).like(pattern, escape="\\"),
                )
            )
        if filter.role is not None:
            conditions.append(role_col == filter.role.value)
        status = str(filter.status) if filter.status is not None else None
        if status == "locked":
            conditions.append(users.c.locked.is_(True))
        elif status == "pending":
            conditions.append(or_(users.c.status == "pending", role_status == "pending"))
        elif status == "deactivated":
            conditions.append(
                or_(users.c.status == "deactivated", role_status.in_(["removed", "deactivated"]))
            )
        elif status == "active":
            conditions.append(users.c.status == "active")
            if tin is not None:
                conditions.append(role_status == "active")
        elif status:
            conditions.append(users.c.status == status)

        position = keyset.seek(after, (users.c.username_key,), descending=False)
        query = (
            select(
                users.c.id,
                users.c.username,
                users.c.username_key,
                users.c.full_name,
                users.c.email,
                users.c.status,
                users.c.locked,
                users.c.last_sign_in_at,
                role_col.label("role"),
                role_status.label("role_status"),
                affiliation_count.label("affiliation_count"),
            )
            .select_from(source)
            .where(*position.where(conditions))
            .order_by(*position.order)
            .limit(limit + 1)
        )
        count_query = select(func.count()).select_from(source).where(*conditions)
        with self.db.read() as conn:
            rows, cursor = position.page(list(conn.execute(query).mappings()), limit)
            # Counted on the first page only: later pages keep the count the client already has.
            total = None if after else int(conn.execute(count_query).scalar_one())
        items = []
        for r in rows:
            row_role_status = r["role_status"]
            if tin is None:
                row_role_status = "removed" if r["status"] == "deactivated" else "active"
            items.append(
                UserSummary(
                    id=r["id"],
                    username=r["username"],
                    full_name=r["full_name"],
                    email=r["email"],
                    role=Role(r["role"]) if r["role"] else None,
                    role_status=row_role_status,
                    status=_effective_status(r["status"], row_role_status),
                    locked=bool(r["locked"]),
                    last_sign_in_at=r["last_sign_in_at"],
                    affiliation_count=int(r["affiliation_count"] or 0),
                )
            )
        return Page[UserSummary](items=items, next_cursor=cursor, total=total)

    def get_user(self, principal: Principal, user_id: int) -> UserDetail:
        """One user within the actor's scope."""
        with self._acting(principal, "users.view", user_id, None, read_only=True) as conn:
            self._target(conn, principal, user_id)
            return self._detail(conn, principal, user_id)

    def sign_in_history(
        self, principal: Principal, user_id: int, limit: int = 20
    ) -> list[SignInEvent]:
        """The user's last sign-ins and failed or refused attempts, newest first, from the audit
        log; for the users the actor may see (the rule of `get_user`). Reading it is audited."""
        limit = max(1, min(limit, SIGN_IN_HISTORY_LIMIT))
        with self._acting(principal, "users.sign_in_history", user_id, None) as conn:
            self._target(conn, principal, user_id)
            rows = conn.execute(
                select(audit_log.c.at, audit_log.c.outcome, audit_log.c.detail)
                .where(
                    audit_log.c.record_kind == "user",
                    audit_log.c.record_id == str(user_id),
                    audit_log.c.action == "identity.sign_in",
                )
                .order_by(audit_log.c.id.desc())
                .limit(limit)
            ).all()
            audit.record(
                conn,
                at=self.clock.now(),
                action="users.sign_in_history",
                principal=principal,
                record_kind="user",
                record_id=user_id,
                detail={"shown": len(rows)},
            )
        return [_sign_in_event(row.at, row.outcome, row.detail or {}) for row in rows]

    def tin_providers(self, principal: Principal, tin: str) -> list[ProviderBrief]:
        """Providers of a TIN, current ones first (for affiliation pickers)."""
        if not (sees_all_tins(principal) or tin in principal.tin_roles):
            self._deny(principal, "users.tin_providers", None, tin)
            raise NotFound("No such Tax ID.")
        with self.db.read() as conn:
            rows = conn.execute(
                select(
                    providers.c.npi,
                    providers.c.name,
                    providers.c.specialty,
                    provider_tins.c.end_date,
                )
                .join(provider_tins, provider_tins.c.npi == providers.c.npi)
                .where(provider_tins.c.tin == tin)
                .order_by(provider_tins.c.end_date.is_not(None), providers.c.name)
            )
            return [
                ProviderBrief(npi=r.npi, name=r.name, specialty=r.specialty, left_on=r.end_date)
                for r in rows
            ]

    # -- creating and approving --------------------------------------------------------------------
    def create_user(self, principal: Principal, new_user: NewUser) -> UserDetail:
        """Create an active user with no password; they are mailed a reset code to set their own."""
        username = parse_username(new_user.username)
        email = parse_email(new_user.email)
        full_name = new_user.full_name.strip()
        if not full_name:
            raise ValidationFailed("Enter the user's name.", field="full_name")
        tin = parse_tin(new_user.tin) if new_user.tin is not None else None
        role = new_user.role
        if tin is None and not role.is_payer:
            raise ValidationFailed("Choose the Tax ID for this role.", field="tin")
        if tin is not None and role.is_payer:
            raise ValidationFailed("A payer role has no Tax ID.", field="role")
        if role.is_payer and new_user.affiliations:
            raise ValidationFailed(
                "Payer staff have no provider affiliations.", field="affiliations"
            )
        now = self.clock.now()
        with self._acting(principal, "users.create", None, tin) as conn:
            if not can_grant(principal, tin or "", role):
                raise PermissionDenied("Your role does not allow giving that role.")
            npis = self._check_npis(conn, tin, new_user.affiliations) if tin else []
            key = username_key(username)
            taken = conn.execute(select(users.c.id).where(users.c.username_key == key)).first()
            if taken is not None:
                raise Conflict("That username is taken. Choose another.", field="username")
            user_id = int(
                conn.execute(
                    insert(users)
                    .returning(users.c.id)
                    .values(
                        username=username,
                        username_key=key,
                        full_name=full_name,
                        email=email,
                        phone=new_user.phone.strip(),
                        password_hash=None,
                        status="active",
                        failed_sign_ins=0,
                        locked=False,
                        totp_enabled=False,
                        payer_role=role.value if role.is_payer else None,
                        default_tin=tin,
                        notification_prefs={},
                        created_at=now,
                    )
                ).scalar_one()
            )
            if tin is not None:
                conn.execute(
                    insert(user_roles).values(
                        user_id=user_id,
                        tin=tin,
                        role=role.value,
                        status="active",
                        created_at=now,
                        updated_at=now,
                    )
                )
                if npis:
                    conn.execute(
                        insert(user_affiliations),
                        [{"user_id": user_id, "tin": tin, "npi": npi} for npi in npis],
                    )
            row = accounts.user_row(conn, user_id)
            assert row is not None
            accounts.issue_password_reset(conn, row, now)
            self._record(
                conn,
                principal,
                "users.create",
                user_id,
                tin,
                {
                    "before": None,
                    "after": {
                        "username": username,
                        "full_name": full_name,
                        "email": email,
                        "role": role.value,
                        "tin": tin,
                        "affiliations": npis,
                    },
                },
            )
            return self._detail(conn, principal, user_id)

    def approve_user(
        self, principal: Principal, user_id: int, tin: str, role: Role, npis: list[str]
    ) -> UserDetail:
        """Approve a pending registrant at `tin` with a role and affiliations."""
        if role.is_payer:
            raise ValidationFailed("Choose a provider-side role.", field="role")
        now = self.clock.now()
        with self._acting(principal, "users.approve", user_id, tin) as conn:
            target = self._target(conn, principal, user_id)
            row = self._role_row(conn, user_id, tin)
            self._require_manage_at(principal, tin)
            if not can_grant(principal, tin, role):
                raise PermissionDenied("Your role does not allow giving that role.")
            if row["status"] != "pending":
                raise Conflict("This user is not waiting for approval at that Tax ID.")
            chosen = self._check_npis(conn, tin, npis)
            conn.execute(
                update(user_roles)
                .where(user_roles.c.user_id == user_id, user_roles.c.tin == tin)
                .values(role=role.value, status="active", updated_at=now)
            )
            if target["status"] == "pending":
                conn.execute(update(users).where(users.c.id == user_id).values(status="active"))
            apply_access_changes(conn, tin, now, affiliations={user_id: chosen})
            accounts.mail_user(
                conn,
                target,
                "Your provider portal access was approved",
                f"Hello {target['full_name']},\n\nYour access for Tax ID {format_tin(tin)} was "
                f"approved with the role {role.label}. You can sign in now.\n",
                now,
            )
            accounts.notify(
                conn,
                user_id,
                "access",
                f"Your access for Tax ID {format_tin(tin)} was approved.",
                now,
            )
            self._record(
                conn,
                principal,
                "users.approve",
                user_id,
                tin,
                {
                    "before": {"role": row["role"], "status": row["status"]},
                    "after": {"role": role.value, "status": "active", "affiliations": chosen},
                },
            )
            return self._detail(conn, principal, user_id)

    def reject_user(self, principal: Principal, user_id: int, tin: str, reason: str) -> UserDetail:
        """Refuse a pending registrant; with no other access left, their account is deactivated."""
        if not reason.strip():
            raise ValidationFailed("Say why the request is refused.", field="reason")
        now = self.clock.now()
        with self._acting(principal, "users.reject", user_id, tin) as conn:
            target = self._target(conn, principal, user_id)
            row = self._role_row(conn, user_id, tin)
            self._require_manage_at(principal, tin)
            if row["status"] != "pending":
                raise Conflict("This user is not waiting for approval at that Tax ID.")
            conn.execute(
                update(user_roles)
                .where(user_roles.c.user_id == user_id, user_roles.c.tin == tin)
                .values(status="removed", updated_at=now)
            )
            other = conn.execute(
                select(user_roles.c.tin).where(
                    user_roles.c.user_id == user_id,
                    user_roles.c.status.in_(["active", "pending"]),
                )
            ).first()
            new_status = target["status"]
            if other is None and target["payer_role"] is None:
                new_status = "deactivated"
                conn.execute(
                    update(users).where(users.c.id == user_id).values(status="deactivated")
                )
            accounts.mail_user(
                conn,
                target,
                "Your provider portal access request",
                f"Hello {target['full_name']},\n\nYour request for access to Tax ID "
                f"{format_tin(tin)} was not approved. Contact the practice's portal "
                "administrator if you think this is a mistake.\n",
                now,
            )
            self._record(
                conn,
                principal,
                "users.reject",
                user_id,
                tin,
                {
                    "before": {"role_status": "pending", "status": target["status"]},
                    "after": {"role_status": "removed", "status": new_status},
                },
                reason=reason.strip(),
            )
            return self._detail(conn, principal, user_id)

    # -- editing ----------------------------------------------------------------------------------
    def update_user_contact(
        self, principal: Principal, user_id: int, changes: ContactUpdate
    ) -> UserDetail:
        """Edit a user's name, email or phone (only of users whose every TIN the actor manages).

        A new email address does not take effect here: a code is mailed to it and the old
        address is told; the address changes when the user, signed in, enters the code.
        """
        values: dict[str, str] = {}
        if changes.full_name is not None:
            if not changes.full_name.strip():
                raise ValidationFailed("Enter the user's name.", field="full_name")
            values["full_name"] = changes.full_name.strip()
        new_email = parse_email(changes.email) if changes.email is not None else None
        if changes.phone is not None:
            values["phone"] = changes.phone.strip()
        now = self.clock.now()
        with self._acting(principal, "users.update_contact", user_id, None) as conn:
            target = self._target(conn, principal, user_id)
            self._require_manage_contact(conn, principal, target)
            changed = {k: v for k, v in values.items() if target[k] != v}
            asked = new_email is not None and (
                new_email.casefold() != str(target["email"]).casefold()
                or target["email_verified_at"] is None
            )
            if changed:
                conn.execute(update(users).where(users.c.id == user_id).values(**changed))
            if asked:
                assert new_email is not None
                actor = accounts.user_row(conn, principal.user_id)
                assert actor is not None
                start_proof(conn, target, new_email, actor, now)
            if changed or asked:
                self._record(
                    conn,
                    principal,
                    "users.update_contact",
                    user_id,
                    None,
                    {
                        "before": {k: target[k] for k in changed},
                        "after": changed,
                        "email_proof_asked": asked,
                    },
                )
            return self._detail(conn, principal, user_id)

    def change_role(self, principal: Principal, user_id: int, tin: str, role: Role) -> UserDetail:
        """Change a user's role at a TIN (the TIN's last active administrator is kept)."""
        if role.is_payer:
            raise ValidationFailed("Choose a provider-side role.", field="role")
        now = self.clock.now()
        with self._acting(principal, "users.change_role", user_id, tin) as conn:
            self._target(conn, principal, user_id)
            row = self._role_row(conn, user_id, tin)
            self._require_manage_at(principal, tin, Role(row["role"]), role)
            _refuse_own_access_change(principal, user_id)
            if row["status"] != "active":
                raise Conflict("Only an active user's role can be changed; approve them first.")
            apply_access_changes(conn, tin, now, roles={user_id: role})
            if row["role"] != role.value:
                self._record(
                    conn,
                    principal,
                    "users.change_role",
                    user_id,
                    tin,
                    {"before": {"role": row["role"]}, "after": {"role": role.value}},
                )
            return self._detail(conn, principal, user_id)

    def change_affiliations(
        self, principal: Principal, user_id: int, tin: str, npis: list[str]
    ) -> UserDetail:
        """Set the providers a user is affiliated with at a TIN."""
        now = self.clock.now()
        with self._acting(principal, "users.change_affiliations", user_id, tin) as conn:
            self._target(conn, principal, user_id)
            row = self._role_row(conn, user_id, tin)
            self._require_manage_at(principal, tin, Role(row["role"]))
            if row["status"] == "removed":
                raise Conflict("This user has no access at that Tax ID; reactivate them first.")
            chosen = self._check_npis(conn, tin, npis)
            if row["status"] == "pending":
                raise Conflict("Approve this user first; affiliations are chosen then.")
            outcome = apply_access_changes(conn, tin, now, affiliations={user_id: chosen})
            before, after = outcome.affiliations_set.get(user_id, (chosen, chosen))
            if before != after:
                self._record(
                    conn,
                    principal,
                    "users.change_affiliations",
                    user_id,
                    tin,
                    {"before": {"affiliations": before}, "after": {"affiliations": after}},
                )
            return self._detail(conn, principal, user_id)

    def send_password_reset(self, principal: Principal, user_id: int) -> None:
        """Mail the user a reset code (administrators never see or choose a password)."""
        now = self.clock.now()
        with self._acting(principal, "users.send_password_reset", user_id, None) as conn:
            target = self._target(conn, principal, user_id)
            self._require_manage(conn, principal, target)
            if target["status"] == "deactivated":
                raise Conflict("This user is deactivated; reactivate them first.")
            if target["email_verified_at"] is None and target["password_hash"] is not None:
                # Recovery mail goes only to a proven address (a new user's first code, to set
                # a password, goes to the address they were created with).
                raise Conflict(
                    "This user's email address is not confirmed yet, so no reset code is sent "
                    "to it. The user confirms it in Settings > Email."
                )
            accounts.issue_password_reset(conn, target, now)
            self._record(conn, principal, "users.send_password_reset", user_id, None, {})

    def unlock_user(self, principal: Principal, user_id: int) -> UserDetail:
        """Clear a lock after too many failed sign-ins."""
        with self._acting(principal, "users.unlock", user_id, None) as conn:
            target = self._target(conn, principal, user_id)
            self._require_manage(conn, principal, target)
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(locked=False, failed_sign_ins=0, throttled_until=None)
            )
            throttles.lift_account(conn, target["username_key"])
            self._record(
                conn,
                principal,
                "users.unlock",
                user_id,
                None,
                {
                    "before": {
                        "locked": bool(target["locked"]),
                        "failed_sign_ins": target["failed_sign_ins"],
                    },
                    "after": {"locked": False, "failed_sign_ins": 0},
                },
            )
            return self._detail(conn, principal, user_id)

    # -- removing and restoring access ------------------------------------------------------------
    def deactivate_user(
        self, principal: Principal, user_id: int, tin: str | None, reason: str
    ) -> UserDetail:
        """Remove a user's access at `tin` (or entirely, for payer staff); ends their sessions."""
        if not reason.strip():
            raise ValidationFailed("Say why the user is deactivated.", field="reason")
        now = self.clock.now()
        with self._acting(principal, "users.deactivate", user_id, tin) as conn:
            target = self._target(conn, principal, user_id)
            if tin is None:
                if target["payer_role"] is None:
                    raise ValidationFailed("Choose the Tax ID to remove access at.", field="tin")
                self._require_manage(conn, principal, target)
                _refuse_own_access_change(principal, user_id)
                if target["status"] == "deactivated":
                    raise Conflict("This user is already deactivated.")
                if target["payer_role"] == Role.PAYER_ADMIN.value:
                    self._guard_last_payer_admin(conn, user_id)
                conn.execute(
                    update(users).where(users.c.id == user_id).values(status="deactivated")
                )
                accounts.end_sessions(conn, user_id, now)
                detail = {
                    "before": {"status": target["status"]},
                    "after": {"status": "deactivated"},
                }
            else:
                row = self._role_row(conn, user_id, tin)
                self._require_manage_at(principal, tin, Role(row["role"]))
                _refuse_own_access_change(principal, user_id)
                if row["status"] != "active":
                    raise Conflict("This user has no active access at that Tax ID.")
                outcome = apply_access_changes(conn, tin, now, remove=[user_id])
                new_status = "deactivated" if user_id in outcome.deactivated else target["status"]
                detail = {
                    "before": {
                        "role": row["role"],
                        "role_status": "active",
                        "status": target["status"],
                    },
                    "after": {"role": row["role"], "role_status": "removed", "status": new_status},
                }
            self._record(
                conn, principal, "users.deactivate", user_id, tin, detail, reason=reason.strip()
            )
            return self._detail(conn, principal, user_id)

    def _guard_last_payer_admin(self, conn: Connection, user_id: int) -> None:
        others = conn.execute(
            select(func.count()).where(
                users.c.payer_role == Role.PAYER_ADMIN.value,
                users.c.status == "active",
                users.c.id != user_id,
            )
        ).scalar_one()
        if not others:
            raise Conflict("The portal must keep at least one active payer administrator.")

    def reactivate_user(self, principal: Principal, user_id: int, tin: str | None) -> UserDetail:
        """Give a deactivated user their access back (at `tin`, or as payer staff)."""
        now = self.clock.now()
        with self._acting(principal, "users.reactivate", user_id, tin) as conn:
            target = self._target(conn, principal, user_id)
            if target["merged_into"] is not None:
                raise Conflict("This account was merged into another one and stays closed.")
            if tin is None:
                if target["payer_role"] is None:
                    raise ValidationFailed("Choose the Tax ID to restore access at.", field="tin")
                self._require_manage(conn, principal, target)
                if target["status"] != "deactivated":
                    raise Conflict("This user is not deactivated.")
                detail = {"before": {"status": "deactivated"}, "after": {"status": "active"}}
            else:
                row = self._role_row(conn, user_id, tin)
                self._require_manage_at(principal, tin, Role(row["role"]))
                if row["status"] != "removed" and target["status"] != "deactivated":
                    raise Conflict("This user already has access at that Tax ID.")
                if row["status"] == "pending":
                    raise Conflict("This user is waiting for approval; approve them instead.")
                conn.execute(
                    update(user_roles)
                    .where(user_roles.c.user_id == user_id, user_roles.c.tin == tin)
                    .values(status="active", updated_at=now)
                )
                detail = {
                    "before": {"role_status": row["status"], "status": target["status"]},
                    "after": {"role_status": "active", "status": "active"},
                }
            if target["status"] == "deactivated":
                conn.execute(update(users).where(users.c.id == user_id).values(status="active"))
            self._record(conn, principal, "users.reactivate", user_id, tin, detail)
            return self._detail(conn, principal, user_id)


def _refuse_own_access_change(principal: Principal, user_id: int) -> None:
    # Locking oneself out by mistake is the classic slip; the role is handed over instead.
    if principal.user_id == user_id:
        raise Conflict(
            "You cannot deactivate yourself or change your own role. Another administrator can, "
            "or hand the administrator role over in Settings."
        )


def _sign_in_event(at: datetime, outcome: str, detail: Mapping[str, Any]) -> SignInEvent:
    """An audit row of `identity.sign_in` as a sign-in event."""
    second = detail.get("second_factor")
    return SignInEvent(
        at=at,
        outcome=outcome,
        reason=str(detail["reason"]) if detail.get("reason") else None,
        second_factor=bool(second) if second is not None else None,
        recovery_code=bool(detail.get("recovery_code")),
    )
