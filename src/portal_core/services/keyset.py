"""Keyset page positions: an opaque cursor holding the last row's sort key (never OFFSET).

A cursor comes back from the client, so it is input like any other: `read` is the one place that
turns it into typed values, and anything it cannot read (not base64, not UTF-8, the wrong number of
parts, a part of the wrong kind or out of range) is `ValidationFailed`, never an error deeper in.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, overload

from portal_core.errors import ValidationFailed

INVALID = "That page position is not valid. Start again from the first page."

MAX_CURSOR = 1000
"""Characters a cursor may have (real ones are a few dozen)."""

_ID_RANGE = (-(2**31), 2**31 - 1)
"""Row ids fit PostgreSQL's `integer`: a bigger number is a bad cursor, not a database error."""


def encode(*parts: object) -> str:
    """A cursor from the last row's sort key."""
    raw = "|".join(p.isoformat() if isinstance(p, date) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode(cursor: str, count: int) -> list[str]:
    """The `count` parts of a cursor as text; `ValidationFailed` for a tampered one."""
    if len(cursor) > MAX_CURSOR:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii", "strict"))
        parts = raw.decode("utf-8").split("|")
    except (ValueError, binascii.Error, UnicodeError) as error:
        raise _invalid() from error
    if len(parts) != count or any("\x00" in part for part in parts):
        raise _invalid()
    return parts


@overload
def read(cursor: str, first: type[datetime], second: type[int], /) -> tuple[datetime, int]: ...
@overload
def read(cursor: str, first: type[date], second: type[int], /) -> tuple[date, int]: ...
@overload
def read(cursor: str, first: type[str], second: type[str], /) -> tuple[str, str]: ...
@overload
def read(cursor: str, first: type[int], /) -> tuple[int]: ...
@overload
def read(cursor: str, first: type[str], /) -> tuple[str]: ...
def read(cursor: str, /, *kinds: type[Any]) -> tuple[Any, ...]:
    """The cursor's parts as `kinds` (`int`, `date`, `datetime`, `str`); `ValidationFailed` when a
    part is not one (an id out of range, a day that does not exist)."""
    parts = decode(cursor, len(kinds))
    return tuple(part(kind, text) for kind, text in zip(kinds, parts, strict=True))


def part(kind: type[Any], text: str) -> Any:
    """One part of a cursor as `kind` (`int`, `date`, `datetime`; anything else stays text)."""
    return _READERS.get(kind, _text)(text)


def date_and_id(cursor: str) -> tuple[date, int]:
    """A (date, id) cursor."""
    return read(cursor, date, int)


def row_id(cursor: str) -> int:
    """A cursor that is a plain row id (as text, not base64); `ValidationFailed` otherwise."""
    return _row_id(cursor)


def _row_id(text: str) -> int:
    text = text.strip()
    if not text.lstrip("-").isdigit() or not text.isascii() or len(text) > 11:
        raise _invalid()
    value = int(text)
    if not _ID_RANGE[0] <= value <= _ID_RANGE[1]:
        raise _invalid()
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise _invalid() from error


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise _invalid() from error


def _text(text: str) -> str:
    return text


_READERS: dict[type[Any], Callable[[str], Any]] = {
    int: _row_id,
    date: _day,
    datetime: _moment,
    str: _text,
}


def _invalid() -> ValidationFailed:
    return ValidationFailed(INVALID, field="after")
