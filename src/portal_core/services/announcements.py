"""Announcements: a payer administrator publishes news to every organization or to product lines;
each reader sees the current ones meant for them.

A provider-side reader's product lines are those of the plans their TINs' providers take part in
today; payer staff see every current announcement. A review notice points the reader at their
TIN's open user review, when there is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from portal_core.clock import Clock
from portal_core.errors import NotFound, ValidationFailed
from portal_core.models.announcements import Announcement, NewAnnouncement
from portal_core.models.identity import Principal
from portal_core.rules.permissions import Action, allowed, sees_all_tins
from portal_core.services import audit
from portal_core.store.engine import Database
from portal_core.store.schema import (
    announcements,
    network_participation,
    plans,
    provider_tins,
    review_campaigns,
    users,
)

ALL = "all"
"""The stored audience of an announcement for every organization."""


def _audience_text(lines: Sequence[str]) -> str:
    return ",".join(sorted(set(lines))) if lines else ALL


def _audience_list(text: str) -> list[str]:
    return [] if text == ALL else [part for part in text.split(",") if part]


class AnnouncementService:
    """Publishing, withdrawing and reading announcements."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    def publish_announcement(
        self, principal: Principal, announcement: NewAnnouncement
    ) -> Announcement:
        """Publish news (payer administrators only); refusals are audited."""
        now = audit.require_or_refuse(
            self.db,
            self.clock,
            principal,
            Action.PUBLISH_ANNOUNCEMENTS,
            "announcements.publish",
        )
        title = announcement.title.strip()
        body = announcement.body.strip()
        if not title:
            raise ValidationFailed("Write a title.", field="title")
        if not body:
            raise ValidationFailed("Write the announcement's text.", field="body")
        published_at = announcement.published_at or now
        if published_at.tzinfo is None:
            raise ValidationFailed(
                "Give the publication time with its time zone.", field="published_at"
            )
        expires_at = announcement.expires_at
        if expires_at is not None:
            if expires_at.tzinfo is None:
                raise ValidationFailed("Give the expiry with its time zone.", field="expires_at")
            if expires_at <= published_at:
                raise ValidationFailed(
                    "The expiry must come after the publication date.", field="expires_at"
                )
        with self.db.write() as conn:
            new_id = conn.execute(
                insert(announcements)
                .values(
                    title=title,
                    body=body,
                    audience=_audience_text(announcement.audience),
                    kind=announcement.kind,
                    published_at=published_at,
                    expires_at=expires_at,
                    published_by=principal.user_id,
                )
                .returning(announcements.c.id)
            ).scalar_one()
            audit.record(
                conn,
                at=now,
                action="announcements.publish",
                principal=principal,
                record_kind="announcement",
                record_id=new_id,
                detail={
                    "kind": announcement.kind,
                    "audience": _audience_text(announcement.audience),
                },
            )
            row = self._rows(conn, [announcements.c.id == new_id])[0]
        return self._model(row)

    def withdraw_announcement(self, principal: Principal, announcement_id: int) -> None:
        """Stop showing an announcement (payer administrators only)."""
        now = audit.require_or_refuse(
            self.db,
            self.clock,
            principal,
            Action.PUBLISH_ANNOUNCEMENTS,
            "announcements.withdraw",
        )
        with self.db.write() as conn:
            done = conn.execute(
                update(announcements)
                .where(
                    announcements.c.id == announcement_id,
                    announcements.c.withdrawn_at.is_(None),
                )
                .values(withdrawn_at=now)
            ).rowcount
            if not done:
                raise NotFound("No such announcement, or it was withdrawn already.")
            audit.record(
                conn,
                at=now,
                action="announcements.withdraw",
                principal=principal,
                record_kind="announcement",
                record_id=announcement_id,
            )

    def current_announcements(self, principal: Principal) -> list[Announcement]:
        """Unexpired, unwithdrawn announcements meant for the reader, newest first."""
        now = self.clock.now()
        current = [
            announcements.c.withdrawn_at.is_(None),
            announcements.c.published_at <= now,
            or_(announcements.c.expires_at.is_(None), announcements.c.expires_at > now),
        ]
        with self.db.read() as conn:
            rows = self._rows(conn, current)
            if sees_all_tins(principal) or principal.payer_role is not None:
                return [self._model(r) for r in rows]
            lines = self._product_lines(conn, principal, now)
            campaign = self._open_campaign(conn, principal)
        found: list[Announcement] = []
        for row in rows:
            audience = _audience_list(row["audience"])
            if audience and not lines.intersection(audience):
                continue
            item = self._model(row)
            if item.kind == "review_notice" and campaign is not None:
                item.review_campaign_id = campaign["id"]
                item.review_due = campaign["due_date"]
            found.append(item)
        return found

    # -- reading ---------------------------------------------------------------------------------
    def _rows(self, conn: Connection, conditions: list[Any]) -> list[Any]:
        query = (
            select(announcements, users.c.username)
            .join(users, users.c.id == announcements.c.published_by)
            .where(*conditions)
            .order_by(announcements.c.published_at.desc(), announcements.c.id.desc())
            .limit(100)
        )
        return list(conn.execute(query).mappings())

    @staticmethod
    def _model(row: Any) -> Announcement:
        return Announcement(
            id=row["id"],
            title=row["title"],
            body=row["body"],
            kind=row["kind"],
            audience=_audience_list(row["audience"]),
            published_at=row["published_at"],
            expires_at=row["expires_at"],
            published_by=row["username"],
        )

    @staticmethod
    def _product_lines(conn: Connection, principal: Principal, now: datetime) -> set[str]:
        """Product lines of the plans the providers of the reader's TINs take part in today."""
        tins = sorted(principal.tin_roles)
        if not tins:
            return set()
        today = now.date()
        query = (
            select(plans.c.product_line)
            .distinct()
            .join(network_participation, network_participation.c.plan_id == plans.c.plan_id)
            .join(provider_tins, provider_tins.c.npi == network_participation.c.npi)
            .where(
                provider_tins.c.tin.in_(tins),
                network_participation.c.start_date <= today,
                or_(
                    network_participation.c.end_date.is_(None),
                    network_participation.c.end_date >= today,
                ),
            )
        )
        return {str(line) for line in conn.execute(query).scalars()}

    @staticmethod
    def _open_campaign(conn: Connection, principal: Principal) -> Any:
        """The open user review the reader runs: of their active TIN, or of any TIN where their
        role may run reviews (others read the notice without a review to open)."""
        tins = sorted(
            tin for tin in principal.tin_roles if allowed(principal, Action.RUN_REVIEWS, tin)
        )
        if not tins:
            return None
        first = principal.active_tin if principal.active_tin in principal.tin_roles else None
        query = (
            select(review_campaigns.c.id, review_campaigns.c.due_date, review_campaigns.c.tin)
            .where(and_(review_campaigns.c.tin.in_(tins), review_campaigns.c.status == "open"))
            .order_by(review_campaigns.c.due_date)
        )
        rows = list(conn.execute(query).mappings())
        preferred = [r for r in rows if r["tin"] == first]
        found = preferred or rows
        return found[0] if found else None
