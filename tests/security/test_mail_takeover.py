"""Account takeover through mail: putting someone else's address on one's own account (or on an
account one controls) and reading the recovery mail the portal sends there.

Before: a contact email took effect as typed, recovery mail went to any address on file, and
`GET /outbox` listed every mail sent to the signed-in user's address, whoever it was meant for.
Now an address counts only once the code mailed to it is entered by the account's owner, recovery
goes only to a proven address, and a user's outbox lists the mail of their own account.
"""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from conftest import START
from in_process_api import remote_client
from pg_server import PostgresServer, postgres  # noqa: F401  (the session fixture)
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD, Scale, seed
from portal_core.demo.seed import LEGACY_PASSWORD, LEGACY_USERNAMES
from portal_core.errors import AuthenticationFailed, ValidationFailed
from portal_core.models.identity import LegacyMigration
from portal_core.models.users import ContactUpdate
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import mail_outbox, users

VICTIM = "admin.lakeside"
"""Administrator of two Tax IDs."""

VICTIM_ADDRESS = "admin.lakeside@example.org"

ATTACKER = "admin.acme"
"""Administrator of one other Tax ID."""

NEW_PASSWORD = "a-brand-new-passphrase-2026"

_CODE = re.compile(r"^ {4}(\S+)$", re.M)


def _user_id(world: Services, username: str) -> int:
    with world.db.read() as conn:
        return int(
            conn.execute(select(users.c.id).where(users.c.username == username)).scalar_one()
        )


def _codes_in(bodies: list[str]) -> list[str]:
    return [match for body in bodies for match in _CODE.findall(body)]


def _mail_to(world: Services, address: str) -> list[str]:
    """What the victim's mailbox holds (the operator's view: the database)."""
    with world.db.read() as conn:
        return list(
            conn.execute(
                select(mail_outbox.c.body)
                .where(mail_outbox.c.to_address == address)
                .order_by(mail_outbox.c.id)
            ).scalars()
        )


async def _sign_in(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    answer = await http.post("/session", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def test_an_admin_cannot_take_over_an_account_by_putting_its_address_on_file(
    world: Services, http: httpx.AsyncClient
) -> None:
    """Attack: the administrator of one TIN sets its own contact email to another user's address,
    asks for that user's password reset and reads the reset code in its own outbox, then signs in
    as that user (the administrator of two other TINs)."""
    me = await _sign_in(http, ATTACKER, DEMO_PASSWORD)
    my_id = _user_id(world, ATTACKER)
    edit = await http.patch(f"/users/{my_id}/contact", json={"email": VICTIM_ADDRESS}, headers=me)
    assert edit.status_code == 200, edit.text
    # The address is not taken on: it waits for a code mailed to it (the victim's mailbox).
    assert edit.json()["email"] == f"{ATTACKER}@example.org"
    assert edit.json()["pending_email"] == VICTIM_ADDRESS
    asked = await http.post("/account/email-change", json={"email": VICTIM_ADDRESS}, headers=me)
    assert asked.status_code in (204, 400, 422), asked.text  # at most a new code, to the victim

    reset = await http.post(
        "/recovery/password-reset", json={"username": VICTIM, "email": VICTIM_ADDRESS}
    )
    assert reset.status_code == 204
    outbox = await http.get("/outbox", headers=me)
    assert outbox.status_code == 200
    assert _codes_in([mail["body"] for mail in outbox.json()]) == []

    # Guessing the address code gets nowhere: a few tries and the pending address is gone.
    for guess in ("00000000", "12345678", "11111111", "22222222", "33333333"):
        tried = await http.post(
            "/account/email-change/confirmation", json={"code": guess}, headers=me
        )
        assert tried.status_code in (400, 422)
    account = (await http.get("/account", headers=me)).json()
    assert account["email"] == f"{ATTACKER}@example.org"
    assert account["pending_email"] is None

    # The reset code went to the victim's mailbox only; the attacker has no way to it.
    reset_codes = _codes_in(_mail_to(world, VICTIM_ADDRESS))
    assert reset_codes
    signed_in = await http.post("/session", json={"username": VICTIM, "password": NEW_PASSWORD})
    assert signed_in.status_code == 401


async def test_outbox_lists_the_accounts_mail_not_mail_to_a_matching_address(
    world: Services,
) -> None:
    """Attack (RemoteClient): an account whose address on file is another user's (as an old
    portal migration or an earlier admin edit left it) reads that user's reset mail through
    `GET /outbox`, which matched mail by address."""
    with world.db.write() as conn:
        conn.execute(
            users.update().where(users.c.username == ATTACKER).values(email=VICTIM_ADDRESS)
        )
    attacker = remote_client(world)
    try:
        await attacker.sign_in(ATTACKER, DEMO_PASSWORD)
        await attacker.request_password_reset(VICTIM, VICTIM_ADDRESS)
        mails = await attacker.outbox()
        assert all(VICTIM not in mail.body for mail in mails)
        assert _codes_in([mail.body for mail in mails]) == []
    finally:
        await attacker.close()


async def test_recovery_mail_goes_only_to_a_proven_address(world: Services) -> None:
    """Attack: register (or be created) with someone else's address, then use 'Forgot username'
    and 'Forgot password' with it: an unproven address must receive no recovery mail."""
    client = remote_client(world)
    try:
        # An account whose address was never proven (registration or migration left it so).
        with world.db.write() as conn:
            conn.execute(
                users.update()
                .where(users.c.username == ATTACKER)
                .values(email="someone.else@example.org", email_verified_at=None)
            )
        await client.forgot_username("someone.else@example.org")
        await client.request_password_reset(ATTACKER, "someone.else@example.org")
        assert _mail_to(world, "someone.else@example.org") == []
    finally:
        await client.close()


async def test_migration_does_not_put_a_typed_address_on_file(world: Services) -> None:
    """Attack: the old portal's migration replaced the address on file with whatever was typed,
    unverified; recovery then went there."""
    client = remote_client(world)
    typed = "typed.by.anyone@example.org"
    try:
        result = await client.migrate_legacy_account(
            LegacyMigration(
                legacy_username=LEGACY_USERNAMES[0],
                legacy_password=LEGACY_PASSWORD,
                new_username="john.smith.new",
                new_password=NEW_PASSWORD,
                email=typed,
            )
        )
        assert result.account.email != typed
        assert result.account.pending_email == typed
        assert not result.account.email_verified
        await client.sign_out()
        await client.request_password_reset("john.smith.new", typed)
        await client.forgot_username(typed)
        # Only the code proving the address went there: no reset code, no username reminder.
        subjects = _mail_subjects(world, typed)
        assert subjects == ["Confirm your provider portal email address"]
    finally:
        await client.close()


def _mail_subjects(world: Services, address: str) -> list[str]:
    with world.db.read() as conn:
        return list(
            conn.execute(
                select(mail_outbox.c.subject)
                .where(mail_outbox.c.to_address == address)
                .order_by(mail_outbox.c.id)
            ).scalars()
        )


async def test_a_code_for_someone_elses_address_proves_nothing_without_their_session(
    world: Services,
) -> None:
    """Attack: an administrator who administers all of a user's Tax IDs sets that user's email to
    its own address, receives the code there and enters it without the user (registration's
    session-less confirmation), so the user's recovery mail would come to it."""
    admin = remote_client(world)
    target = "staff.lakeside"
    mine = "alicia.private@example.org"
    try:
        await admin.sign_in(VICTIM, DEMO_PASSWORD)  # administrator of staff.lakeside's TIN
        detail = await admin.update_user_contact(_user_id(world, target), ContactUpdate(email=mine))
        assert detail.email == f"{target}@example.org"
        assert detail.pending_email == mine
        (code,) = _codes_in(_mail_to(world, mine))
        try:
            await admin.confirm_registration_email(target, code)
            raise AssertionError("the code was taken without the user")
        except ValidationFailed:
            pass
        # Entered in the administrator's own session, it is not the administrator's change.
        try:
            await admin.confirm_email_change(code)
            raise AssertionError("the code was taken for the wrong account")
        except ValidationFailed:
            pass
        # The old address was told.
        notices = _mail_subjects(world, f"{target}@example.org")
        assert "A change of your provider portal email address was asked for" in notices
        # Recovery still goes to the user's own address.
        await admin.sign_out()
        await admin.request_password_reset(target, mine)
        assert len(_codes_in(_mail_to(world, mine))) == 1  # the address code only
        try:
            await admin.sign_in(target, NEW_PASSWORD)
            raise AssertionError("signed in as the user")
        except AuthenticationFailed:
            pass
    finally:
        await admin.close()


@pytest.mark.postgres
async def test_the_takeover_fails_on_postgresql_too(
    postgres: PostgresServer,  # noqa: F811
    clock: SettableClock,
) -> None:
    """Attack, over PostgreSQL: the administrator of one TIN puts another user's address on its own
    account and reads that user's reset code through its outbox."""
    db = Database(postgres.create_database("mail_takeover"))
    db.upgrade()
    seed(db, Scale.SMALL, SettableClock(START))
    world = Services(db, clock)
    attacker = remote_client(world)
    try:
        await attacker.sign_in(ATTACKER, DEMO_PASSWORD)
        detail = await attacker.update_user_contact(
            _user_id(world, ATTACKER), ContactUpdate(email=VICTIM_ADDRESS)
        )
        assert detail.email == f"{ATTACKER}@example.org"
        await attacker.request_password_reset(VICTIM, VICTIM_ADDRESS)
        assert _codes_in([mail.body for mail in await attacker.outbox()]) == []
        assert _codes_in(_mail_to(world, VICTIM_ADDRESS))  # the victim's mailbox has them
    finally:
        await attacker.close()
        db.dispose()
