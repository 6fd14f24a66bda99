"""Instants as people read them: on the payer's clock, with its zone.

One rule for every place a time is shown (letters, screens, the CLI): instants are stored in UTC
and shown in the payer's home time zone (`deadlines.PAYER_TIME_ZONE`, where deadlines and business
days are counted), always with the zone's abbreviation, so a record made at 03:46 UTC on December 4
reads "12/03/2026 21:46 CST" in a letter and on screen alike. Data for programs (the CLI's JSON and
CSV) carries ISO 8601 with the offset on that same clock. A day shown for an instant is the payer's
day. A naive datetime is taken as UTC (the database stores UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from portal_core.rules.deadlines import PAYER_TIME_ZONE

TimeStyle = Literal["long", "short", "day", "clock"]
"""How much of an instant to show: `long` 12/03/2026 21:46 CST, `short` 12/03 21:46 CST (a list
column), `day` 12/03/2026 (the payer's day), `clock` 21:46 CST."""

_FORMATS: dict[str, str] = {
    "long": "%m/%d/%Y %H:%M %Z",
    "short": "%m/%d %H:%M %Z",
    "day": "%m/%d/%Y",
    "clock": "%H:%M %Z",
}

WIDTHS: dict[str, int] = {"long": 20, "short": 15, "day": 10, "clock": 9}
"""The cells each style takes (a list column's width)."""


def payer_clock(at: datetime) -> datetime:
    """`at` on the payer's clock (a naive `at` is UTC)."""
    if at.tzinfo is None or at.utcoffset() is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(PAYER_TIME_ZONE)


def payer_time(at: datetime | None, style: TimeStyle = "long", missing: str = "") -> str:
    """`at` on the payer's clock with its zone (see `TimeStyle`); `missing` when None."""
    if at is None:
        return missing
    return payer_clock(at).strftime(_FORMATS[style])


def iso_time(at: datetime) -> str:
    """`at` as ISO 8601 on the payer's clock with its offset (`2026-12-03T21:46:00-06:00`)."""
    return payer_clock(at).isoformat()
