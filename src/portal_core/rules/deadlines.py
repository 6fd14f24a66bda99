"""Deadlines: when a preauthorization decision is due, when an admission notification is due, how
long a draft is kept, and the time left, in words.

Instants are timezone-aware datetimes (stored in UTC). Calendar and business days are counted on
the payer's wall clock (`PAYER_TIME_ZONE`), so "7 calendar days" keeps the local time across a
daylight-saving change, and "the next business day" means the payer's next working day, whatever
the time zone of the facility or of the user's terminal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

PAYER_TIME_ZONE = ZoneInfo("America/Chicago")
"""The payer's home time zone: where business days and calendar days are counted."""

EXPEDITED_DECISION = timedelta(hours=72)
"""An expedited preauthorization is decided within 72 hours of submission."""

STANDARD_DECISION_DAYS = 7
"""A standard preauthorization is decided within 7 calendar days of submission."""

ADMISSION_NOTICE = timedelta(hours=24)
"""An emergent admission is notified within 24 hours of the admission."""

DRAFT_KEPT = timedelta(hours=96)
"""Unsubmitted drafts (preauth requests, admission notifications) are kept 96 hours."""

END_OF_BUSINESS_DAY = time(23, 59, 59)
"""A deadline of "the next business day" runs to the end of that day, payer time."""


class DecisionUrgency(StrEnum):
    """How fast a preauthorization must be decided."""

    STANDARD = "standard"
    EXPEDITED = "expedited"


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("deadlines need timezone-aware datetimes")


def preauth_decision_due(
    submitted_at: datetime, urgency: str, zone: ZoneInfo = PAYER_TIME_ZONE
) -> datetime:
    """When the decision on a request submitted at `submitted_at` is due (UTC).

    Expedited: 72 elapsed hours. Standard: 7 calendar days on the payer's wall clock (the same
    local time a week later, so a daylight-saving change neither adds nor takes an hour).
    """
    _require_aware(submitted_at)
    if DecisionUrgency(urgency) is DecisionUrgency.EXPEDITED:
        return (submitted_at + EXPEDITED_DECISION).astimezone(UTC)
    local = submitted_at.astimezone(zone).replace(tzinfo=None)
    due_local = (local + timedelta(days=STANDARD_DECISION_DAYS)).replace(tzinfo=zone)
    return due_local.astimezone(UTC)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The `n`th `weekday` (Monday 0) of a month; n = -1 for the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """A fixed-date holiday on a Saturday is observed on Friday, on a Sunday on Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def federal_holidays(year: int) -> frozenset[date]:
    """The United States federal holidays observed in `year` (the payer's days off)."""
    fixed = (
        (1, 1),  # New Year's Day
        (6, 19),  # Juneteenth
        (7, 4),  # Independence Day
        (11, 11),  # Veterans Day
        (12, 25),  # Christmas Day
    )
    days = {_observed(date(year, month, day)) for month, day in fixed}
    # New Year's Day of the next year can be observed on December 31 of this one.
    days.add(_observed(date(year + 1, 1, 1)))
    days.update(
        {
            _nth_weekday(year, 1, 0, 3),  # Birthday of Martin Luther King, Jr.
            _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
            _nth_weekday(year, 5, 0, -1),  # Memorial Day
            _nth_weekday(year, 9, 0, 1),  # Labor Day
            _nth_weekday(year, 10, 0, 2),  # Columbus Day
            _nth_weekday(year, 11, 3, 4),  # Thanksgiving Day
        }
    )
    return frozenset(day for day in days if day.year == year)


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a federal holiday."""
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def next_business_day(day: date) -> date:
    """The first business day after `day`."""
    following = day + timedelta(days=1)
    while not is_business_day(following):
        following += timedelta(days=1)
    return following


def admission_notification_due(admitted_at: datetime, zone: ZoneInfo = PAYER_TIME_ZONE) -> datetime:
    """When the notification of an admission at `admitted_at` is due (UTC).

    Within 24 hours of the admission; when the admission or those 24 hours fall on a weekend or
    holiday, the end of the next business day after the admission instead, if that is later.
    """
    _require_aware(admitted_at)
    due = admitted_at + ADMISSION_NOTICE
    admitted_day = admitted_at.astimezone(zone).date()
    due_day = due.astimezone(zone).date()
    if is_business_day(admitted_day) and is_business_day(due_day):
        return due.astimezone(UTC)
    business_day = next_business_day(admitted_day)
    end_of_day = datetime.combine(business_day, END_OF_BUSINESS_DAY, tzinfo=zone)
    return max(due, end_of_day).astimezone(UTC)


def draft_expires_at(saved_at: datetime) -> datetime:
    """When a draft saved (or last changed) at `saved_at` is no longer kept."""
    _require_aware(saved_at)
    return (saved_at + DRAFT_KEPT).astimezone(UTC)


def time_left(due_at: datetime, now: datetime) -> timedelta:
    """Time until `due_at`; negative once it has passed."""
    return due_at - now


def describe_time_left(due_at: datetime, now: datetime) -> str:
    """`2 d 5 h left`, `45 min left`, `overdue by 3 h`: the clock in words, to the minute."""
    left = time_left(due_at, now)
    overdue = left < timedelta(0)
    minutes = int(abs(left).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        amount = f"{days} d {hours} h"
    elif hours:
        amount = f"{hours} h {minutes} min" if minutes else f"{hours} h"
    else:
        amount = f"{minutes} min"
    return f"overdue by {amount}" if overdue else f"{amount} left"
