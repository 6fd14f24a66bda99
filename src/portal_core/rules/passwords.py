"""Password rules (NIST SP 800-63B) and Argon2id hashing.

At least 15 characters, or 8 once the user has a second factor; at most 128; no composition rules;
refused when it is on the shipped list of common passwords or contains the username.
"""

from __future__ import annotations

from contextlib import suppress
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from portal_core.errors import ValidationFailed

MIN_LENGTH = 15
MIN_LENGTH_WITH_MFA = 8
MAX_LENGTH = 128

# OWASP's Argon2id minimum (19 MiB, 2 passes): about 20 ms a hash on a small machine.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped blocklist, lower-cased."""
    text = resources.files("portal_core.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def check_password(password: str, username: str, *, has_mfa: bool = False) -> None:
    """Raise `ValidationFailed` with the reason when `password` breaks a rule."""
    minimum = MIN_LENGTH_WITH_MFA if has_mfa else MIN_LENGTH
    if len(password) < minimum:
        extra = "" if has_mfa else " (8 once you turn on a second factor)"
        raise ValidationFailed(f"Use at least {minimum} characters{extra}.", field="password")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"Use at most {MAX_LENGTH} characters.", field="password")
    folded = password.casefold()
    if folded in common_passwords() or folded.strip() in common_passwords():
        raise ValidationFailed(
            "That password is on a list of common passwords. Choose another.", field="password"
        )
    if len(set(folded)) < 3:
        raise ValidationFailed("That password repeats too few characters.", field="password")
    if username and username.casefold() in folded:
        raise ValidationFailed("The password must not contain the username.", field="password")


def hash_password(password: str) -> str:
    """The Argon2id hash to store."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches `stored_hash` (False for no hash or a malformed one)."""
    if not stored_hash:
        # Spend the same time as a real check so an unknown user is not told apart by timing.
        _dummy_verify()
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with older parameters."""
    return _HASHER.check_needs_rehash(stored_hash)


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("portal-dummy-password")


def _dummy_verify() -> None:
    with suppress(VerifyMismatchError):
        _HASHER.verify(_dummy_hash(), "not-the-password")
