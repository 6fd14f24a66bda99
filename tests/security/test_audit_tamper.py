"""Attacks on the audit log by someone who can write to the database (a stolen backup restored, a
database administrator, a compromised server account) and wants their traces gone.

Before: deleting the last rows, every row, or editing a row and recomputing the (plain SHA-256)
hashes all passed `portal audit verify`, and nothing refused UPDATE or DELETE on the table. Now the
triggers refuse both, and after the attacker drops them `portal audit verify` names each change
(the chain is keyed outside the database; signed checkpoints sit in a file apart from it) and exits
non-zero. The audit rows are made through the real API (sign-ins and reads) over the demo world.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from click.testing import CliRunner, Result
from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from conftest import START
from pg_server import PostgresServer, postgres  # noqa: F401  (the session fixture)
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.services import Services
from portal_core.services.audit import (
    GENESIS,
    checkpoint_file,
    legacy_row_hash,
    record,
    verify_chain,
)
from portal_core.store.engine import Database, alembic_config
from portal_core.store.schema import audit_checkpoints, audit_log
from portal_tui.subcommands import portal
from tamper import drop_audit_triggers

USERS = ("admin.lakeside", "staff.lakeside", "csr.jones")


async def _activity(http: httpx.AsyncClient, rounds: int = 2) -> None:
    """Real audit rows: sign-ins (one wrong password among them) and account reads."""
    for _ in range(rounds):
        for username in USERS:
            response = await http.post(
                "/session", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, response.text
            token = response.json()["token"]
            account = await http.get("/account", headers={"Authorization": f"Bearer {token}"})
            assert account.status_code == 200
        await http.post("/session", json={"username": "csr.jones", "password": "wrong password"})


def _verify_cli(db: Database) -> Result:
    """`portal audit verify` on the world's database, as the operator runs it."""
    return CliRunner().invoke(
        portal, ["--database-url", db.url, "audit", "verify"], catch_exceptions=False
    )


def _ids(conn: Connection) -> list[int]:
    return list(conn.execute(select(audit_log.c.id).order_by(audit_log.c.id)).scalars())


def _findings(world: Services) -> list[str]:
    verdict = world.audit.verify()
    assert not verdict.intact
    return verdict.findings


async def test_update_and_delete_on_the_audit_table_are_refused(
    world: Services, http: httpx.AsyncClient
) -> None:
    """Attack: with write access to the database, rewrite an audit row or delete rows in plain
    SQL. The triggers refuse UPDATE and DELETE on the log and on its checkpoints."""
    await _activity(http, rounds=1)
    world.audit.checkpoint()
    for statement in (
        "UPDATE audit_log SET outcome = 'ok' WHERE outcome = 'failed'",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
        "DELETE FROM audit_log",
        "UPDATE audit_checkpoints SET seq = 1",
        "DELETE FROM audit_checkpoints",
    ):
        with pytest.raises(IntegrityError, match="append-only"), world.db.write() as conn:
            conn.execute(text(statement))
    verdict = world.audit.verify()
    assert verdict.intact, verdict.findings
    assert verdict.checkpoints == 1


async def test_an_edited_row_is_named_by_id(world: Services, http: httpx.AsyncClient) -> None:
    """Attack: drop the triggers and turn a failed sign-in into a successful one, leaving the hash
    as it was. Verify names the row and exits 1."""
    await _activity(http)
    with world.db.write() as conn:
        drop_audit_triggers(conn)
        failed = conn.execute(
            select(func.min(audit_log.c.id)).where(audit_log.c.outcome == "failed")
        ).scalar_one()
        conn.execute(update(audit_log).where(audit_log.c.id == failed).values(outcome="ok"))
    assert _findings(world) == [
        f"Row id {failed} was edited: its hash does not match the row under the key."
    ]
    result = _verify_cli(world.db)
    assert result.exit_code == 1
    assert result.stdout.startswith("TAMPERED: 1 finding(s)")
    assert f"Row id {failed} was edited" in result.stdout


async def test_a_deleted_row_leaves_a_named_gap(world: Services, http: httpx.AsyncClient) -> None:
    """Attack: delete one row in the middle (the sign-in that gives someone away). The chain
    positions show the hole and where it is."""
    await _activity(http)
    with world.db.write() as conn:
        drop_audit_triggers(conn)
        ids = _ids(conn)
        victim = ids[len(ids) // 2]
        conn.execute(delete(audit_log).where(audit_log.c.id == victim))
    findings = _findings(world)
    assert len(findings) == 1
    assert "1 row(s) deleted at chain position" in findings[0]
    assert f"between row id {victim - 1} and row id {victim + 1}" in findings[0]
    assert _verify_cli(world.db).exit_code == 1


async def test_a_cut_tail_is_caught_by_the_checkpoint(
    world: Services, http: httpx.AsyncClient
) -> None:
    """Attack: delete the last rows (and the checkpoints in the database that name them). The
    chain of what is left is whole, but the signed checkpoint in the file outside the database
    says the log was longer."""
    await _activity(http)
    sealed = world.audit.checkpoint()
    assert sealed is not None
    with world.db.write() as conn:
        drop_audit_triggers(conn)
        conn.execute(delete(audit_log).where(audit_log.c.seq > sealed.seq - 3))
        conn.execute(delete(audit_checkpoints))
    findings = _findings(world)
    assert len(findings) == 1
    assert findings[0].startswith(
        f"The tail of the log was cut: it ends at position {sealed.seq - 3}"
    )
    assert f"sealed {sealed.seq} rows up to row id {sealed.last_id}" in findings[0]
    assert "at least 3 row(s) were deleted from the end" in findings[0]
    assert _verify_cli(world.db).exit_code == 1


async def test_a_wiped_table_is_caught(world: Services, http: httpx.AsyncClient) -> None:
    """Attack: delete every audit row and every checkpoint row. An empty log used to verify as
    intact; the checkpoint file still holds what was there."""
    await _activity(http)
    sealed = world.audit.checkpoint()
    assert sealed is not None
    with world.db.write() as conn:
        drop_audit_triggers(conn)
        conn.execute(delete(audit_log))
        conn.execute(delete(audit_checkpoints))
    findings = _findings(world)
    assert findings == [
        f"The audit table was wiped: it has no rows, but the checkpoint of "
        f"{sealed.at:%Y-%m-%d %H:%M:%S} UTC (line 1 of {_file(world)}) sealed {sealed.seq} rows "
        f"(up to row id {sealed.last_id})."
    ]
    result = _verify_cli(world.db)
    assert result.exit_code == 1 and "The audit table was wiped" in result.stdout


def _file(world: Services) -> Path:
    with world.db.read() as conn:
        where = checkpoint_file(conn)
    assert where is not None
    return where


def _rehash(conn: Connection, start: int, make_hash: object) -> None:
    """Recompute every hash from row id `start` on with `make_hash(prev_hash, row)`."""
    assert callable(make_hash)
    rows = list(
        conn.execute(select(audit_log).where(audit_log.c.id >= start).order_by(audit_log.c.id))
        .mappings()
        .all()
    )
    prev = conn.execute(select(audit_log.c.hash).where(audit_log.c.id == start - 1)).scalar()
    prev = prev or GENESIS
    for row in rows:
        new_hash = make_hash(prev, dict(row))
        conn.execute(
            update(audit_log)
            .where(audit_log.c.id == row["id"])
            .values(prev_hash=prev, hash=new_hash)
        )
        prev = new_hash


def _plain_sha256(prev: str, row: dict[str, object]) -> str:
    """The chain as it was hashed before: SHA-256 of the previous hash and the row."""
    return legacy_row_hash(prev, row)


async def test_a_rehashed_chain_does_not_match_the_key(
    world: Services, http: httpx.AsyncClient
) -> None:
    """Attack: edit a row, then recompute every hash after it the way the code does (the old
    attack that passed), with plain SHA-256 since the key is not in the database. Every
    recomputed row fails the key, and the checkpoint's head no longer matches."""
    await _activity(http)
    sealed = world.audit.checkpoint()
    assert sealed is not None
    with world.db.write() as conn:
        drop_audit_triggers(conn)
        ids = _ids(conn)
        edited = ids[3]
        conn.execute(
            update(audit_log).where(audit_log.c.id == edited).values(actor_username="nobody")
        )
        _rehash(conn, edited, _plain_sha256)
    findings = _findings(world)
    assert findings[0] == (
        f"Rows id {edited} to {ids[-1]} ({len(ids) - 3} rows) do not match their hashes under the "
        "key (they are plain SHA-256 hashes, made without the key): the chain was recomputed "
        f"without the key from row id {edited} on, after that row (or the one before it) was "
        "edited."
    )
    assert any("the chain up to it was rewritten" in f for f in findings[1:])
    assert _verify_cli(world.db).exit_code == 1


async def test_a_chain_rehashed_with_a_guessed_key_and_a_forged_checkpoint_are_caught(
    world: Services, http: httpx.AsyncClient
) -> None:
    """Attack: cut the tail, rehash with a key of one's own, and append a checkpoint with a made-up
    signature to the file and the table to make the shorter log look sealed."""
    import hmac as hmac_module

    await _activity(http)
    world.audit.checkpoint()
    guessed = hashlib.sha256(b"guess").digest()

    def keyed_by_guess(prev: str, row: dict[str, object]) -> str:
        message = f"{prev}{row['seq']}:{legacy_row_hash('', row)}"
        return hmac_module.digest(guessed, message.encode(), "sha256").hex()

    with world.db.write() as conn:
        drop_audit_triggers(conn)
        ids = _ids(conn)
        conn.execute(delete(audit_log).where(audit_log.c.id > ids[-4]))
        _rehash(conn, ids[1], keyed_by_guess)
        head = conn.execute(
            select(audit_log.c.id, audit_log.c.seq, audit_log.c.hash)
            .order_by(audit_log.c.id.desc())
            .limit(1)
        ).one()
        forged = {
            "at": START,
            "seq": head.seq,
            "last_id": head.id,
            "head_hash": head.hash,
            "legacy_through": 0,
            "signature": "0" * 64,
        }
        conn.execute(insert(audit_checkpoints).values(**forged))
    with _file(world).open("a") as lines:
        lines.write(json.dumps({**forged, "at": "2026-11-23T14:00:00.000000Z"}) + "\n")
    findings = _findings(world)
    forgeries = [f for f in findings if "is not signed with the key" in f]
    assert len(forgeries) == 2  # the table's and the file's
    assert any(f.startswith(f"Rows id {ids[1]} to {ids[-4]}") for f in findings)
    assert any(f.startswith("The tail of the log was cut") for f in findings)


def test_periodic_checkpoints_seal_the_head_the_transaction_began_with(
    db: Database, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: cut the tail of a busy log no one ran `portal audit checkpoint` on. `record()`
    checkpoints every CHECKPOINT_EVERY rows by itself, and only rows already committed, so a rolled
    back transaction never leaves the file naming a row that is not there."""
    from portal_core.services import audit

    monkeypatch.setattr(audit, "CHECKPOINT_EVERY", 10)
    for n in range(25):
        with db.write() as conn:
            record(conn, at=clock.advance(seconds=1), action="t", record_id=n)
    with pytest.raises(RuntimeError), db.write() as conn:  # crosses 30, then rolls back
        for n in range(6):
            record(conn, at=clock.now(), action="t", record_id=n)
        raise RuntimeError("the use case failed")
    with db.read() as conn:
        sealed = list(
            conn.execute(select(audit_checkpoints.c.seq).order_by(audit_checkpoints.c.id))
        )
        assert [s.seq for s in sealed] == [9, 19]
        verdict = verify_chain(conn)
        where = checkpoint_file(conn)
    assert verdict.intact, verdict.findings
    assert where is not None
    assert [json.loads(line)["seq"] for line in where.read_text().splitlines()] == [9, 19, 25]
    with db.write() as conn:
        drop_audit_triggers(conn)
        conn.execute(delete(audit_log).where(audit_log.c.seq > 20))
        conn.execute(delete(audit_checkpoints))
    with db.read() as conn:
        verdict = verify_chain(conn)
    assert not verdict.intact
    assert verdict.findings[0].startswith("The tail of the log was cut: it ends at position 20")


# -- rows written before the key (migration 0007) -----------------------------------------------


@pytest.fixture
def pre_key_log(tmp_path: Path) -> Iterator[Database]:
    """A database at revision 0004 with six rows hashed the old way, then upgraded."""
    path = tmp_path / "old.sqlite3"
    db = Database(f"sqlite:///{path}")
    with db.engine.begin() as conn:
        config = alembic_config(db.url)
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    prev = GENESIS
    with db.engine.begin() as conn:
        for n in range(6):
            row = {
                "at": START,
                "action": "old.action",
                "record_kind": "thing",
                "record_id": str(n),
                "outcome": "ok",
                "break_glass": False,
            }
            hashed = legacy_row_hash(prev, row)
            columns = ", ".join(row) + ", prev_hash, hash"
            marks = ", ".join(f":{k}" for k in row) + ", :prev_hash, :hash"
            values = {**row, "at": START.replace(tzinfo=None), "prev_hash": prev, "hash": hashed}
            conn.execute(text(f"INSERT INTO audit_log ({columns}) VALUES ({marks})"), values)
            prev = hashed
    db.upgrade()
    yield db
    db.dispose()


def test_rows_from_before_the_key_still_verify_and_are_sealed(
    pre_key_log: Database, clock: SettableClock
) -> None:
    """Attack: rewrite keyed rows the old way (plain SHA-256), hoping the verifier accepts the old
    form anywhere. It accepts it only for the rows migration 0007 found, sealed by the first
    signed checkpoint."""
    db = pre_key_log
    services = Services(db, clock)
    verdict = services.audit.verify()
    assert verdict.intact, verdict.findings
    assert "Rows at positions 1 to 6 were written before the keyed chain" in verdict.notes[-1]
    with db.write() as conn:
        for n in range(4):
            record(conn, at=clock.advance(seconds=1), action="new.action", record_id=n)
    sealed = services.audit.checkpoint()
    assert sealed is not None and sealed.legacy_through == 6 and sealed.seq == 10
    verdict = services.audit.verify()
    assert verdict.intact, verdict.findings
    assert "(sealed by a signed checkpoint)" in verdict.notes[-1]

    with db.write() as conn:
        drop_audit_triggers(conn)
        conn.execute(delete(audit_checkpoints))  # no sign left of where the old rows end
        conn.execute(update(audit_log).where(audit_log.c.id == 8).values(action="edited"))
        _rehash(conn, 8, _plain_sha256)
    verdict = services.audit.verify()
    assert not verdict.intact
    assert verdict.findings[0].startswith("Rows id 8 to 10 (3 rows) do not match their hashes")
    assert "plain SHA-256" in verdict.findings[0]


# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def pg_world(postgres: PostgresServer, tmp_path: Path, clock: SettableClock) -> Iterator[Services]:  # noqa: F811
    """A migrated PostgreSQL database with a few audit rows."""
    name = f"audit_{tmp_path.name.lower().replace('-', '_')}"[:60]
    db = Database(postgres.create_database(name))
    db.upgrade()
    with db.write() as conn:
        for n in range(8):
            record(conn, at=clock.advance(seconds=1), action="t", actor_username="u", record_id=n)
    yield Services(db, clock)
    db.dispose()


@pytest.mark.postgres
def test_postgres_refuses_update_delete_and_truncate(pg_world: Services) -> None:
    """Attack, on PostgreSQL: UPDATE, DELETE or TRUNCATE the audit log. The triggers refuse all
    three (TRUNCATE skips row triggers, so a statement trigger guards it)."""
    for statement in (
        "UPDATE audit_log SET outcome = 'denied'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "TRUNCATE audit_checkpoints",
    ):
        with pytest.raises(IntegrityError, match="append-only"), pg_world.db.write() as conn:
            conn.execute(text(statement))
    assert pg_world.audit.verify().intact


@pytest.mark.postgres
def test_postgres_cut_tail_and_edit_are_named(pg_world: Services) -> None:
    """Attack, on PostgreSQL: drop the triggers, edit a row, cut the tail. Verify names both."""
    sealed = pg_world.audit.checkpoint()
    assert sealed is not None
    with pg_world.db.write() as conn:
        drop_audit_triggers(conn)
        ids = _ids(conn)
        conn.execute(update(audit_log).where(audit_log.c.id == ids[2]).values(outcome="denied"))
        conn.execute(delete(audit_log).where(audit_log.c.id >= ids[-2]))
        conn.execute(text("TRUNCATE audit_checkpoints"))
    findings = _findings(pg_world)
    assert (
        findings[0] == f"Row id {ids[2]} was edited: its hash does not match the row under the key."
    )
    assert findings[1].startswith("The tail of the log was cut: it ends at position 6")


def test_a_copied_world_keeps_its_own_checkpoint_file(world: Services, tmp_path: Path) -> None:
    """The checkpoint file belongs to one database file (beside it), so a copy of the database
    starts with none rather than inheriting another log's."""
    where = _file(world)
    assert where.parent == tmp_path
    assert where.name == "world-audit-checkpoints.jsonl"
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(Path(str(world.db.engine.url.database)), copy)
    other = Database(f"sqlite:///{copy}")
    try:
        with other.read() as conn:
            assert checkpoint_file(conn) == tmp_path / "copy-audit-checkpoints.jsonl"
    finally:
        other.dispose()
