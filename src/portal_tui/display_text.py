"""Showing data as plain text: never read as markup, control characters made visible.

Names, reasons, notification texts and mail bodies come from users and other systems. A `[b]` in a
name must show as typed, and an escape sequence in a mail must not reach the terminal.
"""

from __future__ import annotations

import re

from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 and C1 control characters except tab and newline (which lay text out)."""


def printable(text: str) -> str:
    """`text` with every control character shown as `\\xNN` (tab and newline kept)."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def one_line(text: str) -> str:
    """`printable(text)` on one line: newlines and tabs become spaces (for table cells)."""
    return printable(text).replace("\n", " ").replace("\t", " ")


def plain_label(text: str) -> Text:
    """`printable(text)` as a label for a Select, OptionList or Checkbox, which read a `str` as
    markup: a TIN named `[b]Acme` shows as typed and the text keeps no markup style."""
    return Text(printable(text))
