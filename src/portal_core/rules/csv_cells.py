"""CSV exports that a spreadsheet opens safely.

A cell beginning with `=`, `+`, `-` or `@` (or a tab or carriage return, which some spreadsheets
skip before reading a formula) would run as a formula when the file is opened; such a cell gets a
leading apostrophe so it shows as the text it is. Control characters in a cell are shown as
`\\xNN` (`rules/inert_text.py`), so a file printed to a terminal cannot drive it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from portal_core.rules.inert_text import visible

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet could read as the start of a formula."""


def neutralize_cell(value: object) -> str:
    """The cell's text, control characters shown, with a leading apostrophe when it could be read
    as a formula."""
    text = "" if value is None else visible(str(value))
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A UTF-8 CSV document with every cell neutralized."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralize_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")
