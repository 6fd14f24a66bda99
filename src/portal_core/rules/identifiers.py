"""Identifier rules: NPI, TIN, usernames, member IDs, claim numbers, procedure and diagnosis codes.

Each `parse_*` returns the normalized value or raises `ValidationFailed` with a plain message.
"""

from __future__ import annotations

import re

from portal_core.errors import ValidationFailed

_USERNAME = re.compile(r"[A-Za-z0-9._-]{6,30}")
_TIN = re.compile(r"\d{9}")
_MEMBER_ID = re.compile(r"[A-Z]{1,3}\d{8,9}")
_CLAIM_NUMBER = re.compile(r"C\d{4}\d{9}")
_PAYMENT_NUMBER = re.compile(r"(EFT|CHK)\d{9}")
_PROCEDURE = re.compile(r"(\d{4}[0-9A-Z]|[A-Z]\d{4})")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_ICD10 = re.compile(r"[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def npi_check_digit(first_nine: str) -> int:
    """The Luhn check digit of an NPI's first nine digits, computed over the prefix 80840."""
    digits = [int(d) for d in "80840" + first_nine]
    total = 0
    # Double every second digit from the right of the full number, whose rightmost is the check.
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def is_valid_npi(value: str) -> bool:
    """True for 10 digits whose last is the Luhn check digit over 80840 + the first nine."""
    return (
        len(value) == 10
        and value.isdigit()
        and value[0] in "12"
        and npi_check_digit(value[:9]) == int(value[9])
    )


def parse_npi(value: str) -> str:
    """A valid NPI, or `ValidationFailed`."""
    cleaned = value.strip()
    if not is_valid_npi(cleaned):
        raise ValidationFailed(
            "An NPI is 10 digits starting with 1 or 2 and ending in its check digit.", field="npi"
        )
    return cleaned


def parse_tin(value: str) -> str:
    """Nine digits, accepting `12-3456789`; or `ValidationFailed`."""
    cleaned = value.strip().replace("-", "")
    if not _TIN.fullmatch(cleaned) or cleaned == "000000000":
        raise ValidationFailed("A Tax ID is 9 digits, like 12-3456789.", field="tin")
    return cleaned


def format_tin(tin: str) -> str:
    """`123456789` as `12-3456789`."""
    return f"{tin[:2]}-{tin[2:]}" if len(tin) == 9 else tin


def parse_username(value: str) -> str:
    """A username of 6-30 letters, digits, dots, underscores or hyphens; or `ValidationFailed`."""
    cleaned = value.strip()
    if not _USERNAME.fullmatch(cleaned):
        raise ValidationFailed(
            "A username is 6 to 30 letters, digits, dots, underscores or hyphens.",
            field="username",
        )
    return cleaned


def username_key(username: str) -> str:
    """The case-free form that must be unique."""
    return username.strip().casefold()


def parse_email(value: str) -> str:
    """A plausible email address, trimmed; or `ValidationFailed`."""
    cleaned = value.strip()
    if len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned):
        raise ValidationFailed("Enter an email address like name@example.org.", field="email")
    return cleaned


def parse_member_id(value: str) -> str:
    """A member ID (1-3 letters then 8-9 digits), upper-cased; or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not _MEMBER_ID.fullmatch(cleaned):
        raise ValidationFailed(
            "A member ID is 1 to 3 letters followed by 8 or 9 digits, like AB123456789.",
            field="member_id",
        )
    return cleaned


def parse_claim_number(value: str) -> str:
    """A claim number (`C` + year + 9 digits); or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not _CLAIM_NUMBER.fullmatch(cleaned):
        raise ValidationFailed(
            "A claim number is C, the year and 9 digits, like C2026000123456.",
            field="claim_number",
        )
    return cleaned


def parse_payment_number(value: str) -> str:
    """A payment number (`EFT` or `CHK` + 9 digits, a hyphen allowed), upper-cased; or
    `ValidationFailed`."""
    cleaned = value.strip().upper().replace("-", "")
    if not _PAYMENT_NUMBER.fullmatch(cleaned):
        raise ValidationFailed(
            "A payment number is EFT or CHK and 9 digits, like EFT000001524.",
            field="payment_number",
        )
    return cleaned


def parse_procedure_code(value: str) -> str:
    """A CPT (`99213`) or HCPCS (`E0601`) code; or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not _PROCEDURE.fullmatch(cleaned):
        raise ValidationFailed(
            "A procedure code is 5 characters: CPT like 99213 or HCPCS like E0601.",
            field="procedure_code",
        )
    return cleaned


def parse_modifier(value: str) -> str:
    """A 2-character procedure modifier; or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not _MODIFIER.fullmatch(cleaned):
        raise ValidationFailed("A modifier is 2 letters or digits, like 25.", field="modifier")
    return cleaned


def parse_icd10(value: str) -> str:
    """An ICD-10-CM code like `G47.33`; or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not _ICD10.fullmatch(cleaned):
        raise ValidationFailed(
            "A diagnosis code is ICD-10-CM, like G47.33.", field="diagnosis_code"
        )
    return cleaned
