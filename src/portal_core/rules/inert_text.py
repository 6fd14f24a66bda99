"""Text from records made inert before it reaches a terminal or a spreadsheet.

Names, file names, subjects and message bodies are typed by other people (or arrive from other
systems). An escape sequence in them would drive the reader's terminal: retitle the window, write
the clipboard (OSC 52), plant a link (OSC 8), clear the screen or hide what follows. Every C0 and
C1 control character except tab and newline (which lay text out), and DEL, is shown as `\\xNN`
instead, so the text reads as what it is and does nothing.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 and C1 control characters and DEL, except tab and newline."""


def visible(text: str) -> str:
    """`text` with every control character (but tab and newline) shown as `\\xNN`."""
    if text.isprintable():  # no control character at all: the common case, in C
        return text
    return CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def visible_line(text: str) -> str:
    """`visible(text)` on one line: newlines and tabs become spaces (for table cells)."""
    return visible(text).replace("\n", " ").replace("\t", " ")
