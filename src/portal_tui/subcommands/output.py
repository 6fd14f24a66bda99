"""Everything the CLI prints: listings as a table, JSON or CSV, lines of record text, messages.

Whatever comes from records (names, file names, subjects, message bodies, server messages) was
typed by someone else, and an escape sequence in it would drive the terminal (retitle the window,
write the clipboard, plant a link). So every subcommand prints through this module, and this
module alone makes the text inert: control characters are shown as `\\xNN`
(`portal_core.rules.inert_text`), table cells kept on one line, JSON written as ASCII (escapes
only), CSV cells neutralized for spreadsheets too (`portal_core.rules.csv_cells`).

Times follow the one rule of `portal_core.rules.local_time`: a table shows them on the payer's
clock with the zone (`12/03/2026 21:46 CST`); JSON and CSV, read by programs, carry ISO 8601 on
that clock with its offset (`2026-12-03T21:46:00-06:00`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

import click

from portal_core.rules.csv_cells import neutralize_cell
from portal_core.rules.inert_text import visible, visible_line
from portal_core.rules.local_time import iso_time, payer_time

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "csv")
"""The `--format` choices of every listing."""


def format_option() -> Callable[[F], F]:
    """The `--format table|json|csv` option."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="How to print the list.",
    )


def _text(value: Any, *, for_program: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return iso_time(value) if for_program else payer_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], output_format: str) -> str:
    """The rows as text in the chosen format (only `columns`, in that order)."""
    if output_format == "json":
        return json_text([{c: _json_value(row.get(c)) for c in columns} for row in rows])
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralize_cell(_text(row.get(c), for_program=True)) for c in columns])
        return buffer.getvalue()
    cells = [[visible_line(_text(row.get(c))) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"


def json_text(data: Any) -> str:
    """`data` as indented JSON in ASCII: every control or non-ASCII character is a `\\u` escape,
    so the text is inert on a terminal and still the same data to a JSON reader."""
    return json.dumps(_json_value(data), indent=2, default=str, ensure_ascii=True) + "\n"


def emit(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], output_format: str) -> None:
    """Print the rows to stdout."""
    click.echo(render(rows, columns, output_format), nl=False)


def emit_json(data: Any) -> None:
    """Print one record (or any JSON-ready data) to stdout as inert JSON."""
    click.echo(json_text(data), nl=False)


def echo(text: str = "", *, err: bool = False) -> None:
    """Print a line to stdout (stderr with `err`), control characters shown as `\\xNN`."""
    click.echo(visible(text), err=err)


def say(message: str) -> None:
    """A message for the person at the terminal (stderr, so stdout stays data), made inert."""
    echo(message, err=True)
