"""Deadlines: preauth decision clocks, admission notification due dates across weekends, holidays
and time zones, draft expiry, and the time left in words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal_core.rules.deadlines import (
    admission_notification_due,
    describe_time_left,
    draft_expires_at,
    federal_holidays,
    is_business_day,
    next_business_day,
    preauth_decision_due,
)

CHICAGO = ZoneInfo("America/Chicago")
HONOLULU = ZoneInfo("Pacific/Honolulu")


def test_expedited_is_72_elapsed_hours() -> None:
    submitted = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)  # a Friday
    assert preauth_decision_due(submitted, "expedited") == submitted + timedelta(hours=72)


def test_standard_is_seven_calendar_days_on_the_payer_clock_across_daylight_saving() -> None:
    # 9:00 in Chicago on Friday Oct 30 2026 (CDT); clocks go back on Nov 1.
    submitted = datetime(2026, 10, 30, 9, 0, tzinfo=CHICAGO)
    due = preauth_decision_due(submitted, "standard")
    assert due.astimezone(CHICAGO).replace(tzinfo=None) == datetime(2026, 11, 6, 9, 0)
    assert due - submitted == timedelta(days=7, hours=1)
    assert due.tzinfo is UTC


def test_unknown_urgency_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        preauth_decision_due(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "whenever")
    with pytest.raises(ValueError):
        preauth_decision_due(datetime(2026, 11, 23, 9, 0), "standard")


def test_federal_holidays_with_observed_days() -> None:
    days = federal_holidays(2026)
    assert date(2026, 11, 26) in days  # Thanksgiving, 4th Thursday
    assert date(2026, 7, 3) in days  # July 4 is a Saturday: observed Friday
    assert date(2026, 1, 19) in days  # MLK day
    assert date(2026, 5, 25) in days  # Memorial Day, last Monday
    assert date(2027, 12, 31) in federal_holidays(2027)  # New Year 2028 is a Saturday
    assert not is_business_day(date(2026, 11, 26))
    assert next_business_day(date(2026, 11, 25)) == date(2026, 11, 27)


def test_a_weekday_admission_is_due_24_hours_later() -> None:
    admitted = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday
    assert admission_notification_due(admitted) == admitted + timedelta(hours=24)


def test_a_saturday_admission_is_due_by_the_end_of_monday() -> None:
    admitted = datetime(2026, 11, 21, 10, 0, tzinfo=CHICAGO)  # Saturday morning
    due = admission_notification_due(admitted)
    assert due.astimezone(CHICAGO).replace(tzinfo=None) == datetime(2026, 11, 23, 23, 59, 59)


def test_a_friday_night_admission_reaching_into_saturday_is_due_monday() -> None:
    admitted = datetime(2026, 11, 20, 22, 0, tzinfo=CHICAGO)
    due = admission_notification_due(admitted)
    assert due.astimezone(CHICAGO).date() == date(2026, 11, 23)


def test_the_wednesday_before_thanksgiving_is_due_friday() -> None:
    admitted = datetime(2026, 11, 25, 20, 0, tzinfo=CHICAGO)
    due = admission_notification_due(admitted)
    assert due.astimezone(CHICAGO).date() == date(2026, 11, 27)


def test_business_days_are_the_payers_not_the_facilitys() -> None:
    # Sunday 23:30 in Honolulu is already Monday 03:30 in Chicago: a business day for the payer.
    admitted = datetime(2026, 11, 22, 23, 30, tzinfo=HONOLULU)
    assert admission_notification_due(admitted) == admitted + timedelta(hours=24)
    # The same wall time judged on a Honolulu payer clock is a Sunday: due end of Monday there.
    due = admission_notification_due(admitted, HONOLULU)
    assert due.astimezone(HONOLULU).replace(tzinfo=None) == datetime(2026, 11, 23, 23, 59, 59)


def test_drafts_are_kept_96_hours() -> None:
    saved = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert draft_expires_at(saved) == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("left", "words"),
    [
        (timedelta(days=2, hours=5, minutes=10), "2 d 5 h left"),
        (timedelta(hours=3), "3 h left"),
        (timedelta(hours=3, minutes=20), "3 h 20 min left"),
        (timedelta(minutes=45), "45 min left"),
        (timedelta(hours=-3), "overdue by 3 h"),
        (timedelta(days=-1, hours=-2), "overdue by 1 d 2 h"),
    ],
)
def test_time_left_in_words(left: timedelta, words: str) -> None:
    now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert describe_time_left(now + left, now) == words
