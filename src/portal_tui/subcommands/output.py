"""Writing listings to stdout as a table, JSON or CSV.

CSV cells that begin with `=`, `+`, `-` or `@` get a leading apostrophe so a spreadsheet never
runs them as formulas.
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

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "csv")
"""The `--format` choices of every listing."""

_FORMULA_STARTS = ("=", "+", "-", "@")


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


def neutralize_cell(value: str) -> str:
    """`value` made safe for a spreadsheet: a formula-like start is prefixed with `'`."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], output_format: str) -> str:
    """The rows as text in the chosen format (only `columns`, in that order)."""
    if output_format == "json":
        data = [{c: _json_value(row.get(c)) for c in columns} for row in rows]
        return json.dumps(data, indent=2, default=str) + "\n"
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralize_cell(_text(row.get(c))) for c in columns])
        return buffer.getvalue()
    cells = [[_text(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"


def emit(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], output_format: str) -> None:
    """Print the rows to stdout."""
    click.echo(render(rows, columns, output_format), nl=False)


def say(message: str) -> None:
    """A message for the person at the terminal (stderr, so stdout stays data)."""
    click.echo(message, err=True)
