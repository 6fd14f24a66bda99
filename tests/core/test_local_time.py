"""One rule for times: the payer's clock with its zone in letters, on screen and in the CLI table;
ISO 8601 with the offset in the CLI's JSON and CSV."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from test_preauth_rules import SLEEP

from portal_core.models.admissions import AdmissionDetermination, DeterminationOutcome, ReviewKind
from portal_core.models.preauth import PreauthStatus
from portal_core.rules.local_time import iso_time, payer_time
from portal_core.rules.preauth_letters import determination_letter as preauth_letter
from portal_core.services.admissions import determination_letter as admission_letter
from portal_tui.display_text import when
from portal_tui.subcommands.output import json_text, render

LATE_EVENING = datetime(2026, 12, 4, 3, 46, tzinfo=UTC)
"""03:46 UTC on December 4: still December 3 on the payer's clock (Central time)."""


def test_a_time_reads_on_the_payer_clock_with_its_zone():
    assert payer_time(LATE_EVENING) == "12/03/2026 21:46 CST"
    assert payer_time(LATE_EVENING, "short") == "12/03 21:46 CST"
    assert payer_time(LATE_EVENING, "day") == "12/03/2026"
    assert payer_time(datetime(2026, 7, 1, 15, 0, tzinfo=UTC)) == "07/01/2026 10:00 CDT"
    assert payer_time(None, missing="never") == "never"
    # A naive time is UTC (as the database stores it), never the terminal's zone.
    assert payer_time(LATE_EVENING.replace(tzinfo=None)) == "12/03/2026 21:46 CST"
    assert when(LATE_EVENING) == "12/03/2026 21:46 CST"  # the screens' name for the same rule
    assert iso_time(LATE_EVENING) == "2026-12-03T21:46:00-06:00"


def test_preauth_letter_dates_itself_on_the_payer_clock():
    row = {
        "status": PreauthStatus.APPROVED.value,
        "number": "PA-2026-000123",
        "member_id": "NW100000007",
        "requesting_npi": "1234567893",
        "servicing_npi": "1234567893",
        "tin": "123456789",
        "procedure_codes": ["95810"],
        "diagnosis_codes": ["G47.33"],
        "start_date": date(2026, 12, 10),
        "end_date": date(2026, 12, 20),
        "units": 1,
        "approved_units": 1,
    }
    text = preauth_letter(row, SLEEP, "Maria Lopez", LATE_EVENING)
    assert "Date:                12/03/2026 21:46 CST" in text
    assert "Member:              Maria Lopez (NW100000007)" in text
    assert "Preauthorization:    PA-2026-000123" in text


def test_admission_letter_names_the_member_and_the_record():
    row = {
        "number": "AN-2026-000042",
        "member_id": "NW100000007",
        "facility_npi": "1234567893",
        "admitted_at": datetime(2026, 12, 3, 14, 5, tzinfo=UTC),
    }
    entry = AdmissionDetermination(
        kind=ReviewKind.INITIAL,
        outcome=DeterminationOutcome.APPROVED,
        approved_days=3,
        next_review_date=date(2026, 12, 6),
    )
    text = admission_letter(row, entry, LATE_EVENING, 3, "Maria Lopez").decode()
    assert "Admission notification: AN-2026-000042" in text
    assert "Member: Maria Lopez (NW100000007)" in text
    assert "Date: 12/03/2026 21:46 CST" in text
    assert "Admitted: 12/03/2026 08:05 CST" in text


def test_cli_table_shows_the_zone_and_json_csv_carry_the_offset():
    rows = [{"number": "X1", "created_at": LATE_EVENING}]
    table = render(rows, ["number", "created_at"], "table")
    assert "12/03/2026 21:46 CST" in table
    data = json.loads(render(rows, ["number", "created_at"], "json"))
    assert data[0]["created_at"] == "2026-12-03T21:46:00-06:00"
    csv_text = render(rows, ["number", "created_at"], "csv")
    assert "2026-12-03T21:46:00-06:00" in csv_text
    # A record printed whole (`show --format json`) goes through the same rule.
    assert json.loads(json_text({"at": LATE_EVENING, "items": [{"at": LATE_EVENING}]})) == {
        "at": "2026-12-03T21:46:00-06:00",
        "items": [{"at": "2026-12-03T21:46:00-06:00"}],
    }
