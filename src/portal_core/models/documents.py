"""Documents: letters, EOPs, care plans, review evidence, uploads."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class DocumentSummary(BaseModel):
    """A document in a list (no content)."""

    id: int
    kind: str
    tin: str | None
    linked_kind: str | None
    linked_id: str | None
    file_name: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime
    retain_until: date | None


class Document(DocumentSummary):
    """A document with its content."""

    # Content is binary (PDFs): JSON carries it as base64, both ways.
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    content: bytes


class DocumentQuery(BaseModel):
    """Filters of the documents list; every one is optional."""

    kind: str | None = None
    """letter, eop, care_plan, review_evidence or upload."""
    tin: str | None = None
    """Only this TIN's documents."""
    since: date | None = None
    """Filed on or after this day (UTC)."""
    until: date | None = None
    """Filed on or before this day (UTC)."""
    linked_kind: str | None = None
    """The kind of record the documents belong to: claim, preauth, admission, message_thread…"""
    linked_id: str | None = None
    """That record's number (a claim number, `PA-…`, `ADM-…`, `MSG-…`)."""
