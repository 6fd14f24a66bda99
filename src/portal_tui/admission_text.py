"""Admission notifications in words: list cells, the detail and review history, the notice
deadline said plainly, and the admission time as typed on the form.

Times are shown and typed on the payer's clock (Central time), where the notice deadline and the
review dates are counted.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from portal_core.errors import ValidationFailed
from portal_core.rules.deadlines import (
    PAYER_TIME_ZONE,
    admission_notification_due,
    describe_time_left,
)
from portal_core.rules.service_dates import parse_date
from portal_tui.display_text import when

if TYPE_CHECKING:
    from portal_core.models.admissions import (
        AdmissionDetail,
        AdmissionReviewEntry,
        AdmissionSummary,
    )

STATUS_WORDS = {
    "draft": "draft",
    "notified": "notified",
    "in_review": "in review",
    "discharged": "discharged",
    "cancelled": "cancelled",
}
"""A status as a list shows it."""


def words(value: str) -> str:
    """`continued_stay` → `continued stay`."""
    return value.replace("_", " ")


def local(at: datetime) -> datetime:
    """A time on the payer's clock."""
    return at.astimezone(PAYER_TIME_ZONE)


def short_time(at: datetime | None) -> str:
    """`11/19 08:00 CST` on the payer's clock, or "" when unknown."""
    return when(at, "short")


def long_time(at: datetime | None) -> str:
    """`11/19/2026 08:00 CST`, or "not given"."""
    return when(at, "long", missing="not given")


def due_or_notified(admission: AdmissionSummary) -> str:
    """What the list shows in its deadline column: when it was sent, or when it is due."""
    if admission.notified_at is not None:
        return short_time(admission.notified_at)
    if admission.admitted_at is not None:
        return "due " + when(admission_notification_due(admission.admitted_at), "short")
    return ""


def next_review(admission: AdmissionSummary) -> str:
    """`11/25` or ""."""
    day = admission.next_review_date
    return "" if day is None else f"{day:%m/%d}"


def parse_admitted_at(day_text: str, time_text: str, what: str = "admission") -> datetime | None:
    """A time from a form's date and `HH:MM` fields, on the payer's clock; None when both are
    empty (a draft may leave it out). `ValidationFailed` names the field (`admitted_date`,
    `admitted_time`)."""
    if not day_text.strip() and not time_text.strip():
        return None
    if not day_text.strip():
        raise ValidationFailed(f"Give the {what} date too.", field="admitted_date")
    day = parse_date(day_text, field="admitted_date")
    return datetime.combine(day, parse_clock(time_text, what), PAYER_TIME_ZONE)


def parse_clock(text: str, what: str = "admission") -> time:
    """`08:30`, `8:30` or `0830` as a time of day; `ValidationFailed` otherwise."""
    cleaned = text.strip().replace(".", ":")
    if not cleaned:
        raise ValidationFailed(
            f"Give the {what} time (24-hour, e.g. 08:30).", field="admitted_time"
        )
    if ":" not in cleaned and len(cleaned) in (3, 4) and cleaned.isdigit():
        cleaned = f"{cleaned[:-2]}:{cleaned[-2:]}"
    hours, _, minutes = cleaned.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValidationFailed("Give the time as 24-hour HH:MM, e.g. 08:30.", field="admitted_time")
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        raise ValidationFailed("That time of day is not possible.", field="admitted_time")
    return time(int(hours), int(minutes))


def notice_deadline(admitted_at: datetime, now: datetime) -> tuple[str, bool]:
    """The notice deadline of an admission, in words, and whether sending now is late."""
    due = admission_notification_due(admitted_at)
    late = now > due
    if late:
        text = (
            f"Due {long_time(due)}: LATE, {describe_time_left(due, now)}. "
            "You can still send it; it is flagged late."
        )
    else:
        text = f"Due {long_time(due)} ({describe_time_left(due, now)})."
    return text, late


def now_utc() -> datetime:
    """The time on this machine (only for the form's hint: the portal decides lateness)."""
    return datetime.now(UTC)


def review_line(entry: AdmissionReviewEntry) -> str:
    """One determination of the history, on one or two lines."""
    if entry.outcome.value == "denied" or entry.final:
        following = "no further review"
    elif entry.next_review_date is not None:
        following = f"next review {entry.next_review_date:%m/%d/%Y}"
    else:
        following = ""
    head = (
        f"{short_time(entry.at)}  {words(entry.kind.value)}: {words(entry.outcome.value)}, "
        f"{entry.approved_days} day(s), {following} (by {entry.reviewer_username})"
    )
    return head + (f"\n    Reason: {entry.reason}" if entry.reason else "")


def admission_text(admission: AdmissionDetail) -> str:
    """The detail screen's body: the facts, the notice, the review history, letters, discharge."""
    lines = [
        f"Status: {STATUS_WORDS.get(admission.status.value, admission.status.value)}"
        + ("   LATE notification" if admission.late else ""),
        f"Member: {admission.member_id} {admission.member_name}".rstrip(),
        f"Facility: {admission.facility_npi} {admission.facility_name}".rstrip(),
        f"Admitting: {admission.admitting_npi} {admission.admitting_name}".rstrip(),
        f"Admitted: {long_time(admission.admitted_at)}   Type: {words(admission.admission_type)}",
        "Diagnosis: " + (", ".join(admission.diagnosis_codes) or "none given"),
        f"TIN: {admission.tin}   Written by {admission.created_by_username}",
    ]
    if admission.notified_at is not None:
        lines.append(
            f"Notified: {long_time(admission.notified_at)}   due {long_time(admission.due_at)}"
            + ("  (LATE)" if admission.late else "  (on time)")
        )
    elif admission.admitted_at is not None:
        text, _ = notice_deadline(admission.admitted_at, now_utc())
        lines.append("Not sent yet. " + text)
    if admission.draft_expires_at is not None:
        lines.append(f"Draft kept until {long_time(admission.draft_expires_at)}.")
    if admission.notes:
        lines += ["", "Notes:", admission.notes]
    lines += ["", f"Days approved: {admission.approved_days}"]
    if admission.next_review_date is not None:
        lines.append(f"Next review: {admission.next_review_date:%m/%d/%Y}")
    lines += ["", "Review history:"]
    if admission.reviews:
        lines += ["  " + review_line(entry) for entry in admission.reviews]
    else:
        lines.append("  No determination yet.")
    lines += ["", "Letters (l reads, s saves):"]
    if admission.letters:
        lines += [
            f"  {n}. {letter.file_name}  {when(letter.created_at, 'day')}"
            for n, letter in enumerate(admission.letters, start=1)
        ]
    else:
        lines.append("  None yet.")
    if admission.discharge is not None:
        lines += [
            "",
            f"Discharged {long_time(admission.discharge.discharged_at)}: "
            f"{words(admission.discharge.disposition.value)}",
        ]
    if admission.cancel_reason:
        lines += ["", f"Cancelled: {admission.cancel_reason}"]
    return "\n".join(lines)
