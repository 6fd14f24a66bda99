"""Who may read a document: exactly the readers of the record it belongs to.

A document is never read on its own terms. Its kind and the record it is linked to name one
record read (`record_read`): a letter about an admission follows that admission's readers, an EOP
the payments' readers, a preauthorization's clinical attachment the readers of its clinical
answers, and so on. The services then apply that record's own scope check (`record_scope`), so a
document list, a document read by id, a save and a print all answer the same way the record's own
route does.

Payer-side roles read only what their work needs (`PAYER_WORK`): a reviewer the records in its
queue (submitted preauthorizations and admissions) and their members; a call-center
representative across organizations (it answers calls about any record, per its role); a payer
administrator only the profile-change requests it approves. Anything beyond a role's work is read
with break glass and a reason, or not at all. A link the portal does not know is read by nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from portal_core.models.identity import Principal, Role
from portal_core.rules.permissions import Action, allowed

DOCUMENT_KINDS = ("letter", "eop", "care_plan", "review_evidence", "upload")
"""The kinds of document the portal files."""

LINK_KINDS = (
    "admission",
    "preauth",
    "referral",
    "claim",
    "payment",
    "message_thread",
    "member",
    "profile_update",
    "review_campaign",
)
"""The kinds of record a document can be linked to (`documents.linked_kind`)."""


class Record(StrEnum):
    """The kinds of record a document can belong to, as the readers' rule names them."""

    ADMISSION = "admission"
    PREAUTH = "preauth"
    PREAUTH_CLINICAL = "preauth_clinical"
    """A preauthorization's clinical answers and attachments."""
    REFERRAL = "referral"
    CLAIM = "claim"
    PAYMENT = "payment"
    MESSAGE_THREAD = "message_thread"
    MEMBER = "member"
    CARE_PLAN = "care_plan"
    REVIEW_CAMPAIGN = "review_campaign"
    PROFILE_UPDATE = "profile_update"
    TIN_NOTICE = "tin_notice"
    """A document filed for a whole TIN with no record behind it (a welcome note)."""


@dataclass(frozen=True)
class RecordRead:
    """The read a document follows: the record kind and the actions that read it (any one)."""

    record: Record
    actions: frozenset[Action]


RECORD_ACTIONS: dict[Record, frozenset[Action]] = {
    Record.ADMISSION: frozenset({Action.READ_ADMISSIONS}),
    Record.PREAUTH: frozenset({Action.READ_PREAUTH}),
    Record.PREAUTH_CLINICAL: frozenset({Action.READ_PREAUTH_CLINICAL}),
    Record.REFERRAL: frozenset({Action.READ_REFERRALS}),
    Record.CLAIM: frozenset({Action.READ_CLAIMS}),
    Record.PAYMENT: frozenset({Action.READ_PAYMENTS}),
    Record.MESSAGE_THREAD: frozenset({Action.SEND_MESSAGES}),
    Record.MEMBER: frozenset({Action.READ_MEMBERS}),
    Record.CARE_PLAN: frozenset({Action.READ_CARE_PLANS}),
    Record.REVIEW_CAMPAIGN: frozenset({Action.RUN_REVIEWS}),
    Record.PROFILE_UPDATE: frozenset(
        {Action.REQUEST_PROFILE_UPDATE, Action.APPROVE_PROFILE_UPDATE}
    ),
    Record.TIN_NOTICE: frozenset({Action.READ_DOCUMENTS}),
}
"""The permission each record kind is read with (the record's own route checks the same one)."""

_BY_LINK: dict[str, Record] = {  # every one of LINK_KINDS
    "admission": Record.ADMISSION,
    "preauth": Record.PREAUTH,
    "referral": Record.REFERRAL,
    "claim": Record.CLAIM,
    "payment": Record.PAYMENT,
    "message_thread": Record.MESSAGE_THREAD,
    "member": Record.MEMBER,
    "profile_update": Record.PROFILE_UPDATE,
    "review_campaign": Record.REVIEW_CAMPAIGN,
}


def document_record(kind: str, linked_kind: str | None) -> Record | None:
    """The record whose readers read a document of `kind` linked to a `linked_kind` record.

    None: nobody reads it (a link the portal does not know, or a kind that needs a link it lacks).
    """
    if kind == "review_evidence":
        return Record.REVIEW_CAMPAIGN  # user access data: whoever runs the TIN's reviews
    if kind == "eop":
        return Record.PAYMENT  # an explanation of payment is payment data, whatever its link
    if kind == "care_plan":
        return Record.CARE_PLAN if linked_kind == "member" else None
    if linked_kind is None:
        return Record.TIN_NOTICE
    record = _BY_LINK.get(linked_kind)
    if record is Record.PREAUTH and kind == "upload":
        return Record.PREAUTH_CLINICAL  # attachments are clinical detail, like the answers
    if record is Record.MEMBER:
        return None  # only care plans are filed against a member
    return record


def documents_following(record: Record) -> tuple[tuple[str, str | None], ...]:
    """Every (kind, linked kind) pair of documents whose readers are `record`'s readers: the
    rule above, turned round so a list can ask the database for them."""
    return tuple(
        (kind, link)
        for kind in DOCUMENT_KINDS
        for link in (*LINK_KINDS, None)
        if document_record(kind, link) is record
    )


def record_read(kind: str, linked_kind: str | None) -> RecordRead | None:
    """The record read a document follows (None: nobody may read it)."""
    record = document_record(kind, linked_kind)
    if record is None:
        return None
    return RecordRead(record, RECORD_ACTIONS[record])


class PayerReach(StrEnum):
    """How far a payer-side role's work reaches into one kind of record."""

    EVERY_ORGANIZATION = "every_organization"
    QUEUE = "queue"
    """Only records in the role's work queue (submitted preauthorizations and admissions) and
    the members they name."""


_ALL = PayerReach.EVERY_ORGANIZATION
_QUEUE = PayerReach.QUEUE

PAYER_WORK: dict[Role, dict[Record, PayerReach]] = {
    # The call center reads across organizations (it answers calls about any record) but not
    # the organizations' own user-access evidence or profile-change files.
    Role.CSR: {
        record: _ALL
        for record in Record
        if record not in (Record.REVIEW_CAMPAIGN, Record.PROFILE_UPDATE)
    },
    # A reviewer decides preauthorizations and inpatient reviews: those, their clinical detail
    # and their members, nothing else.
    Role.REVIEWER: {
        Record.PREAUTH: _QUEUE,
        Record.PREAUTH_CLINICAL: _QUEUE,
        Record.ADMISSION: _QUEUE,
        Record.MEMBER: _QUEUE,
        Record.CARE_PLAN: _QUEUE,
    },
    # Portal administration approves profile changes; PHI only through a break-glass account.
    Role.PAYER_ADMIN: {Record.PROFILE_UPDATE: _ALL},
    # Break glass reads every record of the members' care while its window is open (`allowed`
    # checks the window); user-access evidence stays with the TIN's administrators.
    Role.BREAK_GLASS: {record: _ALL for record in Record if record is not Record.REVIEW_CAMPAIGN},
}
"""What each payer-side role's work reads, by record kind; anything not listed it may not read."""


def payer_reach(principal: Principal, record: Record) -> PayerReach | None:
    """How far the principal's payer role reaches into `record` (None: not part of its work, or
    the principal is not payer-side)."""
    role = principal.payer_role
    if role is None:
        return None
    return PAYER_WORK.get(role, {}).get(record)


def may_read_record_kind(principal: Principal, record: Record, now: datetime) -> bool:
    """Whether any role of the principal may read some record of this kind at all.

    Payer-side roles also need the kind to be part of their work; the record's own scope check
    (which TIN, which providers, which queue) comes on top, in `record_scope`.
    """
    actions = RECORD_ACTIONS[record]
    if not any(allowed(principal, action, None, now) for action in actions):
        return False
    if principal.payer_role is not None:
        return payer_reach(principal, record) is not None
    return True


def readable_records(principal: Principal, now: datetime) -> tuple[Record, ...]:
    """Every record kind whose documents the principal may read some of."""
    return tuple(r for r in Record if may_read_record_kind(principal, r, now))
