"""Telling accounts apart, and locking their owners out, through the API. Registration said "That
username is taken" before any proof; the throttle message appeared only for real accounts; ten
wrong passwords from anywhere locked any account, an administrator's included."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from in_process_api import remote_client
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.errors import AuthenticationFailed, ValidationFailed
from portal_core.models.identity import Registration, RegistrationProof
from portal_core.services import Services


async def test_registration_does_not_tell_a_taken_username_without_proof(app: FastAPI) -> None:
    """Attack: register as `admin.lakeside` with a made-up code to learn that the name exists."""
    client = remote_client(app=app, address="203.0.113.20")
    answers = []
    for username in ("admin.lakeside", "nobody.at.all"):
        with pytest.raises(ValidationFailed) as caught:
            await client.register(
                Registration(
                    full_name="Eve Prober",
                    email="eve@example.net",
                    username=username,
                    password="a long enough passphrase for eve",
                    tin="461234567",
                    proof=RegistrationProof(registration_code="LAKESIDE-MAIN-0000"),
                )
            )
        answers.append((type(caught.value), caught.value.message, caught.value.field))
    assert answers[0] == answers[1]
    assert "taken" not in answers[0][1]


async def throttle_answers(app: FastAPI, username: str, address: str) -> list[str]:
    client = remote_client(app=app, address=address)
    messages = []
    for _ in range(4):
        with pytest.raises(AuthenticationFailed) as caught:
            await client.sign_in(username, "wrong wrong wrong wrong")
        messages.append(caught.value.message)
    return messages


async def test_the_throttle_answers_the_same_for_unknown_usernames(app: FastAPI) -> None:
    """Attack: fail four times on a name; only a real account used to answer "Wait ..."."""
    real = await throttle_answers(app, "dr.rivera", "203.0.113.21")
    unknown = await throttle_answers(app, "dr.nobody", "203.0.113.22")
    assert real == unknown
    assert "Wait" in real[-1]


async def test_the_lock_answers_the_same_for_unknown_usernames(
    app: FastAPI, clock: SettableClock
) -> None:
    """Attack: fail ten times; only a real account used to say it is locked."""
    answers = {}
    for username, address in (("dr.rivera", "203.0.113.23"), ("dr.nobody", "203.0.113.24")):
        client = remote_client(app=app, address=address)
        for _ in range(10):
            with pytest.raises(AuthenticationFailed) as caught:
                await client.sign_in(username, "wrong wrong wrong wrong")
            clock.advance(seconds=120)
        with pytest.raises(AuthenticationFailed) as after:
            await client.sign_in(username, "wrong wrong wrong wrong")
        answers[username] = (caught.value.message, after.value.message)
    assert answers["dr.rivera"] == answers["dr.nobody"]
    assert "locked" in answers["dr.rivera"][1]


async def test_a_stranger_cannot_lock_the_administrator_out(
    app: FastAPI, clock: SettableClock
) -> None:
    """Attack: ten (or a hundred, from many addresses) wrong passwords for `admin.lakeside` so
    that its owner cannot sign in."""
    owner = remote_client(app=app, address="192.0.2.10")
    await owner.sign_in("admin.lakeside", DEMO_PASSWORD)  # the owner's usual address
    await owner.sign_out()
    for wave in range(12):
        stranger = remote_client(app=app, address=f"198.51.100.{wave + 1}")
        for _ in range(10):
            with pytest.raises(AuthenticationFailed):
                await stranger.sign_in("admin.lakeside", "wrong wrong wrong wrong")
            clock.advance(seconds=70)
    # The owner, from the usual address, is not held back at all.
    assert (await owner.sign_in("admin.lakeside", DEMO_PASSWORD)).token


async def test_a_lock_from_a_new_address_is_lifted_by_the_owners_reset(
    app: FastAPI, world: Services, clock: SettableClock
) -> None:
    """Attack: lock the account while its owner travels (no address of theirs known yet)."""
    for wave in range(11):
        stranger = remote_client(app=app, address=f"198.51.100.{wave + 1}")
        for _ in range(10):
            with pytest.raises(AuthenticationFailed):
                await stranger.sign_in("dr.rivera", "wrong wrong wrong wrong")
            clock.advance(seconds=70)
    traveller = remote_client(app=app, address="192.0.2.99")
    with pytest.raises(AuthenticationFailed) as locked:
        await traveller.sign_in("dr.rivera", DEMO_PASSWORD)
    assert "locked" in locked.value.message
    await traveller.request_password_reset("dr.rivera", "dr.rivera@example.org")
    from sqlalchemy import select

    from portal_core.store.schema import mail_outbox

    with world.db.read() as conn:
        body = (
            conn.execute(
                select(mail_outbox.c.body)
                .where(mail_outbox.c.to_address == "dr.rivera@example.org")
                .order_by(mail_outbox.c.id.desc())
            )
            .scalars()
            .first()
        )
    assert body is not None
    token = body.split("Your reset code is:")[1].split()[0]
    await traveller.reset_password(token, "a fresh passphrase for elena")
    assert (await traveller.sign_in("dr.rivera", "a fresh passphrase for elena")).token
