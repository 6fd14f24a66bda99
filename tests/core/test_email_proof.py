"""Proving an email address: the code mailed to a new address (expiry, single use, a few tries,
one code a minute), the old address told, recovery only to a proven address."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from builders import add_tin, add_user, principal_for
from portal_core.clock import SettableClock
from portal_core.errors import Conflict, ValidationFailed
from portal_core.models.identity import Role
from portal_core.services import Services
from portal_core.services.email_proof import MAX_ATTEMPTS
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log, mail_outbox, password_resets, users

TIN = "123456789"


def mails(db: Database, address: str) -> list[dict[str, object]]:
    with db.read() as conn:
        return [
            dict(row)
            for row in conn.execute(
                select(mail_outbox).where(mail_outbox.c.to_address == address)
            ).mappings()
        ]


def code_in(db: Database, address: str) -> str:
    found = re.search(r"^ {4}(\d{8})$", str(mails(db, address)[-1]["body"]), re.M)
    assert found is not None
    return found.group(1)


def email_of(db: Database, user_id: int) -> str:
    with db.read() as conn:
        return str(conn.execute(select(users.c.email).where(users.c.id == user_id)).scalar_one())


@pytest.fixture
def jane(db: Database) -> int:
    add_tin(db, TIN)
    return add_user(db, "jane.staff", Role.STAFF, TIN)


def test_a_new_address_takes_effect_with_its_code_and_the_old_one_is_told(
    db: Database, services: Services, jane: int
) -> None:
    me = principal_for(db, jane)
    proofs = services.email_proofs
    proofs.request_email_change(me, "jane@new.example")
    assert email_of(db, jane) == "jane.staff@example.org"
    (asked,) = mails(db, "jane.staff@example.org")
    assert asked["user_id"] == jane  # the proven old address is the account's mail
    assert "j***@new.example" in str(asked["body"])
    assert "jane@new.example" not in str(asked["body"])
    code = code_in(db, "jane@new.example")
    assert mails(db, "jane@new.example")[0]["user_id"] is None
    proofs.confirm_email_change(me, code)
    assert email_of(db, jane) == "jane@new.example"
    assert len(mails(db, "jane.staff@example.org")) == 2  # asked, then made
    with pytest.raises(ValidationFailed):
        proofs.confirm_email_change(me, code)  # single use
    with db.read() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.detail)).all()
    assert all(code not in str(detail) for _, detail in actions)


def test_a_code_expires_and_wrong_codes_use_it_up(
    db: Database, services: Services, clock: SettableClock, jane: int
) -> None:
    me = principal_for(db, jane)
    proofs = services.email_proofs
    proofs.request_email_change(me, "jane@new.example")
    code = code_in(db, "jane@new.example")
    clock.advance(minutes=31)
    with pytest.raises(ValidationFailed):
        proofs.confirm_email_change(me, code)
    proofs.request_email_change(me, "jane@new.example")
    with pytest.raises(ValidationFailed, match="Wait a minute"):
        proofs.request_email_change(me, "jane@new.example")
    code = code_in(db, "jane@new.example")
    wrong = "00000000" if code != "00000000" else "11111111"
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(ValidationFailed):
            proofs.confirm_email_change(me, wrong)
    with pytest.raises(ValidationFailed):
        proofs.confirm_email_change(me, code)  # dropped after the last wrong try
    assert email_of(db, jane) == "jane.staff@example.org"


def test_recovery_waits_for_a_proven_address(db: Database, services: Services, jane: int) -> None:
    with db.write() as conn:
        conn.execute(users.update().where(users.c.id == jane).values(email_verified_at=None))
    services.identity.request_password_reset("jane.staff", "jane.staff@example.org")
    services.identity.forgot_username("jane.staff@example.org")
    assert mails(db, "jane.staff@example.org") == []
    admin = add_user(db, "ada.admin", Role.ADMINISTRATOR, TIN)
    with pytest.raises(Conflict, match="not confirmed"):
        services.users.send_password_reset(principal_for(db, admin), jane)
    # Proving it (the same address) lets recovery through again.
    me = principal_for(db, jane)
    services.email_proofs.request_email_change(me, "jane.staff@example.org")
    services.email_proofs.confirm_email_change(me, code_in(db, "jane.staff@example.org"))
    services.identity.request_password_reset("jane.staff", "jane.staff@example.org")
    with db.read() as conn:
        assert conn.execute(select(password_resets.c.user_id)).scalars().all() == [jane]
