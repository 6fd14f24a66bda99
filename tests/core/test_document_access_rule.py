"""The document-access rule: which record's readers read a document, and the payer roles' work."""

from __future__ import annotations

from datetime import UTC, datetime

from portal_core.models.identity import Principal, Role
from portal_core.rules.document_access import (
    LINK_KINDS,
    Record,
    document_record,
    documents_following,
    readable_records,
)

NOW = datetime(2026, 11, 23, 14, tzinfo=UTC)


def _payer(role: Role) -> Principal:
    return Principal(user_id=1, username="x", session_key="k", payer_role=role)


def test_each_document_follows_its_record() -> None:
    assert document_record("letter", "admission") is Record.ADMISSION
    assert document_record("letter", "preauth") is Record.PREAUTH
    assert document_record("upload", "preauth") is Record.PREAUTH_CLINICAL
    assert document_record("upload", "claim") is Record.CLAIM
    assert document_record("upload", "message_thread") is Record.MESSAGE_THREAD
    assert document_record("eop", "payment") is Record.PAYMENT
    assert document_record("review_evidence", "review_campaign") is Record.REVIEW_CAMPAIGN
    assert document_record("care_plan", "member") is Record.CARE_PLAN
    assert document_record("upload", None) is Record.TIN_NOTICE


def test_unknown_links_are_read_by_nobody() -> None:
    assert document_record("letter", "recipe") is None
    assert document_record("care_plan", None) is None
    assert document_record("letter", "member") is None
    assert all(
        document_record(kind, link) is not Record.TIN_NOTICE
        for kind, link in documents_following(Record.TIN_NOTICE)
        if link in LINK_KINDS
    )


def test_payer_roles_read_what_their_work_needs() -> None:
    reviewer = set(readable_records(_payer(Role.REVIEWER), NOW))
    assert reviewer == {
        Record.PREAUTH,
        Record.PREAUTH_CLINICAL,
        Record.ADMISSION,
        Record.MEMBER,
        Record.CARE_PLAN,
    }
    assert set(readable_records(_payer(Role.PAYER_ADMIN), NOW)) == {Record.PROFILE_UPDATE}
    assert readable_records(_payer(Role.BREAK_GLASS), NOW) == ()
    csr = set(readable_records(_payer(Role.CSR), NOW))
    assert Record.PAYMENT in csr and Record.REVIEW_CAMPAIGN not in csr
