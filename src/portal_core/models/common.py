"""Records shared by every area: pages of results."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

BACKWARD = "~"
"""What a cursor read backwards starts with (not in base64's URL-safe alphabet)."""

LAST = BACKWARD
"""The `after` that asks for a list's last page (End): read backwards from the end, the page in the
list's order, its `next_cursor` going backwards (the page before it)."""


class Page(BaseModel, Generic[T]):
    """One keyset-paged slice of a result list."""

    items: list[T] = Field(default_factory=list)
    """The records of this page, in the list's order."""
    next_cursor: str | None = None
    """Pass back as `after` for the next page the way this one was read (forwards, or backwards
    from `LAST`); None at the end reached."""
    total: int | None = None
    """How many records match in all; services count on the first page only (`after` unset)."""
