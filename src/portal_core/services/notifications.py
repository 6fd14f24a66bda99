"""The signed-in user's in-app notifications (read state) and the mail sent to their account."""

from __future__ import annotations

from sqlalchemy import select, update

from portal_core.models.identity import (
    Notification,
    OutboxMail,
    Principal,
)
from portal_core.services.identity_area import IdentityArea
from portal_core.store.schema import (
    mail_outbox,
    notifications,
)


class NotificationService(IdentityArea):
    """Notifications and the outbox, for the signed-in user."""

    def notifications(
        self, principal: Principal, unread_only: bool = False, limit: int = 50
    ) -> list[Notification]:
        """The signed-in user's notifications, newest first."""
        query = select(notifications).where(notifications.c.user_id == principal.user_id)
        if unread_only:
            query = query.where(notifications.c.read_at.is_(None))
        query = query.order_by(notifications.c.id.desc()).limit(max(1, min(limit, 500)))
        with self.db.read() as conn:
            rows = conn.execute(query).mappings()
            return [
                Notification(**{name: row[name] for name in Notification.model_fields})
                for row in rows
            ]

    def mark_notifications_read(self, principal: Principal, ids: list[int]) -> None:
        """Mark the user's own notifications read (others' ids are ignored)."""
        if not ids:
            return
        with self.db.write() as conn:
            marked = conn.execute(
                update(notifications)
                .where(
                    notifications.c.id.in_(list(ids)),
                    notifications.c.user_id == principal.user_id,
                    notifications.c.read_at.is_(None),
                )
                .values(read_at=self.clock.now())
            ).rowcount
            if marked:
                self._audit(
                    conn,
                    "identity.mark_notifications_read",
                    principal=principal,
                    record_kind="notification",
                    detail={"marked": int(marked)},
                )

    def outbox(self, principal: Principal, limit: int = 50) -> list[OutboxMail]:
        """Mail the portal sent to the signed-in user's proven address, newest first.

        Found by the account the outbox row names, never by matching the address: an account
        that puts someone else's address on file reads none of their mail, and a code mailed
        to prove a new address is not shown here (it must be read in that mailbox).
        """
        with self.db.read() as conn:
            rows = conn.execute(
                select(mail_outbox)
                .where(mail_outbox.c.user_id == principal.user_id)
                .order_by(mail_outbox.c.id.desc())
                .limit(max(1, min(limit, 500)))
            ).mappings()
            return [
                OutboxMail(**{name: row[name] for name in OutboxMail.model_fields}) for row in rows
            ]
