"""A writer killed with SIGKILL mid-run loses nothing it acknowledged and leaves a sound database.

The child commits a user and its audit row in one transaction, then prints the user's id: a printed
id is an acknowledged write. The parent kills it without warning while it is writing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from sqlalchemy import select, text

from portal_core.services.audit import verify_chain
from portal_core.store.engine import Database
from portal_core.store.schema import audit_log, users

WRITER = """
import sys
from datetime import UTC, datetime
from sqlalchemy import insert
from portal_core.services.audit import record
from portal_core.store.engine import Database
from portal_core.store.schema import users

db = Database(sys.argv[1])
serial = 0
while True:
    serial += 1
    name = f"crash.user{serial:06d}"
    now = datetime.now(UTC)
    with db.write() as conn:
        user_id = conn.execute(
            insert(users).values(
                username=name, username_key=name, full_name="Crash Test",
                email=f"{name}@example.org", status="active", created_at=now,
                notification_prefs={},
            ).returning(users.c.id)
        ).scalar_one()
        record(conn, at=now, action="users.create", record_kind="user", record_id=user_id)
    print(user_id, flush=True)
"""

ACKNOWLEDGED_BEFORE_KILL = 60


def test_sigkill_mid_write_keeps_every_acknowledged_write(db: Database) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, db.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[int] = []
    assert child.stdout is not None
    try:
        for line in child.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL:
                os.kill(child.pid, signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    assert len(acknowledged) == ACKNOWLEDGED_BEFORE_KILL

    with db.read() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        stored = set(conn.execute(select(users.c.id)).scalars())
        audited = set(
            conn.execute(select(audit_log.c.record_id).where(audit_log.c.record_kind == "user"))
            .scalars()
            .all()
        )
        verdict = verify_chain(conn)
    assert set(acknowledged) <= stored
    assert {str(i) for i in acknowledged} <= audited
    # Whatever was in flight at the kill either committed whole or not at all.
    assert {int(i) for i in audited} == stored
    assert verdict.intact, verdict
