"""Message Center records: threads, posts, attachments, filters and the CSR lookup."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from portal_core.models.claims import UploadFile

CATEGORIES = (
    "claims",
    "eligibility",
    "preauthorization",
    "provider_data",
    "portal_access",
    "grievance_appeal",
    "other",
)
"""Categories of a general thread."""

LINKED_KINDS = ("claim", "preauth", "referral", "admission", "member")
"""Records a transaction thread can be about."""

STATUSES = ("open", "awaiting_payer", "awaiting_provider", "closed")
"""Thread statuses."""


class NewThread(BaseModel):
    """A thread to open: a general question with a category, or one about a record."""

    tin: str
    """The Tax ID the thread is for (the sender's organization)."""
    topic: str = "general"
    """`general` or `transaction`."""
    category: str | None = None
    """For a general thread: one of `CATEGORIES`."""
    linked_kind: str | None = None
    """For a transaction thread: one of `LINKED_KINDS`."""
    linked_id: str | None = None
    """For a transaction thread: the claim number, member ID, …"""
    subject: str
    """A short subject line (plain text)."""
    body: str
    """The first post (plain text)."""
    attachments: list[UploadFile] = Field(default_factory=list)
    """At most 5 files, checked like every upload."""


class NewPost(BaseModel):
    """A reply to a thread."""

    body: str
    """The reply (plain text)."""
    attachments: list[UploadFile] = Field(default_factory=list)
    """At most 5 files, checked like every upload."""


class ThreadFilter(BaseModel):
    """What to list: every filter is optional and they combine."""

    status: str | None = None
    """One of `STATUSES`."""
    topic: str | None = None
    """`general` or `transaction`."""
    category: str | None = None
    """A general thread's category."""
    reference: str | None = None
    """A reference number, `MSG-YYYY-NNNNNN`."""
    text: str | None = None
    """Free text over subjects and posts: words (all must match), "quoted phrases", prefix*."""
    start: str | None = None
    """Last activity on or after this date (YYYY-MM-DD)."""
    end: str | None = None
    """Last activity on or before this date (YYYY-MM-DD)."""
    tin: str | None = None
    """Only threads of this Tax ID."""
    unread_only: bool = False
    """Only threads with posts the user has not read."""


class ThreadSummary(BaseModel):
    """A thread as the inbox lists it."""

    reference: str
    tin: str
    organization: str
    """The name of the organization the thread belongs to."""
    author_name: str
    topic: str
    category: str | None = None
    linked_kind: str | None = None
    linked_id: str | None = None
    subject: str
    status: str
    created_at: datetime
    last_post_at: datetime
    """Newest activity; the inbox is ordered by it, newest first."""
    waiting_since: datetime | None = None
    """When it began waiting for the payer (the CSR queue's order)."""
    closed_at: datetime | None = None
    unread: bool = False
    """True when a post is newer than the user's last reading."""


class MessageAttachment(BaseModel):
    """A file attached to a post (kept in the document store)."""

    document_id: int
    file_name: str
    media_type: str
    size: int


class MessagePost(BaseModel):
    """One post of a thread."""

    id: int
    author_name: str
    payer_side: bool
    """True for a post by payer staff (the CSR)."""
    body: str
    """Plain text, stored as written: display it escaped, never as markup."""
    created_at: datetime
    attachments: list[MessageAttachment] = Field(default_factory=list)


class ThreadDetail(ThreadSummary):
    """A thread with its posts, oldest first."""

    posts: list[MessagePost] = Field(default_factory=list)
    reopen_until: datetime | None = None
    """For a closed thread: the last moment a provider reply reopens it."""


class ThreadLookup(BaseModel):
    """What a CSR sees after typing a caller's reference number."""

    thread: ThreadDetail
    organization_kind: str
    """practice, hospital or billing."""
    author_role: str | None = None
    """The thread author's role at the thread's Tax ID (`billing` for a billing company's user)."""
    organization_tins: list[str]
    """Every Tax ID of the caller's organization."""
