"""Claim adjustment group codes, reason codes (CARC) and remark codes (RARC), with their words.

The CARC and RARC texts, and what a provider does about each denial reason, ship as tab-separated
files in `portal_core/data/`; they load once, on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from portal_core.errors import ValidationFailed

GROUP_CODES = {
    "CO": "Contractual obligation (not billable to the patient)",
    "PR": "Patient responsibility",
    "OA": "Other adjustment",
    "PI": "Payer-initiated reduction",
    "CR": "Correction or reversal",
}
"""Adjustment group codes and what each means."""

DEFAULT_DENIAL_GROUP = "medical_necessity"
"""The next-step group of a denial reason the shipped list does not name (appeal)."""

_CARC = re.compile(r"[A-Z]?\d{1,3}|[A-Z]\d")
_RARC = re.compile(r"[A-Z]{1,2}\d{1,3}")


@dataclass(frozen=True)
class DenialGroup:
    """What a provider does about a family of denial reasons."""

    group: str
    title: str
    next_step: str


def _rows(name: str) -> list[list[str]]:
    text = resources.files("portal_core.data").joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def carc_texts() -> dict[str, str]:
    """Every shipped CARC and its description."""
    return {code: text for code, text in _rows("carc.tsv")}


@cache
def rarc_texts() -> dict[str, str]:
    """Every shipped RARC and its description."""
    return {code: text for code, text in _rows("rarc.tsv")}


@cache
def denial_groups() -> dict[str, DenialGroup]:
    """The next-step groups by name."""
    return {g: DenialGroup(g, title, step) for g, title, step in _rows("denial_groups.tsv")}


@cache
def _denial_reasons() -> dict[str, str]:
    return {carc: group for carc, group in _rows("denial_reasons.tsv")}


def carc_text(code: str) -> str:
    """The description of a CARC, or a plain note when the code is not in the shipped list."""
    return carc_texts().get(code, "Reason code not in the portal's list; ask customer service.")


def rarc_text(code: str) -> str:
    """The description of a RARC, or a plain note when the code is not in the shipped list."""
    return rarc_texts().get(code, "Remark code not in the portal's list; ask customer service.")


def denial_group(carc: str) -> DenialGroup:
    """The next-step group for a denial reason."""
    return denial_groups()[_denial_reasons().get(carc, DEFAULT_DENIAL_GROUP)]


def parse_carc(value: str) -> str:
    """A known CARC (`16`, `197`, `B7`); or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not _CARC.fullmatch(cleaned) or cleaned not in carc_texts():
        raise ValidationFailed(
            "That is not a claim adjustment reason code (CARC) the portal knows, like 16 or 197.",
            field="carc",
        )
    return cleaned


def parse_rarc(value: str) -> str:
    """A known RARC (`N29`, `MA130`); or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not _RARC.fullmatch(cleaned) or cleaned not in rarc_texts():
        raise ValidationFailed(
            "That is not a remark code (RARC) the portal knows, like N29 or M127.", field="rarc"
        )
    return cleaned


def parse_group_code(value: str) -> str:
    """An adjustment group code (CO, PR, OA, PI, CR); or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if cleaned not in GROUP_CODES:
        raise ValidationFailed("An adjustment group is CO, PR, OA, PI or CR.", field="group_code")
    return cleaned
