"""Rules for money, dates, uploads, appeals and codes."""

from __future__ import annotations

from datetime import date

import pytest

from portal_core.errors import Conflict, ValidationFailed
from portal_core.rules.adjustment_codes import denial_group, parse_carc, parse_rarc
from portal_core.rules.appeals import check_appeal_allowed
from portal_core.rules.claim_status import STATUS_CATEGORIES, ClaimStatus
from portal_core.rules.money import format_cents, parse_amount
from portal_core.rules.service_dates import check_eligibility_date, parse_date
from portal_core.rules.uploads import check_file, sniff

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(("text", "cents"), [("1,234.50", 123450), ("$80", 8000), (".5", 50)])
def test_amounts(text: str, cents: int) -> None:
    assert parse_amount(text) == cents
    assert format_cents(-123450) == "-1,234.50"


@pytest.mark.parametrize("text", ["", "12.345", "-5", "1,23.00", "ten", "1e3"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_amount(text)


def test_dates_and_the_eligibility_window() -> None:
    assert parse_date("11/23/2026") == parse_date("2026-11-23") == TODAY
    check_eligibility_date(date(2024, 11, 24), TODAY)
    check_eligibility_date(date(2027, 2, 21), TODAY)
    for outside in (date(2024, 11, 22), date(2027, 2, 22)):
        with pytest.raises(ValidationFailed):
            check_eligibility_date(outside, TODAY)
    with pytest.raises(ValidationFailed):
        parse_date("2026-02-30")


def test_277_categories() -> None:
    assert STATUS_CATEGORIES[ClaimStatus.DENIED] == ("F2",)
    assert "A3" in STATUS_CATEGORIES[ClaimStatus.REJECTED]


def test_upload_signatures() -> None:
    assert sniff(b"%PDF-1.4") == "pdf" and sniff(b"\xff\xd8\xff\xe0") == "jpeg"
    assert check_file("scan.TIF", b"II*\x00rest") == "image/tiff"
    with pytest.raises(ValidationFailed):
        check_file("scan.png", b"%PDF-1.4")
    with pytest.raises(ValidationFailed, match="binary"):
        check_file("notes.txt", b"\x00\x01binary")


def test_a_text_file_may_hold_control_characters() -> None:
    # A terminal log keeps its ESC sequences: still the text file its name says (shown inert).
    assert check_file("session.txt", b"login ok\x1b[0m\r\n\x0cpage 2\x07") == "text/plain"
    with pytest.raises(ValidationFailed, match="its content is a PDF file"):
        check_file("notes.txt", b"%PDF-1.4 ...")
    with pytest.raises(ValidationFailed, match="not UTF-8 text"):
        check_file("notes.txt", b"caf\xe9")


def test_appeal_window() -> None:
    check_appeal_allowed(date(2026, 5, 27), TODAY, 0)
    with pytest.raises(Conflict):
        check_appeal_allowed(date(2026, 5, 26), TODAY, 0)
    with pytest.raises(Conflict):
        check_appeal_allowed(date(2026, 11, 1), TODAY, 1)
    with pytest.raises(Conflict):
        check_appeal_allowed(None, TODAY, 0)


def test_codes() -> None:
    assert parse_carc(" co16 ".replace("co", "")) == "16"
    assert parse_rarc("n290") == "N290"
    assert denial_group("197").group == "authorization"
    for bad in ("999", "XYZ", ""):
        with pytest.raises(ValidationFailed):
            parse_carc(bad)
