"""The time source services read, so tests and the demo can set the date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """The real UTC clock."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)


class SettableClock(Clock):
    """A clock that stands still until moved (tests, demo generation)."""

    def __init__(self, start: datetime) -> None:
        self.current = start
        """The time `now()` returns."""

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        """Move forward by `timedelta(**delta)` and return the new time."""
        self.current += timedelta(**delta)
        return self.current
