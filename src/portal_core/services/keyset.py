"""Keyset page positions: an opaque cursor holding the last row's sort key (never OFFSET).

A cursor comes back from the client, so it is input like any other: `seek` is the one place that
turns it into typed values, and anything it cannot read (not base64, not UTF-8, the wrong number of
parts, a part of the wrong kind or out of range) is `ValidationFailed`, never an error deeper in.

A list is read either way. `after` unset is the first page; a page's `next_cursor` continues the
way it was read. `LAST` asks for the last page (End): it is read in the reverse order, with
`next_cursor` going backwards (`~` and the first row's key: the page before it), and every page,
whichever way read, comes in the list's own order. `seek` is the one reader of both: it gives a
list's query its position condition and order, and turns the rows fetched into the page and its
next cursor.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, UnaryExpression, literal, tuple_

from portal_core.errors import ValidationFailed
from portal_core.models.common import BACKWARD, LAST

__all__ = ["BACKWARD", "LAST", "Seek", "decode", "encode", "part", "row_id", "seek"]

INVALID = "That page position is not valid. Start again from the first page."

MAX_CURSOR = 1000
"""Characters a cursor may have (real ones are a few dozen)."""

RowT = TypeVar("RowT")

_ID_RANGE = (-(2**31), 2**31 - 1)
"""Row ids fit PostgreSQL's `integer`: a bigger number is a bad cursor, not a database error."""


def encode(*parts: object) -> str:
    """A cursor from the last row's sort key."""
    raw = "|".join(p.isoformat() if isinstance(p, date) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode(cursor: str, count: int) -> list[str]:
    """The `count` parts of a cursor as text; `ValidationFailed` for a tampered one (or one read
    backwards, which only `seek` reads)."""
    if len(cursor) > MAX_CURSOR or not cursor.isascii() or BACKWARD in cursor:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii", "strict"))
        parts = raw.decode("utf-8").split("|")
    except (ValueError, binascii.Error, UnicodeError) as error:
        raise _invalid() from error
    if len(parts) != count or any("\x00" in part for part in parts):
        raise _invalid()
    return parts


def part(kind: type[Any], text: str) -> Any:
    """One part of a cursor as `kind` (`int`, `date`, `datetime`; anything else stays text)."""
    return _READERS.get(kind, _text)(text)


def row_id(cursor: str) -> int:
    """A cursor that is a plain row id (as text, not base64); `ValidationFailed` otherwise."""
    return _row_id(cursor)


@dataclass(frozen=True)
class Seek:
    """Where a page of a list starts and which way it is read, from the list's order and the
    `after` a client sent (see the module's docstring)."""

    keys: tuple[ColumnElement[Any], ...]
    """The list's sort key, ending in a unique column (the id) that breaks ties."""
    descending: bool
    """Whether the list runs from the largest key down."""
    backward: bool
    """Whether this page is read against the list's order (the last page, or one before it)."""
    position: tuple[Any, ...] | None
    """The key of the row the page starts beyond (in the way read); None from either end."""

    @property
    def condition(self) -> ColumnElement[bool] | None:
        """The rows beyond the position in the way read (None from either end)."""
        if self.position is None:
            return None
        mine = tuple_(*self.keys)
        # Typed by the columns (an untyped tuple would bind a time as naive text).
        theirs = tuple_(
            *(literal(v, k.type) for v, k in zip(self.position, self.keys, strict=True))
        )
        return mine < theirs if self.descending != self.backward else mine > theirs

    def where(self, conditions: Sequence[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
        """`conditions` and the position's condition."""
        condition = self.condition
        return [*conditions] if condition is None else [*conditions, condition]

    @property
    def order(self) -> list[UnaryExpression[Any]]:
        """The order to read rows in: the list's own, or its reverse when read backwards."""
        down = self.descending != self.backward
        return [k.desc() if down else k.asc() for k in self.keys]

    def page(
        self,
        rows: Sequence[RowT],
        limit: int,
        key: Callable[[RowT], Sequence[object]] | None = None,
    ) -> tuple[list[RowT], str | None]:
        """The page from up to `limit + 1` rows read in `order`: its rows in the list's order,
        and the cursor of the next page the way read (None at the end reached). `key` gives a
        row's sort key (by default the keys' names in a mapping row)."""
        read = list(rows[:limit])
        key_of = key or self._mapped_key
        cursor = None
        if len(rows) > limit and read:
            cursor = encode(*key_of(read[-1]))
            if self.backward:
                cursor = BACKWARD + cursor
        if self.backward:
            read.reverse()
        return read, cursor

    def _mapped_key(self, row: Any) -> Sequence[object]:
        mapping: Mapping[str, object] = row
        return [mapping[str(getattr(k, "name", ""))] for k in self.keys]


def seek(after: str | None, keys: Sequence[ColumnElement[Any]], descending: bool) -> Seek:
    """How to read the page `after` asks for in a list ordered by `keys`."""
    backward = after is not None and after.startswith(BACKWARD)
    cursor = (after or "")[len(BACKWARD) :] if backward else (after or "")
    position = None
    if cursor:
        parts = decode(cursor, len(keys))
        position = tuple(part(_python_type(k), text) for k, text in zip(keys, parts, strict=True))
    return Seek(tuple(keys), descending, backward, position)


def _python_type(column: ColumnElement[Any]) -> type[Any]:
    """The Python type of a key column (the stored one for a decorated type, e.g. a UTC time)."""
    kind = getattr(column.type, "impl", column.type)
    python: type[Any] = kind.python_type
    return python


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
    """A point in time with its zone (every time stored has one)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise _invalid() from error
    if moment.tzinfo is None:
        raise _invalid()
    return moment


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
