"""Sign-in throttling per client address, on top of the services' per-account throttle.

One address may fail `limit` sign-ins within `window`; after that every attempt from it is refused
unchecked until the window ends. The count lives in the database (`sign_in_address_failures`), so
several `portal serve` workers behind a load balancer count the same attempts. A success does not
reset the count: one valid account must not buy an attacker more guesses at others.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from portal_core.clock import Clock
from portal_core.errors import AuthenticationFailed
from portal_core.services import audit
from portal_core.store.engine import Database
from portal_core.store.schema import sign_in_address_failures as failures_table

ADDRESS_LIMIT = 30
"""Failed sign-ins one address may make within a window."""

ADDRESS_WINDOW = timedelta(minutes=15)
"""How long a window of counted failures lasts."""


class AddressThrottle:
    """Counts failed sign-ins by client address and refuses an address over its limit."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        limit: int = ADDRESS_LIMIT,
        window: timedelta = ADDRESS_WINDOW,
    ) -> None:
        self.db = db
        """The database holding the counts."""
        self.clock = clock
        """The time source (the services' clock)."""
        self.limit = limit
        """Failures allowed per window."""
        self.window = window
        """The window's length."""

    def check(self, address: str, action: str) -> None:
        """Raise `AuthenticationFailed` (and audit the refusal) when `address` is over its limit."""
        now = self.clock.now()
        with self.db.read() as conn:
            row = (
                conn.execute(select(failures_table).where(failures_table.c.address == address))
                .mappings()
                .first()
            )
        if row is None or row["failures"] < self.limit:
            return
        ends = row["window_started_at"] + self.window
        if now >= ends:
            return
        minutes = max(1, int((ends - now).total_seconds() // 60 + 1))
        unit = "minute" if minutes == 1 else "minutes"
        with self.db.write() as conn:
            audit.record(
                conn,
                at=now,
                action=action,
                outcome="denied",
                detail={"reason": "address_throttled"},
            )
        raise AuthenticationFailed(
            f"Too many failed sign-ins from your network address. Wait {minutes} {unit} and "
            "try again."
        )

    def failed(self, address: str) -> None:
        """Count one failed attempt from `address`."""
        for _ in range(2):  # a second try when another worker inserted the row first
            try:
                self._count(address)
                return
            except IntegrityError:
                continue

    def _count(self, address: str) -> None:
        now = self.clock.now()
        with self.db.write() as conn:
            row = (
                conn.execute(select(failures_table).where(failures_table.c.address == address))
                .mappings()
                .first()
            )
            if row is None:
                conn.execute(
                    insert(failures_table).values(
                        address=address, window_started_at=now, failures=1
                    )
                )
            elif now >= row["window_started_at"] + self.window:
                conn.execute(
                    update(failures_table)
                    .where(failures_table.c.address == address)
                    .values(window_started_at=now, failures=1)
                )
            else:
                conn.execute(
                    update(failures_table)
                    .where(failures_table.c.address == address)
                    .values(failures=failures_table.c.failures + 1)
                )
