"""TOTP second factor (RFC 6238, 30-second steps, 6 digits) checked against the portal's clock.

A code is accepted for the current step and one step either side (clock drift), and only for a
step later than the last one accepted, so a code seen over someone's shoulder cannot be replayed.

Turning the factor on hands out `RECOVERY_CODES` single-use recovery codes (`xxxxx-xxxxx`, 50
random bits each, from an alphabet without look-alike characters); one stands in for a code from
the app at sign-in when the phone is lost. Only their keyed digests are stored.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

import pyotp

ISSUER = "Provider Portal"
"""The issuer name authenticator apps show next to the account."""

STEP = timedelta(seconds=30)
"""The TOTP time step."""

VALID_WINDOW = 1
"""Steps accepted either side of the current one."""


def new_secret() -> str:
    """A fresh base32 secret (160 bits)."""
    return str(pyotp.random_base32(32))


def provisioning_uri(secret: str, username: str) -> str:
    """The `otpauth://` URI an authenticator app reads (as a QR code or typed)."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER))


def code_at(secret: str, at: datetime) -> str:
    """The code for the step holding `at` (tests and the demo use it)."""
    return str(pyotp.TOTP(secret).at(at))


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code `code` is, within the valid window around `now`; None if none."""
    cleaned = code.strip().replace(" ", "")
    if not cleaned.isdigit() or len(cleaned) != 6:
        return None
    totp = pyotp.TOTP(secret)
    # The current step first, so a code valid for two steps is credited to the newest sensible one.
    for offset in (0, -1, 1)[: 1 + 2 * VALID_WINDOW]:
        moment = now + offset * STEP
        if hmac.compare_digest(str(totp.at(moment)), cleaned):
            return int(totp.timecode(moment))
    return None


RECOVERY_CODES = 10
"""How many recovery codes one enrollment (or a regeneration) hands out."""

RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""Letters and digits a person cannot misread (no 0/o, 1/l/i)."""

_RECOVERY_LENGTH = 10


def new_recovery_codes() -> list[str]:
    """Fresh recovery codes, each as shown to the user (`xxxxx-xxxxx`)."""
    codes: list[str] = []
    while len(codes) < RECOVERY_CODES:
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        code = f"{raw[:5]}-{raw[5:]}"
        if code not in codes:
            codes.append(code)
    return codes


def is_app_code(code: str) -> bool:
    """Whether `code` is shaped as a code from the app (6 digits), not a recovery code."""
    cleaned = code.strip().replace(" ", "")
    return cleaned.isdigit() and len(cleaned) == 6


def recovery_key(code: str) -> str | None:
    """The canonical form of a typed recovery code (case, spaces and dashes ignored); None when
    it cannot be one."""
    cleaned = "".join(code.split()).replace("-", "").lower()
    if len(cleaned) != _RECOVERY_LENGTH or any(c not in RECOVERY_ALPHABET for c in cleaned):
        return None
    return cleaned
