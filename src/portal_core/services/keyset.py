"""Keyset page positions: an opaque cursor holding the last row's sort key (never OFFSET)."""

from __future__ import annotations

import base64
from datetime import date

from portal_core.errors import ValidationFailed


def encode(*parts: object) -> str:
    """A cursor from the last row's sort key."""
    raw = "|".join(p.isoformat() if isinstance(p, date) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode(cursor: str, count: int) -> list[str]:
    """The `count` parts of a cursor; `ValidationFailed` for a tampered one."""
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationFailed("That page position is not valid.", field="after") from error
    if len(parts) != count:
        raise ValidationFailed("That page position is not valid.", field="after")
    return parts


def date_and_id(cursor: str) -> tuple[date, int]:
    """A (date, id) cursor."""
    day, row_id = decode(cursor, 2)
    try:
        return date.fromisoformat(day), int(row_id)
    except ValueError as error:
        raise ValidationFailed("That page position is not valid.", field="after") from error
