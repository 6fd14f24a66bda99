"""File names from records made safe to save a file under.

A document's name was typed by whoever uploaded it (or came from another system), so it may hold
anything: a folder part (`../../.bashrc`), a NUL (which no file system takes: saving crashed),
control characters and escape sequences, right-to-left overrides that make `evil‮fdp.exe` read as
`evilexe.pdf`, characters Windows refuses, a device name (`CON`, `NUL`), a leading dot (a hidden
file) or dash (read as an option by the next command), or a length no file system takes. Before a
name from a record becomes a file name, on every path that saves one (the TUI's save dialog,
`portal documents save`, the name stored for an upload), it goes through `safe_file_name`.
"""

from __future__ import annotations

import re
import unicodedata

MAX_BYTES = 255
"""The longest file name (in UTF-8 bytes) common file systems take."""

FALLBACK = "document"
"""The name used when nothing of the original is left."""

_UNSAFE = re.compile(r'[<>:"|?*]')
"""Characters Windows refuses in a name (path separators are dealt with first)."""

_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Controls (NUL, ESC, C1), format characters (bidi overrides, zero-width), surrogates, private
use, unassigned, and line and paragraph separators: nothing a reader should see in a name."""

_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)", re.IGNORECASE)
"""Device names Windows refuses as a file name, with any extension."""

_MAX_SUFFIX = 16
"""The longest extension kept when a long name is shortened."""


def _fit(name: str, limit: int) -> str:
    """`name` cut to `limit` UTF-8 bytes, keeping a short extension and whole characters."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > _MAX_SUFFIX:
        stem, suffix = name, ""
    tail = f".{suffix}" if suffix else ""
    room = limit - len(tail.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut.rstrip(". ") + tail


def safe_file_name(name: str | None, fallback: str = FALLBACK) -> str:
    """A name to save a file under, made from `name`: its last component (no folder), no control
    or invisible character, nothing Windows refuses, no leading dot or dash, no device name, at most
    255 bytes; `fallback` when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if ch in "\t\n\r" or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    parts = [part for part in text.replace("\\", "/").split("/") if part.strip(". ")]
    text = _UNSAFE.sub("_", parts[-1] if parts else "")
    text = " ".join(text.split())
    text = text.lstrip(".-_ ").rstrip(". ")
    stem = text.split(".", 1)[0].rstrip(" ")
    if _RESERVED.fullmatch(stem):
        text = f"_{text}"
    text = _fit(text, MAX_BYTES)
    return text or fallback
