"""The audit log: an append-only, keyed hash chain of sign-ins, reads of member data and writes,
anchored by signed checkpoints kept apart from it.

**The chain.** Each row carries `seq`, its position (1, 2, 3, ...), and `hash`, an HMAC-SHA256
under the audit key (`keys.subkey("audit.chain")`, from `PORTAL_SECRET_KEY` or the key file, never
in the database) of the previous row's hash, its position and its own fields. Anyone who can write
to the database but lacks the key cannot recompute the hashes, so an edited row shows, and so does
a chain rehashed from an edited row on. A deleted row leaves a hole in the positions.

**Rows from before the key (migration 0007).** Rows written earlier are hashed with plain SHA-256
over the previous hash and the fields (no position). Migration 0007 numbered them and wrote an
unsigned boundary checkpoint saying how many there are (`legacy_through`); the first signed
checkpoint copies that number and so seals it. The verifier accepts the plain hash only at
positions up to the `legacy_through` of the earliest signed checkpoint (the boundary's own while
none is signed yet; a keyed hash is good there too, as after a downgrade and upgrade): a row past it
hashed without the key is reported as rehashed.

**Checkpoints.** A checkpoint states the row count (the last position), the last row's id and its
hash, and is signed with its own subkey (`audit.checkpoint`). Each is written twice: as a row of
`audit_checkpoints` and as a JSON line appended to a file outside the database, which a wiped or
cut database cannot take back: `PORTAL_AUDIT_CHECKPOINTS` names the file; by default it sits beside
the SQLite file (`portal-audit-checkpoints.jsonl` for `portal.sqlite3`), or is
`audit-checkpoints.jsonl` in the data directory for PostgreSQL. A server should point it at storage
the database's users cannot rewrite. Checkpoints are written by `record()` each time the chain
passes a multiple of `CHECKPOINT_EVERY` rows, by `portal audit checkpoint`, and when `portal serve`
starts and stops. The one in `record()` describes the head as it was when the caller's transaction
began, which is committed already, so the file never names a row that a rollback takes back.

`record()` appends within the caller's transaction (the audit row commits or rolls back with the
change it describes) at the cost it always had: one indexed read of the head and one insert; a
checkpoint adds one read and one insert once per `CHECKPOINT_EVERY` rows. Triggers (migration 0007)
refuse UPDATE and DELETE on both tables.

**Limits.** Rows after the newest checkpoint can be cut from the end unseen (at most the rows since
it: `CHECKPOINT_EVERY`, or less with `portal audit checkpoint` from cron); a log that never had a
checkpoint cannot tell a wipe; whoever holds the key (or runs the portal's code with it) can
rewrite the chain and sign new checkpoints, but not take back lines already shipped off the file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select, text

from portal_core import keys, paths
from portal_core.clock import Clock
from portal_core.errors import PermissionDenied
from portal_core.models.audit import AuditCheckpoint, AuditEntry, ChainVerdict
from portal_core.models.common import Page
from portal_core.models.identity import Principal
from portal_core.models.recent_items import RecentItem
from portal_core.rules.permissions import Action, allowed, require
from portal_core.services import keyset
from portal_core.store.engine import Database
from portal_core.store.schema import audit_checkpoints, audit_log

logger = logging.getLogger("portal_core.audit")

GENESIS = "0" * 64
"""The `prev_hash` of the first row."""

CHAIN_KEY = "audit.chain"
"""The subkey purpose the row hashes are made with."""

CHECKPOINT_KEY = "audit.checkpoint"
"""The subkey purpose checkpoints are signed with."""

CHECKPOINT_EVERY = 1000
"""`record()` writes a checkpoint each time the chain passes a multiple of this many rows."""

CHECKPOINTS_ENV = "PORTAL_AUDIT_CHECKPOINTS"
"""The environment variable naming the checkpoint file."""

_HASHED_FIELDS = (
    "at",
    "actor_user_id",
    "actor_username",
    "role",
    "tin",
    "action",
    "record_kind",
    "record_id",
    "outcome",
    "reason",
    "detail",
    "break_glass",
)


def _canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _payload(row: dict[str, Any]) -> str:
    fields = {name: row.get(name) for name in _HASHED_FIELDS}
    fields["at"] = _canonical_time(row["at"])
    fields["break_glass"] = bool(fields["break_glass"])
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)


class _ChainMac:
    """HMAC-SHA256 under one key, its two padded key blocks hashed once: each row's HMAC then
    costs two copies of a prepared SHA-256 state, close to the plain hash it replaced (the audit
    append is on every request's path, a page of members is a hundred rows)."""

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def hexdigest(self, message: str) -> str:
        """HMAC-SHA256 of `message`, in hex (equal to `hmac.new(key, message, sha256)`)."""
        inner = self._inner.copy()
        inner.update(message.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


_macs: dict[bytes, _ChainMac] = {}


def _chain_mac() -> _ChainMac:
    """The chain's HMAC under the current audit key."""
    key = keys.subkey(CHAIN_KEY)  # 32 bytes: a key block as it is, no hashing first
    mac = _macs.get(key)
    if mac is None:
        mac = _macs[key] = _ChainMac(key)
    return mac


def row_hash(prev_hash: str, row: dict[str, Any], mac: _ChainMac | None = None) -> str:
    """The keyed chain hash of `row` (with its `seq`) following `prev_hash`."""
    return (mac or _chain_mac()).hexdigest(f"{prev_hash}{row['seq']}:{_payload(row)}")


def legacy_row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The plain SHA-256 chain hash rows had before migration 0007 (no key, no position)."""
    return hashlib.sha256((prev_hash + _payload(row)).encode()).hexdigest()


class _Head(NamedTuple):
    """The last row of the chain."""

    id: int
    seq: int
    hash: str


_NO_HEAD = _Head(0, 0, GENESIS)

_TRANSACTION_HEAD = "portal.audit.transaction_head"
"""`conn.info` key: (the transaction, the head as it stood when that transaction first appended)."""


def _head(conn: Connection) -> _Head:
    """The chain's last row (one indexed read), remembering it as the committed head when it is
    the first append of the caller's transaction."""
    if conn.dialect.name == "postgresql":
        # One appender at a time, so the chain never forks (released at commit).
        conn.execute(text("SELECT pg_advisory_xact_lock(7411001)"))
    found = conn.execute(
        select(audit_log.c.id, audit_log.c.seq, audit_log.c.hash)
        .order_by(audit_log.c.id.desc())
        .limit(1)
    ).first()
    head = _Head(found.id, found.seq, found.hash) if found is not None else _NO_HEAD
    transaction = conn.get_transaction()
    remembered = conn.info.get(_TRANSACTION_HEAD)
    if remembered is None or remembered[0] is not transaction:
        conn.info[_TRANSACTION_HEAD] = (transaction, head)
    return head


def _checkpoint_if_due(conn: Connection, head: _Head, appended: int, at: datetime) -> None:
    """After appending `appended` rows to `head`: when they passed a multiple of CHECKPOINT_EVERY,
    checkpoint the head the transaction began with (committed, so a rollback cannot undo it)."""
    if (head.seq + appended) // CHECKPOINT_EVERY == head.seq // CHECKPOINT_EVERY:
        return
    committed: _Head = conn.info[_TRANSACTION_HEAD][1]
    if committed.seq == 0:
        return
    try:
        write_checkpoint(conn, at, committed, durable=False)
    except OSError as error:  # the database row is written; the file is the extra copy
        logger.warning("audit checkpoint file not written: %s", type(error).__name__)


def record(
    conn: Connection,
    *,
    at: datetime,
    action: str,
    outcome: str = "ok",
    principal: Principal | None = None,
    actor_user_id: int | None = None,
    actor_username: str | None = None,
    tin: str | None = None,
    record_kind: str | None = None,
    record_id: str | int | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit row in the caller's transaction. Never pass PHI values or secrets."""
    head = _head(conn)
    role = None
    break_glass = False
    if principal is not None:
        actor_user_id = principal.user_id
        actor_username = principal.username
        tin = tin if tin is not None else principal.active_tin
        role_value = principal.payer_role or principal.tin_roles.get(tin or "")
        role = role_value.value if role_value else None
        break_glass = principal.break_glass_until is not None and principal.break_glass_until > at
    row: dict[str, Any] = {
        "at": at,
        "actor_user_id": actor_user_id,
        "actor_username": actor_username,
        "role": role,
        "tin": tin,
        "action": action,
        "record_kind": record_kind,
        "record_id": None if record_id is None else str(record_id),
        "outcome": outcome,
        "reason": reason,
        "detail": detail,
        "break_glass": break_glass,
        "seq": head.seq + 1,
    }
    row["prev_hash"] = head.hash
    row["hash"] = row_hash(head.hash, row)
    conn.execute(audit_log.insert().values(**row))
    _checkpoint_if_due(conn, head, 1, at)


def record_many(
    conn: Connection,
    *,
    at: datetime,
    action: str,
    principal: Principal,
    record_kind: str,
    record_ids: Iterable[str],
    tin: str | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one row per record id (a page of members read at once), chained, in one insert."""
    ids = list(dict.fromkeys(str(i) for i in record_ids))
    if not ids:
        return
    head = _head(conn)
    tin = tin if tin is not None else principal.active_tin
    role_value = principal.payer_role or principal.tin_roles.get(tin or "")
    break_glass = principal.break_glass_until is not None and principal.break_glass_until > at
    shared: dict[str, Any] = {
        "at": at,
        "actor_user_id": principal.user_id,
        "actor_username": principal.username,
        "role": role_value.value if role_value else None,
        "tin": tin,
        "action": action,
        "record_kind": record_kind,
        "outcome": outcome,
        "reason": None,
        "detail": detail,
        "break_glass": break_glass,
    }
    hashes = _chain_hashes(head, shared, ids)
    seqs = range(head.seq + 1, head.seq + 1 + len(ids))
    varying = zip(ids, seqs, [head.hash, *hashes[:-1]], hashes, strict=True)
    _insert_many(conn, shared, varying)
    _checkpoint_if_due(conn, head, len(ids), at)


_VARYING = ("record_id", "seq", "prev_hash", "hash")
"""The columns that differ between the rows `record_many` appends (plain values)."""


def _insert_many(
    conn: Connection, shared: dict[str, Any], varying: Iterable[tuple[str, int, str, str]]
) -> None:
    """One executemany of rows sharing `shared`: their values are converted to the driver's
    form once, not once per row as a Core insert of many dicts does (most of its cost here)."""
    dialect = conn.dialect
    converted: dict[str, Any] = {}
    for name, value in shared.items():
        to_driver = audit_log.c[name].type.bind_processor(dialect)
        converted[name] = to_driver(value) if to_driver else value
    compiled = audit_log.insert().compile(dialect=dialect, column_keys=[*shared, *_VARYING])
    rows = [{**converted, **dict(zip(_VARYING, values, strict=True))} for values in varying]
    if compiled.positiontup is not None:
        order = compiled.positiontup
        conn.exec_driver_sql(str(compiled), [tuple(row[k] for k in order) for row in rows])
    else:
        conn.exec_driver_sql(str(compiled), rows)


_SLOT = "\x00record-id\x00"
"""A stand-in record id whose JSON text marks where each row's own id goes in the payload."""


def _chain_hashes(head: _Head, shared: dict[str, Any], ids: list[str]) -> list[str]:
    """The chain hashes of rows that differ only in `record_id`, equal to `row_hash` row by row.

    The rows' JSON payload is built once around a slot and each id's JSON text put into it,
    rather than serialized again per row (a page of 100 members is 100 rows).
    """
    mac = _chain_mac()
    prev_hash = head.hash
    payload = _payload({**shared, "record_id": _SLOT})
    slot = json.dumps(_SLOT)
    found = []
    if payload.count(slot) != 1:  # a detail holding the stand-in: hash the plain way
        for seq, record_id in enumerate(ids, start=head.seq + 1):
            row = {**shared, "record_id": record_id, "seq": seq}
            prev_hash = row_hash(prev_hash, row, mac)
            found.append(prev_hash)
        return found
    before, after = payload.split(slot)
    for seq, record_id in enumerate(ids, start=head.seq + 1):
        prev_hash = mac.hexdigest(f"{prev_hash}{seq}:{before}{json.dumps(record_id)}{after}")
        found.append(prev_hash)
    return found


def record_refusal(
    db: Database,
    at: datetime,
    principal: Principal,
    action: str,
    *,
    tin: str | None = None,
    record_kind: str | None = None,
    record_id: str | int | None = None,
) -> None:
    """Audit a refused attempt (outcome `denied`) in a transaction of its own: the use case's own
    transaction rolls back with the refusal, and the attempt must still be on record."""
    with db.write() as conn:
        record(
            conn,
            at=at,
            action=action,
            outcome="denied",
            principal=principal,
            tin=tin,
            record_kind=record_kind,
            record_id=record_id,
        )


def require_or_refuse(
    db: Database, clock: Clock, principal: Principal, action: Action, audit_action: str
) -> datetime:
    """The time now when the principal's role allows `action` (at any TIN); otherwise the refusal
    is audited and `PermissionDenied` raised."""
    now = clock.now()
    if not allowed(principal, action, None, now):
        record_refusal(db, now, principal, audit_action)
        raise PermissionDenied("Your role does not allow this.")
    return now


# -- checkpoints -----------------------------------------------------------------------------------


def checkpoint_file(conn: Connection) -> Path | None:
    """Where checkpoints are appended outside the database (None: an in-memory database)."""
    configured = os.environ.get(CHECKPOINTS_ENV)
    if configured:
        return Path(configured)
    url = conn.engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        database = Path(url.database)
        return database.with_name(f"{database.stem}-audit-checkpoints.jsonl")
    return paths.data_dir() / "audit-checkpoints.jsonl"


def _signed_text(checkpoint: AuditCheckpoint) -> str:
    fields = {
        "at": _canonical_time(checkpoint.at),
        "seq": checkpoint.seq,
        "last_id": checkpoint.last_id,
        "head_hash": checkpoint.head_hash,
        "legacy_through": checkpoint.legacy_through,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def checkpoint_signature(checkpoint: AuditCheckpoint) -> str:
    """The checkpoint's HMAC under the audit checkpoint key."""
    message = _signed_text(checkpoint).encode()
    return hmac.digest(keys.subkey(CHECKPOINT_KEY), message, "sha256").hex()


def _is_signed(checkpoint: AuditCheckpoint) -> bool:
    return checkpoint.signature is not None and hmac.compare_digest(
        checkpoint.signature, checkpoint_signature(checkpoint)
    )


def _legacy_through(conn: Connection) -> int:
    """How many rows were hashed without the key: the first checkpoint's count (migration 0007's
    boundary, or the first signed one), when it is the boundary or its signature holds."""
    first = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id).limit(1))
    row = first.mappings().first()
    if row is None:
        return 0
    checkpoint = AuditCheckpoint(**{k: row[k] for k in AuditCheckpoint.model_fields})
    if checkpoint.signature is None or _is_signed(checkpoint):
        return checkpoint.legacy_through
    return 0


def write_checkpoint(
    conn: Connection, at: datetime, head: _Head | None = None, *, durable: bool = True
) -> AuditCheckpoint | None:
    """Sign a checkpoint of `head` (default: the chain's last row) into `audit_checkpoints` and
    append it to the checkpoint file (synced to disk when `durable`). None for an empty log."""
    if head is None:
        head = _head(conn)
    if head.seq == 0:
        return None
    checkpoint = AuditCheckpoint(
        at=at,
        seq=head.seq,
        last_id=head.id,
        head_hash=head.hash,
        legacy_through=_legacy_through(conn),
        signature=None,
    )
    checkpoint.signature = checkpoint_signature(checkpoint)
    conn.execute(audit_checkpoints.insert().values(**checkpoint.model_dump()))
    where = checkpoint_file(conn)
    if where is not None:
        _append_line(where, _file_line(checkpoint), durable=durable)
    return checkpoint


def _file_line(checkpoint: AuditCheckpoint) -> str:
    fields = json.loads(_signed_text(checkpoint))
    fields["signature"] = checkpoint.signature
    return json.dumps(fields, sort_keys=True, separators=(",", ":")) + "\n"


def _append_line(where: Path, line: str, *, durable: bool) -> None:
    """Append one line (a single write to an O_APPEND file: whole even when processes race)."""
    paths.ensure_private_dir(where.parent)
    fd = os.open(where, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_now(
    db: Database, at: datetime, *, unless_sealed: bool = False
) -> AuditCheckpoint | None:
    """Write a checkpoint of the log as it stands (`portal audit checkpoint`, server start/stop,
    the local client's close). With `unless_sealed`, none when the newest checkpoint already
    seals the last row (a session that wrote nothing adds no checkpoint)."""
    with db.write() as conn:
        if unless_sealed:
            sealed = conn.execute(
                select(audit_checkpoints.c.last_id)
                .where(audit_checkpoints.c.signature.is_not(None))
                .order_by(audit_checkpoints.c.id.desc())
                .limit(1)
            ).scalar()
            if sealed is not None and sealed == _head(conn).id:
                return None
        return write_checkpoint(conn, at)


# -- verification ----------------------------------------------------------------------------------


@dataclass
class _Sealed:
    """A checkpoint and where it was read (for the findings' wording)."""

    checkpoint: AuditCheckpoint
    source: str

    def name(self) -> str:
        at = self.checkpoint.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"the checkpoint of {at} ({self.source})"


def _checkpoints_in_table(conn: Connection) -> Iterator[_Sealed]:
    rows = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id)).mappings()
    for row in rows:
        checkpoint = AuditCheckpoint(**{k: row[k] for k in AuditCheckpoint.model_fields})
        yield _Sealed(checkpoint, f"database checkpoint {row['id']}")


def _checkpoints_in_file(where: Path, findings: list[str]) -> list[_Sealed]:
    try:
        lines = where.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        findings.append(f"The checkpoint file {where} cannot be read: {type(error).__name__}.")
        return []
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
            fields["at"] = datetime.strptime(fields["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=UTC
            )
            checkpoint = AuditCheckpoint(**fields)
        except (ValueError, TypeError, KeyError):
            findings.append(f"Line {number} of the checkpoint file {where} is not a checkpoint.")
            continue
        found.append(_Sealed(checkpoint, f"line {number} of {where}"))
    return found


@dataclass
class _Walk:
    """What walking the rows found."""

    findings: list[str] = field(default_factory=list)
    first_bad_id: int | None = None
    rows: int = 0
    head: _Head = _NO_HEAD
    at_seq: dict[int, _Head] = field(default_factory=dict)
    """The rows at the positions checkpoints name."""
    mismatched: list[tuple[int, bool]] = field(default_factory=list)
    """The current run of rows whose hash does not hold: (id, hash is plain SHA-256)."""

    def find(self, text: str, row_id: int | None) -> None:
        self.findings.append(text)
        if self.first_bad_id is None and row_id is not None:
            self.first_bad_id = row_id

    def close_run(self) -> None:
        """Report the run of rows whose hash did not hold, as one finding."""
        run, self.mismatched = self.mismatched, []
        if not run:
            return
        first, last = run[0][0], run[-1][0]
        plain = (
            " (they are plain SHA-256 hashes, made without the key)"
            if all(p for _, p in run)
            else ""
        )
        if len(run) == 1:
            plain = " (a plain SHA-256 hash, made without the key)" if run[0][1] else ""
            self.find(
                f"Row id {first} was edited: its hash does not match the row under the key{plain}.",
                first,
            )
        else:
            self.find(
                f"Rows id {first} to {last} ({len(run)} rows) do not match their hashes under the "
                f"key{plain}: the chain was recomputed without the key from row id {first} on, "
                f"after that row (or the one before it) was edited.",
                first,
            )


def _check_row(walk: _Walk, row: Any, mac: _ChainMac, legacy_through: int) -> None:
    previous = walk.head
    row_id, seq = int(row["id"]), int(row["seq"])
    fields = dict(row)
    if seq > previous.seq + 1:
        walk.close_run()
        missing = seq - previous.seq - 1
        span = (
            f"position {previous.seq + 1}"
            if missing == 1
            else (f"positions {previous.seq + 1} to {seq - 1}")
        )
        where = (
            f"between row id {previous.id} and row id {row_id}"
            if previous.seq
            else (f"before row id {row_id}, the first row left")
        )
        walk.find(f"{missing} row(s) deleted at chain {span}, {where}.", row_id)
    elif seq <= previous.seq:
        walk.close_run()
        walk.find(
            f"Row id {row_id} claims chain position {seq}, which row id {previous.id} before it "
            f"already passed: a row was inserted or the rows renumbered.",
            row_id,
        )
    elif row["prev_hash"] != previous.hash:
        walk.close_run()
        after = f"row id {previous.id}" if previous.seq else "the start of the chain"
        walk.find(
            f"Row id {row_id} does not follow {after}: its previous hash is not that one "
            "(a row was replaced or inserted here).",
            row_id,
        )
    holds = hmac.compare_digest(row_hash(row["prev_hash"], fields, mac), row["hash"])
    plain = False
    if seq <= legacy_through and not holds:  # keyed rows there too after a down- and upgrade
        holds = legacy_row_hash(row["prev_hash"], fields) == row["hash"]
    elif not holds:
        plain = row["hash"] in (
            legacy_row_hash(row["prev_hash"], fields),
            hashlib.sha256(f"{row['prev_hash']}{seq}:{_payload(fields)}".encode()).hexdigest(),
        )
    if holds:
        walk.close_run()
    else:
        walk.mismatched.append((row_id, plain))
    walk.rows += 1
    walk.head = _Head(row_id, seq, row["hash"])
    if seq in walk.at_seq:
        walk.at_seq[seq] = walk.head


def verify_chain(conn: Connection, batch: int = 5000) -> ChainVerdict:
    """Walk the whole log in id order against the key and every checkpoint; report in words each
    edited or deleted row, a cut tail, a wiped table and a chain rehashed without the key."""
    findings: list[str] = []
    notes: list[str] = []
    where = checkpoint_file(conn)
    in_table = list(_checkpoints_in_table(conn))
    in_file = _checkpoints_in_file(where, findings) if where is not None else []
    signed: list[_Sealed] = []
    boundary: AuditCheckpoint | None = None
    for sealed in (*in_table, *in_file):
        if _is_signed(sealed.checkpoint):
            signed.append(sealed)
        elif sealed.checkpoint.signature is None and in_table and sealed is in_table[0]:
            boundary = sealed.checkpoint  # migration 0007's, unsigned by design
        else:
            findings.append(
                f"{sealed.name().capitalize()} is not signed with the key: it was forged or "
                "altered, or written under another key."
            )
    signed = list({s.checkpoint.signature: s for s in reversed(signed)}.values())
    signed.sort(key=lambda s: (s.checkpoint.seq, s.checkpoint.at))
    if signed:
        legacy_through = signed[0].checkpoint.legacy_through
        if any(s.checkpoint.legacy_through != legacy_through for s in signed):
            findings.append(
                "The signed checkpoints disagree on how many rows precede the keyed chain."
            )
    else:
        legacy_through = boundary.legacy_through if boundary is not None else 0

    walk = _Walk(findings=findings)
    walk.at_seq = dict.fromkeys((s.checkpoint.seq for s in signed), _NO_HEAD)
    mac = _chain_mac()
    last_id = 0
    while True:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.id > last_id).order_by(audit_log.c.id).limit(batch)
        ).mappings()
        seen = 0
        for row in rows:
            seen += 1
            _check_row(walk, row, mac, legacy_through)
            last_id = int(row["id"])
        if seen < batch:
            break
    walk.close_run()
    _check_against_checkpoints(walk, signed)

    if not signed:
        notes.append(
            "No signed checkpoint yet: a cut tail or a wiped table cannot be told until one is "
            "written (`portal audit checkpoint`, or the portal does it every "
            f"{CHECKPOINT_EVERY} rows and when the server starts and stops)."
        )
    if legacy_through:
        sealed_by = "sealed by a signed checkpoint" if signed else "not sealed yet"
        notes.append(
            f"Rows at positions 1 to {legacy_through} were written before the keyed chain and "
            f"are checked with their plain SHA-256 hashes ({sealed_by})."
        )
    in_file_signatures = {sealed.checkpoint.signature for sealed in in_file}
    only_in_table = [
        s
        for s in in_table
        if s.checkpoint.signature and s.checkpoint.signature not in in_file_signatures
    ]
    if where is not None and only_in_table:
        notes.append(
            f"{len(only_in_table)} checkpoint(s) in the database are not in the checkpoint file "
            f"{where} (was it moved, or could it not be written?)."
        )
    problem = walk.findings[0] if walk.findings else None
    return ChainVerdict(
        intact=not walk.findings,
        rows_checked=walk.rows,
        first_bad_id=walk.first_bad_id,
        problem=problem,
        findings=walk.findings,
        notes=notes,
        checkpoints=len(signed),
    )


def _check_against_checkpoints(walk: _Walk, signed: list[_Sealed]) -> None:
    """The log must reach every checkpoint's count and hold its head row unchanged."""
    if not signed:
        return
    head = walk.head
    beyond = [s for s in signed if s.checkpoint.seq > head.seq]
    if beyond:
        latest = beyond[-1]
        sealed = latest.checkpoint
        if head.seq == 0:
            walk.find(
                f"The audit table was wiped: it has no rows, but {latest.name()} sealed "
                f"{sealed.seq} rows (up to row id {sealed.last_id}).",
                None,
            )
        else:
            walk.find(
                f"The tail of the log was cut: it ends at position {head.seq} (row id "
                f"{head.id}), but {latest.name()} sealed {sealed.seq} rows up to row id "
                f"{sealed.last_id}; at least {sealed.seq - head.seq} row(s) were deleted from "
                "the end.",
                None,
            )
    for sealed_at in signed:
        sealed = sealed_at.checkpoint
        found = walk.at_seq.get(sealed.seq)
        if sealed.seq > head.seq or found is None or found.seq == 0:
            continue  # beyond the end (reported above) or in a hole (reported as deleted)
        if found.hash != sealed.head_hash or found.id != sealed.last_id:
            walk.find(
                f"Row id {found.id} at position {sealed.seq} is not the row {sealed_at.name()} "
                f"sealed (row id {sealed.last_id}): the chain up to it was rewritten.",
                found.id,
            )


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(**{k: row[k] for k in AuditEntry.model_fields})


class AuditService:
    """Audit reports for payer administrators, and the chain check for operators."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def verify(self) -> ChainVerdict:
        """Check the chain and its checkpoints (operators run it from `portal audit verify`)."""
        with self.db.read() as conn:
            return verify_chain(conn)

    def checkpoint(self) -> AuditCheckpoint | None:
        """Write a signed checkpoint of the log now (`portal audit checkpoint`); None when empty."""
        return checkpoint_now(self.db, self.clock.now())

    def _report(
        self,
        principal: Principal,
        report: str,
        conditions: Iterable[Any],
        after: str | None,
        limit: int,
    ) -> Page[AuditEntry]:
        require(principal, Action.READ_AUDIT)
        query = select(audit_log).where(*conditions)
        if after:
            query = query.where(audit_log.c.id < keyset.row_id(after))
        query = query.order_by(audit_log.c.id.desc()).limit(limit + 1)
        with self.db.write() as conn:
            rows = list(conn.execute(query).mappings())
            record(
                conn,
                at=self.clock.now(),
                action="audit.report",
                principal=principal,
                record_kind="audit_report",
                record_id=report,
            )
        items = [_entry(r) for r in rows[:limit]]
        cursor = str(items[-1].id) if len(rows) > limit and items else None
        return Page[AuditEntry](items=items, next_cursor=cursor)

    def member_access(
        self, principal: Principal, member_id: str, after: str | None = None, limit: int = 100
    ) -> Page[AuditEntry]:
        """Who accessed a member's records, newest first."""
        conditions = [audit_log.c.record_kind == "member", audit_log.c.record_id == member_id]
        return self._report(principal, "member_access", conditions, after, limit)

    def user_activity(
        self, principal: Principal, user_id: int, after: str | None = None, limit: int = 100
    ) -> Page[AuditEntry]:
        """What a user did, newest first."""
        conditions = [audit_log.c.actor_user_id == user_id]
        return self._report(principal, "user_activity", conditions, after, limit)

    def failed_sign_ins(
        self, principal: Principal, since: datetime, after: str | None = None, limit: int = 100
    ) -> Page[AuditEntry]:
        """Failed sign-ins since a time, newest first."""
        conditions = [
            audit_log.c.action == "identity.sign_in",
            audit_log.c.outcome != "ok",
            audit_log.c.at >= since,
        ]
        return self._report(principal, "failed_sign_ins", conditions, after, limit)

    def recent_items(self, principal: Principal, limit: int = 10) -> list[RecentItem]:
        """The records the user opened most recently (their own reads; kind and number only)."""
        from portal_core.services.recent_items import recent_items

        require(principal, Action.OWN_ACCOUNT)
        return recent_items(self.db, principal, limit)

    def count(self) -> int:
        """Rows in the log."""
        with self.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
