"""User review campaigns: the quarterly "Time to Review Your Provider Portal Users".

A campaign lists every active user of one TIN with flags that call for attention; reviewers decide
each item (one by one or in bulk), and sign-off applies every decision in one transaction through
`store.users.apply_access_changes` (the same rules user management follows) and files the evidence
report as a document kept 6 years. Work is set-based throughout so a 10,000-user campaign stays
fast: bulk decisions are one UPDATE, sign-off a handful of batched statements.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    Text,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from portal_core.clock import Clock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.common import Page
from portal_core.models.identity import Principal, Role, UserBrief
from portal_core.models.reviews import (
    JUSTIFICATION_REQUIRED,
    BulkDecision,
    BulkDecisionPreview,
    CampaignSummary,
    ReviewDecisionKind,
    ReviewFlag,
    ReviewItem,
    ReviewItemFilter,
    SignOffResult,
)
from portal_core.rules.csv_cells import csv_bytes
from portal_core.rules.identifiers import format_tin
from portal_core.rules.permissions import Action, allowed, can_grant
from portal_core.services import audit, keyset
from portal_core.services.documents import file_document
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.schema import (
    provider_tins,
    review_campaigns,
    review_items,
    tins,
    user_affiliations,
    user_roles,
    users,
)
from portal_core.store.users import LastAdministrator, apply_access_changes

REVIEW_PERIOD = timedelta(days=30)
"""A campaign is due this long after it opens."""
INACTIVE_AFTER = timedelta(days=90)
"""No sign-in for longer than this before opening flags `inactive_90d`."""
MANY_ADMINS = 3
"""More active administrators than this flags every administrator item `many_admins`."""
REMINDER_DAYS = (7, 3, 1)
"""Reminders go out this many days before the due date."""
EVIDENCE_RETAIN_YEARS = 6
"""How long the evidence report is kept."""
MANAGERS = (Role.ADMINISTRATOR.value, Role.PRACTICE_MAINTENANCE.value)
"""Roles that run reviews (and receive reminders)."""

_ACCESS_CHANGES = {
    ReviewDecisionKind.DEACTIVATE,
    ReviewDecisionKind.CHANGE_ROLE,
    ReviewDecisionKind.NARROW_AFFILIATIONS,
}


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _stamp(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else ""


def _one_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


@dataclass
class _EvidenceRow:
    """One item as the evidence report shows it."""

    item_id: int
    username: str
    full_name: str
    role: str
    affiliations: list[str]
    flags: list[str]
    last_sign_in_at: datetime | None
    decision: str | None
    new_role: str | None
    new_affiliations: list[str] | None
    justification: str | None
    decided_by: str | None
    decided_at: datetime | None
    result: str | None


class ReviewService:
    """Open, work, sign off and report user review campaigns."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    # -- plumbing ---------------------------------------------------------------------------------
    def _deny(
        self, principal: Principal, action: str, campaign_id: int | None, tin: str | None
    ) -> None:
        audit.record_refusal(
            self.db,
            self.clock.now(),
            principal,
            action,
            tin=tin,
            record_kind="review_campaign",
            record_id=campaign_id,
        )

    @contextmanager
    def _acting(
        self,
        principal: Principal,
        action: str,
        campaign_id: int | None,
        tin: str | None = None,
        *,
        read_only: bool = False,
    ) -> Iterator[Connection]:
        """A transaction (a write one unless `read_only`) whose refusals are audited as denied,
        in a transaction of their own since this one rolls back."""
        try:
            with self.db.read() if read_only else self.db.write() as conn:
                yield conn
        except (NotFound, PermissionDenied):
            self._deny(principal, action, campaign_id, tin)
            raise

    def _may_run(self, principal: Principal, tin: str) -> bool:
        return allowed(principal, Action.RUN_REVIEWS, tin, self.clock.now())

    def _may_oversee(self, principal: Principal) -> bool:
        return allowed(principal, Action.VIEW_OVERDUE_REVIEWS, None, self.clock.now())

    def _campaign(
        self, conn: Connection, principal: Principal, campaign_id: int, *, write: bool
    ) -> RowMapping:
        """The campaign when the actor may read it (or work it, with `write`)."""
        row = (
            conn.execute(select(review_campaigns).where(review_campaigns.c.id == campaign_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound("No such review.")
        tin = row["tin"]
        if self._may_run(principal, tin):
            return row
        if not write and self._may_oversee(principal):
            return row
        if tin in principal.tin_roles or (write and self._may_oversee(principal)):
            raise PermissionDenied("Your role does not allow working user reviews.")
        raise NotFound("No such review.")

    def _summaries(
        self, conn: Connection, *conditions: ColumnElement[bool]
    ) -> list[CampaignSummary]:
        total = (
            select(func.count())
            .where(review_items.c.campaign_id == review_campaigns.c.id)
            .scalar_subquery()
        )
        decided = (
            select(func.count())
            .where(
                review_items.c.campaign_id == review_campaigns.c.id,
                review_items.c.decision.is_not(None),
            )
            .scalar_subquery()
        )
        query = (
            select(
                review_campaigns,
                tins.c.name.label("tin_name"),
                total.label("total"),
                decided.label("decided"),
            )
            .join(tins, tins.c.tin == review_campaigns.c.tin)
            .where(*conditions)
            .order_by(review_campaigns.c.opened_at.desc(), review_campaigns.c.id.desc())
        )
        today = self.clock.now().date()
        return [
            CampaignSummary(
                id=r["id"],
                tin=r["tin"],
                tin_name=r["tin_name"],
                opened_at=r["opened_at"],
                due_date=r["due_date"],
                status=r["status"],
                total=int(r["total"]),
                decided=int(r["decided"]),
                signed_off_at=r["signed_off_at"],
                evidence_document_id=r["evidence_document_id"],
                overdue=r["status"] == "open" and r["due_date"] < today,
            )
            for r in conn.execute(query).mappings()
        ]

    def _summary(self, conn: Connection, campaign_id: int) -> CampaignSummary:
        return self._summaries(conn, review_campaigns.c.id == campaign_id)[0]

    def _managers(self, conn: Connection, tin: str) -> list[RowMapping]:
        """Active administrators and practice maintenance users of a TIN."""
        return list(
            conn.execute(
                select(
                    users.c.id,
                    users.c.username,
                    users.c.full_name,
                    users.c.email,
                    users.c.email_verified_at,
                    user_roles.c.role,
                )
                .join(user_roles, user_roles.c.user_id == users.c.id)
                .where(
                    user_roles.c.tin == tin,
                    user_roles.c.status == "active",
                    user_roles.c.role.in_(MANAGERS),
                    users.c.status == "active",
                )
                .order_by(users.c.username_key)
            ).mappings()
        )

    # -- campaigns --------------------------------------------------------------------------------
    def list_campaigns(self, principal: Principal, tin: str | None = None) -> list[CampaignSummary]:
        """Campaigns of the actor's TINs (or of `tin`), newest first; payer admins see all."""
        if tin is not None:
            if not (self._may_run(principal, tin) or self._may_oversee(principal)):
                self._deny(principal, "reviews.list", None, tin)
                raise PermissionDenied("Your role does not allow working user reviews.")
            conditions = [review_campaigns.c.tin == tin]
        elif self._may_oversee(principal):
            conditions = []
        else:
            mine = [t for t in principal.tin_roles if self._may_run(principal, t)]
            if not mine:
                self._deny(principal, "reviews.list", None, None)
                raise PermissionDenied("Your role does not allow working user reviews.")
            conditions = [review_campaigns.c.tin.in_(mine)]
        with self.db.read() as conn:
            return self._summaries(conn, *conditions)

    def get_campaign(self, principal: Principal, campaign_id: int) -> CampaignSummary:
        """One campaign with its progress."""
        with self._acting(principal, "reviews.view", campaign_id, read_only=True) as conn:
            self._campaign(conn, principal, campaign_id, write=False)
            return self._summary(conn, campaign_id)

    def open_campaign(self, principal: Principal, tin: str) -> CampaignSummary:
        """Open a review of every active user of `tin`, due in 30 days (one open per TIN)."""
        now = self.clock.now()
        today = now.date()
        with self._acting(principal, "reviews.open", None, tin) as conn:
            if not self._may_run(principal, tin):
                raise PermissionDenied("Your role does not allow working user reviews.")
            already = conn.execute(
                select(review_campaigns.c.id).where(
                    review_campaigns.c.tin == tin, review_campaigns.c.status == "open"
                )
            ).first()
            if already is not None:
                raise Conflict(
                    f"Tax ID {format_tin(tin)} already has an open review; finish it first."
                )
            campaign_id = int(
                conn.execute(
                    insert(review_campaigns)
                    .returning(review_campaigns.c.id)
                    .values(
                        tin=tin,
                        opened_at=now,
                        opened_by=principal.user_id,
                        due_date=today + REVIEW_PERIOD,
                        status="open",
                        reminders_sent=[],
                    )
                ).scalar_one()
            )
            members = list(
                conn.execute(
                    select(users.c.id, users.c.last_sign_in_at, user_roles.c.role)
                    .join(user_roles, user_roles.c.user_id == users.c.id)
                    .where(
                        user_roles.c.tin == tin,
                        user_roles.c.status == "active",
                        users.c.status == "active",
                    )
                    .order_by(users.c.username_key)
                )
            )
            npis: dict[int, list[str]] = {}
            for row in conn.execute(
                select(user_affiliations.c.user_id, user_affiliations.c.npi)
                .where(user_affiliations.c.tin == tin)
                .order_by(user_affiliations.c.npi)
            ):
                npis.setdefault(row.user_id, []).append(row.npi)
            left = set(
                conn.execute(
                    select(provider_tins.c.npi).where(
                        provider_tins.c.tin == tin,
                        provider_tins.c.end_date.is_not(None),
                        provider_tins.c.end_date < today,
                    )
                ).scalars()
            )
            admins = sum(1 for m in members if m.role == Role.ADMINISTRATOR.value)
            inactive_before = now - INACTIVE_AFTER
            rows: list[dict[str, Any]] = []
            for m in members:
                mine = npis.get(m.id, [])
                flags: list[str] = []
                if m.last_sign_in_at is None:
                    flags.append(ReviewFlag.NEVER_SIGNED_IN.value)
                elif m.last_sign_in_at < inactive_before:
                    flags.append(ReviewFlag.INACTIVE_90D.value)
                if any(npi in left for npi in mine):
                    flags.append(ReviewFlag.AFFILIATED_PROVIDER_LEFT.value)
                if admins > MANY_ADMINS and m.role == Role.ADMINISTRATOR.value:
                    flags.append(ReviewFlag.MANY_ADMINS.value)
                rows.append(
                    {
                        "campaign_id": campaign_id,
                        "user_id": m.id,
                        "role": m.role,
                        "affiliations": mine,
                        "last_sign_in_at": m.last_sign_in_at,
                        "flags": flags,
                    }
                )
            if rows:
                conn.execute(insert(review_items), rows)
            audit.record(
                conn,
                at=now,
                action="reviews.open",
                principal=principal,
                tin=tin,
                record_kind="review_campaign",
                record_id=campaign_id,
                detail={"items": len(rows), "due_date": (today + REVIEW_PERIOD).isoformat()},
            )
            return self._summary(conn, campaign_id)

    def overdue_campaigns(self, principal: Principal) -> list[CampaignSummary]:
        """Open campaigns past their due date, across TINs (payer administrators)."""
        if not self._may_oversee(principal):
            self._deny(principal, "reviews.overdue", None, None)
            raise PermissionDenied("Your role does not allow this.")
        today = self.clock.now().date()
        with self.db.read() as conn:
            found = self._summaries(
                conn, review_campaigns.c.status == "open", review_campaigns.c.due_date < today
            )
        return sorted(found, key=lambda c: (c.due_date, c.id))

    def reassign_targets(self, principal: Principal, campaign_id: int) -> list[UserBrief]:
        """Users who may decide this campaign's items."""
        with self._acting(
            principal, "reviews.reassign_targets", campaign_id, read_only=True
        ) as conn:
            campaign = self._campaign(conn, principal, campaign_id, write=True)
            return [
                UserBrief(
                    id=r["id"],
                    username=r["username"],
                    full_name=r["full_name"],
                    email=r["email"],
                    role=Role(r["role"]),
                )
                for r in self._managers(conn, campaign["tin"])
            ]

    # -- items ------------------------------------------------------------------------------------
    def _item_conditions(
        self, principal: Principal, campaign_id: int, filter: ReviewItemFilter | None
    ) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [review_items.c.campaign_id == campaign_id]
        if filter is None:
            return conditions
        if filter.flag is not None:
            conditions.append(cast(review_items.c.flags, Text).like(f'%"{filter.flag.value}"%'))
        if filter.decided is True:
            conditions.append(review_items.c.decision.is_not(None))
        elif filter.decided is False:
            conditions.append(review_items.c.decision.is_(None))
        if filter.role is not None:
            conditions.append(review_items.c.role == filter.role.value)
        if filter.text.strip():
            pattern = _like(filter.text.strip())
            conditions.append(
                review_items.c.user_id.in_(
                    select(users.c.id).where(
                        or_(
                            users.c.username_key.like(pattern, escape="\\"),
                            func.lower(users.c.full_name).like(pattern, escape="\\"),
                        )
                    )
                )
            )
        if filter.assigned_to_me:
            conditions.append(review_items.c.assigned_to == principal.user_id)
        return conditions

    def review_items(
        self,
        principal: Principal,
        campaign_id: int,
        filter: ReviewItemFilter | None = None,
        after: str | None = None,
        limit: int = 200,
    ) -> Page[ReviewItem]:
        """Items of a campaign in id order, keyset-paged; `total` counts the filter's matches."""
        limit = max(1, min(limit, 1000))
        conditions = self._item_conditions(principal, campaign_id, filter)
        position = keyset.seek(after, (review_items.c.id,), descending=False)
        query = (
            select(review_items, users.c.username, users.c.full_name)
            .join(users, users.c.id == review_items.c.user_id)
            .where(*position.where(conditions))
            .order_by(*position.order)
            .limit(limit + 1)
        )
        with self._acting(principal, "reviews.items", campaign_id, read_only=True) as conn:
            self._campaign(conn, principal, campaign_id, write=False)
            rows, cursor = position.page(list(conn.execute(query).mappings()), limit)
            # Counted on the first page only: later pages keep the count the client already has.
            total = (
                None
                if after
                else int(
                    conn.execute(
                        select(func.count()).select_from(review_items).where(*conditions)
                    ).scalar_one()
                )
            )
        items = [
            ReviewItem(
                id=r["id"],
                user_id=r["user_id"],
                username=r["username"],
                full_name=r["full_name"],
                role=Role(r["role"]),
                affiliations=list(r["affiliations"] or []),
                last_sign_in_at=r["last_sign_in_at"],
                flags=[ReviewFlag(f) for f in r["flags"] or []],
                decision=ReviewDecisionKind(r["decision"]) if r["decision"] else None,
                new_role=Role(r["new_role"]) if r["new_role"] else None,
                new_affiliations=r["new_affiliations"],
                justification=r["justification"],
                assigned_to=r["assigned_to"],
                decided_by=r["decided_by"],
                decided_at=r["decided_at"],
                result=r["result"],
            )
            for r in rows
        ]
        return Page[ReviewItem](items=items, next_cursor=cursor, total=total)

    def _bulk_conditions(
        self, conn: Connection, principal: Principal, campaign_id: int, bulk: BulkDecision
    ) -> list[ColumnElement[bool]]:
        """The items a bulk decision names (every named item must be part of the campaign),
        decided ones included."""
        if bulk.item_ids is None and bulk.filter is None:
            raise ValidationFailed("Choose the items to decide, or a filter.", field="item_ids")
        if bulk.item_ids is not None and not bulk.item_ids:
            raise ValidationFailed("Choose at least one item.", field="item_ids")
        if bulk.item_ids is None:
            return self._item_conditions(principal, campaign_id, bulk.filter)
        ids = sorted(set(bulk.item_ids))
        conditions = [review_items.c.campaign_id == campaign_id, review_items.c.id.in_(ids)]
        found = conn.execute(
            select(func.count()).select_from(review_items).where(*conditions)
        ).scalar_one()
        if found != len(ids):
            raise NotFound("Some of those items are not part of this review.")
        return conditions

    def preview_decision(
        self, principal: Principal, campaign_id: int, bulk: BulkDecision
    ) -> BulkDecisionPreview:
        """How many items a bulk decision would set, and what the decided ones among them hold,
        without deciding anything (for the confirmation)."""
        with self._acting(principal, "reviews.decide", campaign_id, read_only=True) as conn:
            campaign = self._campaign(conn, principal, campaign_id, write=True)
            if campaign["status"] != "open":
                raise Conflict("This review is signed off; its decisions can no longer change.")
            conditions = self._bulk_conditions(conn, principal, campaign_id, bulk)
            counts = {
                row.decision: int(row.n)
                for row in conn.execute(
                    select(review_items.c.decision, func.count().label("n"))
                    .where(*conditions)
                    .group_by(review_items.c.decision)
                )
            }
        undecided = counts.pop(None, 0)
        decided = {
            kind: counts[kind.value] for kind in ReviewDecisionKind if counts.get(kind.value)
        }
        matched = undecided + sum(decided.values())
        return BulkDecisionPreview(
            matched=matched,
            undecided=undecided,
            decided=decided,
            will_change=matched if bulk.overwrite else undecided,
        )

    def decide(self, principal: Principal, campaign_id: int, bulk: BulkDecision) -> int:
        """Record one decision over selected items or over a filter's matches, in one UPDATE.

        Only undecided items change unless `bulk.overwrite` says to decide the decided ones again
        (`preview_decision` counts both first). Returns how many items it set. `reassign` hands
        items to another reviewer without deciding.
        """
        decision = bulk.decision
        kind = decision.decision
        justification = _one_line(decision.justification) or None
        if kind in JUSTIFICATION_REQUIRED and not justification:
            raise ValidationFailed(
                "Give a justification for deactivating a user or changing a role.",
                field="justification",
            )
        if kind is ReviewDecisionKind.CHANGE_ROLE and (
            decision.new_role is None or decision.new_role.is_payer
        ):
            raise ValidationFailed("Choose the new role.", field="new_role")
        if kind is ReviewDecisionKind.NARROW_AFFILIATIONS and decision.new_affiliations is None:
            raise ValidationFailed("Choose the providers to keep.", field="new_affiliations")
        if kind is ReviewDecisionKind.REASSIGN and decision.reassign_to is None:
            raise ValidationFailed("Choose who should decide.", field="reassign_to")
        now = self.clock.now()
        with self._acting(principal, "reviews.decide", campaign_id) as conn:
            campaign = self._campaign(conn, principal, campaign_id, write=True)
            tin = campaign["tin"]
            if campaign["status"] != "open":
                raise Conflict("This review is signed off; its decisions can no longer change.")
            conditions = self._bulk_conditions(conn, principal, campaign_id, bulk)
            if not bulk.overwrite:
                conditions.append(review_items.c.decision.is_(None))
            targets = list(
                conn.execute(
                    select(review_items.c.id, review_items.c.role, review_items.c.affiliations)
                    .where(*conditions)
                    .order_by(review_items.c.id)
                )
            )
            if not targets:
                return 0
            if (
                kind in _ACCESS_CHANGES
                and any(t.role == Role.ADMINISTRATOR.value for t in targets)
                and not allowed(principal, Action.MANAGE_ADMINISTRATORS, tin, now)
            ):
                raise PermissionDenied(
                    "Only an administrator can decide to change an administrator's access."
                )
            values: dict[str, Any]
            if kind is ReviewDecisionKind.REASSIGN:
                assert decision.reassign_to is not None
                if decision.reassign_to not in {m["id"] for m in self._managers(conn, tin)}:
                    raise ValidationFailed(
                        "Items can only go to an active administrator or practice maintenance "
                        "user of this Tax ID.",
                        field="reassign_to",
                    )
                values = {"assigned_to": decision.reassign_to}
            else:
                new_role = None
                new_affiliations = None
                if kind is ReviewDecisionKind.CHANGE_ROLE:
                    assert decision.new_role is not None
                    if not can_grant(principal, tin, decision.new_role):
                        raise PermissionDenied("Your role does not allow giving that role.")
                    new_role = decision.new_role.value
                if kind is ReviewDecisionKind.NARROW_AFFILIATIONS:
                    assert decision.new_affiliations is not None
                    keep = set(decision.new_affiliations)
                    if any(not keep <= set(t.affiliations or []) for t in targets):
                        raise ValidationFailed(
                            "Narrowing keeps only providers the user is already affiliated with.",
                            field="new_affiliations",
                        )
                    new_affiliations = sorted(keep)
                values = {
                    "decision": kind.value,
                    "new_role": new_role,
                    "new_affiliations": new_affiliations,
                    "justification": justification,
                    "decided_by": principal.user_id,
                    "decided_at": now,
                    "result": None,
                }
            conn.execute(update(review_items).where(*conditions).values(**values))
            detail: dict[str, Any] = {
                "decision": kind.value,
                "count": len(targets),
                "first_item_id": targets[0].id,
                "last_item_id": targets[-1].id,
                "by": "selection" if bulk.item_ids is not None else "filter",
                "overwrite": bulk.overwrite,
            }
            if kind is ReviewDecisionKind.CHANGE_ROLE:
                detail["new_role"] = values["new_role"]
            if kind is ReviewDecisionKind.NARROW_AFFILIATIONS:
                detail["new_affiliations"] = values["new_affiliations"]
            if kind is ReviewDecisionKind.REASSIGN:
                detail["reassign_to"] = decision.reassign_to
            audit.record(
                conn,
                at=now,
                action="reviews.decide",
                principal=principal,
                tin=tin,
                record_kind="review_campaign",
                record_id=campaign_id,
                reason=justification,
                detail=detail,
            )
            return len(targets)

    # -- sign-off and evidence --------------------------------------------------------------------
    def sign_off(self, principal: Principal, campaign_id: int) -> SignOffResult:
        """Apply every decision in one transaction and file the evidence report.

        All or nothing: when one decision cannot be applied (it would leave the TIN without an
        administrator), nothing is applied and the campaign stays open.
        """
        now = self.clock.now()
        try:
            with self._acting(principal, "reviews.sign_off", campaign_id) as conn:
                return self._sign_off(conn, principal, campaign_id, now)
        except LastAdministrator as error:
            failure = (
                f"Sign-off was not applied: {error.message} Change the decision for the "
                "administrators and sign off again."
            )
            with self.db.write() as conn:
                audit.record(
                    conn,
                    at=now,
                    action="reviews.sign_off",
                    outcome="failed",
                    principal=principal,
                    record_kind="review_campaign",
                    record_id=campaign_id,
                    reason="last administrator",
                )
            raise Conflict(failure) from error

    def _sign_off(
        self, conn: Connection, principal: Principal, campaign_id: int, now: datetime
    ) -> SignOffResult:
        campaign = self._campaign(conn, principal, campaign_id, write=True)
        tin = campaign["tin"]
        if campaign["status"] != "open":
            raise Conflict("This review is already signed off.")
        remaining = int(
            conn.execute(
                select(func.count()).where(
                    review_items.c.campaign_id == campaign_id, review_items.c.decision.is_(None)
                )
            ).scalar_one()
        )
        if remaining:
            raise Conflict(
                f"{remaining} item{'s' if remaining != 1 else ''} still "
                f"need{'s' if remaining == 1 else ''} a decision before sign-off."
            )
        items = list(
            conn.execute(
                select(
                    review_items.c.id,
                    review_items.c.user_id,
                    review_items.c.decision,
                    review_items.c.new_role,
                    review_items.c.new_affiliations,
                ).where(review_items.c.campaign_id == campaign_id)
            )
        )
        remove: list[int] = []
        roles: dict[int, Role] = {}
        narrowed: dict[int, list[str]] = {}
        for item in items:
            if item.decision == ReviewDecisionKind.DEACTIVATE.value:
                remove.append(item.user_id)
            elif item.decision == ReviewDecisionKind.CHANGE_ROLE.value:
                roles[item.user_id] = Role(item.new_role)
            elif item.decision == ReviewDecisionKind.NARROW_AFFILIATIONS.value:
                narrowed[item.user_id] = list(item.new_affiliations or [])
        outcome = apply_access_changes(
            conn, tin, now, remove=remove, roles=roles, affiliations=narrowed
        )
        results: list[dict[str, Any]] = []
        applied: Counter[str] = Counter()
        for item in items:
            uid = item.user_id
            if uid in outcome.skipped:
                text = f"not applied: {outcome.skipped[uid]}"
            elif item.decision == ReviewDecisionKind.DEACTIVATE.value:
                text = "access removed"
                if uid in outcome.deactivated:
                    text += "; account deactivated"
            elif item.decision == ReviewDecisionKind.CHANGE_ROLE.value:
                if uid in outcome.role_changed:
                    old, new = outcome.role_changed[uid]
                    text = f"role changed from {old.label} to {new.label}"
                else:
                    text = "role already as decided"
            elif item.decision == ReviewDecisionKind.NARROW_AFFILIATIONS.value:
                before, after = outcome.affiliations_set[uid]
                text = (
                    f"affiliations narrowed from {len(before)} to {len(after)}: "
                    f"{' '.join(after) or 'none'}"
                )
            else:
                text = "kept"
            if not text.startswith("not applied"):
                applied[str(item.decision)] += 1
            results.append({"b_id": item.id, "b_result": text})
        if results:
            conn.execute(
                update(review_items)
                .where(review_items.c.id == bindparam("b_id"))
                .values(result=bindparam("b_result")),
                results,
            )
        conn.execute(
            update(review_campaigns)
            .where(review_campaigns.c.id == campaign_id)
            .values(status="signed_off", signed_off_at=now, signed_off_by=principal.user_id)
        )
        report = self._evidence_text(conn, campaign_id)
        document_id = file_document(
            conn,
            kind="review_evidence",
            tin=tin,
            file_name=f"user-review-{tin}-{campaign_id}-evidence.txt",
            media_type="text/plain",
            content=report,
            at=now,
            created_by=principal.user_id,
            linked_kind="review_campaign",
            linked_id=campaign_id,
            retain_years=EVIDENCE_RETAIN_YEARS,
        )
        conn.execute(
            update(review_campaigns)
            .where(review_campaigns.c.id == campaign_id)
            .values(evidence_document_id=document_id)
        )
        audit.record(
            conn,
            at=now,
            action="reviews.sign_off",
            principal=principal,
            tin=tin,
            record_kind="review_campaign",
            record_id=campaign_id,
            detail={
                "items": len(items),
                "applied": dict(applied),
                "not_applied": len(outcome.skipped),
                "removed": len(outcome.removed),
                "deactivated": len(outcome.deactivated),
                "evidence_document_id": document_id,
            },
        )
        return SignOffResult(
            campaign_id=campaign_id, applied=dict(applied), evidence_document_id=document_id
        )

    def _evidence_rows(self, conn: Connection, campaign_id: int) -> list[_EvidenceRow]:
        decider = aliased(users)
        query = (
            select(
                review_items,
                users.c.username,
                users.c.full_name,
                decider.c.username.label("decided_by_username"),
            )
            .join(users, users.c.id == review_items.c.user_id)
            .outerjoin(decider, decider.c.id == review_items.c.decided_by)
            .where(review_items.c.campaign_id == campaign_id)
            .order_by(review_items.c.id)
        )
        return [
            _EvidenceRow(
                item_id=r["id"],
                username=r["username"],
                full_name=r["full_name"],
                role=r["role"],
                affiliations=list(r["affiliations"] or []),
                flags=list(r["flags"] or []),
                last_sign_in_at=r["last_sign_in_at"],
                decision=r["decision"],
                new_role=r["new_role"],
                new_affiliations=r["new_affiliations"],
                justification=r["justification"],
                decided_by=r["decided_by_username"],
                decided_at=r["decided_at"],
                result=r["result"],
            )
            for r in conn.execute(query).mappings()
        ]

    def _evidence_csv(self, rows: Sequence[_EvidenceRow]) -> bytes:
        header = [
            "item_id",
            "username",
            "full_name",
            "role",
            "affiliations",
            "flags",
            "last_sign_in_at",
            "decision",
            "new_role",
            "new_affiliations",
            "justification",
            "decided_by",
            "decided_at",
            "result",
        ]
        return csv_bytes(
            header,
            (
                [
                    r.item_id,
                    r.username,
                    r.full_name,
                    r.role,
                    " ".join(r.affiliations),
                    " ".join(r.flags),
                    _stamp(r.last_sign_in_at),
                    r.decision or "",
                    r.new_role or "",
                    " ".join(r.new_affiliations or []),
                    _one_line(r.justification),
                    r.decided_by or "",
                    _stamp(r.decided_at),
                    r.result or "",
                ]
                for r in rows
            ),
        )

    def _evidence_text(self, conn: Connection, campaign_id: int) -> bytes:
        campaign = (
            conn.execute(
                select(
                    review_campaigns,
                    tins.c.name.label("tin_name"),
                )
                .join(tins, tins.c.tin == review_campaigns.c.tin)
                .where(review_campaigns.c.id == campaign_id)
            )
            .mappings()
            .one()
        )
        names = {
            r.id: r.username
            for r in conn.execute(
                select(users.c.id, users.c.username).where(
                    users.c.id.in_([campaign["opened_by"] or 0, campaign["signed_off_by"] or 0])
                )
            )
        }
        rows = self._evidence_rows(conn, campaign_id)
        decisions = Counter(r.decision or "undecided" for r in rows)
        lines = [
            "USER REVIEW EVIDENCE",
            "",
            f"Tax ID:      {format_tin(campaign['tin'])} ({campaign['tin_name']})",
            f"Review:      #{campaign_id}",
            f"Opened:      {_stamp(campaign['opened_at'])} by "
            f"{names.get(campaign['opened_by'], 'unknown')}",
            f"Due:         {campaign['due_date'].isoformat()}",
        ]
        if campaign["signed_off_at"] is not None:
            lines.append(
                f"Signed off:  {_stamp(campaign['signed_off_at'])} by "
                f"{names.get(campaign['signed_off_by'], 'unknown')}"
            )
        else:
            lines.append("Signed off:  not yet")
        lines.append(f"Users:       {len(rows)}")
        lines.append(
            "Decisions:   "
            + (", ".join(f"{kind} {count}" for kind, count in sorted(decisions.items())) or "none")
        )
        lines += ["", "Per user", "--------"]
        for r in rows:
            lines.append(f"#{r.item_id}  {r.username} ({_one_line(r.full_name)}), {r.role}")
            if r.affiliations:
                lines.append(f"    affiliations: {' '.join(r.affiliations)}")
            if r.flags:
                lines.append(f"    flags: {', '.join(r.flags)}")
            decided = r.decision or "undecided"
            if r.new_role:
                decided += f" to {r.new_role}"
            if r.new_affiliations is not None:
                decided += f" keeping {' '.join(r.new_affiliations) or 'none'}"
            if r.decided_by:
                decided += f" by {r.decided_by} at {_stamp(r.decided_at)}"
            lines.append(f"    decision: {decided}")
            if r.justification:
                lines.append(f"    justification: {_one_line(r.justification)}")
            lines.append(f"    result: {r.result or 'not yet applied'}")
        lines.append("")
        return "\n".join(lines).encode("utf-8")

    def export_evidence(self, principal: Principal, campaign_id: int, format: str = "csv") -> bytes:
        """The evidence report as CSV (`csv`) or a readable text document (`text`)."""
        if format not in ("csv", "text"):
            raise ValidationFailed("Choose csv or text.", field="format")
        with self._acting(principal, "reviews.export", campaign_id) as conn:
            campaign = self._campaign(conn, principal, campaign_id, write=False)
            if format == "csv":
                content = self._evidence_csv(self._evidence_rows(conn, campaign_id))
            else:
                content = self._evidence_text(conn, campaign_id)
            audit.record(
                conn,
                at=self.clock.now(),
                action="reviews.export",
                principal=principal,
                tin=campaign["tin"],
                record_kind="review_campaign",
                record_id=campaign_id,
                detail={"format": format},
            )
            return content

    # -- reminders --------------------------------------------------------------------------------
    def send_reminders(self) -> int:
        """Mail and notify reviewers of open campaigns due in 7, 3 or 1 days, once per day count.

        Run by the scheduler (no acting user). Returns how many campaign reminders went out.
        """
        now = self.clock.now()
        today = now.date()
        sent = 0
        with self.db.write() as conn:
            campaigns = list(
                conn.execute(
                    select(review_campaigns).where(
                        review_campaigns.c.status == "open",
                        review_campaigns.c.due_date.in_(
                            [today + timedelta(days=d) for d in REMINDER_DAYS]
                        ),
                    )
                ).mappings()
            )
            for campaign in campaigns:
                due: date = campaign["due_date"]
                days = (due - today).days
                already = list(campaign["reminders_sent"] or [])
                if days in already:
                    continue
                tin = campaign["tin"]
                text = (
                    f"Your user review for Tax ID {format_tin(tin)} is due in {days} "
                    f"day{'s' if days != 1 else ''} ({due.isoformat()})."
                )
                for manager in self._managers(conn, tin):
                    accounts.mail_user(
                        conn,
                        manager,
                        "Time to review your provider portal users",
                        f"Hello {manager['full_name']},\n\n{text}\n"
                        "Sign in to the provider portal and open Users > Reviews to finish it.\n",
                        now,
                    )
                    accounts.notify(
                        conn,
                        manager["id"],
                        "review_due",
                        text,
                        now,
                        link_kind="review_campaign",
                        link_id=campaign["id"],
                    )
                conn.execute(
                    update(review_campaigns)
                    .where(review_campaigns.c.id == campaign["id"])
                    .values(reminders_sent=[*already, days])
                )
                audit.record(
                    conn,
                    at=now,
                    action="reviews.reminder",
                    tin=tin,
                    record_kind="review_campaign",
                    record_id=campaign["id"],
                    detail={"days_before": days},
                )
                sent += 1
        return sent
