"""The audit log's keyed hash chain: intact after appends, broken by an edited, deleted or forged
row (written after dropping the append-only triggers, as someone with database access would)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from builders import add_tin, add_user
from portal_core.clock import SettableClock
from portal_core.errors import PermissionDenied
from portal_core.models.identity import Principal, Role
from portal_core.services import Services
from portal_core.services.audit import GENESIS, record, verify_chain
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log
from tamper import drop_audit_triggers


def _append(db: Database, clock: SettableClock, n: int) -> None:
    with db.write() as conn:
        for i in range(n):
            record(
                conn,
                at=clock.advance(seconds=1),
                action="test.action",
                actor_user_id=1,
                actor_username="tester",
                record_kind="thing",
                record_id=i,
                detail={"n": i},
            )


def test_an_untouched_chain_verifies(db: Database, clock: SettableClock) -> None:
    _append(db, clock, 5)
    with db.read() as conn:
        verdict = verify_chain(conn)
        first = conn.execute(select(audit_log.c.prev_hash).order_by(audit_log.c.id)).first()
    assert verdict.intact and verdict.rows_checked == 5
    assert first is not None and first.prev_hash == GENESIS


def test_an_empty_log_verifies(db: Database) -> None:
    with db.read() as conn:
        assert verify_chain(conn).intact


def test_an_edited_row_is_named(db: Database, clock: SettableClock) -> None:
    _append(db, clock, 5)
    with db.write() as conn:
        drop_audit_triggers(conn)
        conn.execute(update(audit_log).where(audit_log.c.id == 3).values(outcome="denied"))
    with db.read() as conn:
        verdict = verify_chain(conn)
    assert not verdict.intact
    assert verdict.first_bad_id == 3
    assert verdict.problem is not None and "Row id 3 was edited" in verdict.problem


def test_a_deleted_row_breaks_the_chain_at_the_next_row(db: Database, clock: SettableClock) -> None:
    _append(db, clock, 5)
    with db.write() as conn:
        drop_audit_triggers(conn)
        conn.execute(delete(audit_log).where(audit_log.c.id == 2))
    with db.read() as conn:
        verdict = verify_chain(conn)
    assert not verdict.intact
    assert verdict.first_bad_id == 3


def test_a_forged_row_with_a_made_up_hash_is_caught(db: Database, clock: SettableClock) -> None:
    _append(db, clock, 2)
    with db.write() as conn:
        last = conn.execute(
            select(audit_log.c.hash, audit_log.c.seq).order_by(audit_log.c.id.desc())
        ).first()
        assert last is not None
        conn.execute(
            insert(audit_log).values(
                at=clock.advance(seconds=1),
                action="forged",
                outcome="ok",
                break_glass=False,
                prev_hash=last.hash,
                hash="f" * 64,
                seq=last.seq + 1,
            )
        )
    with db.read() as conn:
        verdict = verify_chain(conn)
    assert not verdict.intact and verdict.first_bad_id == 3


def test_audit_rows_roll_back_with_the_change(db: Database, clock: SettableClock) -> None:
    with pytest.raises(RuntimeError), db.write() as conn:
        record(conn, at=clock.now(), action="test.action")
        raise RuntimeError("the use case failed")
    with db.read() as conn:
        assert verify_chain(conn).rows_checked == 0


def _principal(user_id: int, username: str, role: Role) -> Principal:
    return Principal(user_id=user_id, username=username, session_key="k", payer_role=role)


def test_reports_are_for_payer_admins_and_are_themselves_audited(
    db: Database, services: Services, clock: SettableClock
) -> None:
    add_tin(db, "123456789")
    admin_id = add_user(db, "payer.admin", Role.PAYER_ADMIN)
    csr_id = add_user(db, "csr.jones", Role.CSR)
    with db.write() as conn:
        record(
            conn,
            at=clock.now(),
            action="members.read",
            actor_user_id=csr_id,
            record_kind="member",
            record_id="AB123456789",
        )
        record(conn, at=clock.now(), action="identity.sign_in", outcome="failed")
    admin = _principal(admin_id, "payer.admin", Role.PAYER_ADMIN)
    page = services.audit.member_access(admin, "AB123456789")
    assert [e.actor_user_id for e in page.items] == [csr_id]
    failed = services.audit.failed_sign_ins(admin, clock.now() - timedelta(days=1))
    assert [e.action for e in failed.items] == ["identity.sign_in"]
    activity = services.audit.user_activity(admin, admin_id)
    assert [e.action for e in activity.items] == ["audit.report", "audit.report"]
    with pytest.raises(PermissionDenied):
        services.audit.member_access(_principal(csr_id, "csr.jones", Role.CSR), "AB123456789")
    assert services.audit.verify().intact


def test_record_many_hashes_match_the_row_by_row_chain(db: Database, clock: SettableClock) -> None:
    from portal_core.services.audit import record_many

    principal = Principal(
        user_id=7, username="bulk.reader", session_key="k", active_tin="461234567"
    )
    _append(db, clock, 2)  # a chain to extend, not the genesis
    with db.write() as conn:
        record_many(
            conn,
            at=clock.now(),
            action="claims.search",
            principal=principal,
            record_kind="member",
            record_ids=['NW1"quoted', "NW2\u00e9", "NW3", "NW3"],
            detail={"note": "x"},
        )
    with db.read() as conn:
        ids = list(conn.execute(select(audit_log.c.record_id).order_by(audit_log.c.id)).scalars())
        assert verify_chain(conn).intact
    assert ids[-3:] == ['NW1"quoted', "NW2\u00e9", "NW3"]


async def test_the_local_client_seals_the_log_it_leaves(db: Database, clock: SettableClock) -> None:
    """The embedded set-up has no server start or stop: closing the app's client checkpoints the
    rows it wrote (so a cut tail shows), and a session that wrote nothing adds no checkpoint."""
    from portal_core.client.local import LocalClient
    from portal_core.store.schema import audit_checkpoints

    _append(db, clock, 3)
    await LocalClient(Services(db, clock)).close()
    with db.read() as conn:
        sealed = conn.execute(select(audit_checkpoints.c.seq)).scalars().all()
    assert sealed == [3]
    await LocalClient(Services(db, clock)).close()
    _append(db, clock, 2)
    await LocalClient(Services(db, clock)).close()
    with db.read() as conn:
        sealed = conn.execute(select(audit_checkpoints.c.seq)).scalars().all()
        assert verify_chain(conn).intact
    assert sealed == [3, 5]
