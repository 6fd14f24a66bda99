"""Provider profiles over a real SQLite file: directory search each way, the profile, change
requests by a TIN's administrator (refused and audited for anyone else), and a payer
administrator's approval (applied, audited before/after) or rejection (nothing changes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, insert, select

from builders import add_provider, add_tin, add_user, principal_for
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.claims import UploadFile
from portal_core.models.identity import Principal, Role
from portal_core.models.providers import (
    LocationValue,
    NewProfileUpdate,
    ProfileFieldChange,
    ProfileUpdateDecision,
    ProviderSearch,
)
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import (
    audit_log,
    documents,
    network_participation,
    notifications,
    plans,
    profile_update_changes,
    profile_update_requests,
    provider_languages,
    provider_locations,
    provider_specialties,
    providers,
)

TIN = "123456789"
OTHER_TIN = "987654321"


@dataclass
class World:
    admin: Principal
    staff: Principal
    other_admin: Principal
    payer: Principal
    admin_id: int
    rivera: str
    kay: str
    outsider: str


def _principal(db: Database, user_id: int, tin: str | None) -> Principal:
    return principal_for(db, user_id, tin)


@pytest.fixture
def world(db: Database) -> World:
    add_tin(db, TIN, name="Lakeside Family Practice")
    add_tin(db, OTHER_TIN, name="Riverbend Orthopedics")
    rivera = add_provider(db, TIN, name="Dr. Elena Rivera")
    kay = add_provider(db, TIN, name="Dr. Alan Kay")
    outsider = add_provider(db, OTHER_TIN, name="Dr. Grace Hopper")
    with db.write() as conn:
        conn.execute(
            providers.update()
            .where(providers.c.npi == rivera)
            .values(specialty="Family Medicine", taxonomy="207Q00000X", phone="217-555-0100")
        )
        conn.execute(
            providers.update()
            .where(providers.c.npi == kay)
            .values(specialty="Cardiology", taxonomy="207RC0000X", panel_status="closed")
        )
        conn.execute(
            providers.update()
            .where(providers.c.npi == outsider)
            .values(specialty="Orthopaedic Surgery", taxonomy="207X00000X")
        )
        conn.execute(
            insert(provider_locations),
            [
                {"npi": rivera, "address": "1200 Lakeshore Dr", "city": "Springfield",
                 "state": "IL", "zip": "62701", "phone": "217-555-0140", "is_primary": True},
                {"npi": rivera, "address": "25 Oak St", "city": "Decatur", "state": "IL",
                 "zip": "62521", "phone": "", "is_primary": False},
                {"npi": kay, "address": "1200 Lakeshore Dr", "city": "Springfield",
                 "state": "IL", "zip": "62701", "phone": "", "is_primary": True},
                {"npi": outsider, "address": "400 Riverbend Pkwy", "city": "Peoria",
                 "state": "IL", "zip": "61602", "phone": "", "is_primary": True},
            ],
        )  # fmt: skip
        conn.execute(
            insert(provider_languages),
            [{"npi": rivera, "language": "English"}, {"npi": rivera, "language": "Spanish"}],
        )
        conn.execute(
            insert(provider_specialties),
            [{"npi": rivera, "specialty": "Sports Medicine", "taxonomy": "207QS0010X"}],
        )
        conn.execute(
            insert(plans),
            [{"plan_id": "NW-HMO", "name": "Northwind HMO", "product_line": "commercial"}],
        )
        conn.execute(
            insert(network_participation),
            [
                {"npi": rivera, "plan_id": "NW-HMO", "start_date": date(2020, 1, 1),
                 "end_date": None},
                {"npi": kay, "plan_id": "NW-HMO", "start_date": date(2020, 1, 1),
                 "end_date": date(2025, 12, 31)},
            ],
        )  # fmt: skip
    admin_id = add_user(db, "ada.admin", Role.ADMINISTRATOR, TIN)
    staff_id = add_user(db, "sam.staff", Role.STAFF, TIN, npis=[rivera])
    other_id = add_user(db, "otto.admin", Role.ADMINISTRATOR, OTHER_TIN)
    payer_id = add_user(db, "paula.payer", Role.PAYER_ADMIN)
    return World(
        admin=_principal(db, admin_id, TIN),
        staff=_principal(db, staff_id, TIN),
        other_admin=_principal(db, other_id, OTHER_TIN),
        payer=_principal(db, payer_id, None),
        admin_id=admin_id,
        rivera=rivera,
        kay=kay,
        outsider=outsider,
    )


def phone_change(world: World, value: str = "(217) 555-0199", **extra: object) -> NewProfileUpdate:
    return NewProfileUpdate(
        npi=world.rivera,
        tin=TIN,
        changes=[ProfileFieldChange(field="phone", value=value)],
        reason="The office has a new direct line.",
        **extra,  # type: ignore[arg-type]
    )


def count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def audit_rows(db: Database, action: str) -> list[dict[str, object]]:
    with db.read() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(
                select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)
            )
        ]


def names(page: object) -> list[str]:
    return [p.name for p in page.items]  # type: ignore[attr-defined]


# -- search ----------------------------------------------------------------------------------------


def test_search_each_way(services: Services, world: World) -> None:
    search = services.providers.search_providers
    staff = world.staff
    assert names(search(staff, ProviderSearch())) == [
        "Dr. Alan Kay", "Dr. Elena Rivera", "Dr. Grace Hopper"
    ]  # fmt: skip
    assert names(search(staff, ProviderSearch(npi=world.kay))) == ["Dr. Alan Kay"]
    assert names(search(staff, ProviderSearch(name="RIVERA"))) == ["Dr. Elena Rivera"]
    # Additional specialties count too.
    assert names(search(staff, ProviderSearch(specialty="sports"))) == ["Dr. Elena Rivera"]
    assert names(search(staff, ProviderSearch(specialty="cardio"))) == ["Dr. Alan Kay"]
    # Any location, not only the primary one.
    assert names(search(staff, ProviderSearch(city="decatur"))) == ["Dr. Elena Rivera"]
    assert names(search(staff, ProviderSearch(state="il", zip="616"))) == ["Dr. Grace Hopper"]
    # In network today: Kay's participation ended.
    assert names(search(staff, ProviderSearch(plan_id="NW-HMO"))) == ["Dr. Elena Rivera"]
    assert names(search(world.payer, ProviderSearch(accepting_new_patients=False))) == [
        "Dr. Alan Kay"
    ]
    assert names(search(staff, ProviderSearch(name="nobody"))) == []


def test_search_pages_by_name_and_counts_once(services: Services, world: World) -> None:
    first = services.providers.search_providers(world.staff, ProviderSearch(), limit=2)
    assert first.total == 3 and first.next_cursor is not None
    assert first.items[0].city == "Springfield"
    rest = services.providers.search_providers(
        world.staff, ProviderSearch(), after=first.next_cursor, limit=2
    )
    assert names(rest) == ["Dr. Grace Hopper"] and rest.next_cursor is None and rest.total is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (ProviderSearch(npi="1234567890"), "npi"),
        (ProviderSearch(state="Illinois"), "state"),
        (ProviderSearch(zip="6a"), "zip"),
    ],
)
def test_search_refuses_bad_input(
    services: Services, world: World, query: ProviderSearch, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.providers.search_providers(world.staff, query)
    assert caught.value.field == field


def test_profile_holds_affiliations_locations_specialties_languages_networks(
    services: Services, world: World
) -> None:
    profile = services.providers.get_provider(world.staff, world.rivera)
    assert profile.name == "Dr. Elena Rivera" and profile.phone == "217-555-0100"
    assert [(a.tin, a.tin_name, a.end_date) for a in profile.affiliations] == [
        (TIN, "Lakeside Family Practice", None)
    ]
    assert [(loc.city, loc.primary) for loc in profile.locations] == [
        ("Springfield", True),
        ("Decatur", False),
    ]
    assert [(s.specialty, s.taxonomy, s.primary) for s in profile.specialties] == [
        ("Family Medicine", "207Q00000X", True),
        ("Sports Medicine", "207QS0010X", False),
    ]
    assert profile.languages == ["English", "Spanish"]
    assert [(n.plan_id, n.plan_name, n.active) for n in profile.networks] == [
        ("NW-HMO", "Northwind HMO", True)
    ]
    assert profile.updatable_tins == [] and profile.pending_fields == []
    kay = services.providers.get_provider(world.payer, world.kay)
    assert [n.active for n in kay.networks] == [False]
    assert services.providers.get_provider(world.admin, world.rivera).updatable_tins == [TIN]
    assert services.providers.get_provider(world.admin, world.outsider).updatable_tins == []


def test_profile_of_an_unknown_npi(services: Services, world: World) -> None:
    with pytest.raises(NotFound):
        services.providers.get_provider(world.staff, "1234567893")
    with pytest.raises(ValidationFailed):
        services.providers.get_provider(world.staff, "123")


# -- requests --------------------------------------------------------------------------------------


def test_administrator_requests_a_change_with_a_document(
    services: Services, world: World, db: Database
) -> None:
    request = services.providers.request_profile_update(
        world.admin,
        phone_change(world, files=[UploadFile(file_name="letter.txt", content=b"New line.\n")]),
    )
    assert request.status == "pending" and request.requested_by == "Ada Admin"
    assert [(c.field, c.old_value, c.new_value, c.decision) for c in request.changes] == [
        ("phone", "217-555-0100", "217-555-0199", None)
    ]
    assert [(d.file_name, d.kind, d.linked_kind, d.tin) for d in request.documents] == [
        ("letter.txt", "upload", "profile_update", TIN)
    ]
    rows = audit_rows(db, "providers.profile_update.request")
    assert [(r["outcome"], r["record_id"]) for r in rows] == [("ok", str(request.id))]
    # The provider is unchanged until approval, and the field shows as pending.
    profile = services.providers.get_provider(world.admin, world.rivera)
    assert profile.phone == "217-555-0100" and profile.pending_fields == ["phone"]
    listed = services.providers.profile_update_requests(world.admin)
    assert [r.id for r in listed.items] == [request.id] and listed.total == 1
    assert services.providers.get_profile_update(world.admin, request.id).id == request.id


def test_non_administrators_are_refused_and_audited(
    services: Services, world: World, db: Database
) -> None:
    with pytest.raises(PermissionDenied):
        services.providers.request_profile_update(world.staff, phone_change(world))
    with pytest.raises(PermissionDenied):
        services.providers.request_profile_update(world.payer, phone_change(world))
    # An administrator of another TIN, for a provider outside their TINs.
    with pytest.raises(PermissionDenied):
        services.providers.request_profile_update(world.other_admin, phone_change(world))
    # An administrator naming their own TIN for a provider who does not work there.
    outsider = NewProfileUpdate(
        npi=world.outsider,
        tin=TIN,
        changes=[ProfileFieldChange(field="phone", value="217-555-0101")],
        reason="Wrong provider.",
    )
    with pytest.raises(PermissionDenied):
        services.providers.request_profile_update(world.admin, outsider)
    rows = audit_rows(db, "providers.profile_update.request")
    assert [r["outcome"] for r in rows] == ["denied"] * 4
    assert [r["actor_username"] for r in rows] == [
        "sam.staff", "paula.payer", "otto.admin", "ada.admin"
    ]  # fmt: skip
    assert count(db, profile_update_requests) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (ProfileFieldChange(field="name", value="Dr. X"), "Only the phone"),
        (ProfileFieldChange(field="phone", value="  "), "Enter the new phone."),
        (ProfileFieldChange(field="phone", value="555-01"), "10 digits"),
        (ProfileFieldChange(field="phone", value="217.555.0100"), "same as the current"),
        (ProfileFieldChange(field="panel_status", value="maybe"), "open or closed"),
        (ProfileFieldChange(field="specialty", value="Astrology"), "from the list"),
        (ProfileFieldChange(field="languages", value="english, SPANISH"), "same as the current"),
        (
            ProfileFieldChange(
                field="location",
                location=LocationValue(address="1 Main", city="Peoria", state="IL", zip="6160"),
            ),
            "ZIP code",
        ),
        (
            ProfileFieldChange(
                field="location",
                location_id=999,
                location=LocationValue(address="1 Main", city="Peoria", state="IL", zip="61602"),
            ),
            "not one of this provider's",
        ),
    ],
)
def test_bad_input_writes_nothing(
    services: Services, world: World, db: Database, change: ProfileFieldChange, message: str
) -> None:
    request = NewProfileUpdate(npi=world.rivera, tin=TIN, changes=[change], reason="Because.")
    with pytest.raises(ValidationFailed) as caught:
        services.providers.request_profile_update(world.admin, request)
    assert message in caught.value.message
    assert count(db, profile_update_requests) == 0
    assert count(db, profile_update_changes) == 0
    assert audit_rows(db, "providers.profile_update.request") == []


def test_empty_reason_too_many_files_and_no_changes_write_nothing(
    services: Services, world: World, db: Database
) -> None:
    bad = [
        phone_change(world).model_copy(update={"reason": " "}),
        phone_change(world).model_copy(update={"changes": []}),
        phone_change(
            world, files=[UploadFile(file_name=f"f{i}.txt", content=b"x") for i in range(6)]
        ),
        phone_change(world, files=[UploadFile(file_name="scan.pdf", content=b"not a pdf")]),
    ]
    for request in bad:
        with pytest.raises(ValidationFailed):
            services.providers.request_profile_update(world.admin, request)
    assert count(db, profile_update_requests) == 0 and count(db, documents) == 0


def test_a_second_pending_request_for_the_same_field_is_refused(
    services: Services, world: World, db: Database
) -> None:
    services.providers.request_profile_update(world.admin, phone_change(world))
    with pytest.raises(Conflict):
        services.providers.request_profile_update(world.admin, phone_change(world, "217-555-0111"))
    # Another field is fine.
    other = NewProfileUpdate(
        npi=world.rivera,
        tin=TIN,
        changes=[ProfileFieldChange(field="panel_status", value="closed")],
        reason="Full panel.",
    )
    services.providers.request_profile_update(world.admin, other)
    assert count(db, profile_update_requests) == 2


# -- decisions -------------------------------------------------------------------------------------


def test_approval_applies_every_field_audits_before_after_and_notifies(
    services: Services, world: World, db: Database
) -> None:
    request = services.providers.request_profile_update(
        world.admin,
        NewProfileUpdate(
            npi=world.rivera,
            tin=TIN,
            changes=[
                ProfileFieldChange(field="phone", value="217 555 0199"),
                ProfileFieldChange(field="languages", value="English, Portuguese"),
                ProfileFieldChange(field="specialty", value="internal medicine"),
                ProfileFieldChange(
                    field="location",
                    location=LocationValue(
                        address="310 Main St", city="Champaign", state="il", zip="61820",
                        primary=True,
                    ),
                ),
            ],
            reason="Moved and certified.",
        ),
    )  # fmt: skip
    decided = services.providers.decide_profile_update(
        world.payer, request.id, ProfileUpdateDecision(approve=True)
    )
    assert decided.status == "approved" and decided.decided_by == "Paula Payer"
    assert {c.decision for c in decided.changes} == {"approved"}
    profile = services.providers.get_provider(world.staff, world.rivera)
    assert profile.phone == "217-555-0199"
    assert profile.languages == ["English", "Portuguese"]
    assert (profile.specialty, profile.taxonomy) == ("Internal Medicine", "207R00000X")
    assert [(loc.city, loc.primary) for loc in profile.locations] == [
        ("Champaign", True),
        ("Springfield", False),
        ("Decatur", False),
    ]
    changes = audit_rows(db, "providers.profile.change")
    details = {r["detail"]["field"]: r["detail"] for r in changes}  # type: ignore[index]
    assert details["phone"]["before"] == "217-555-0100"
    assert details["phone"]["after"] == "217-555-0199"
    assert details["languages"]["before"] == "English, Spanish"
    assert details["location"]["after"].startswith("310 Main St, Champaign, IL 61820")
    assert all(r["actor_username"] == "paula.payer" for r in changes)
    decision = audit_rows(db, "providers.profile_update.decide")
    assert [(r["outcome"], r["record_id"]) for r in decision] == [("ok", str(request.id))]
    with db.read() as conn:
        notes = conn.execute(
            select(notifications.c.kind, notifications.c.text, notifications.c.link_id).where(
                notifications.c.user_id == world.admin_id
            )
        ).all()
    assert [(n.kind, n.link_id) for n in notes] == [("decision", str(request.id))]
    assert "approved" in notes[0].text
    with pytest.raises(Conflict):
        services.providers.decide_profile_update(world.payer, request.id, ProfileUpdateDecision())


def test_rejection_needs_a_note_and_leaves_the_provider_unchanged(
    services: Services, world: World, db: Database
) -> None:
    request = services.providers.request_profile_update(world.admin, phone_change(world))
    with pytest.raises(ValidationFailed) as caught:
        services.providers.decide_profile_update(
            world.payer, request.id, ProfileUpdateDecision(approve=False)
        )
    assert caught.value.field == "note"
    decided = services.providers.decide_profile_update(
        world.payer, request.id, ProfileUpdateDecision(approve=False, note="No proof attached.")
    )
    assert decided.status == "rejected" and decided.decision_note == "No proof attached."
    assert services.providers.get_provider(world.staff, world.rivera).phone == "217-555-0100"
    assert audit_rows(db, "providers.profile.change") == []
    # Rejected: the field may be requested again.
    services.providers.request_profile_update(world.admin, phone_change(world))


def test_field_by_field_decision(services: Services, world: World) -> None:
    request = services.providers.request_profile_update(
        world.admin,
        NewProfileUpdate(
            npi=world.rivera,
            tin=TIN,
            changes=[
                ProfileFieldChange(field="phone", value="217-555-0199"),
                ProfileFieldChange(field="panel_status", value="closed"),
            ],
            reason="Two changes.",
        ),
    )
    phone, panel = (c.id for c in request.changes)
    with pytest.raises(ValidationFailed):
        services.providers.decide_profile_update(
            world.payer, request.id, ProfileUpdateDecision(changes={phone: True}, note="x")
        )
    decided = services.providers.decide_profile_update(
        world.payer,
        request.id,
        ProfileUpdateDecision(changes={phone: True, panel: False}, note="Panel stays open."),
    )
    assert decided.status == "partly_approved"
    profile = services.providers.get_provider(world.staff, world.rivera)
    assert (profile.phone, profile.panel_status) == ("217-555-0199", "open")


def test_only_payer_admins_decide_and_see_the_queue(
    services: Services, world: World, db: Database
) -> None:
    first = services.providers.request_profile_update(world.admin, phone_change(world))
    with pytest.raises(PermissionDenied):
        services.providers.decide_profile_update(world.admin, first.id, ProfileUpdateDecision())
    assert [r["outcome"] for r in audit_rows(db, "providers.profile_update.decide")] == ["denied"]
    with pytest.raises(PermissionDenied):
        services.providers.profile_update_requests(world.staff)
    with pytest.raises(NotFound):
        services.providers.get_profile_update(world.other_admin, first.id)
    assert services.providers.profile_update_requests(world.other_admin).items == []
    queue = services.providers.profile_update_requests(world.payer, status="pending")
    assert [r.id for r in queue.items] == [first.id]
    with pytest.raises(ValidationFailed):
        services.providers.profile_update_requests(world.payer, status="lost")


# -- over the API ---------------------------------------------------------------------------------


def test_request_with_files_and_field_decisions_over_the_api(
    services: Services, world: World, db: Database
) -> None:
    import asyncio

    from builders import PASSWORD
    from in_process_api import remote_client

    async def scenario() -> tuple[str, str]:
        admin = remote_client(services)
        await admin.sign_in("ada.admin", PASSWORD)
        sent = await admin.request_profile_update(
            NewProfileUpdate(
                npi=world.rivera,
                tin=TIN,
                changes=[
                    ProfileFieldChange(field="phone", value="217-555-0199"),
                    ProfileFieldChange(field="panel_status", value="closed"),
                ],
                reason="Two changes.",
                files=[UploadFile(file_name="proof.pdf", content=b"%PDF-1.4 proof")],
            )
        )
        await admin.close()
        payer = remote_client(services)
        await payer.sign_in("paula.payer", PASSWORD)
        phone, panel = (c.id for c in sent.changes)
        decided = await payer.decide_profile_update(
            sent.id, ProfileUpdateDecision(changes={phone: True, panel: False}, note="Stays open.")
        )
        found = await payer.search_providers(ProviderSearch(npi=world.rivera))
        await payer.close()
        return decided.status, found.items[0].phone

    assert asyncio.run(scenario()) == ("partly_approved", "217-555-0199")
    with db.read() as conn:
        stored = conn.execute(select(documents.c.content, documents.c.media_type)).one()
    assert stored == (b"%PDF-1.4 proof", "application/pdf")
