"""User review campaigns: opening with flags, bulk decisions, sign-off, evidence and reminders."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from builders import add_provider, add_tin, add_user, principal_for
from portal_core.clock import SettableClock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.identity import Principal, Role
from portal_core.models.reviews import (
    BulkDecision,
    ReviewDecision,
    ReviewDecisionKind,
    ReviewFlag,
    ReviewItemFilter,
)
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import (
    audit_log,
    documents,
    mail_outbox,
    notifications,
    review_campaigns,
    review_items,
    user_affiliations,
    user_roles,
    users,
)

TIN = "123456789"
OTHER_TIN = "987654321"
K = ReviewDecisionKind


@dataclass
class Practice:
    admin: int
    pm: int
    staff_recent: int
    staff_idle: int
    staff_never: int
    billing_left: int
    outsider: int
    npi_a: str
    npi_b: str
    npi_left: str


@pytest.fixture
def practice(db: Database, clock: SettableClock) -> Practice:
    add_tin(db, TIN, name="Lakeside Family Practice")
    add_tin(db, OTHER_TIN, name="Hillside Clinic")
    npi_a = add_provider(db, TIN, name="Dr. Ada")
    npi_b = add_provider(db, TIN, name="Dr. Bea")
    npi_left = add_provider(db, TIN, name="Dr. Gone", left_on=date(2026, 6, 30))
    now = clock.now()
    return Practice(
        admin=add_user(db, "alice.admin", Role.ADMINISTRATOR, TIN, last_sign_in_at=now),
        pm=add_user(db, "pat.maint", Role.PRACTICE_MAINTENANCE, TIN, last_sign_in_at=now),
        staff_recent=add_user(
            db,
            "sam.staff",
            Role.STAFF,
            TIN,
            npis=[npi_a, npi_b],
            last_sign_in_at=now - timedelta(days=89),
        ),
        staff_idle=add_user(
            db, "ida.idle", Role.STAFF, TIN, last_sign_in_at=now - timedelta(days=91)
        ),
        staff_never=add_user(db, "ned.never", Role.STAFF, TIN),
        billing_left=add_user(
            db,
            "bill.billing",
            Role.BILLING,
            TIN,
            npis=[npi_a, npi_left],
            last_sign_in_at=now,
        ),
        outsider=add_user(db, "olga.admin", Role.ADMINISTRATOR, OTHER_TIN),
        npi_a=npi_a,
        npi_b=npi_b,
        npi_left=npi_left,
    )


def as_user(db: Database, user_id: int) -> Principal:
    return principal_for(db, user_id)


def decide(
    services: Services,
    who: Principal,
    campaign_id: int,
    kind: ReviewDecisionKind,
    *,
    item_ids: list[int] | None = None,
    filter: ReviewItemFilter | None = None,
    overwrite: bool = False,
    **decision: object,
) -> int:
    return services.reviews.decide(
        who,
        campaign_id,
        BulkDecision(
            decision=ReviewDecision(decision=kind, **decision),  # type: ignore[arg-type]
            item_ids=item_ids,
            filter=filter,
            overwrite=overwrite,
        ),
    )


def items_by_user(services: Services, who: Principal, campaign_id: int) -> dict[int, object]:
    page = services.reviews.review_items(who, campaign_id, limit=1000)
    return {item.user_id: item for item in page.items}


# -- opening --------------------------------------------------------------------------------------
def test_open_campaign_lists_every_active_user_with_flags(
    services: Services, db: Database, clock: SettableClock, practice: Practice
) -> None:
    add_user(db, "gone.user", Role.STAFF, TIN, status="deactivated")
    add_user(db, "wait.user", Role.STAFF, TIN, status="pending", role_status="pending")
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)

    assert campaign.total == 6
    assert campaign.decided == 0
    assert campaign.due_date == clock.now().date() + timedelta(days=30)
    assert campaign.status == "open"
    items = services.reviews.review_items(admin, campaign.id).items
    flags = {item.username: item.flags for item in items}
    assert flags["sam.staff"] == []
    assert flags["ida.idle"] == [ReviewFlag.INACTIVE_90D]
    assert flags["ned.never"] == [ReviewFlag.NEVER_SIGNED_IN]
    assert flags["bill.billing"] == [ReviewFlag.AFFILIATED_PROVIDER_LEFT]
    assert flags["alice.admin"] == []
    by_name = {item.username: item for item in items}
    assert by_name["sam.staff"].affiliations == sorted([practice.npi_a, practice.npi_b])
    assert by_name["alice.admin"].role is Role.ADMINISTRATOR


def test_many_admins_flags_the_administrator_items(
    services: Services, db: Database, practice: Practice
) -> None:
    for n in range(3):
        add_user(db, f"extra.admin{n}", Role.ADMINISTRATOR, TIN, last_sign_in_at=None)
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    flagged = services.reviews.review_items(
        admin, campaign.id, ReviewItemFilter(flag=ReviewFlag.MANY_ADMINS)
    )
    assert flagged.total == 4
    assert {item.role for item in flagged.items} == {Role.ADMINISTRATOR}


def test_one_open_campaign_per_tin(services: Services, db: Database, practice: Practice) -> None:
    admin = as_user(db, practice.admin)
    services.reviews.open_campaign(admin, TIN)
    with pytest.raises(Conflict):
        services.reviews.open_campaign(as_user(db, practice.pm), TIN)


def test_only_reviewers_of_the_tin_may_open_or_see(
    services: Services, db: Database, practice: Practice
) -> None:
    with pytest.raises(PermissionDenied):
        services.reviews.open_campaign(as_user(db, practice.staff_recent), TIN)
    with pytest.raises(PermissionDenied):
        services.reviews.open_campaign(as_user(db, practice.outsider), TIN)
    campaign = services.reviews.open_campaign(as_user(db, practice.admin), TIN)
    with pytest.raises(NotFound):
        services.reviews.get_campaign(as_user(db, practice.outsider), campaign.id)
    with pytest.raises(NotFound):
        services.reviews.review_items(as_user(db, practice.outsider), campaign.id)
    with db.read() as conn:
        outcomes = conn.execute(
            select(audit_log.c.action, audit_log.c.outcome).where(audit_log.c.outcome == "denied")
        ).all()
    assert ("reviews.view", "denied") in outcomes
    assert ("reviews.items", "denied") in outcomes
    assert [c.id for c in services.reviews.list_campaigns(as_user(db, practice.pm))] == [
        campaign.id
    ]
    assert services.reviews.list_campaigns(as_user(db, practice.outsider)) == []


# -- items and decisions --------------------------------------------------------------------------
def test_review_items_pages_and_filters(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    first = services.reviews.review_items(admin, campaign.id, limit=4)
    assert first.total == 6
    assert len(first.items) == 4
    assert first.next_cursor is not None
    rest = services.reviews.review_items(admin, campaign.id, after=first.next_cursor, limit=4)
    assert len(rest.items) == 2
    assert rest.next_cursor is None
    ids = [i.id for i in first.items + rest.items]
    assert ids == sorted(set(ids))

    staff = services.reviews.review_items(admin, campaign.id, ReviewItemFilter(role=Role.STAFF))
    assert staff.total == 3
    text = services.reviews.review_items(admin, campaign.id, ReviewItemFilter(text="IDLE"))
    assert [i.username for i in text.items] == ["ida.idle"]
    decide(services, admin, campaign.id, K.KEEP, item_ids=[text.items[0].id])
    undecided = services.reviews.review_items(admin, campaign.id, ReviewItemFilter(decided=False))
    assert undecided.total == 5
    assert services.reviews.get_campaign(admin, campaign.id).decided == 1


def test_deactivate_and_change_role_need_a_justification(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    item = items_by_user(services, admin, campaign.id)[practice.staff_idle]
    with pytest.raises(ValidationFailed):
        decide(services, admin, campaign.id, K.DEACTIVATE, item_ids=[item.id])  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed):
        decide(
            services,
            admin,
            campaign.id,
            K.CHANGE_ROLE,
            item_ids=[item.id],  # type: ignore[attr-defined]
            new_role=Role.BILLING,
            justification="   ",
        )
    assert services.reviews.get_campaign(admin, campaign.id).decided == 0


def test_change_role_must_be_within_the_reviewers_rights(
    services: Services, db: Database, practice: Practice
) -> None:
    pm = as_user(db, practice.pm)
    campaign = services.reviews.open_campaign(pm, TIN)
    items = items_by_user(services, pm, campaign.id)
    staff_item = items[practice.staff_recent].id  # type: ignore[attr-defined]
    admin_item = items[practice.admin].id  # type: ignore[attr-defined]
    with pytest.raises(PermissionDenied):
        decide(
            services,
            pm,
            campaign.id,
            K.CHANGE_ROLE,
            item_ids=[staff_item],
            new_role=Role.ADMINISTRATOR,
            justification="promote",
        )
    with pytest.raises(PermissionDenied):
        decide(services, pm, campaign.id, K.DEACTIVATE, item_ids=[admin_item], justification="x")
    assert (
        decide(
            services,
            pm,
            campaign.id,
            K.CHANGE_ROLE,
            item_ids=[staff_item],
            new_role=Role.BILLING,
            justification="does billing now",
        )
        == 1
    )


def test_narrowing_keeps_only_a_subset_of_the_affiliations(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    item = items_by_user(services, admin, campaign.id)[practice.billing_left]
    item_id = item.id  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed):
        decide(
            services,
            admin,
            campaign.id,
            K.NARROW_AFFILIATIONS,
            item_ids=[item_id],
            new_affiliations=[practice.npi_b],
        )
    decide(
        services,
        admin,
        campaign.id,
        K.NARROW_AFFILIATIONS,
        item_ids=[item_id],
        new_affiliations=[practice.npi_a],
    )


def test_reassign_sets_the_reviewer_without_deciding(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    targets = services.reviews.reassign_targets(admin, campaign.id)
    assert {t.id for t in targets} == {practice.admin, practice.pm}
    with pytest.raises(ValidationFailed):
        decide(
            services,
            admin,
            campaign.id,
            K.REASSIGN,
            filter=ReviewItemFilter(role=Role.STAFF),
            reassign_to=practice.staff_recent,
        )
    count = decide(
        services,
        admin,
        campaign.id,
        K.REASSIGN,
        filter=ReviewItemFilter(role=Role.STAFF),
        reassign_to=practice.pm,
    )
    assert count == 3
    mine = services.reviews.review_items(
        as_user(db, practice.pm), campaign.id, ReviewItemFilter(assigned_to_me=True)
    )
    assert mine.total == 3
    assert all(i.decision is None for i in mine.items)
    assert services.reviews.get_campaign(admin, campaign.id).decided == 0


def test_bulk_decide_writes_one_audit_row_with_count_and_range(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    count = decide(services, admin, campaign.id, K.KEEP, filter=ReviewItemFilter())
    assert count == 6
    with db.read() as conn:
        rows = conn.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "reviews.decide")
        ).all()
        low, high = conn.execute(
            select(func.min(review_items.c.id), func.max(review_items.c.id))
        ).one()
    assert len(rows) == 1
    assert rows[0].detail["count"] == 6
    assert (rows[0].detail["first_item_id"], rows[0].detail["last_item_id"]) == (low, high)


def test_bulk_decide_keeps_decisions_already_made_unless_told_to_overwrite(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    items = items_by_user(services, admin, campaign.id)

    def item_id(user_id: int) -> int:
        return items[user_id].id  # type: ignore[attr-defined]

    decide(services, admin, campaign.id, K.KEEP, item_ids=[item_id(practice.admin)])
    decide(
        services,
        admin,
        campaign.id,
        K.CHANGE_ROLE,
        item_ids=[item_id(practice.staff_never)],
        new_role=Role.BILLING,
        justification="works on billing",
    )
    decide(
        services,
        admin,
        campaign.id,
        K.NARROW_AFFILIATIONS,
        item_ids=[item_id(practice.billing_left)],
        new_affiliations=[practice.npi_a],
    )
    deactivate_all = BulkDecision(
        decision=ReviewDecision(decision=K.DEACTIVATE, justification="clean slate"),
        filter=ReviewItemFilter(),
    )
    preview = services.reviews.preview_decision(admin, campaign.id, deactivate_all)
    assert (preview.matched, preview.undecided, preview.will_change) == (6, 3, 3)
    assert preview.decided == {K.KEEP: 1, K.CHANGE_ROLE: 1, K.NARROW_AFFILIATIONS: 1}
    assert services.reviews.get_campaign(admin, campaign.id).decided == 3  # the preview sets none

    assert services.reviews.decide(admin, campaign.id, deactivate_all) == 3
    after = items_by_user(services, admin, campaign.id)
    assert after[practice.admin].decision is K.KEEP  # type: ignore[attr-defined]
    assert after[practice.staff_never].decision is K.CHANGE_ROLE  # type: ignore[attr-defined]
    assert after[practice.staff_never].new_role is Role.BILLING  # type: ignore[attr-defined]
    assert after[practice.billing_left].decision is K.NARROW_AFFILIATIONS  # type: ignore[attr-defined]
    assert after[practice.staff_idle].decision is K.DEACTIVATE  # type: ignore[attr-defined]

    # Explicitly: every match, decided or not.
    overwrite = deactivate_all.model_copy(update={"overwrite": True})
    preview = services.reviews.preview_decision(admin, campaign.id, overwrite)
    assert (preview.matched, preview.undecided, preview.will_change) == (6, 0, 6)
    assert services.reviews.decide(admin, campaign.id, overwrite) == 6
    after = items_by_user(services, admin, campaign.id)
    assert {i.decision for i in after.values()} == {K.DEACTIVATE}  # type: ignore[attr-defined]
    with db.read() as conn:
        details = conn.execute(
            select(audit_log.c.detail)
            .where(audit_log.c.action == "reviews.decide")
            .order_by(audit_log.c.id)
        ).scalars()
        assert [d["overwrite"] for d in details][-2:] == [False, True]


def test_a_selection_keeps_decided_items_too(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    items = items_by_user(services, admin, campaign.id)
    kept, idle = items[practice.staff_recent].id, items[practice.staff_idle].id  # type: ignore[attr-defined]
    decide(services, admin, campaign.id, K.KEEP, item_ids=[kept])
    bulk = BulkDecision(
        decision=ReviewDecision(decision=K.DEACTIVATE, justification="left in June"),
        item_ids=[kept, idle],
    )
    preview = services.reviews.preview_decision(admin, campaign.id, bulk)
    assert (preview.matched, preview.undecided, preview.decided) == (2, 1, {K.KEEP: 1})
    assert services.reviews.decide(admin, campaign.id, bulk) == 1
    after = items_by_user(services, admin, campaign.id)
    assert after[practice.staff_recent].decision is K.KEEP  # type: ignore[attr-defined]
    # An item of another campaign is refused in the preview as in the decision.
    with pytest.raises(NotFound):
        services.reviews.preview_decision(
            admin, campaign.id, bulk.model_copy(update={"item_ids": [kept, 10_000]})
        )


def test_item_ids_of_another_campaign_are_refused(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    outsider = as_user(db, practice.outsider)
    other = services.reviews.open_campaign(outsider, OTHER_TIN)
    other_item = services.reviews.review_items(outsider, other.id).items[0].id
    with pytest.raises(NotFound):
        decide(services, admin, campaign.id, K.KEEP, item_ids=[other_item])


# -- sign-off -------------------------------------------------------------------------------------
def test_sign_off_needs_every_item_decided(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    decide(services, admin, campaign.id, K.KEEP, filter=ReviewItemFilter(role=Role.STAFF))
    with pytest.raises(Conflict, match="3 items still need a decision"):
        services.reviews.sign_off(admin, campaign.id)


def test_sign_off_applies_decisions_and_files_evidence(
    services: Services, db: Database, clock: SettableClock, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    items = items_by_user(services, admin, campaign.id)

    def item_id(user_id: int) -> int:
        return items[user_id].id  # type: ignore[attr-defined]

    decide(services, admin, campaign.id, K.KEEP, filter=ReviewItemFilter())
    decide(
        services,
        admin,
        campaign.id,
        K.DEACTIVATE,
        filter=ReviewItemFilter(flag=ReviewFlag.INACTIVE_90D),
        justification="no sign-in for 90 days",
        overwrite=True,
    )
    decide(
        services,
        admin,
        campaign.id,
        K.CHANGE_ROLE,
        item_ids=[item_id(practice.staff_never)],
        new_role=Role.BILLING,
        justification="works on billing",
        overwrite=True,
    )
    decide(
        services,
        admin,
        campaign.id,
        K.NARROW_AFFILIATIONS,
        item_ids=[item_id(practice.billing_left)],
        new_affiliations=[practice.npi_a],
        overwrite=True,
    )
    clock.advance(days=2)
    result = services.reviews.sign_off(admin, campaign.id)

    assert result.applied == {
        "keep": 3,
        "deactivate": 1,
        "change_role": 1,
        "narrow_affiliations": 1,
    }
    with db.read() as conn:
        roles = dict(
            conn.execute(
                select(user_roles.c.user_id, user_roles.c.status).where(user_roles.c.tin == TIN)
            ).all()
        )
        new_role = conn.execute(
            select(user_roles.c.role).where(user_roles.c.user_id == practice.staff_never)
        ).scalar_one()
        npis = (
            conn.execute(
                select(user_affiliations.c.npi).where(
                    user_affiliations.c.user_id == practice.billing_left
                )
            )
            .scalars()
            .all()
        )
        idle_status = conn.execute(
            select(users.c.status).where(users.c.id == practice.staff_idle)
        ).scalar_one()
        doc = (
            conn.execute(select(documents).where(documents.c.id == result.evidence_document_id))
            .mappings()
            .one()
        )
        campaign_row = (
            conn.execute(select(review_campaigns).where(review_campaigns.c.id == campaign.id))
            .mappings()
            .one()
        )
    assert roles[practice.staff_idle] == "removed"
    assert idle_status == "deactivated"
    assert new_role == "billing"
    assert npis == [practice.npi_a]
    assert doc["kind"] == "review_evidence"
    assert doc["tin"] == TIN
    assert doc["retain_until"] == date(2032, 11, 25)
    assert doc["size"] == len(doc["content"])
    text = doc["content"].decode()
    assert "no sign-in for 90 days" in text
    assert "alice.admin" in text
    assert campaign_row["status"] == "signed_off"
    assert campaign_row["evidence_document_id"] == result.evidence_document_id

    after = items_by_user(services, admin, campaign.id)
    assert after[practice.staff_idle].result.startswith("access removed")  # type: ignore[attr-defined]
    assert "Billing" in after[practice.staff_never].result  # type: ignore[attr-defined]
    assert after[practice.admin].result == "kept"  # type: ignore[attr-defined]

    with pytest.raises(Conflict):
        decide(services, admin, campaign.id, K.KEEP, filter=ReviewItemFilter())
    with pytest.raises(Conflict):
        services.reviews.sign_off(admin, campaign.id)
    summary = services.reviews.get_campaign(admin, campaign.id)
    assert summary.status == "signed_off"
    # A new campaign can open once the last one is signed off.
    assert services.reviews.open_campaign(admin, TIN).total == 5


def test_sign_off_that_would_remove_the_last_admin_changes_nothing(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    decide(
        services,
        admin,
        campaign.id,
        K.DEACTIVATE,
        filter=ReviewItemFilter(),
        justification="clean slate",
    )
    with pytest.raises(Conflict, match="administrator"):
        services.reviews.sign_off(admin, campaign.id)
    with db.read() as conn:
        statuses = set(
            conn.execute(select(user_roles.c.status).where(user_roles.c.tin == TIN)).scalars()
        )
        documents_filed = conn.execute(select(func.count()).select_from(documents)).scalar_one()
        results = set(conn.execute(select(review_items.c.result)).scalars())
        failed = (
            conn.execute(
                select(audit_log.c.outcome).where(audit_log.c.action == "reviews.sign_off")
            )
            .scalars()
            .all()
        )
    assert statuses == {"active"}
    assert documents_filed == 0
    assert results == {None}
    assert failed == ["failed"]
    assert services.reviews.get_campaign(admin, campaign.id).status == "open"


# -- evidence -------------------------------------------------------------------------------------
def test_evidence_csv_neutralizes_formula_cells(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    decide(services, admin, campaign.id, K.KEEP, filter=ReviewItemFilter())
    idle = items_by_user(services, admin, campaign.id)[practice.staff_idle]
    decide(
        services,
        admin,
        campaign.id,
        K.DEACTIVATE,
        item_ids=[idle.id],  # type: ignore[attr-defined]
        justification='=HYPERLINK("http://evil.example","x")',
        overwrite=True,
    )
    content = services.reviews.export_evidence(admin, campaign.id, "csv")
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert len(rows) == 6
    row = next(r for r in rows if r["username"] == "ida.idle")
    assert row["justification"].startswith("'=")
    assert row["decision"] == "deactivate"
    assert row["decided_by"] == "alice.admin"
    assert not any(
        cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values() if cell
    )


def test_evidence_text_report(services: Services, db: Database, practice: Practice) -> None:
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    decide(services, admin, campaign.id, K.KEEP, filter=ReviewItemFilter())
    text = services.reviews.export_evidence(admin, campaign.id, "text").decode()
    assert "USER REVIEW EVIDENCE" in text
    assert "12-3456789" in text
    assert "Users:       6" in text
    assert "keep 6" in text
    assert text.count("    decision: keep by alice.admin") == 6
    with pytest.raises(ValidationFailed):
        services.reviews.export_evidence(admin, campaign.id, "xlsx")


# -- reminders and oversight ----------------------------------------------------------------------
def test_reminders_go_out_once_at_7_3_and_1_days(
    services: Services, db: Database, clock: SettableClock, practice: Practice
) -> None:
    services.reviews.open_campaign(as_user(db, practice.admin), TIN)
    assert services.reviews.send_reminders() == 0  # 30 days away
    clock.advance(days=23)  # 7 days before the due date
    assert services.reviews.send_reminders() == 1
    assert services.reviews.send_reminders() == 0
    clock.advance(days=1)
    assert services.reviews.send_reminders() == 0
    clock.advance(days=3)  # 3 days before
    assert services.reviews.send_reminders() == 1
    assert services.reviews.send_reminders() == 0
    with db.read() as conn:
        noticed = (
            conn.execute(
                select(notifications.c.user_id).where(notifications.c.kind == "review_due")
            )
            .scalars()
            .all()
        )
        mails = conn.execute(select(mail_outbox.c.to_address)).scalars().all()
        sent = conn.execute(select(review_campaigns.c.reminders_sent)).scalar_one()
    assert sorted(noticed) == sorted([practice.admin, practice.pm] * 2)
    assert len(mails) == 4
    assert sent == [7, 3]


def test_payer_admin_sees_overdue_campaigns(
    services: Services, db: Database, clock: SettableClock, practice: Practice
) -> None:
    payer_admin = as_user(db, add_user(db, "paula.payer", Role.PAYER_ADMIN))
    campaign = services.reviews.open_campaign(as_user(db, practice.admin), TIN)
    assert services.reviews.overdue_campaigns(payer_admin) == []
    clock.advance(days=31)
    overdue = services.reviews.overdue_campaigns(payer_admin)
    assert [c.id for c in overdue] == [campaign.id]
    assert overdue[0].overdue is True
    with pytest.raises(PermissionDenied):
        services.reviews.overdue_campaigns(as_user(db, practice.admin))
    with pytest.raises(PermissionDenied):  # overseeing is not deciding
        decide(services, payer_admin, campaign.id, K.KEEP, filter=ReviewItemFilter())


# -- at size --------------------------------------------------------------------------------------
def _bulk_users(db: Database, clock: SettableClock, count: int, npi: str) -> None:
    now = clock.now()
    with db.write() as conn:
        first = conn.execute(select(func.max(users.c.id))).scalar_one() + 1
        conn.execute(
            insert(users),
            [
                {
                    "id": first + n,
                    "username": f"bulk.user{n:05d}",
                    "username_key": f"bulk.user{n:05d}",
                    "full_name": f"Bulk User {n}",
                    "email": f"bulk{n}@example.org",
                    "phone": "",
                    "status": "active",
                    "failed_sign_ins": 0,
                    "locked": False,
                    "totp_enabled": False,
                    "notification_prefs": {},
                    "created_at": now,
                    "last_sign_in_at": None if n % 4 == 0 else now - timedelta(days=n % 200),
                }
                for n in range(count)
            ],
        )
        conn.execute(
            insert(user_roles),
            [
                {
                    "user_id": first + n,
                    "tin": TIN,
                    "role": "staff" if n % 2 else "billing",
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ],
        )
        conn.execute(
            insert(user_affiliations),
            [{"user_id": first + n, "tin": TIN, "npi": npi} for n in range(0, count, 3)],
        )


def test_two_thousand_item_campaign_bulk_decide_and_sign_off(
    services: Services, db: Database, clock: SettableClock, practice: Practice
) -> None:
    _bulk_users(db, clock, 2000, practice.npi_left)
    admin = as_user(db, practice.admin)
    campaign = services.reviews.open_campaign(admin, TIN)
    assert campaign.total == 2006

    never = services.reviews.review_items(
        admin, campaign.id, ReviewItemFilter(flag=ReviewFlag.NEVER_SIGNED_IN)
    )
    assert never.total == 501  # every fourth bulk user, and ned.never
    left = services.reviews.review_items(
        admin, campaign.id, ReviewItemFilter(flag=ReviewFlag.AFFILIATED_PROVIDER_LEFT)
    )
    assert left.total == 668  # every third bulk user, and bill.billing

    # Page through everything by keyset.
    seen = 0
    after = None
    while True:
        page = services.reviews.review_items(admin, campaign.id, after=after, limit=500)
        seen += len(page.items)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == 2006

    assert (
        decide(
            services,
            admin,
            campaign.id,
            K.DEACTIVATE,
            filter=ReviewItemFilter(flag=ReviewFlag.NEVER_SIGNED_IN),
            justification="never used the portal",
        )
        == 501
    )
    billing = services.reviews.review_items(
        admin, campaign.id, ReviewItemFilter(role=Role.BILLING, decided=False), limit=1000
    )
    selected = [i.id for i in billing.items[:300]]
    assert (
        decide(
            services,
            admin,
            campaign.id,
            K.CHANGE_ROLE,
            item_ids=selected,
            new_role=Role.STAFF,
            justification="front desk now",
        )
        == 300
    )
    remaining = decide(services, admin, campaign.id, K.KEEP, filter=ReviewItemFilter(decided=False))
    assert remaining == 2006 - 501 - 300

    result = services.reviews.sign_off(admin, campaign.id)
    assert result.applied == {"deactivate": 501, "change_role": 300, "keep": remaining}
    with db.read() as conn:
        removed = conn.execute(
            select(func.count()).where(user_roles.c.tin == TIN, user_roles.c.status == "removed")
        ).scalar_one()
        without_result = conn.execute(
            select(func.count()).where(
                review_items.c.campaign_id == campaign.id, review_items.c.result.is_(None)
            )
        ).scalar_one()
        decide_audits = conn.execute(
            select(func.count()).where(audit_log.c.action == "reviews.decide")
        ).scalar_one()
    assert removed == 501
    assert without_result == 0
    assert decide_audits == 3
