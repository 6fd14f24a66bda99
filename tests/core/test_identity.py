"""IdentityService over a real SQLite database: sign-in, sessions, registration, recovery and the
user's own account. The clock is moved to cross throttles, idle and absolute limits and expiries."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from builders import PASSWORD, add_provider, add_tin, add_user
from portal_core.clock import SettableClock
from portal_core.errors import (
    AuthenticationFailed,
    Conflict,
    MigrationRequired,
    NotFound,
    PermissionDenied,
    SecondFactorRequired,
    SessionExpired,
    ValidationFailed,
)
from portal_core.models.identity import (
    AccountSettings,
    LegacyMigration,
    Principal,
    Registration,
    RegistrationProof,
    Role,
    SignInResult,
)
from portal_core.rules import totp
from portal_core.services import Services
from portal_core.services.audit import verify_chain
from portal_core.services.email_proof import EmailProofService
from portal_core.services.identity import BAD_CREDENTIALS, LOCKED, IdentityService
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.schema import (
    audit_log,
    mail_outbox,
    notifications,
    sessions,
    totp_recovery_codes,
    user_affiliations,
    user_roles,
    users,
)

TIN = "123456789"
TIN2 = "987654321"
CODE = "LAKESIDE-REG-2026"
CODE2 = "HARBOR-REG-2026"
NEW_PASSWORD = "a brand new violet lamp"


@pytest.fixture
def identity(services: Services) -> IdentityService:
    return services.identity


@pytest.fixture
def tins(db: Database) -> None:
    add_tin(db, TIN, registration_code=CODE, idle_minutes=15)
    add_tin(db, TIN2, registration_code=CODE2, idle_minutes=20)


def user_field(db: Database, user_id: int, name: str) -> Any:
    with db.read() as conn:
        return conn.execute(select(users.c[name]).where(users.c.id == user_id)).scalar_one()


def audit_rows(db: Database, action: str) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)
        ).mappings()
        return [dict(row) for row in rows]


def mails_to(db: Database, address: str) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(
            select(mail_outbox).where(mail_outbox.c.to_address == address)
        ).mappings()
        return [dict(row) for row in rows]


def sign_in(identity: IdentityService, username: str, password: str = PASSWORD) -> Principal:
    return identity.resolve(identity.sign_in(username, password).token)


def registration(username: str, tin: str = TIN, code: str = CODE, **extra: Any) -> Registration:
    return Registration(
        full_name=extra.pop("full_name", "Jane Smith"),
        email=extra.pop("email", f"{username}@example.org"),
        phone="555-0101",
        username=username,
        password=extra.pop("password", PASSWORD),
        tin=tin,
        proof=extra.pop("proof", RegistrationProof(registration_code=code)),
    )


def reset_token_from_mail(db: Database, address: str) -> str:
    body = mails_to(db, address)[-1]["body"]
    found = re.search(r"reset code is:\s+(\S+)", body)
    assert found is not None
    return found.group(1)


# -- sign-in -----------------------------------------------------------------------------------


def test_sign_in_starts_a_session_storing_only_the_token_digest(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    user_id = add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    result = identity.sign_in("JANE.ADMIN", PASSWORD)
    assert isinstance(result, SignInResult)
    assert result.expires_at == clock.now() + timedelta(hours=12)
    assert result.account.active_tin == TIN
    assert result.account.idle_minutes == 15
    with db.read() as conn:
        stored = conn.execute(select(sessions)).mappings().one()
    assert stored["token_hash"] == accounts.token_digest(result.token)
    assert result.token not in json.dumps({k: str(v) for k, v in stored.items()})
    assert user_field(db, user_id, "last_sign_in_at") == clock.now()
    rows = audit_rows(db, "identity.sign_in")
    assert [r["outcome"] for r in rows] == ["ok"]
    assert rows[0]["actor_user_id"] == user_id


def test_unknown_user_and_wrong_password_get_the_same_words(
    db: Database, identity: IdentityService, tins: None
) -> None:
    add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    with pytest.raises(AuthenticationFailed) as unknown:
        identity.sign_in("nobody.here", PASSWORD)
    with pytest.raises(AuthenticationFailed) as wrong:
        identity.sign_in("jane.admin", "not the password at all")
    assert unknown.value.message == wrong.value.message == BAD_CREDENTIALS
    assert [r["outcome"] for r in audit_rows(db, "identity.sign_in")] == ["failed", "failed"]
    everything = json.dumps([str(r) for r in audit_rows(db, "identity.sign_in")])
    assert "not the password at all" not in everything and PASSWORD not in everything


def test_throttle_grows_and_refuses_without_checking_the_password(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    user_id = add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            identity.sign_in("jane.admin", "wrong password here")
    # Even the right password is refused while throttled, and the attempt is not counted.
    with pytest.raises(AuthenticationFailed) as caught:
        identity.sign_in("jane.admin", PASSWORD)
    assert "Wait 1 second" in caught.value.message
    assert user_field(db, user_id, "failed_sign_ins") == 3
    clock.advance(seconds=1)
    with pytest.raises(AuthenticationFailed):
        identity.sign_in("jane.admin", "wrong password here")
    with pytest.raises(AuthenticationFailed) as caught:
        identity.sign_in("jane.admin", PASSWORD)
    assert "Wait 2 seconds" in caught.value.message
    clock.advance(seconds=2)
    with pytest.raises(AuthenticationFailed):
        identity.sign_in("jane.admin", "wrong password here")
    with pytest.raises(AuthenticationFailed) as caught:
        identity.sign_in("jane.admin", PASSWORD)
    assert "Wait 4 seconds" in caught.value.message
    clock.advance(seconds=4)
    identity.sign_in("jane.admin", PASSWORD)
    assert user_field(db, user_id, "failed_sign_ins") == 0
    assert "denied" in [r["outcome"] for r in audit_rows(db, "identity.sign_in")]


def test_ten_failures_lock_until_reset(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    """Ten in a row lock the username from where they came (here the local client); the
    account itself stays unlocked for its owner elsewhere, and the owner's reset lifts it."""
    user_id = add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    for _ in range(1, 11):
        with pytest.raises(AuthenticationFailed) as caught:
            identity.sign_in("jane.admin", "wrong password here")
        clock.advance(seconds=600)
        assert user_field(db, user_id, "locked") is False
    assert caught.value.message == LOCKED
    with pytest.raises(AuthenticationFailed) as locked:
        identity.sign_in("jane.admin", PASSWORD)
    assert locked.value.message == LOCKED
    identity.request_password_reset("jane.admin", "jane.admin@example.org")
    identity.reset_password(reset_token_from_mail(db, "jane.admin@example.org"), NEW_PASSWORD)
    assert user_field(db, user_id, "locked") is False
    identity.sign_in("jane.admin", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("status", "role_status", "words"),
    [("pending", "pending", "waiting for approval"), ("deactivated", "active", "deactivated")],
)
def test_pending_and_deactivated_users_cannot_sign_in(
    db: Database, identity: IdentityService, tins: None, status: str, role_status: str, words: str
) -> None:
    add_user(db, "some.user", Role.STAFF, TIN, status=status, role_status=role_status)
    with pytest.raises(AuthenticationFailed) as right:
        identity.sign_in("some.user", PASSWORD)
    assert words in right.value.message
    # Without the right password nothing about the account is told.
    with pytest.raises(AuthenticationFailed) as wrong:
        identity.sign_in("some.user", "wrong password here")
    assert wrong.value.message == BAD_CREDENTIALS


def test_a_pending_registrant_is_told_which_tin_waits_and_since_when(
    db: Database, identity: IdentityService, tins: None
) -> None:
    add_user(db, "some.user", Role.STAFF, TIN, status="pending", role_status="pending")
    with pytest.raises(AuthenticationFailed) as right:
        identity.sign_in("some.user", PASSWORD)
    # Asked 11/01 00:00 UTC: 10/31 on the payer's calendar (America/Chicago).
    assert "TIN 12-3456789" in right.value.message
    assert "asked on 10/31/2026" in right.value.message
    with pytest.raises(AuthenticationFailed) as wrong:
        identity.sign_in("some.user", "wrong password here")
    assert "12-3456789" not in wrong.value.message


def test_user_without_any_active_role_cannot_sign_in(
    db: Database, identity: IdentityService, tins: None
) -> None:
    add_user(db, "gone.user", Role.STAFF, TIN, role_status="removed")
    with pytest.raises(AuthenticationFailed) as caught:
        identity.sign_in("gone.user", PASSWORD)
    assert "no active access" in caught.value.message


def test_legacy_account_with_right_password_must_migrate(
    db: Database, identity: IdentityService, tins: None
) -> None:
    add_user(db, "OLDUSER1", Role.STAFF, TIN, status="legacy", password="old-pw-1")
    with pytest.raises(MigrationRequired):
        identity.sign_in("olduser1", "old-pw-1")
    with pytest.raises(AuthenticationFailed) as wrong:
        identity.sign_in("olduser1", "old-pw-2")
    assert not isinstance(wrong.value, MigrationRequired)


def test_totp_second_factor_and_replay(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    user_id = add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    me = sign_in(identity, "jane.admin")
    enrollment = identity.begin_totp_enrollment(me)
    assert enrollment.provisioning_uri.startswith("otpauth://totp/")
    right = totp.code_at(enrollment.secret, clock.now())
    with pytest.raises(ValidationFailed):
        identity.confirm_totp_enrollment(me, "000000" if right != "000000" else "111111")
    identity.confirm_totp_enrollment(me, totp.code_at(enrollment.secret, clock.now()))
    assert identity.account(me).totp_enabled
    clock.advance(seconds=90)
    with pytest.raises(SecondFactorRequired):
        identity.sign_in("jane.admin", PASSWORD)
    with pytest.raises(AuthenticationFailed) as wrong_code:
        identity.sign_in("jane.admin", PASSWORD, "12345")
    assert "code" in wrong_code.value.message
    assert user_field(db, user_id, "failed_sign_ins") == 1
    code = totp.code_at(enrollment.secret, clock.now())
    identity.sign_in("jane.admin", PASSWORD, code)
    with pytest.raises(AuthenticationFailed) as replay:
        identity.sign_in("jane.admin", PASSWORD, code)
    assert "already used" in replay.value.message
    # A code from the step before (clock drift) is still refused once a later step was used.
    previous = totp.code_at(enrollment.secret, clock.now() - timedelta(seconds=30))
    if previous != code:
        with pytest.raises(AuthenticationFailed):
            identity.sign_in("jane.admin", PASSWORD, previous)
    clock.advance(seconds=30)
    identity.sign_in("jane.admin", PASSWORD, totp.code_at(enrollment.secret, clock.now()))


def test_recovery_codes_stand_in_for_the_app_once_and_wrong_ones_count(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    user_id = add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    me = sign_in(identity, "jane.admin")
    enrollment = identity.begin_totp_enrollment(me)
    issued = identity.confirm_totp_enrollment(me, totp.code_at(enrollment.secret, clock.now()))
    assert len(issued.codes) == totp.RECOVERY_CODES == len(set(issued.codes))
    assert identity.account(me).recovery_codes_left == 10
    with db.read() as conn:
        stored = " ".join(str(v) for row in conn.execute(select(totp_recovery_codes)) for v in row)
    assert not any(totp.recovery_key(c) in stored or c in stored for c in issued.codes)
    # A wrong code is a failed sign-in, counted by the sign-in throttle like a wrong app code.
    with pytest.raises(AuthenticationFailed) as wrong:
        identity.sign_in("jane.admin", PASSWORD, "abcde-fghjk")
    assert "not right" in wrong.value.message
    assert user_field(db, user_id, "failed_sign_ins") == 1
    assert audit_rows(db, "identity.sign_in")[-1]["outcome"] == "failed"
    # A right one (typed in capitals, without its dash) signs in, once.
    code = issued.codes[3]
    result = identity.sign_in("jane.admin", PASSWORD, code.replace("-", "").upper())
    assert result.account.recovery_codes_left == 9
    assert user_field(db, user_id, "failed_sign_ins") == 0
    used = audit_rows(db, "identity.recovery_code_used")
    assert len(used) == 1 and used[0]["detail"]["codes_left"] == 9
    assert any(
        "recovery code was used" in m["subject"] for m in mails_to(db, "jane.admin@example.org")
    )
    with pytest.raises(AuthenticationFailed):
        identity.sign_in("jane.admin", PASSWORD, code)
    assert user_field(db, user_id, "failed_sign_ins") == 1
    # A new set voids the old one; it needs the password.
    with pytest.raises(AuthenticationFailed):
        identity.regenerate_recovery_codes(me, "not the password at all")
    fresh = identity.regenerate_recovery_codes(me, PASSWORD)
    assert set(fresh.codes).isdisjoint(issued.codes)
    with pytest.raises(AuthenticationFailed):
        identity.sign_in("jane.admin", PASSWORD, issued.codes[5])
    identity.sign_in("jane.admin", PASSWORD, fresh.codes[0])
    # Turning the factor off drops the codes.
    identity.remove_totp(me, PASSWORD)
    with db.read() as conn:
        assert conn.execute(select(totp_recovery_codes)).first() is None


def test_sign_in_picks_the_default_tin_and_its_idle_timeout(
    db: Database, identity: IdentityService, tins: None
) -> None:
    user_id = add_user(db, "two.tins", Role.STAFF, TIN)
    with db.write() as conn:
        conn.execute(
            insert(user_roles).values(
                user_id=user_id,
                tin=TIN2,
                role="billing",
                status="active",
                created_at=identity.clock.now(),
                updated_at=identity.clock.now(),
            )
        )
        conn.execute(update(users).where(users.c.id == user_id).values(default_tin=TIN2))
    account = identity.sign_in("two.tins", PASSWORD).account
    assert (account.active_tin, account.idle_minutes) == (TIN2, 20)
    with db.write() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(default_tin="111111111"))
    account = identity.sign_in("two.tins", PASSWORD).account
    assert (account.active_tin, account.idle_minutes) == (TIN, 15)


def test_old_hash_parameters_are_upgraded_at_sign_in(
    db: Database, identity: IdentityService, tins: None
) -> None:
    from argon2 import PasswordHasher, Type

    from portal_core.rules.passwords import needs_rehash

    user_id = add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    with db.write() as conn:
        conn.execute(
            update(users).where(users.c.id == user_id).values(password_hash=weak.hash(PASSWORD))
        )
    identity.sign_in("jane.admin", PASSWORD)
    assert not needs_rehash(user_field(db, user_id, "password_hash"))


# -- sessions ----------------------------------------------------------------------------------


def test_resolve_gives_the_principal_and_moves_the_idle_clock(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    npi = add_provider(db, TIN)
    user_id = add_user(db, "desk.staff", Role.STAFF, TIN, npis=[npi])
    token = identity.sign_in("desk.staff", PASSWORD).token
    for _ in range(4):
        clock.advance(minutes=14)
        principal = identity.resolve(token)
    assert principal.user_id == user_id
    assert principal.tin_roles == {TIN: Role.STAFF}
    assert principal.affiliations == {TIN: frozenset({npi})}
    assert principal.active_tin == TIN
    assert principal.session_key == accounts.token_digest(token)
    with db.read() as conn:
        seen = conn.execute(select(sessions.c.last_seen_at)).scalar_one()
    assert seen == clock.now()


def test_idle_timeout_ends_the_session(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    add_user(db, "desk.staff", Role.STAFF, TIN)
    token = identity.sign_in("desk.staff", PASSWORD).token
    clock.advance(minutes=15)
    identity.resolve(token)
    clock.advance(minutes=15, seconds=1)
    with pytest.raises(SessionExpired) as caught:
        identity.resolve(token)
    assert "15 minutes" in caught.value.message
    with db.read() as conn:
        assert conn.execute(select(sessions.c.revoked_at)).scalar_one() is not None
    clock.advance(seconds=1)
    with pytest.raises(SessionExpired):
        identity.resolve(token)


def test_absolute_limit_ends_a_busy_session_after_12_hours(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    add_user(db, "desk.staff", Role.STAFF, TIN)
    token = identity.sign_in("desk.staff", PASSWORD).token
    for _ in range(71):
        clock.advance(minutes=10)
        identity.resolve(token)
    clock.advance(minutes=10)  # exactly 12 hours after sign-in
    with pytest.raises(SessionExpired) as caught:
        identity.resolve(token)
    assert "12-hour" in caught.value.message


def test_sign_out_and_unknown_tokens(db: Database, identity: IdentityService, tins: None) -> None:
    add_user(db, "desk.staff", Role.STAFF, TIN)
    token = identity.sign_in("desk.staff", PASSWORD).token
    me = identity.resolve(token)
    identity.sign_out(me)
    identity.sign_out(me)  # idempotent
    with pytest.raises(SessionExpired):
        identity.resolve(token)
    with pytest.raises(SessionExpired):
        identity.resolve("not-a-token")
    assert len(audit_rows(db, "identity.sign_out")) == 1


def test_a_deactivated_user_loses_a_live_session(
    db: Database, identity: IdentityService, tins: None
) -> None:
    user_id = add_user(db, "desk.staff", Role.STAFF, TIN)
    token = identity.sign_in("desk.staff", PASSWORD).token
    with db.write() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(status="deactivated"))
    with pytest.raises(SessionExpired):
        identity.resolve(token)


# -- registration --------------------------------------------------------------------------------


def test_first_verified_registrant_becomes_administrator_later_ones_wait(
    db: Database, identity: IdentityService, tins: None
) -> None:
    first = identity.register(registration("first.reg"))
    assert (first.role, first.pending) == (Role.ADMINISTRATOR, False)
    assert identity.sign_in("first.reg", PASSWORD).account.roles[0].role is Role.ADMINISTRATOR
    second = identity.register(registration("second.reg"))
    assert (second.role, second.pending) == (None, True)
    assert user_field(db, second.user_id, "status") == "pending"
    with db.read() as conn:
        role_status = conn.execute(
            select(user_roles.c.status).where(user_roles.c.user_id == second.user_id)
        ).scalar_one()
        notice = conn.execute(select(notifications.c.user_id, notifications.c.link_id)).one()
    assert role_status == "pending"
    assert notice == (first.user_id, str(second.user_id))
    with pytest.raises(AuthenticationFailed) as caught:
        identity.sign_in("second.reg", PASSWORD)
    assert "approval" in caught.value.message
    assert [r["outcome"] for r in audit_rows(db, "identity.register")] == ["ok", "ok"]


def test_registration_needs_proof_of_the_tin(
    db: Database, identity: IdentityService, tins: None
) -> None:
    with pytest.raises(ValidationFailed) as wrong:
        identity.register(registration("first.reg", code="WRONG-CODE"))
    with pytest.raises(ValidationFailed) as unknown:
        identity.register(registration("first.reg", tin="555555555"))
    assert wrong.value.message == unknown.value.message
    with pytest.raises(ValidationFailed) as none:
        identity.register(registration("first.reg", proof=RegistrationProof()))
    assert none.value.field == "registration_code"
    assert len(audit_rows(db, "identity.prove_tin")) == 2
    with db.read() as conn:
        assert conn.execute(select(users.c.id)).first() is None


def test_username_rules_and_case_free_uniqueness(
    db: Database, identity: IdentityService, tins: None
) -> None:
    identity.register(registration("First.Reg"))
    with pytest.raises(Conflict):
        identity.register(registration("FIRST.reg"))
    with pytest.raises(ValidationFailed) as short:
        identity.register(registration("abc"))
    assert short.value.field == "username"
    with pytest.raises(ValidationFailed) as weak:
        identity.register(registration("third.reg", password="short one"))
    assert weak.value.field == "password"
    with pytest.raises(ValidationFailed):
        identity.register(registration("third.reg", password="i am third.reg, really"))


# -- recovery ----------------------------------------------------------------------------------


def test_forgot_username_mails_every_username_of_the_address(
    db: Database, identity: IdentityService, tins: None
) -> None:
    add_user(db, "jane.first", Role.STAFF, TIN, email="jane@example.org")
    add_user(db, "jane.second", Role.STAFF, TIN2, email="JANE@example.org")
    identity.forgot_username("Jane@Example.org")
    identity.forgot_username("nobody@example.org")
    with db.read() as conn:
        mails = list(conn.execute(select(mail_outbox)).mappings())
    assert len(mails) == 1
    assert "jane.first" in mails[0]["body"] and "jane.second" in mails[0]["body"]


def test_password_reset_is_single_use_expires_and_ends_sessions(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    token = identity.sign_in("jane.admin", PASSWORD).token
    identity.request_password_reset("jane.admin", "wrong@example.org")
    identity.request_password_reset("nobody.here", "jane.admin@example.org")
    assert mails_to(db, "jane.admin@example.org") == []
    identity.request_password_reset("JANE.ADMIN", "Jane.Admin@example.org")
    reset = reset_token_from_mail(db, "jane.admin@example.org")
    with pytest.raises(ValidationFailed) as weak:
        identity.reset_password(reset, "too short")
    assert weak.value.field == "password"
    identity.reset_password(reset, NEW_PASSWORD)
    with pytest.raises(SessionExpired):
        identity.resolve(token)
    with pytest.raises(AuthenticationFailed):
        identity.sign_in("jane.admin", PASSWORD)
    clock.advance(seconds=10)
    identity.sign_in("jane.admin", NEW_PASSWORD)
    with pytest.raises(ValidationFailed):
        identity.reset_password(reset, "yet another long password")
    identity.request_password_reset("jane.admin", "jane.admin@example.org")
    late = reset_token_from_mail(db, "jane.admin@example.org")
    clock.advance(minutes=30)
    with pytest.raises(ValidationFailed) as expired:
        identity.reset_password(late, "yet another long password")
    assert expired.value.field == "token"


def test_legacy_migration_sets_new_credentials_and_signs_in(
    db: Database, identity: IdentityService, tins: None
) -> None:
    user_id = add_user(db, "OLDUSER1", Role.STAFF, TIN, status="legacy", password="old-pw-1")
    add_user(db, "taken.name", Role.STAFF, TIN)
    move = LegacyMigration(
        legacy_username="olduser1",
        legacy_password="old-pw-1",
        new_username="jane.new",
        new_password=NEW_PASSWORD,
        email="jane.new@example.org",
    )
    with pytest.raises(AuthenticationFailed) as wrong:
        identity.migrate_legacy_account(move.model_copy(update={"legacy_password": "nope"}))
    assert wrong.value.message == BAD_CREDENTIALS
    with pytest.raises(Conflict):
        identity.migrate_legacy_account(move.model_copy(update={"new_username": "TAKEN.name"}))
    with pytest.raises(ValidationFailed):
        identity.migrate_legacy_account(move.model_copy(update={"new_password": "short"}))
    result = identity.migrate_legacy_account(move)
    assert result.account.username == "jane.new"
    # The typed address is used once the code mailed to it comes back (signed in).
    assert result.account.email == "OLDUSER1@example.org"
    assert result.account.pending_email == "jane.new@example.org"
    assert not result.account.email_verified
    assert user_field(db, user_id, "status") == "active"
    me = identity.resolve(result.token)
    (mail,) = mails_to(db, "jane.new@example.org")
    assert mail["user_id"] is None  # not the account's mail until the address is proven
    code = re.search(r"^ {4}(\d{8})$", mail["body"], re.M)
    assert code is not None
    EmailProofService(db, identity.clock).confirm_email_change(me, code.group(1))
    assert identity.account(me).email == "jane.new@example.org"
    assert identity.account(me).email_verified
    identity.sign_in("jane.new", NEW_PASSWORD)
    with pytest.raises(AuthenticationFailed):
        identity.sign_in("olduser1", "old-pw-1")
    with pytest.raises(AuthenticationFailed):
        identity.migrate_legacy_account(move.model_copy(update={"legacy_username": "jane.new"}))


# -- own account ---------------------------------------------------------------------------------


def test_verify_password_counts_failures(
    db: Database, identity: IdentityService, tins: None
) -> None:
    user_id = add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    me = sign_in(identity, "jane.admin")
    with pytest.raises(AuthenticationFailed):
        identity.verify_password(me, "wrong password here")
    assert user_field(db, user_id, "failed_sign_ins") == 1
    identity.verify_password(me, PASSWORD)
    assert user_field(db, user_id, "failed_sign_ins") == 0


def test_change_password_ends_other_sessions_and_follows_the_rules(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    other = identity.sign_in("jane.admin", PASSWORD).token
    me = sign_in(identity, "jane.admin")
    with pytest.raises(AuthenticationFailed):
        identity.change_password(me, "wrong password here", NEW_PASSWORD)
    with pytest.raises(ValidationFailed):
        identity.change_password(me, PASSWORD, "short pw 12")
    identity.change_password(me, PASSWORD, NEW_PASSWORD)
    with pytest.raises(SessionExpired):
        identity.resolve(other)
    identity.account(me)
    assert mails_to(db, "jane.admin@example.org")[-1]["subject"].endswith("was changed")
    # With a second factor on, 8 characters are enough; then TOTP cannot be removed.
    enrollment = identity.begin_totp_enrollment(me)
    identity.confirm_totp_enrollment(me, totp.code_at(enrollment.secret, clock.now()))
    identity.change_password(me, NEW_PASSWORD, "lamp4u!x")
    with pytest.raises(ValidationFailed) as short:
        identity.remove_totp(me, "lamp4u!x")
    assert "15" in short.value.message
    identity.change_password(me, "lamp4u!x", NEW_PASSWORD)
    identity.remove_totp(me, NEW_PASSWORD)
    assert not identity.account(me).totp_enabled


def test_update_settings_validates_and_audits_changes(
    db: Database, identity: IdentityService, tins: None
) -> None:
    add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    me = sign_in(identity, "jane.admin")
    account = identity.update_settings(
        me,
        AccountSettings(
            full_name="Jane Q. Admin",
            theme="high-contrast",
            notification_prefs={"reply": False},
        ),
    )
    assert account.full_name == "Jane Q. Admin"
    assert account.theme == "high-contrast"
    account = identity.update_settings(me, AccountSettings(notification_prefs={"letter": True}))
    assert account.notification_prefs == {"reply": False, "letter": True}
    for bad in (
        AccountSettings(theme="Dark Mode"),
        AccountSettings(theme="x" * 41),
        AccountSettings(default_tin=TIN2),
        AccountSettings(full_name="  "),
    ):
        with pytest.raises(ValidationFailed):
            identity.update_settings(me, bad)
    rows = audit_rows(db, "identity.update_settings")
    assert len(rows) == 2
    assert rows[0]["detail"]["before"]["theme"] is None
    assert rows[0]["detail"]["after"]["theme"] == "high-contrast"


def test_set_active_tin_switches_role_and_idle_timeout(
    db: Database, identity: IdentityService, tins: None
) -> None:
    user_id = add_user(db, "two.tins", Role.STAFF, TIN)
    with db.write() as conn:
        conn.execute(
            insert(user_roles).values(
                user_id=user_id,
                tin=TIN2,
                role="billing",
                status="active",
                created_at=identity.clock.now(),
                updated_at=identity.clock.now(),
            )
        )
    token = identity.sign_in("two.tins", PASSWORD).token
    me = identity.resolve(token)
    account = identity.set_active_tin(me, "98-7654321")
    assert (account.active_tin, account.idle_minutes) == (TIN2, 20)
    assert identity.resolve(token).active_tin == TIN2
    with pytest.raises(ValidationFailed):
        identity.set_active_tin(me, "111111111")
    assert identity.update_settings(me, AccountSettings(default_tin=TIN2)).default_tin == TIN2


def test_register_additional_tin(db: Database, identity: IdentityService, tins: None) -> None:
    add_user(db, "harbor.admin", Role.ADMINISTRATOR, TIN2)
    add_tin(db, "222222222", registration_code="NEW-TIN-CODE")
    add_user(db, "desk.staff", Role.STAFF, TIN)
    me = sign_in(identity, "desk.staff")
    with pytest.raises(ValidationFailed):
        identity.register_additional_tin(me, TIN2, RegistrationProof(registration_code="nope"))
    waiting = identity.register_additional_tin(me, TIN2, RegistrationProof(registration_code=CODE2))
    assert waiting.pending and waiting.role is None
    with pytest.raises(Conflict):
        identity.register_additional_tin(me, TIN2, RegistrationProof(registration_code=CODE2))
    granted = identity.register_additional_tin(
        me, "222222222", RegistrationProof(registration_code="NEW-TIN-CODE")
    )
    assert granted.role is Role.ADMINISTRATOR
    again = sign_in(identity, "desk.staff")
    assert again.tin_roles == {TIN: Role.STAFF, "222222222": Role.ADMINISTRATOR}
    statuses = {r.tin: r.status for r in identity.account(again).roles}
    assert statuses == {TIN: "active", TIN2: "pending", "222222222": "active"}


def test_consolidate_moves_roles_keeps_the_broader_and_deactivates_the_other(
    db: Database, identity: IdentityService, tins: None
) -> None:
    npi_a = add_provider(db, TIN)
    npi_b = add_provider(db, TIN2)
    mine = add_user(db, "jane.main", Role.STAFF, TIN, email="jane@example.org", npis=[npi_a])
    other = add_user(
        db, "jane.other", Role.PROVIDER, TIN, email="JANE@example.org", password="other pass 12345"
    )
    with db.write() as conn:
        conn.execute(
            insert(user_roles).values(
                user_id=other,
                tin=TIN2,
                role="billing",
                status="active",
                created_at=identity.clock.now(),
                updated_at=identity.clock.now(),
            )
        )
        conn.execute(insert(user_affiliations).values(user_id=other, tin=TIN2, npi=npi_b))
    add_user(db, "someone.else", Role.STAFF, TIN, password="someone pass 12345")
    other_token = identity.sign_in("jane.other", "other pass 12345").token
    me = sign_in(identity, "jane.main")
    with pytest.raises(AuthenticationFailed):
        identity.consolidate_account(me, "jane.other", "wrong password here")
    with pytest.raises(ValidationFailed):
        identity.consolidate_account(me, "someone.else", "someone pass 12345")
    with pytest.raises(ValidationFailed):
        identity.consolidate_account(me, "jane.main", PASSWORD)
    result = identity.consolidate_account(me, "jane.other", "other pass 12345")
    assert result.merged_user_id == other
    assert result.moved_tins == [TIN, TIN2]
    assert len(result.notes) == 1 and "kept provider" in result.notes[0]
    with db.read() as conn:
        assert accounts.active_roles(conn, mine) == {TIN: Role.PROVIDER, TIN2: Role.BILLING}
        assert accounts.affiliations(conn, mine) == {
            TIN: frozenset({npi_a}),
            TIN2: frozenset({npi_b}),
        }
        assert accounts.active_roles(conn, other) == {}
    assert user_field(db, other, "status") == "deactivated"
    assert user_field(db, other, "merged_into") == mine
    with pytest.raises(SessionExpired):
        identity.resolve(other_token)
    assert audit_rows(db, "identity.consolidate")[-1]["outcome"] == "ok"


def test_administrators_of_is_for_the_tins_users_and_payer_staff(
    db: Database, services: Services, identity: IdentityService, tins: None
) -> None:
    handovers = services.handovers
    admin = add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    add_user(db, "pat.maint", Role.PRACTICE_MAINTENANCE, TIN)
    add_user(db, "old.admin", Role.ADMINISTRATOR, TIN, status="deactivated")
    add_user(db, "desk.staff", Role.STAFF, TIN)
    add_user(db, "harbor.staff", Role.STAFF, TIN2)
    add_user(db, "call.center", Role.CSR)
    listed = handovers.administrators_of(sign_in(identity, "desk.staff"), "12-3456789")
    assert [(u.username, u.role) for u in listed] == [
        ("jane.admin", Role.ADMINISTRATOR),
        ("pat.maint", Role.PRACTICE_MAINTENANCE),
    ]
    assert listed[0].id == admin
    assert len(handovers.administrators_of(sign_in(identity, "call.center"), TIN)) == 2
    with pytest.raises(PermissionDenied):
        handovers.administrators_of(sign_in(identity, "harbor.staff"), TIN)
    assert audit_rows(db, "identity.administrators_of")[-1]["outcome"] == "denied"


def test_admin_handover_offer_accept_and_decline(
    db: Database, services: Services, identity: IdentityService, tins: None
) -> None:
    handovers = services.handovers
    admin = add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    staff = add_user(db, "desk.staff", Role.STAFF, TIN)
    other = add_user(db, "desk.other", Role.STAFF, TIN)
    add_user(db, "harbor.staff", Role.STAFF, TIN2)
    boss = sign_in(identity, "jane.admin")
    desk = sign_in(identity, "desk.staff")
    with pytest.raises(PermissionDenied):
        handovers.offer_admin_handover(desk, TIN, other, Role.STAFF)
    with pytest.raises(ValidationFailed):
        handovers.offer_admin_handover(boss, TIN, staff, Role.ADMINISTRATOR)
    with pytest.raises(ValidationFailed):
        handovers.offer_admin_handover(boss, TIN, staff, Role.CSR)
    with pytest.raises(NotFound):
        handovers.offer_admin_handover(boss, TIN, 9999, Role.PROVIDER)
    offer = handovers.offer_admin_handover(boss, TIN, staff, Role.PROVIDER)
    with pytest.raises(Conflict):
        handovers.offer_admin_handover(boss, TIN, other, Role.PROVIDER)
    assert [h.id for h in handovers.pending_handovers(boss)] == [offer]
    mine = handovers.pending_handovers(desk)
    assert mine[0].from_user.id == admin and mine[0].to_user.id == staff
    with pytest.raises(NotFound):
        handovers.answer_admin_handover(sign_in(identity, "desk.other"), offer, True)
    handovers.answer_admin_handover(desk, offer, True)
    with db.read() as conn:
        assert accounts.active_roles(conn, staff) == {TIN: Role.ADMINISTRATOR}
        assert accounts.active_roles(conn, admin) == {TIN: Role.PROVIDER}
    assert handovers.pending_handovers(boss) == []
    new_boss = sign_in(identity, "desk.staff")
    second = handovers.offer_admin_handover(new_boss, TIN, other, Role.STAFF)
    handovers.answer_admin_handover(sign_in(identity, "desk.other"), second, False)
    with db.read() as conn:
        assert accounts.active_roles(conn, other) == {TIN: Role.STAFF}
    with pytest.raises(NotFound):
        handovers.answer_admin_handover(sign_in(identity, "desk.other"), second, True)
    assert len(audit_rows(db, "identity.accept_admin_handover")) == 1
    assert len(audit_rows(db, "identity.decline_admin_handover")) == 1


def test_break_glass_needs_the_role_a_reason_and_a_time_box(
    db: Database, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    add_user(db, "call.center", Role.CSR)
    add_user(db, "er.access", Role.BREAK_GLASS)
    with pytest.raises(PermissionDenied):
        identity.start_break_glass(sign_in(identity, "call.center"), "a good long reason", 30)
    token = identity.sign_in("er.access", PASSWORD).token
    me = identity.resolve(token)
    with pytest.raises(ValidationFailed) as short:
        identity.start_break_glass(me, "too short", 30)
    assert short.value.field == "reason"
    for minutes in (0, 241):
        with pytest.raises(ValidationFailed):
            identity.start_break_glass(me, "member in the emergency room", minutes)
    account = identity.start_break_glass(me, "member in the emergency room", 30)
    assert account.break_glass_until == clock.now() + timedelta(minutes=30)
    live = identity.resolve(token)
    assert live.break_glass_until == clock.now() + timedelta(minutes=30)
    assert live.break_glass_reason == "member in the emergency room"
    row = audit_rows(db, "identity.break_glass")[-1]
    assert row["outcome"] == "ok" and row["break_glass"] is True
    assert row["reason"] == "member in the emergency room"
    clock.advance(minutes=14)
    identity.resolve(token)
    clock.advance(minutes=14)
    identity.resolve(token)
    clock.advance(minutes=3)
    assert identity.resolve(token).break_glass_until is None


def test_notifications_and_outbox_are_own_only(
    db: Database, services: Services, clock: SettableClock, identity: IdentityService, tins: None
) -> None:
    notifications = services.notifications
    jane = add_user(db, "jane.admin", Role.ADMINISTRATOR, TIN)
    bob = add_user(db, "bob.staff", Role.STAFF, TIN)
    with db.write() as conn:
        accounts.notify(conn, jane, "letter", "A letter was filed.", clock.now())
        accounts.notify(conn, jane, "reply", "A reply came.", clock.now())
        accounts.notify(conn, bob, "reply", "Bob's reply.", clock.now())
        accounts.queue_mail(
            conn, "jane.admin@example.org", "first", "one", clock.now(), user_id=jane
        )
        accounts.queue_mail(conn, "bob.staff@example.org", "bob", "b", clock.now(), user_id=bob)
        accounts.queue_mail(
            conn, "jane.admin@example.org", "second", "two", clock.now(), user_id=jane
        )
        # Mail to her address that names no account (an address being proven) is not hers.
        accounts.queue_mail(conn, "jane.admin@example.org", "proof", "three", clock.now())
    me = sign_in(identity, "jane.admin")
    listed = notifications.notifications(me)
    assert [n.text for n in listed] == ["A reply came.", "A letter was filed."]
    bob_ids = [n.id for n in notifications.notifications(sign_in(identity, "bob.staff"))]
    notifications.mark_notifications_read(me, [listed[0].id, *bob_ids])
    assert [n.text for n in notifications.notifications(me, unread_only=True)] == [
        "A letter was filed."
    ]
    assert notifications.notifications(sign_in(identity, "bob.staff"), unread_only=True)
    assert [m.subject for m in notifications.outbox(me)] == ["second", "first"]


def test_every_write_leaves_an_intact_audit_chain(
    db: Database, identity: IdentityService, tins: None
) -> None:
    identity.register(registration("first.reg"))
    me = sign_in(identity, "first.reg")
    identity.update_settings(me, AccountSettings(theme="light"))
    with pytest.raises(AuthenticationFailed):
        identity.sign_in("first.reg", "wrong password here")
    identity.sign_out(me)
    with db.read() as conn:
        verdict = verify_chain(conn)
        rows = list(conn.execute(select(audit_log)).mappings())
    assert verdict.intact and verdict.rows_checked == len(rows) >= 5
    assert PASSWORD not in json.dumps([str(dict(r)) for r in rows])
