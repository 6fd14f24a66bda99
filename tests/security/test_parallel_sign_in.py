"""Sign-ins checked at the same moment. Counting every attempt as a failure until its password was
checked let right passwords count against each other: fifty terminals of one office (or a script
signing in in parallel) from one address were told "Too many failed sign-ins" with no failure at
all, and `make bench`'s fifty clients could not sign in. Attempts in flight are now held apart
from failures; once a failure is on record they count, so parallel guesses cannot outrun the limit.
"""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from in_process_api import remote_client
from portal_core.demo import DEMO_PASSWORD
from portal_core.errors import AuthenticationFailed, TooManyAttempts
from portal_core.services import Services, throttles
from portal_core.services.throttles import Caller, calling_from


async def test_right_passwords_at_the_same_moment_are_never_held_back(app: FastAPI) -> None:
    """Regression: 40 sign-ins of one user from one address at once all succeed."""
    clients = [remote_client(app=app, address="198.51.100.7") for _ in range(40)]
    try:
        results = await asyncio.gather(
            *(c.sign_in("staff.lakeside", DEMO_PASSWORD) for c in clients),
            return_exceptions=True,
        )
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    refused = [r for r in results if isinstance(r, BaseException)]
    assert refused == []


def test_after_a_failure_guesses_in_flight_count(world: Services) -> None:
    """Attack: after one wrong password, send guesses in parallel so that each is checked before
    the others are counted. Only one attempt per name and address is checked at a time."""
    with calling_from(Caller("203.0.113.80")):
        with pytest.raises(AuthenticationFailed):
            world.identity.sign_in("dr.rivera", "wrong wrong wrong wrong")
        now = world.clock.now()
        with world.db.write() as conn:
            first = throttles.sign_in_gate(conn, "dr.rivera", now)
            assert isinstance(first, throttles.SignInAttempt) and first.held
            assert throttles.hold_sign_in(conn, first, now) is None  # one guess being checked
            second = throttles.sign_in_gate(conn, "dr.rivera", now)
            assert isinstance(second, throttles.SignInAttempt)
            refused = throttles.hold_sign_in(conn, second, now)
        assert refused is not None and isinstance(refused.error, TooManyAttempts)


def test_a_check_that_crashed_keeps_nobody_out(world: Services) -> None:
    """A check killed mid-way leaves its attempt in flight; it stops counting after a while, so
    the owner is not kept out by a crash."""
    with calling_from(Caller("203.0.113.81")):
        with pytest.raises(AuthenticationFailed):
            world.identity.sign_in("dr.rivera", "wrong wrong wrong wrong")
        now = world.clock.now()
        with world.db.write() as conn:
            attempt = throttles.sign_in_gate(conn, "dr.rivera", now)
            assert isinstance(attempt, throttles.SignInAttempt)
            assert throttles.hold_sign_in(conn, attempt, now) is None  # and then the process dies
        world.clock.advance(seconds=40)
        assert world.identity.sign_in("dr.rivera", DEMO_PASSWORD).token
