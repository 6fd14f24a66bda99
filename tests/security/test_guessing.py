"""Guessing secrets through the API: registration codes, claim proofs, reset requests and codes,
username reminders, TOTP codes. Each attack used to succeed for want of a throttle; each is now
refused after a few tries, per client address and per target, with counts every worker shares."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from in_process_api import remote_client
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import SMALL_TINS
from portal_core.errors import AuthenticationFailed, TooManyAttempts, ValidationFailed
from portal_core.models.identity import Registration, RegistrationProof
from portal_core.services import Services
from portal_core.services.tin_proof import CODE_ALPHABET, MIN_CODE_BITS
from portal_core.store.schema import notifications, password_resets, throttle_counters, users

EMPTY_TIN = "521234568"
"""Riverbend Surgery Center: no users, so whoever proves a tie first becomes its administrator."""


def registration(number: int, code: str, tin: str = EMPTY_TIN) -> Registration:
    return Registration(
        full_name="Eve Guesser",
        email=f"eve{number}@example.net",
        username=f"eve.guess{number}",
        password="a long enough passphrase for eve",
        tin=tin,
        proof=RegistrationProof(registration_code=code),
    )


def test_registration_codes_carry_at_least_60_random_bits() -> None:
    """Attack: the demo codes ended in 4 digits (13 bits) and fell in 181 guesses."""
    random_part = re.compile(rf"(-[{CODE_ALPHABET}]{{4}}){{4}}$")
    for demo in SMALL_TINS:
        assert random_part.search(demo.registration_code), demo.registration_code
        assert MIN_CODE_BITS <= 16 * 5


async def test_guessing_a_registration_code_from_one_address_is_cut_off(app: FastAPI) -> None:
    """Attack: `POST /registrations` with code after code from one address until one fits."""
    attacker = remote_client(app=app, address="203.0.113.7")
    for number in range(10):
        with pytest.raises(ValidationFailed):
            await attacker.register(registration(number, f"RIVERBEND-SURGERY-{number:04d}"))
    with pytest.raises(TooManyAttempts) as refused:
        await attacker.register(registration(99, "RIVERBEND-SURGERY-BG3S-E37G-BSAE-F64F"))
    assert "network address" in refused.value.message


async def test_guessing_a_tins_code_from_many_addresses_locks_it_and_tells_the_payer(
    app: FastAPI, world: Services
) -> None:
    """Attack: spread the guesses over many addresses so no one address is throttled."""
    for number in range(10):
        attacker = remote_client(app=app, address=f"198.51.100.{number + 1}")
        with pytest.raises(ValidationFailed):
            await attacker.register(registration(number, f"RIVERBEND-SURGERY-{number:04d}"))
    lucky = remote_client(app=app, address="192.0.2.50")
    with pytest.raises(TooManyAttempts) as refused:
        # Even the right code is refused unchecked while the TIN is locked.
        await lucky.register(registration(50, "RIVERBEND-SURGERY-BG3S-E37G-BSAE-F64F"))
    assert "locked" in refused.value.message
    with world.db.read() as conn:
        told = conn.execute(
            select(func.count())
            .select_from(notifications)
            .join(users, users.c.id == notifications.c.user_id)
            .where(users.c.payer_role == "payer_admin", notifications.c.text.contains("52-1234568"))
        ).scalar_one()
    assert told >= 1


async def test_guessing_claim_proofs_is_throttled_like_codes(app: FastAPI) -> None:
    """Attack: guess a paid claim's number and amount instead of the code."""
    attacker = remote_client(app=app, address="203.0.113.8")
    for number in range(10):
        claim = RegistrationProof(claim_number=f"C{number:09d}", paid_amount="100.00")
        attempt = registration(number, "x").model_copy(update={"proof": claim})
        with pytest.raises(ValidationFailed):
            await attacker.register(attempt)
    with pytest.raises(TooManyAttempts):
        await attacker.register(registration(11, "RIVERBEND-SURGERY-BG3S-E37G-BSAE-F64F"))


async def test_flooding_reset_requests_makes_no_more_than_three_live_codes(
    app: FastAPI, world: Services
) -> None:
    """Attack: 100 reset requests in 2.4 s made 100 live reset codes for one account."""
    made = 0
    refused = 0
    for number in range(20):
        attacker = remote_client(app=app, address=f"198.51.100.{number + 1}")
        try:
            await attacker.request_password_reset("dr.rivera", "dr.rivera@example.org")
            made += 1
        except TooManyAttempts:
            refused += 1
    assert made <= 3 and refused >= 17
    with world.db.read() as conn:
        live = conn.execute(
            select(func.count())
            .select_from(password_resets)
            .where(password_resets.c.used_at.is_(None))
        ).scalar_one()
    assert live <= 3


async def test_guessing_reset_codes_is_cut_off(app: FastAPI) -> None:
    """Attack: try reset code after reset code from one address."""
    attacker = remote_client(app=app, address="203.0.113.9")
    for number in range(10):
        with pytest.raises(ValidationFailed):
            await attacker.reset_password(f"guess-{number}", "a brand new long passphrase")
    with pytest.raises(TooManyAttempts):
        await attacker.reset_password("guess-last", "a brand new long passphrase")


async def test_username_reminders_for_one_address_are_limited(app: FastAPI) -> None:
    """Attack: mail-bomb a user (or probe addresses) with username reminders."""
    attacker = remote_client(app=app, address="203.0.113.10")
    for _ in range(3):
        await attacker.forgot_username("dr.rivera@example.org")
    with pytest.raises(TooManyAttempts):
        await attacker.forgot_username("dr.rivera@example.org")


async def test_throttle_counters_keep_no_address_or_name_in_clear(
    app: FastAPI, world: Services
) -> None:
    """Attack: read client addresses and typed usernames out of the throttle table."""
    attacker = remote_client(app=app, address="203.0.113.77")
    with pytest.raises(AuthenticationFailed):
        await attacker.sign_in("dr.rivera", "not the password at all")
    with world.db.read() as conn:
        rows = [dict(r) for r in conn.execute(select(throttle_counters)).mappings()]
    assert rows
    text = repr(rows)
    assert "203.0.113.77" not in text and "dr.rivera" not in text


async def test_guessing_totp_codes_locks_the_guesser_out(
    app: FastAPI, world: Services, clock: SettableClock
) -> None:
    """Attack: with a stolen password, try TOTP codes until one fits."""
    from portal_core.rules import totp

    owner = remote_client(app=app, address="192.0.2.1")
    await owner.sign_in("dr.rivera", DEMO_PASSWORD)
    enrollment = await owner.begin_totp_enrollment()
    await owner.confirm_totp_enrollment(totp.code_at(enrollment.secret, clock.now()))
    clock.advance(seconds=60)
    attacker = remote_client(app=app, address="203.0.113.11")
    for number in range(10):
        with pytest.raises(AuthenticationFailed):
            await attacker.sign_in("dr.rivera", DEMO_PASSWORD, f"{number:06d}")
        clock.advance(seconds=70)
    right = totp.code_at(enrollment.secret, clock.now())
    with pytest.raises(TooManyAttempts):
        await attacker.sign_in("dr.rivera", DEMO_PASSWORD, right)
