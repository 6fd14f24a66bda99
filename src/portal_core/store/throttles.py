"""Repository for throttle counters: failed attempts at guessable secrets, shared by every worker.

A counter is one row of `throttle_counters`, keyed by its kind (what is counted: `sign_in.pair`,
`proof.tin`, ...) and a keyed digest of what it counts for (a username, a client address, a TIN, an
email address; `keys.keyed_digest`), so no address or name is stored in clear. A counter counts the
failures within its window, which starts at the first failure and restarts once it has passed.
`subject` is the digest of the account the counter belongs to, so that the account's password reset
or an administrator's unlock lifts all of its counters at once.

Sign-in counters also hold the attempts in flight (`hold`, then `fail` or `release`): a password
being checked is no failure, so right passwords checked at the same moment (fifty terminals of one
office behind one address, a script signing in in parallel) never count against each other, while
once a failure is on record the attempts in flight count too, so parallel guesses cannot outrun
the limit.

Functions take the caller's connection so they join the caller's transaction. The policy (which
kinds, what limits, what a user is told) is `services/throttles.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, literal, null, or_, select, update

from portal_core.keys import keyed_digest
from portal_core.store.schema import UtcDateTime, throttle_counters

KEY_PURPOSE = "throttle.key"
"""The subkey purpose of counter keys."""

SUBJECT_PURPOSE = "throttle.subject"
"""The subkey purpose of account digests."""

HOLD_LIVE = timedelta(seconds=30)
"""How long an attempt in flight counts (a check takes well under a second; a hold older than this
is a check that crashed or was killed, and must not keep anyone out)."""


def key_digest(kind: str, *parts: str) -> str:
    """The stored key of a counter of `kind` for `parts` (a username, an address, ...)."""
    return keyed_digest(KEY_PURPOSE, "\x1f".join((kind, *parts)))


def subject_digest(username_key: str) -> str:
    """The digest naming an account (by its lower-cased username) on its counters."""
    return keyed_digest(SUBJECT_PURPOSE, username_key)


@dataclass(frozen=True)
class CounterKey:
    """Which counter: its kind and its key digest (`key_digest`)."""

    kind: str
    """What is counted."""
    digest: str
    """The keyed digest of what it is counted for."""


@dataclass(frozen=True)
class Counter:
    """A counter as read: its failures in the current window and the block it may hold."""

    failures: int
    """Failures since `window_started_at`."""
    window_started_at: datetime
    """When the current window began."""
    blocked_until: datetime | None
    """Attempts are refused unchecked until then."""
    proven_at: datetime | None
    """When the account's owner last succeeded through this key."""
    in_flight: int = 0
    """Sign-in attempts being checked."""
    held_at: datetime | None = None
    """When the last of them began."""

    def live_failures(self, now: datetime, window: timedelta) -> int:
        """The failures that still count at `now` (none once the window has passed)."""
        return self.failures if now < self.window_started_at + window else 0

    def live_in_flight(self, now: datetime) -> int:
        """The attempts in flight that still count at `now` (none once the last is stale)."""
        if self.held_at is None or now - self.held_at >= HOLD_LIVE:
            return 0
        return self.in_flight


def read(conn: Connection, keys: Sequence[CounterKey]) -> dict[CounterKey, Counter]:
    """The counters among `keys` that exist (one indexed read)."""
    table = throttle_counters
    rows = conn.execute(select(table).where(or_(*(_is(k) for k in keys)))).mappings()
    found: dict[CounterKey, Counter] = {}
    for row in rows:
        found[CounterKey(row["kind"], row["key_digest"])] = Counter(
            failures=int(row["failures"]),
            window_started_at=row["window_started_at"],
            blocked_until=row["blocked_until"],
            proven_at=row["proven_at"],
            in_flight=int(row["in_flight"] or 0),
            held_at=row["held_at"],
        )
    return found


def hold(
    conn: Connection,
    key: CounterKey,
    now: datetime,
    window: timedelta,
    *,
    subject: str | None = None,
) -> int:
    """Count one sign-in attempt in flight (atomically); a passed window starts again. The
    attempts now in flight, this one included."""
    table = throttle_counters
    when = literal(now, UtcDateTime)
    expired = table.c.window_started_at <= literal(now - window, UtcDateTime)
    stale = or_(table.c.held_at.is_(None), table.c.held_at <= literal(now - HOLD_LIVE, UtcDateTime))
    statement = (
        _insert(conn)
        .values(
            kind=key.kind,
            key_digest=key.digest,
            subject=subject,
            failures=0,
            in_flight=1,
            held_at=now,
            window_started_at=now,
        )
        .on_conflict_do_update(
            index_elements=[table.c.kind, table.c.key_digest],
            set_={
                "failures": case((expired, 0), else_=table.c.failures),
                "in_flight": case((or_(expired, stale), 1), else_=table.c.in_flight + 1),
                "held_at": when,
                "window_started_at": case((expired, when), else_=table.c.window_started_at),
                "blocked_until": case((expired, null()), else_=table.c.blocked_until),
            },
        )
        .returning(table.c.in_flight)
    )
    return int(conn.execute(statement).scalar_one())


def mark_proven(conn: Connection, key: CounterKey, now: datetime, *, subject: str) -> None:
    """Note that the account's owner succeeded through `key` now (the row is made if missing)."""
    conn.execute(
        _insert(conn)
        .values(
            kind=key.kind,
            key_digest=key.digest,
            subject=subject,
            failures=0,
            window_started_at=now,
            proven_at=now,
        )
        .on_conflict_do_update(
            index_elements=[throttle_counters.c.kind, throttle_counters.c.key_digest],
            set_={"proven_at": literal(now, UtcDateTime)},
        )
    )


def fail(conn: Connection, key: CounterKey) -> int:
    """The attempt held on `key` failed: one failure more, one in flight less; the failures."""
    table = throttle_counters
    statement = (
        update(table)
        .where(_is(key))
        .values(
            failures=table.c.failures + 1,
            in_flight=case((table.c.in_flight > 0, table.c.in_flight - 1), else_=0),
        )
        .returning(table.c.failures)
    )
    return int(conn.execute(statement).scalar_one_or_none() or 0)


def release(conn: Connection, key: CounterKey) -> None:
    """The attempt held on `key` ended without failing: one in flight less."""
    table = throttle_counters
    conn.execute(
        update(table).where(_is(key), table.c.in_flight > 0).values(in_flight=table.c.in_flight - 1)
    )


def count(
    conn: Connection,
    key: CounterKey,
    now: datetime,
    window: timedelta,
    *,
    subject: str | None = None,
) -> int:
    """Count one failure (atomically, whatever other workers do); the failures now in the window."""
    table = throttle_counters
    when = literal(now, UtcDateTime)
    expired = table.c.window_started_at <= literal(now - window, UtcDateTime)
    statement = (
        _insert(conn)
        .values(
            kind=key.kind,
            key_digest=key.digest,
            subject=subject,
            failures=1,
            window_started_at=now,
        )
        .on_conflict_do_update(
            index_elements=[table.c.kind, table.c.key_digest],
            set_={
                "failures": case((expired, 1), else_=table.c.failures + 1),
                "window_started_at": case((expired, when), else_=table.c.window_started_at),
                "blocked_until": case((expired, null()), else_=table.c.blocked_until),
            },
        )
        .returning(table.c.failures)
    )
    return int(conn.execute(statement).scalar_one())


def block(conn: Connection, key: CounterKey, until: datetime) -> None:
    """Refuse attempts through the counter until `until`."""
    table = throttle_counters
    conn.execute(update(table).where(_is(key)).values(blocked_until=until))


def clear(conn: Connection, keys: Sequence[CounterKey], now: datetime, *, proven: bool) -> None:
    """Forget the failures of `keys` (a success); `proven` notes that the owner succeeded there."""
    table = throttle_counters
    values: dict[str, object] = {"failures": 0, "blocked_until": None}
    if proven:
        values["proven_at"] = now
    conn.execute(update(table).where(or_(*(_is(k) for k in keys))).values(**values))


def uncount(conn: Connection, key: CounterKey) -> None:
    """Take back one failure counted ahead of a check that then succeeded."""
    table = throttle_counters
    conn.execute(
        update(table).where(_is(key), table.c.failures > 0).values(failures=table.c.failures - 1)
    )


def lift_subject(conn: Connection, subject: str) -> int:
    """Lift every failure count and block of an account (its reset or unlock); how many rows."""
    table = throttle_counters
    result = conn.execute(
        update(table).where(table.c.subject == subject).values(failures=0, blocked_until=None)
    )
    return int(result.rowcount or 0)


def _is(key: CounterKey) -> Any:
    """The condition naming one counter's row."""
    return and_(throttle_counters.c.kind == key.kind, throttle_counters.c.key_digest == key.digest)


def _insert(conn: Connection) -> Any:
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(throttle_counters)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(throttle_counters)
