"""What schema comparison leaves out: objects the migrations keep by hand."""

from __future__ import annotations

from typing import Any


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """False for the message search index's FTS5 tables (migration 0002 writes them by hand)."""
    return not (type_ == "table" and name is not None and name.startswith("message_text"))
