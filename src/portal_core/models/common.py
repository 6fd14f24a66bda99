"""Records shared by every area: pages of results."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One keyset-paged slice of a result list."""

    items: list[T] = Field(default_factory=list)
    """The records of this page, in the list's order."""
    next_cursor: str | None = None
    """Pass back as `after` for the next page; None on the last page."""
    total: int | None = None
    """How many records match in all; services count on the first page only (`after` unset)."""
