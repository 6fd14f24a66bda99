"""Identifier rules: NPI check digits, TIN formats, usernames and the payer's codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_core.errors import ValidationFailed
from portal_core.rules.identifiers import (
    format_tin,
    is_valid_npi,
    npi_check_digit,
    parse_claim_number,
    parse_email,
    parse_icd10,
    parse_member_id,
    parse_npi,
    parse_procedure_code,
    parse_tin,
    parse_username,
    username_key,
)

first_nine = st.builds(
    lambda lead, rest: lead + rest,
    st.sampled_from("12"),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)


def test_the_documented_npi_is_valid() -> None:
    assert is_valid_npi("1234567893")
    assert parse_npi(" 1234567893 ") == "1234567893"


@given(first_nine)
def test_every_generated_npi_passes(nine: str) -> None:
    npi = nine + str(npi_check_digit(nine))
    assert is_valid_npi(npi)
    assert parse_npi(npi) == npi


@given(first_nine, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_one_changed_digit_fails(nine: str, position: int, shift: int) -> None:
    npi = nine + str(npi_check_digit(nine))
    changed = str((int(npi[position]) + shift) % 10)
    broken = npi[:position] + changed + npi[position + 1 :]
    assert broken != npi
    assert not is_valid_npi(broken)


@pytest.mark.parametrize("value", ["123456789", "12345678901", "123456789a", "3234567893", ""])
def test_malformed_npis_fail(value: str) -> None:
    assert not is_valid_npi(value)
    with pytest.raises(ValidationFailed) as caught:
        parse_npi(value)
    assert caught.value.field == "npi"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda t: t != "0" * 9))
def test_tin_formats_round_trip(tin: str) -> None:
    shown = format_tin(tin)
    assert shown == f"{tin[:2]}-{tin[2:]}"
    assert parse_tin(shown) == tin
    assert parse_tin(tin) == tin
    assert parse_tin(f"  {shown} ") == tin


@pytest.mark.parametrize("value", ["12345678", "1234567890", "12-345678a", "000000000", "", "ab"])
def test_bad_tins_fail(value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_tin(value)
    assert caught.value.field == "tin"


@given(st.text(alphabet="abcXYZ019._-", min_size=6, max_size=30))
def test_usernames_of_allowed_characters_pass(name: str) -> None:
    assert parse_username(name) == name
    assert username_key(name.upper()) == username_key(name.lower())


@pytest.mark.parametrize("name", ["abcde", "a" * 31, "has space", "naïve-user", "semi;colon"])
def test_bad_usernames_fail(name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_username(name)
    assert caught.value.field == "username"


def test_other_identifiers() -> None:
    assert parse_email(" a.b@example.org ") == "a.b@example.org"
    assert parse_member_id("ab123456789") == "AB123456789"
    assert parse_claim_number("c2026000123456") == "C2026000123456"
    assert parse_procedure_code("e0601") == "E0601"
    assert parse_procedure_code("99213") == "99213"
    assert parse_icd10("g47.33") == "G47.33"
    for parse, value in (
        (parse_email, "no-at-sign"),
        (parse_member_id, "1234"),
        (parse_claim_number, "X2026000123456"),
        (parse_procedure_code, "9921"),
        (parse_icd10, "47.33"),
    ):
        with pytest.raises(ValidationFailed):
            parse(value)
