"""Administrator handover: who manages a TIN's access, offering the administrator role to another
active user of the TIN, and answering the offer (DOMAIN.md "User management": a TIN always keeps an
active administrator; the one handing over drops to the role they chose once the other accepts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from portal_core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from portal_core.models.identity import (
    PROVIDER_ROLES,
    AdminHandover,
    Principal,
    Role,
    UserBrief,
    UserStatus,
)
from portal_core.rules.identifiers import (
    format_tin,
    parse_tin,
)
from portal_core.rules.permissions import Action, allowed
from portal_core.services.identity_area import IdentityArea, brief, new_id
from portal_core.store import accounts
from portal_core.store.schema import (
    admin_handovers,
    user_roles,
    users,
)


class HandoverService(IdentityArea):
    """Who a TIN's administrators are, and handing the role over."""

    def administrators_of(self, principal: Principal, tin: str) -> list[UserBrief]:
        """Who manages access at `tin`: its active administrators, then practice maintenance."""
        chosen = parse_tin(tin)
        with self.db.read() as conn:
            own_role = conn.execute(
                select(user_roles.c.status).where(
                    user_roles.c.user_id == principal.user_id,
                    user_roles.c.tin == chosen,
                    user_roles.c.status.in_(("active", "pending")),
                )
            ).first()
        payer_may_ask = principal.payer_role is not None and allowed(
            principal, Action.VIEW_ADMINISTRATORS, now=self.clock.now()
        )
        if own_role is None and not payer_may_ask:
            raise self._refuse(
                PermissionDenied("You can see the administrators of your own Tax IDs only."),
                "identity.administrators_of",
                principal=principal,
                tin=chosen,
            )
        with self.db.read() as conn:
            rows = list(
                conn.execute(
                    select(users, user_roles.c.role.label("tin_role"))
                    .join(user_roles, user_roles.c.user_id == users.c.id)
                    .where(
                        user_roles.c.tin == chosen,
                        user_roles.c.status == "active",
                        user_roles.c.role.in_(
                            (Role.ADMINISTRATOR.value, Role.PRACTICE_MAINTENANCE.value)
                        ),
                        users.c.status == UserStatus.ACTIVE.value,
                    )
                    .order_by(user_roles.c.role, users.c.username_key)
                ).mappings()
            )
        return [brief(row, Role(row["tin_role"])) for row in rows]

    def offer_admin_handover(
        self, principal: Principal, tin: str, to_user_id: int, my_new_role: Role
    ) -> int:
        """Offer the administrator role at `tin` to another active user; returns the offer id."""
        action = "identity.offer_admin_handover"
        chosen = parse_tin(tin)
        self._require(principal, Action.HAND_OVER_ADMIN, action, chosen)
        if my_new_role not in PROVIDER_ROLES or my_new_role is Role.ADMINISTRATOR:
            raise ValidationFailed(
                "Choose the provider-side role you will keep (not administrator).",
                field="my_new_role",
            )
        if to_user_id == principal.user_id:
            raise ValidationFailed("Choose another user of the Tax ID.", field="to_user_id")
        now = self.clock.now()
        with self.db.write() as conn:
            target = self._active_member(conn, to_user_id, chosen)
            if target is None:
                raise NotFound("No active user of that Tax ID has that id.", field="to_user_id")
            if target["tin_role"] == Role.ADMINISTRATOR.value:
                raise Conflict(
                    "That user is already an administrator of this Tax ID.", field="to_user_id"
                )
            open_offer = conn.execute(
                select(admin_handovers.c.id).where(
                    admin_handovers.c.tin == chosen,
                    admin_handovers.c.from_user_id == principal.user_id,
                    admin_handovers.c.status == "offered",
                )
            ).first()
            if open_offer is not None:
                raise Conflict(
                    "You already have an open handover offer for this Tax ID.", field="tin"
                )
            offer_id = new_id(
                conn.execute(
                    insert(admin_handovers).values(
                        tin=chosen,
                        from_user_id=principal.user_id,
                        to_user_id=to_user_id,
                        from_new_role=my_new_role.value,
                        status="offered",
                        created_at=now,
                    )
                )
            )
            accounts.notify(
                conn,
                to_user_id,
                "access",
                f"{principal.username} offers you the administrator role for Tax ID "
                f"{format_tin(chosen)}.",
                now,
                link_kind="handover",
                link_id=offer_id,
            )
            self._audit(
                conn,
                action,
                principal=principal,
                tin=chosen,
                record_kind="admin_handover",
                record_id=offer_id,
                detail={"to_user_id": to_user_id, "from_new_role": my_new_role.value},
            )
        return offer_id

    def _active_member(self, conn: Connection, user_id: int, tin: str) -> RowMapping | None:
        """The user with their role at `tin`, when both the user and the role are active."""
        return (
            conn.execute(
                select(users, user_roles.c.role.label("tin_role"))
                .join(user_roles, user_roles.c.user_id == users.c.id)
                .where(
                    users.c.id == user_id,
                    users.c.status == UserStatus.ACTIVE.value,
                    user_roles.c.tin == tin,
                    user_roles.c.status == "active",
                )
            )
            .mappings()
            .first()
        )

    def pending_handovers(self, principal: Principal) -> list[AdminHandover]:
        """Handover offers made to or by the signed-in user that await an answer."""
        with self.db.read() as conn:
            rows = list(
                conn.execute(
                    select(admin_handovers)
                    .where(
                        admin_handovers.c.status == "offered",
                        (admin_handovers.c.from_user_id == principal.user_id)
                        | (admin_handovers.c.to_user_id == principal.user_id),
                    )
                    .order_by(admin_handovers.c.id.desc())
                ).mappings()
            )
            people = self._briefs(
                conn, {r["from_user_id"] for r in rows} | {r["to_user_id"] for r in rows}
            )
        return [
            AdminHandover(
                id=row["id"],
                tin=row["tin"],
                from_user=people[row["from_user_id"]],
                to_user=people[row["to_user_id"]],
                from_new_role=Role(row["from_new_role"]),
                status=row["status"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    def _briefs(self, conn: Connection, user_ids: Iterable[int]) -> dict[int, UserBrief]:
        ids = list(user_ids)
        if not ids:
            return {}
        rows = conn.execute(select(users).where(users.c.id.in_(ids))).mappings()
        return {row["id"]: brief(row) for row in rows}

    def answer_admin_handover(self, principal: Principal, handover_id: int, accept: bool) -> None:
        """Accept (the roles swap in one transaction) or decline an offer made to the user."""
        action = "identity.accept_admin_handover" if accept else "identity.decline_admin_handover"
        now = self.clock.now()
        with self.db.write() as conn:
            offer = (
                conn.execute(select(admin_handovers).where(admin_handovers.c.id == handover_id))
                .mappings()
                .first()
            )
            if (
                offer is None
                or offer["to_user_id"] != principal.user_id
                or offer["status"] != "offered"
            ):
                raise NotFound("There is no open handover offer for you with that id.")
            tin = offer["tin"]
            if accept:
                offerer = self._active_member(conn, offer["from_user_id"], tin)
                me = self._active_member(conn, principal.user_id, tin)
                if offerer is None or offerer["tin_role"] != Role.ADMINISTRATOR.value:
                    raise Conflict(
                        "The offer no longer stands: its sender is not an administrator of the "
                        "Tax ID any more."
                    )
                if me is None:
                    raise Conflict("You no longer have active access at that Tax ID.")
                conn.execute(
                    update(user_roles)
                    .where(user_roles.c.user_id == principal.user_id, user_roles.c.tin == tin)
                    .values(role=Role.ADMINISTRATOR.value, updated_at=now)
                )
                conn.execute(
                    update(user_roles)
                    .where(user_roles.c.user_id == offer["from_user_id"], user_roles.c.tin == tin)
                    .values(role=offer["from_new_role"], updated_at=now)
                )
                detail: dict[str, Any] = {
                    "before": {
                        "to_user_role": me["tin_role"],
                        "from_user_role": Role.ADMINISTRATOR.value,
                    },
                    "after": {
                        "to_user_role": Role.ADMINISTRATOR.value,
                        "from_user_role": offer["from_new_role"],
                    },
                }
            else:
                detail = {"from_user_id": offer["from_user_id"]}
            conn.execute(
                update(admin_handovers)
                .where(admin_handovers.c.id == handover_id)
                .values(status="accepted" if accept else "declined", decided_at=now)
            )
            accounts.notify(
                conn,
                offer["from_user_id"],
                "access",
                f"{principal.username} "
                f"{'accepted' if accept else 'declined'} the administrator role for Tax ID "
                f"{format_tin(tin)}.",
                now,
                link_kind="handover",
                link_id=handover_id,
            )
            self._audit(
                conn,
                action,
                principal=principal,
                tin=tin,
                record_kind="admin_handover",
                record_id=handover_id,
                detail=detail,
            )
