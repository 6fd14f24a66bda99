"""Audit log records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEntry(BaseModel):
    """One audit row as reports show it (never PHI values)."""

    id: int
    at: datetime
    actor_user_id: int | None
    actor_username: str | None
    role: str | None
    tin: str | None
    action: str
    record_kind: str | None
    record_id: str | None
    outcome: str
    reason: str | None
    detail: dict[str, Any] | None
    break_glass: bool


class ChainVerdict(BaseModel):
    """The result of checking the audit hash chain."""

    intact: bool
    rows_checked: int
    first_bad_id: int | None = None
    problem: str | None = None
