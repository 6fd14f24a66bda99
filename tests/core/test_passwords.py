"""Password rules (NIST SP 800-63B), the shipped blocklist and Argon2id hashing."""

from __future__ import annotations

import random
import string

import pytest
from argon2 import PasswordHasher, Type
from hypothesis import given
from hypothesis import strategies as st

from portal_core.errors import ValidationFailed
from portal_core.rules.passwords import (
    MAX_LENGTH,
    check_password,
    common_passwords,
    guess_bits,
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


@given(st.text(min_size=0, max_size=MAX_LENGTH + 10))
def test_any_text_is_accepted_or_refused_with_a_reason(password: str) -> None:
    try:
        check_password(password, USERNAME, context=("Northwind Health Plan", "jo@example.org"))
    except ValidationFailed as refused:
        assert refused.field == "password"
        assert refused.message.endswith(".")


@pytest.mark.parametrize("seed", range(5))
def test_random_passwords_pass(seed: int) -> None:
    chance = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "-_.!"
    for _ in range(40):
        check_password("".join(chance.choice(alphabet) for _ in range(16)), USERNAME)
        check_password("".join(chance.choice(alphabet) for _ in range(10)), USERNAME, has_mfa=True)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "a brand new violet lamp",
        "violet Tundra 7 lamp",
        "my health plan covers knees",
        "Nörthwïnd rocks 42 and rain",
        "パスワードはとても長い文章ですからね",
    ],
)
def test_passphrases_pass(password: str) -> None:
    check_password(password, USERNAME, context=("Northwind Health Plan", "jo@example.org"))


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


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("P@ssw0rdP@ssw0rd", "common"),  # substitutions folded, then a repeat
        ("ｐａｓｓｗｏｒｄｐａｓｓｗｏｒｄ", "common"),  # fullwidth: NFKC first
        ("iloveyou12345678", "easy to guess"),  # a common password and a sequence
        ("qwertyuiopasdfgh", "easy to guess"),  # keyboard rows
        ("zyxwvutsrqponmlk", "easy to guess"),  # the alphabet backwards
        ("13579135791357913", "easy to guess"),  # steps, repeated
        ("Northwind Health Plan", "easy to guess"),  # the health plan's name
        ("NorthwindHealthPlan2026!", "easy to guess"),
        ("portal portal 2026 portal", "easy to guess"),  # the service's name
        ("jo.example jo.example", "easy to guess"),  # the email's local part
    ],
)
def test_folded_common_and_context_passwords_are_refused(password: str, why: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_password(password, USERNAME, context=("Northwind Health Plan", "jo.example@x.org"))
    assert why in caught.value.message
    assert caught.value.field == "password"


@pytest.mark.parametrize("bad", ["\x00", "\t", "\u200b", "\u00ad", "\x1b", "\ud800"])
def test_control_and_invisible_characters_are_refused(bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_password(f"violet tundra{bad} lamp house", USERNAME)
    assert "control or invisible character" in caught.value.message


def test_length_is_counted_after_normalization() -> None:
    # U+FB01 (the ligature fi) is two characters once normalized; each counts.
    check_password("\ufb01" * 4 + " violet lamp", USERNAME, has_mfa=True)
    with pytest.raises(ValidationFailed) as caught:
        check_password("\ufdfa" * 8, USERNAME)  # 8 typed, 144 once normalized
    assert "at most 128" in caught.value.message


def test_a_password_typed_in_another_normalization_form_verifies() -> None:
    composed, decomposed = "caf\u00e9 violet tundra lamp", "cafe\u0301 violet tundra lamp"
    stored = hash_password(composed)
    assert verify_password(stored, decomposed)
    assert verify_password(hash_password("ｖｉｏｌｅｔ tundra lamp"), "violet tundra lamp")


def test_a_hash_made_before_normalization_still_verifies() -> None:
    legacy = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
    typed = "ｖｉｏｌｅｔ tundra lamp"  # hashed as typed by the old rules
    assert verify_password(legacy.hash(typed), typed)
    assert not verify_password(legacy.hash(typed), "violet tundra lamp!")


def test_oversized_or_unencodable_input_is_no_match_without_error() -> None:
    stored = hash_password("violet tundra lamp")
    assert not verify_password(stored, "x" * 10_000_000)
    assert not verify_password(stored, "violet \ud800 lamp")


def test_guess_bits_reads_the_cheapest_pieces() -> None:
    assert guess_bits("passwordpassword") < 25
    assert guess_bits("correcthorsebatterystaple") > 60
    assert guess_bits("northwind", ("northwind",)) < 5
