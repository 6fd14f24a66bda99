"""A password typed into the username box was kept in clear in the audit log and shown to payer
administrators under failed sign-ins; migration and reset requests kept unknown names too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from in_process_api import remote_client
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.errors import AuthenticationFailed
from portal_core.models.identity import LegacyMigration
from portal_core.services import Services
from portal_core.store.schema import audit_log

TYPED = "Hunter2-Secret-Passphrase"
"""A password typed into the username box by mistake."""


async def test_failed_sign_in_report_shows_no_typed_text(
    app: FastAPI, world: Services, clock: SettableClock
) -> None:
    """Attack: a payer administrator reads passwords out of the failed sign-ins report."""
    user = remote_client(app=app, address="192.0.2.30")
    with pytest.raises(AuthenticationFailed):
        await user.sign_in(TYPED, DEMO_PASSWORD)
    with pytest.raises(AuthenticationFailed):
        await user.sign_in(TYPED.lower(), "x" * 20)  # the same name: the same digest
    await user.request_password_reset(TYPED, "someone@example.org")
    with pytest.raises(AuthenticationFailed):
        await user.migrate_legacy_account(
            LegacyMigration(
                legacy_username=TYPED,
                legacy_password="old password",
                new_username="new.name",
                new_password="a long enough passphrase here",
                email="new@example.org",
            )
        )
    payer = remote_client(app=app, address="192.0.2.31")
    await payer.sign_in("payer.admin", DEMO_PASSWORD)
    report = await payer.audit_failed_sign_ins(clock.now() - timedelta(hours=1))
    assert report.items
    shown = repr([entry.model_dump() for entry in report.items])
    assert TYPED.lower() not in shown.lower()
    with world.db.read() as conn:
        stored = repr([dict(r) for r in conn.execute(select(audit_log)).mappings()])
    assert TYPED.lower() not in stored.lower()
    # The attempts at one unknown name can still be counted: they share a keyed digest.
    digests = {
        (entry.detail or {}).get("name_digest")
        for entry in report.items
        if (entry.detail or {}).get("reason") == "unknown_user"
    }
    assert len(digests) == 1 and None not in digests
