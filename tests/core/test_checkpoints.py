"""The WAL is copied back into the database file off the request path, and cut when it restarts:
automatic checkpoints are off, so without the Checkpointer it would only grow."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from conftest import START
from portal_core.services.audit import record, verify_chain
from portal_core.store.checkpoints import BACKSTOP
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log


def test_wal_stays_bounded_and_every_row_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    assert db.checkpointer is not None
    db.checkpointer.threshold = 8 * 4096  # a few writes pass it
    wal = Path(f"{path}-wal")
    largest = 0
    for i in range(300):
        with db.write() as conn:
            record(conn, at=START, action="t", actor_user_id=1, actor_username="u",
                   record_kind="thing", record_id=i, detail={"pad": "x" * 2000})  # fmt: skip
        largest = max(largest, wal.stat().st_size)
    # 300 writes of a page or more each would make a WAL of over 1.2 MB; the backstop alone
    # (16 thresholds, 512 KB) keeps it under twice that whatever the thread's timing.
    assert largest < 2 * BACKSTOP * db.checkpointer.threshold < 300 * 4096
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == 300
        assert verify_chain(conn).intact
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    db.dispose()
