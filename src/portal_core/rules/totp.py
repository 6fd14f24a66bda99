"""TOTP second factor (RFC 6238, 30-second steps, 6 digits) checked against the portal's clock.

A code is accepted for the current step and one step either side (clock drift), and only for a
step later than the last one accepted, so a code seen over someone's shoulder cannot be replayed.
"""

from __future__ import annotations

import hmac
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
