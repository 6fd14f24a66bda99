"""Announcements: publishing by payer administrators only (refusals audited), clear messages for
bad input, the current ones by audience and expiry, review notices pointing at the reader's open
review, withdrawal; and recent items from the user's own reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from builders import add_provider, add_tin, add_user, principal_for
from portal_core.clock import SettableClock
from portal_core.errors import NotFound, PermissionDenied, ValidationFailed
from portal_core.models.announcements import NewAnnouncement
from portal_core.models.identity import Principal, Role
from portal_core.services import Services
from portal_core.services.documents import file_document
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log, network_participation, plans

MEDICARE_TIN = "123456789"
MEDICAID_TIN = "987654321"


def _plan(db: Database, plan_id: str, line: str) -> None:
    with db.write() as conn:
        conn.execute(insert(plans).values(plan_id=plan_id, name=plan_id, product_line=line))


def _in_network(db: Database, npi: str, plan_id: str, end: date | None = None) -> None:
    with db.write() as conn:
        conn.execute(
            insert(network_participation).values(
                npi=npi, plan_id=plan_id, start_date=date(2020, 1, 1), end_date=end
            )
        )


@pytest.fixture
def people(db: Database) -> dict[str, Principal]:
    add_tin(db, MEDICARE_TIN)
    add_tin(db, MEDICAID_TIN)
    _plan(db, "MA-1", "medicare")
    _plan(db, "MC-1", "medicaid")
    _plan(db, "CM-1", "commercial")
    medicare_npi = add_provider(db, MEDICARE_TIN)
    medicaid_npi = add_provider(db, MEDICAID_TIN, name="Dr. Grace Hopper")
    _in_network(db, medicare_npi, "MA-1")
    _in_network(db, medicaid_npi, "MC-1")
    # A network the provider left: its product line no longer counts.
    _in_network(db, medicaid_npi, "CM-1", end=date(2025, 12, 31))
    return {
        "admin": principal_for(db, add_user(db, "paula.admin", Role.PAYER_ADMIN)),
        "csr": principal_for(db, add_user(db, "cora.csr", Role.CSR)),
        "medicare": principal_for(db, add_user(db, "mary.admin", Role.ADMINISTRATOR, MEDICARE_TIN)),
        "medicaid": principal_for(db, add_user(db, "mike.staff", Role.STAFF, MEDICAID_TIN)),
        "medicaid_admin": principal_for(
            db, add_user(db, "mona.admin", Role.ADMINISTRATOR, MEDICAID_TIN)
        ),
    }


def _titles(services: Services, who: Principal) -> list[str]:
    return [a.title for a in services.announcements.current_announcements(who)]


def test_payer_admin_publishes_and_readers_see_what_is_meant_for_them(
    services: Services, clock: SettableClock, people: dict[str, Principal]
) -> None:
    publish = services.announcements.publish_announcement
    everyone = publish(people["admin"], NewAnnouncement(title="  Maintenance ", body="Sunday."))
    assert everyone.title == "Maintenance" and everyone.audience == []
    assert everyone.published_by == "paula.admin"
    clock.advance(minutes=1)
    publish(
        people["admin"],
        NewAnnouncement(title="Medicare imaging", body="Needs a preauth.", audience=["medicare"]),
    )
    clock.advance(minutes=1)
    publish(
        people["admin"],
        NewAnnouncement(title="Commercial news", body="New plan.", audience=["commercial"]),
    )
    assert _titles(services, people["medicare"]) == ["Medicare imaging", "Maintenance"]
    assert _titles(services, people["medicaid"]) == ["Maintenance"]
    assert _titles(services, people["csr"]) == [
        "Commercial news",
        "Medicare imaging",
        "Maintenance",
    ]


def test_expired_future_and_withdrawn_announcements_do_not_show(
    services: Services, clock: SettableClock, people: dict[str, Principal]
) -> None:
    publish = services.announcements.publish_announcement
    now = clock.now()
    short = publish(
        people["admin"],
        NewAnnouncement(title="Short", body="Today only.", expires_at=now + timedelta(hours=1)),
    )
    publish(
        people["admin"],
        NewAnnouncement(title="Later", body="Next week.", published_at=now + timedelta(days=7)),
    )
    kept = publish(people["admin"], NewAnnouncement(title="Kept", body="Until withdrawn."))
    assert _titles(services, people["medicare"]) == ["Kept", "Short"]
    clock.advance(hours=2)
    assert _titles(services, people["medicare"]) == ["Kept"]
    services.announcements.withdraw_announcement(people["admin"], kept.id)
    assert _titles(services, people["medicare"]) == []
    with pytest.raises(NotFound):
        services.announcements.withdraw_announcement(people["admin"], kept.id)
    assert short.expires_at is not None


def test_bad_input_is_refused_in_plain_words_and_nothing_is_written(
    services: Services, clock: SettableClock, people: dict[str, Principal]
) -> None:
    publish = services.announcements.publish_announcement
    with pytest.raises(ValidationFailed, match="Write a title"):
        publish(people["admin"], NewAnnouncement(title=" ", body="text"))
    with pytest.raises(ValidationFailed, match="Write the announcement"):
        publish(people["admin"], NewAnnouncement(title="Title", body="\n"))
    with pytest.raises(ValidationFailed, match="expiry must come after"):
        publish(
            people["admin"],
            NewAnnouncement(title="Title", body="text", expires_at=clock.now() - timedelta(days=1)),
        )
    assert services.announcements.current_announcements(people["csr"]) == []


@pytest.mark.parametrize("who", ["csr", "medicare", "medicaid"])
def test_only_payer_admins_publish_and_refusals_are_audited(
    services: Services, db: Database, people: dict[str, Principal], who: str
) -> None:
    with pytest.raises(PermissionDenied):
        services.announcements.publish_announcement(
            people[who], NewAnnouncement(title="Mine", body="text")
        )
    with pytest.raises(PermissionDenied):
        services.announcements.withdraw_announcement(people[who], 1)
    with db.read() as conn:
        rows = conn.execute(
            select(audit_log.c.action, audit_log.c.outcome, audit_log.c.actor_username)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("announcements.publish", "denied", people[who].username),
        ("announcements.withdraw", "denied", people[who].username),
    ]
    assert services.announcements.current_announcements(people["csr"]) == []


def test_a_review_notice_links_to_the_readers_open_review(
    services: Services, people: dict[str, Principal]
) -> None:
    services.announcements.publish_announcement(
        people["admin"],
        NewAnnouncement(title="Time to review", body="Review your users.", kind="review_notice"),
    )
    before = services.announcements.current_announcements(people["medicare"])[0]
    assert before.review_campaign_id is None
    campaign = services.reviews.open_campaign(people["medicare"], MEDICARE_TIN)
    notice = services.announcements.current_announcements(people["medicare"])[0]
    assert notice.review_campaign_id == campaign.id
    assert notice.review_due == campaign.due_date
    other = services.announcements.current_announcements(people["medicaid"])[0]
    assert other.review_campaign_id is None
    # Staff at a TIN with an open review read the notice, with no review of theirs to open.
    services.reviews.open_campaign(people["medicaid_admin"], MEDICAID_TIN)
    staff_notice = services.announcements.current_announcements(people["medicaid"])[0]
    assert staff_notice.review_campaign_id is None


# -- recent items --------------------------------------------------------------------------------


def test_recent_items_are_the_users_own_reads_newest_first_once_each(
    services: Services, db: Database, clock: SettableClock, people: dict[str, Principal]
) -> None:
    ids = []
    with db.write() as conn:
        for n in range(3):
            ids.append(
                file_document(
                    conn,
                    kind="letter",
                    tin=MEDICARE_TIN,
                    file_name=f"letter{n}.txt",
                    media_type="text/plain",
                    content=b"text",
                    at=clock.now(),
                    created_by=None,
                )
            )
    reader = people["medicare"]
    for doc_id in (ids[0], ids[1], ids[0], ids[2]):
        clock.advance(minutes=1)
        services.documents.get_document(reader, doc_id)
    # Someone else's reads and refused reads are not the user's recent items.
    services.documents.get_document(people["csr"], ids[1])
    with pytest.raises(NotFound):
        services.documents.get_document(reader, 999_999)
    items = services.audit.recent_items(reader)
    assert [(i.record_kind, i.record_id) for i in items] == [
        ("document", str(ids[2])),
        ("document", str(ids[0])),
        ("document", str(ids[1])),
    ]
    assert items[0].opened_at == clock.now()
    assert len(services.audit.recent_items(reader, limit=2)) == 2
    assert [i.record_id for i in services.audit.recent_items(people["csr"])] == [str(ids[1])]
