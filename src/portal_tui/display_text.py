"""Showing data as plain text: never read as markup, control characters made visible.

Names, reasons, notification texts and mail bodies come from users and other systems. A `[b]` in a
name must show as typed, and an escape sequence in a mail must not reach the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.rules.inert_text import visible, visible_line
from portal_core.rules.local_time import WIDTHS, payer_time

if TYPE_CHECKING:
    from rich.text import Text

printable = visible
"""`text` with every control character shown as `\\xNN` (tab and newline kept): the one rule the
CLI, the CSV exports and the TUI share (`portal_core.rules.inert_text`)."""

one_line = visible_line
"""`printable(text)` on one line: newlines and tabs become spaces (for table cells)."""

when = payer_time
"""An instant on the payer's clock with its zone, the one rule of every screen and letter
(`portal_core.rules.local_time`): `when(at)` 12/03/2026 21:46 CST, `when(at, "short")` 12/03 21:46
CST, `when(at, "day")` the payer's day 12/03/2026."""

WHEN_WIDTH = WIDTHS
"""The cells each style of `when` takes (a list column's width)."""


def plain_label(text: str) -> Text:
    """`printable(text)` as a label for a Select, OptionList or Checkbox, which read a `str` as
    markup: a TIN named `[b]Acme` shows as typed and the text keeps no markup style."""
    from rich.text import Text

    return Text(printable(text))
