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


class AuditCheckpoint(BaseModel):
    """A signed statement of how long the audit chain was and what its last hash was."""

    at: datetime
    seq: int
    """Rows in the chain when it was written (the position of its last row)."""
    last_id: int
    """The id of that last row."""
    head_hash: str
    """That row's hash."""
    legacy_through: int
    """Rows at positions up to this one were hashed without the key (before migration 0007)."""
    signature: str | None
    """HMAC-SHA256 of the fields above under the audit key (None: migration 0007's boundary)."""


class ChainVerdict(BaseModel):
    """The result of checking the audit log: its hash chain and the checkpoints that anchor it."""

    intact: bool
    rows_checked: int
    first_bad_id: int | None = None
    """The id of the first row a finding names, if any."""
    problem: str | None = None
    """The first finding, in words."""
    findings: list[str] = []
    """Every sign of tampering, in words (empty when intact)."""
    notes: list[str] = []
    """What the operator should know that is not tampering (no checkpoint yet, ...)."""
    checkpoints: int = 0
    """Signed checkpoints the log was checked against."""
