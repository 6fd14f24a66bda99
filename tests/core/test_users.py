"""User management: scope, rights, the last-administrator rule, and audit with before/after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from builders import add_provider, add_tin, add_user, principal_for
from portal_core.clock import SettableClock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.identity import Principal, Role, UserStatus
from portal_core.models.users import ContactUpdate, NewUser, UserFilter
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import (
    audit_log,
    mail_outbox,
    password_resets,
    sessions,
    user_affiliations,
    user_roles,
    users,
)

TIN = "123456789"
OTHER_TIN = "987654321"


@dataclass
class Practice:
    admin: int
    pm: int
    staff: int
    npi_a: str
    npi_b: str
    npi_left: str
    outsider_admin: int
    outsider_staff: int


@pytest.fixture
def practice(db: Database) -> Practice:
    add_tin(db, TIN, name="Lakeside Family Practice")
    add_tin(db, OTHER_TIN, name="Hillside Clinic")
    npi_a = add_provider(db, TIN, name="Dr. Ada")
    npi_b = add_provider(db, TIN, name="Dr. Bea")
    from datetime import date

    npi_left = add_provider(db, TIN, name="Dr. Gone", left_on=date(2025, 1, 31))
    return Practice(
        admin=add_user(db, "alice.admin", Role.ADMINISTRATOR, TIN),
        pm=add_user(db, "pat.maint", Role.PRACTICE_MAINTENANCE, TIN),
        staff=add_user(db, "sam.staff", Role.STAFF, TIN, npis=[npi_a]),
        npi_a=npi_a,
        npi_b=npi_b,
        npi_left=npi_left,
        outsider_admin=add_user(db, "olga.admin", Role.ADMINISTRATOR, OTHER_TIN),
        outsider_staff=add_user(db, "oscar.staff", Role.STAFF, OTHER_TIN),
    )


def as_user(db: Database, user_id: int) -> Principal:
    return principal_for(db, user_id)


def audit_rows(db: Database, action: str) -> list[dict[str, object]]:
    with db.read() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)
            ).mappings()
        ]


def new_staff(username: str = "nina.new", npis: list[str] | None = None) -> NewUser:
    return NewUser(
        username=username,
        full_name="Nina New",
        email="nina@example.org",
        tin=TIN,
        role=Role.STAFF,
        affiliations=npis or [],
    )


# -- create ---------------------------------------------------------------------------------------
def test_create_user_has_no_password_and_is_mailed_a_reset(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    detail = services.users.create_user(admin, new_staff(npis=[practice.npi_a, practice.npi_b]))

    assert detail.status is UserStatus.ACTIVE
    assert detail.roles[0].role is Role.STAFF
    assert detail.roles[0].affiliations == sorted([practice.npi_a, practice.npi_b])
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.id == detail.id)).mappings().one()
        mails = list(conn.execute(select(mail_outbox.c.to_address, mail_outbox.c.body)))
        resets = conn.execute(
            select(password_resets).where(password_resets.c.user_id == detail.id)
        ).all()
    assert row["password_hash"] is None
    assert len(resets) == 1
    assert [m.to_address for m in mails] == ["nina@example.org"]
    (entry,) = audit_rows(db, "users.create")
    assert entry["outcome"] == "ok"
    assert entry["detail"]["after"]["role"] == "staff"  # type: ignore[index]
    # The mailed code never reaches the audit log.
    code = mails[0].body.split("Your reset code is:")[1].split()[0]
    assert code not in str(entry["detail"])


def test_create_user_refuses_a_taken_username_without_regard_to_case(
    services: Services, db: Database, practice: Practice
) -> None:
    with pytest.raises(Conflict):
        services.users.create_user(as_user(db, practice.admin), new_staff("SAM.STAFF"))


@pytest.mark.parametrize("username", ["short", "has space1", "x" * 31, "bad/char!"])
def test_create_user_checks_the_username_rules(
    services: Services, db: Database, practice: Practice, username: str
) -> None:
    with pytest.raises(ValidationFailed):
        services.users.create_user(as_user(db, practice.admin), new_staff(username))


def test_create_user_affiliations_must_be_current_providers_of_the_tin(
    services: Services, db: Database, practice: Practice
) -> None:
    other_npi = add_provider(db, OTHER_TIN)
    admin = as_user(db, practice.admin)
    for npis in ([other_npi], [practice.npi_left]):
        with pytest.raises(ValidationFailed):
            services.users.create_user(admin, new_staff(npis=npis))


def test_practice_maintenance_cannot_create_an_administrator(
    services: Services, db: Database, practice: Practice
) -> None:
    pm = as_user(db, practice.pm)
    wanted = new_staff().model_copy(update={"role": Role.ADMINISTRATOR})
    with pytest.raises(PermissionDenied):
        services.users.create_user(pm, wanted)
    assert [r["outcome"] for r in audit_rows(db, "users.create")] == ["denied"]
    # ...but may create a staff user.
    assert services.users.create_user(pm, new_staff()).roles[0].role is Role.STAFF


def test_administrator_cannot_create_users_at_another_tin(
    services: Services, db: Database, practice: Practice
) -> None:
    wanted = new_staff().model_copy(update={"tin": OTHER_TIN})
    with pytest.raises(PermissionDenied):
        services.users.create_user(as_user(db, practice.admin), wanted)


def test_payer_admin_creates_payer_staff_and_providers_cannot(
    services: Services, db: Database, practice: Practice
) -> None:
    payer_admin = add_user(db, "paula.payer", Role.PAYER_ADMIN)
    csr = NewUser(username="carl.csr", full_name="Carl", email="carl@payer.org", role=Role.CSR)
    detail = services.users.create_user(as_user(db, payer_admin), csr)
    assert detail.payer_role is Role.CSR
    assert detail.roles == []
    with pytest.raises(PermissionDenied):
        services.users.create_user(
            as_user(db, practice.admin), csr.model_copy(update={"username": "carl.csr2"})
        )


# -- reading and scope ----------------------------------------------------------------------------
def test_list_users_pages_by_username_and_counts(
    services: Services, db: Database, practice: Practice
) -> None:
    for n in range(7):
        add_user(db, f"user.{n:02d}", Role.STAFF, TIN)
    admin = as_user(db, practice.admin)
    seen: list[str] = []
    after = None
    while True:
        page = services.users.list_users(admin, UserFilter(tin=TIN), after=after, limit=4)
        assert page.total == (10 if after is None else None)
        seen += [u.username for u in page.items]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == sorted(seen, key=str.casefold)
    assert len(seen) == 10
    assert "olga.admin" not in seen


def test_list_users_filters_by_text_role_and_status(
    services: Services, db: Database, practice: Practice
) -> None:
    add_user(db, "locked.lou", Role.STAFF, TIN, locked=True)
    add_user(db, "pending.pia", Role.STAFF, TIN, status="pending", role_status="pending")
    add_user(db, "billy.bills", Role.BILLING, TIN, email="BILLY@Billing.example")
    admin = as_user(db, practice.admin)

    def names(**kw: object) -> list[str]:
        page = services.users.list_users(admin, UserFilter(tin=TIN, **kw))  # type: ignore[arg-type]
        return [u.username for u in page.items]

    assert names(text="billing.EX") == ["billy.bills"]
    assert names(text="%") == []  # a wildcard typed is a character, not a pattern
    assert names(role=Role.BILLING) == ["billy.bills"]
    assert names(status="locked") == ["locked.lou"]
    assert names(status="pending") == ["pending.pia"]
    pending = services.users.list_users(admin, UserFilter(tin=TIN, status="pending")).items[0]
    assert pending.status is UserStatus.PENDING


def test_list_users_outside_scope_is_refused(
    services: Services, db: Database, practice: Practice
) -> None:
    with pytest.raises(PermissionDenied):
        services.users.list_users(as_user(db, practice.admin), UserFilter(tin=OTHER_TIN))
    with pytest.raises(PermissionDenied):
        services.users.list_users(as_user(db, practice.staff), UserFilter(tin=TIN))


def test_get_user_outside_scope_is_not_found_and_audited_denied(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    with pytest.raises(NotFound):
        services.users.get_user(admin, practice.outsider_staff)
    with pytest.raises(NotFound):
        services.users.get_user(admin, 999_999)
    rows = audit_rows(db, "users.view")
    assert [r["outcome"] for r in rows] == ["denied", "denied"]
    assert services.users.get_user(admin, practice.staff).username == "sam.staff"


def test_csr_may_view_but_not_change(services: Services, db: Database, practice: Practice) -> None:
    csr = as_user(db, add_user(db, "cora.csr", Role.CSR))
    assert services.users.get_user(csr, practice.staff).id == practice.staff
    assert services.users.list_users(csr, UserFilter(tin=TIN)).total == 3
    with pytest.raises(PermissionDenied):
        services.users.update_user_contact(csr, practice.staff, ContactUpdate(phone="1"))
    with pytest.raises(PermissionDenied):
        services.users.deactivate_user(csr, practice.staff, TIN, "no")


def test_user_detail_shows_only_the_actors_tins(
    services: Services, db: Database, practice: Practice
) -> None:
    with db.write() as conn:
        conn.execute(
            insert(user_roles).values(
                user_id=practice.staff,
                tin=OTHER_TIN,
                role="billing",
                status="active",
                created_at=services.clock.now(),
                updated_at=services.clock.now(),
            )
        )
    detail = services.users.get_user(as_user(db, practice.admin), practice.staff)
    assert [r.tin for r in detail.roles] == [TIN]


# -- editing --------------------------------------------------------------------------------------
def test_update_contact_audits_before_and_after(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    detail = services.users.update_user_contact(
        admin, practice.staff, ContactUpdate(email="sam@new.example", phone="555-0199")
    )
    # The new address waits for the user's proof (the code mailed to it); the phone changes.
    assert detail.email == "sam.staff@example.org"
    assert detail.pending_email == "sam@new.example"
    assert detail.phone == "555-0199"
    (entry,) = audit_rows(db, "users.update_contact")
    assert entry["detail"] == {
        "before": {"phone": "555-0100"},
        "after": {"phone": "555-0199"},
        "email_proof_asked": True,
    }
    with pytest.raises(ValidationFailed):
        services.users.update_user_contact(admin, practice.staff, ContactUpdate(email="nope"))


def test_practice_maintenance_cannot_edit_or_demote_an_administrator(
    services: Services, db: Database, practice: Practice
) -> None:
    add_user(db, "second.admin", Role.ADMINISTRATOR, TIN)
    pm = as_user(db, practice.pm)
    with pytest.raises(PermissionDenied):
        services.users.update_user_contact(pm, practice.admin, ContactUpdate(phone="1"))
    with pytest.raises(PermissionDenied):
        services.users.change_role(pm, practice.admin, TIN, Role.STAFF)
    with pytest.raises(PermissionDenied):
        services.users.change_role(pm, practice.staff, TIN, Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        services.users.deactivate_user(pm, practice.admin, TIN, "left")
    # Within their rights it works.
    assert (
        services.users.change_role(pm, practice.staff, TIN, Role.BILLING).roles[0].role
        is Role.BILLING
    )


def test_change_role_audits_before_and_after(
    services: Services, db: Database, practice: Practice
) -> None:
    services.users.change_role(as_user(db, practice.admin), practice.staff, TIN, Role.BILLING)
    (entry,) = audit_rows(db, "users.change_role")
    assert entry["detail"] == {"before": {"role": "staff"}, "after": {"role": "billing"}}
    assert entry["tin"] == TIN


def test_change_affiliations(services: Services, db: Database, practice: Practice) -> None:
    admin = as_user(db, practice.admin)
    detail = services.users.change_affiliations(admin, practice.staff, TIN, [practice.npi_b])
    assert detail.roles[0].affiliations == [practice.npi_b]
    (entry,) = audit_rows(db, "users.change_affiliations")
    assert entry["detail"] == {
        "before": {"affiliations": [practice.npi_a]},
        "after": {"affiliations": [practice.npi_b]},
    }
    with pytest.raises(ValidationFailed):
        services.users.change_affiliations(admin, practice.staff, TIN, ["1234567893"])


# -- the last administrator -----------------------------------------------------------------------
def test_nobody_removes_or_changes_their_own_access(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    with pytest.raises(Conflict, match="cannot deactivate yourself"):
        services.users.change_role(admin, practice.admin, TIN, Role.STAFF)
    with pytest.raises(Conflict, match="cannot deactivate yourself"):
        services.users.deactivate_user(admin, practice.admin, TIN, "leaving")
    with db.read() as conn:
        role = conn.execute(
            select(user_roles.c.role, user_roles.c.status).where(
                user_roles.c.user_id == practice.admin
            )
        ).one()
    assert tuple(role) == ("administrator", "active")


def test_another_administrator_may_demote_an_administrator(
    services: Services, db: Database, practice: Practice
) -> None:
    second = add_user(db, "second.admin", Role.ADMINISTRATOR, TIN)
    detail = services.users.change_role(as_user(db, second), practice.admin, TIN, Role.STAFF)
    assert detail.roles[0].role is Role.STAFF


def test_promoting_then_demoting_keeps_an_administrator(
    services: Services, db: Database, practice: Practice
) -> None:
    admin = as_user(db, practice.admin)
    services.users.change_role(admin, practice.pm, TIN, Role.ADMINISTRATOR)
    new_admin = as_user(db, practice.pm)
    services.users.deactivate_user(new_admin, practice.admin, TIN, "handing over")
    with db.read() as conn:
        statuses = dict(
            conn.execute(
                select(user_roles.c.user_id, user_roles.c.status).where(user_roles.c.tin == TIN)
            ).all()
        )
    assert statuses[practice.admin] == "removed"
    assert statuses[practice.pm] == "active"


# -- deactivate and reactivate --------------------------------------------------------------------
def _open_session(db: Database, clock: SettableClock, user_id: int) -> None:
    now = clock.now()
    with db.write() as conn:
        conn.execute(
            insert(sessions).values(
                token_hash=f"hash-{user_id}",
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=12),
                idle_minutes=15,
            )
        )


def test_deactivate_removes_access_and_ends_sessions(
    services: Services, db: Database, clock: SettableClock, practice: Practice
) -> None:
    _open_session(db, clock, practice.staff)
    detail = services.users.deactivate_user(
        as_user(db, practice.admin), practice.staff, TIN, "left the practice"
    )
    assert detail.status is UserStatus.DEACTIVATED
    assert detail.roles[0].status == "removed"
    with db.read() as conn:
        revoked = conn.execute(
            select(sessions.c.revoked_at).where(sessions.c.user_id == practice.staff)
        ).scalar_one()
    assert revoked == clock.now()
    (entry,) = audit_rows(db, "users.deactivate")
    assert entry["reason"] == "left the practice"
    assert entry["detail"]["after"]["role_status"] == "removed"  # type: ignore[index]

    listed = services.users.list_users(
        as_user(db, practice.admin), UserFilter(tin=TIN, status="deactivated")
    )
    assert [u.username for u in listed.items] == ["sam.staff"]

    restored = services.users.reactivate_user(as_user(db, practice.admin), practice.staff, TIN)
    assert restored.status is UserStatus.ACTIVE
    assert restored.roles[0].status == "active"


def test_deactivate_at_one_tin_keeps_the_account_when_another_role_remains(
    services: Services, db: Database, practice: Practice
) -> None:
    with db.write() as conn:
        conn.execute(
            insert(user_roles).values(
                user_id=practice.staff,
                tin=OTHER_TIN,
                role="staff",
                status="active",
                created_at=services.clock.now(),
                updated_at=services.clock.now(),
            )
        )
    detail = services.users.deactivate_user(
        as_user(db, practice.admin), practice.staff, TIN, "moved"
    )
    assert detail.status is UserStatus.ACTIVE


def test_out_of_scope_deactivation_is_not_found_and_audited(
    services: Services, db: Database, practice: Practice
) -> None:
    with pytest.raises(NotFound):
        services.users.deactivate_user(
            as_user(db, practice.admin), practice.outsider_staff, OTHER_TIN, "x"
        )
    (entry,) = audit_rows(db, "users.deactivate")
    assert entry["outcome"] == "denied"
    assert entry["record_id"] == str(practice.outsider_staff)


def test_payer_admin_deactivates_payer_staff(
    services: Services, db: Database, practice: Practice
) -> None:
    payer_admin = as_user(db, add_user(db, "paula.payer", Role.PAYER_ADMIN))
    csr = add_user(db, "cora.csr", Role.CSR)
    detail = services.users.deactivate_user(payer_admin, csr, None, "left")
    assert detail.status is UserStatus.DEACTIVATED
    with pytest.raises(Conflict):
        services.users.deactivate_user(payer_admin, payer_admin.user_id, None, "me")
    assert services.users.reactivate_user(payer_admin, csr, None).status is UserStatus.ACTIVE
    with pytest.raises(NotFound):  # payer staff are invisible to a practice's administrator
        services.users.deactivate_user(as_user(db, practice.admin), csr, None, "x")


# -- pending registrants --------------------------------------------------------------------------
def test_approve_a_pending_registrant(services: Services, db: Database, practice: Practice) -> None:
    pending = add_user(db, "pending.pia", Role.STAFF, TIN, status="pending", role_status="pending")
    detail = services.users.approve_user(
        as_user(db, practice.pm), pending, TIN, Role.BILLING, [practice.npi_b]
    )
    assert detail.status is UserStatus.ACTIVE
    assert detail.roles[0].role is Role.BILLING
    assert detail.roles[0].status == "active"
    assert detail.roles[0].affiliations == [practice.npi_b]
    with pytest.raises(Conflict):
        services.users.approve_user(as_user(db, practice.pm), pending, TIN, Role.STAFF, [])


def test_practice_maintenance_cannot_approve_as_administrator(
    services: Services, db: Database, practice: Practice
) -> None:
    pending = add_user(db, "pending.pia", Role.STAFF, TIN, status="pending", role_status="pending")
    with pytest.raises(PermissionDenied):
        services.users.approve_user(as_user(db, practice.pm), pending, TIN, Role.ADMINISTRATOR, [])


def test_reject_a_pending_registrant(services: Services, db: Database, practice: Practice) -> None:
    pending = add_user(db, "pending.pia", Role.STAFF, TIN, status="pending", role_status="pending")
    admin = as_user(db, practice.admin)
    with pytest.raises(ValidationFailed):
        services.users.reject_user(admin, pending, TIN, "  ")
    detail = services.users.reject_user(admin, pending, TIN, "not one of ours")
    assert detail.status is UserStatus.DEACTIVATED
    assert detail.roles[0].status == "removed"
    (entry,) = audit_rows(db, "users.reject")
    assert entry["reason"] == "not one of ours"


# -- resets and locks -----------------------------------------------------------------------------
def test_send_password_reset_and_unlock(
    services: Services, db: Database, practice: Practice
) -> None:
    locked = add_user(db, "locked.lou", Role.STAFF, TIN, locked=True)
    admin = as_user(db, practice.admin)
    services.users.send_password_reset(admin, locked)
    detail = services.users.unlock_user(admin, locked)
    assert detail.locked is False
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.id == locked)).mappings().one()
        mails = conn.execute(select(mail_outbox.c.to_address)).scalars().all()
    assert row["failed_sign_ins"] == 0
    assert mails == ["locked.lou@example.org"]
    (entry,) = audit_rows(db, "users.unlock")
    assert entry["detail"]["before"]["locked"] is True  # type: ignore[index]
    (reset_entry,) = audit_rows(db, "users.send_password_reset")
    assert reset_entry["detail"] == {}
    with pytest.raises(NotFound):
        services.users.send_password_reset(admin, practice.outsider_staff)


def test_tin_providers_lists_leavers_last(
    services: Services, db: Database, practice: Practice
) -> None:
    providers = services.users.tin_providers(as_user(db, practice.staff), TIN)
    assert [p.npi for p in providers][-1] == practice.npi_left
    assert providers[-1].left_on is not None
    with pytest.raises(NotFound):
        services.users.tin_providers(as_user(db, practice.staff), OTHER_TIN)


def test_affiliations_table_untouched_by_refused_change(
    services: Services, db: Database, practice: Practice
) -> None:
    with pytest.raises(NotFound):
        services.users.change_affiliations(
            as_user(db, practice.outsider_admin), practice.staff, TIN, []
        )
    with db.read() as conn:
        npis = (
            conn.execute(
                select(user_affiliations.c.npi).where(user_affiliations.c.user_id == practice.staff)
            )
            .scalars()
            .all()
        )
    assert npis == [practice.npi_a]
