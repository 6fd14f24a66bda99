"""Password rules (NIST SP 800-63B), the shipped blocklist and Argon2id hashing."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type
from hypothesis import assume, given
from hypothesis import strategies as st

from portal_core.errors import ValidationFailed
from portal_core.rules.passwords import (
    MAX_LENGTH,
    check_password,
    common_passwords,
    hash_password,
    needs_rehash,
    verify_password,
)

USERNAME = "jsmith"


def uncommon(length: int) -> str:
    """A password of exactly `length` characters that is on no list."""
    text = ("violet Tundra 7 lamp " * 10)[:length]
    assert len(text) == length
    return text


@pytest.mark.parametrize(("length", "ok"), [(14, False), (15, True), (128, True), (129, False)])
def test_length_boundaries_without_mfa(length: int, ok: bool) -> None:
    if ok:
        check_password(uncommon(length), USERNAME)
    else:
        with pytest.raises(ValidationFailed) as caught:
            check_password(uncommon(length), USERNAME)
        assert caught.value.field == "password"


@pytest.mark.parametrize(("length", "ok"), [(7, False), (8, True), (14, True), (129, False)])
def test_length_boundaries_with_mfa(length: int, ok: bool) -> None:
    if ok:
        check_password(uncommon(length), USERNAME, has_mfa=True)
    else:
        with pytest.raises(ValidationFailed):
            check_password(uncommon(length), USERNAME, has_mfa=True)


@given(st.text(min_size=15, max_size=MAX_LENGTH))
def test_any_long_enough_uncommon_password_passes(password: str) -> None:
    folded = password.casefold()
    assume(len(password) <= MAX_LENGTH)
    assume(len(set(folded)) >= 3)
    assume(folded not in common_passwords() and folded.strip() not in common_passwords())
    assume(USERNAME not in folded)
    check_password(password, USERNAME)


@given(st.text(min_size=0, max_size=14))
def test_anything_shorter_than_15_fails_without_mfa(password: str) -> None:
    with pytest.raises(ValidationFailed):
        check_password(password, USERNAME)


def test_blocklist_is_substantial_and_lower_case() -> None:
    blocked = common_passwords()
    assert len(blocked) > 5000
    for classic in ("password", "123456", "qwerty", "iloveyou", "letmein", "passwordpassword"):
        assert classic in blocked
    assert all(entry == entry.casefold() for entry in blocked)
    assert not any(entry.startswith("#") for entry in blocked)


@pytest.mark.parametrize(
    "password",
    [
        "passwordpassword",
        "PasswordPassword",
        "123456789012345",
        "qwertyuiopasdfghjkl",
        "providerportal2026",
        "iloveyouforever",
        "Summer2024!",
    ],
)
def test_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_password(password, USERNAME, has_mfa=True)
    assert "common" in caught.value.message


def test_password_containing_the_username_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_password("my name is JSmith and I golf", "jsmith")
    assert "username" in caught.value.message


def test_too_few_distinct_characters_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        check_password("abababababababab", USERNAME)


def test_hash_and_verify() -> None:
    stored = hash_password("violet tundra lamp")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "violet tundra lamp")
    assert not verify_password(stored, "violet tundra lamp!")
    assert not verify_password(None, "anything")
    assert not verify_password("not a hash", "anything")
    assert not needs_rehash(stored)
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    assert needs_rehash(weaker.hash("violet tundra lamp"))
