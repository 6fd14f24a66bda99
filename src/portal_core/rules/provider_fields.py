"""What a provider profile's fields may hold: phone numbers, ZIP codes, states, languages, panel
status and specialties with their taxonomy codes. Each check returns the value as stored or raises
`ValidationFailed` in plain words."""

from __future__ import annotations

import re

from portal_core.errors import ValidationFailed

SPECIALTY_TAXONOMY = {
    "Family Medicine": "207Q00000X",
    "Internal Medicine": "207R00000X",
    "Pediatrics": "208000000X",
    "Orthopaedic Surgery": "207X00000X",
    "Physical Therapy": "225100000X",
    "Nurse Practitioner": "363L00000X",
    "Physician Assistant": "363A00000X",
    "Emergency Medicine": "207P00000X",
    "Cardiology": "207RC0000X",
    "Radiology": "2085R0202X",
    "Obstetrics & Gynecology": "207V00000X",
    "Dermatology": "207N00000X",
    "Psychiatry": "2084P0800X",
    "Sports Medicine": "207QS0010X",
    "Geriatric Medicine": "207QG0300X",
}
"""Specialties the directory knows, with their NUCC taxonomy codes."""

PANEL_STATUSES = ("open", "closed")
"""open: accepting new patients."""

STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "GU",
        "VI",
    ]
)
"""US states, DC and territories by postal code."""

MAX_LANGUAGES = 12
"""Languages listed per provider."""

_ZIP = re.compile(r"\d{5}(-\d{4})?")
_LANGUAGE = re.compile(r"[A-Za-z][A-Za-z '\-()]{1,39}")


def parse_phone(value: str, field: str = "phone") -> str:
    """A 10-digit US phone number (any punctuation, an optional leading 1), as `555-123-4567`."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or not re.fullmatch(r"[\d\s().+\-]+", value.strip()):
        raise ValidationFailed(
            "A phone number is 10 digits with its area code, like 555-123-4567.", field=field
        )
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def parse_zip(value: str) -> str:
    """A ZIP code: 5 digits, or ZIP+4."""
    cleaned = value.strip()
    if not _ZIP.fullmatch(cleaned):
        raise ValidationFailed("A ZIP code is 5 digits (or ZIP+4, like 60614-1234).", field="zip")
    return cleaned


def parse_state(value: str) -> str:
    """A two-letter state code, upper-cased."""
    cleaned = value.strip().upper()
    if cleaned not in STATES:
        raise ValidationFailed("A state is its two-letter code, like IL.", field="state")
    return cleaned


def parse_panel_status(value: str) -> str:
    """`open` or `closed`."""
    cleaned = value.strip().lower()
    if cleaned not in PANEL_STATUSES:
        raise ValidationFailed("Panel status is open or closed.", field="panel_status")
    return cleaned


def parse_specialty(value: str) -> tuple[str, str]:
    """A known specialty (any case) and its taxonomy code."""
    cleaned = value.strip().lower()
    for name, taxonomy in SPECIALTY_TAXONOMY.items():
        if name.lower() == cleaned:
            return name, taxonomy
    raise ValidationFailed(
        "Choose a specialty from the list: " + ", ".join(SPECIALTY_TAXONOMY) + ".",
        field="specialty",
    )


def parse_languages(value: str) -> list[str]:
    """Languages separated by commas, each capitalized as a name, without repeats."""
    found: list[str] = []
    for part in value.split(","):
        cleaned = " ".join(part.split())
        if not cleaned:
            continue
        if not _LANGUAGE.fullmatch(cleaned):
            raise ValidationFailed(
                "List languages by name, separated by commas, like English, Spanish.",
                field="languages",
            )
        name = cleaned[0].upper() + cleaned[1:]
        if name.lower() not in (f.lower() for f in found):
            found.append(name)
    if not found:
        raise ValidationFailed("List at least one language.", field="languages")
    if len(found) > MAX_LANGUAGES:
        raise ValidationFailed(f"List at most {MAX_LANGUAGES} languages.", field="languages")
    return found


def required_text(value: str, field: str, label: str, longest: int) -> str:
    """Text that must not be empty, trimmed and within `longest` characters."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValidationFailed(f"Enter the {label}.", field=field)
    if len(cleaned) > longest:
        raise ValidationFailed(f"Keep the {label} under {longest} characters.", field=field)
    return cleaned
