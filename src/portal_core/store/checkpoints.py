"""Copying SQLite's write-ahead log back into the database file off the request path.

SQLite's automatic checkpoint runs inside whichever commit pushes the WAL past 1,000 pages, so
one request in every few paid for copying the others' pages and syncing the file: on 1,000,000
claims, every seventh claim search (100 member-read audit rows dirty about 150 pages) took 8 ms
instead of 4. Connections here turn the automatic checkpoint off and a thread of the process runs
a PASSIVE checkpoint (it waits for no lock and blocks no reader or writer) once the WAL passes
the same size (connections set `journal_size_limit = 0`, so the WAL file is cut back each time it
restarts and its size is what awaits copying). Durability is unchanged: a commit is synced to
the WAL (`synchronous=FULL`) before it returns, whoever copies it into the file later.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

WAL_PAGES = 1000
"""Checkpoint once the WAL holds about this many pages (SQLite's own default threshold)."""

BACKSTOP = 16
"""WAL size, in thresholds, from which the committing thread checkpoints itself."""


class Checkpointer:
    """A daemon thread that checkpoints one database file's WAL when told it has grown."""

    def __init__(self, engine: Engine, database: Path, page_size: int = 4096) -> None:
        self.engine = engine
        """The engine whose connections checkpoint."""
        self.wal = Path(f"{database}-wal")
        """The WAL file whose size says when to checkpoint."""
        self.threshold = WAL_PAGES * page_size
        """WAL bytes that call for a checkpoint."""
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def committed(self) -> None:
        """After a write commits: wake the thread when the WAL has grown past the threshold."""
        try:
            size = self.wal.stat().st_size
        except OSError:
            return
        if self._stopped or size < self.threshold:
            return
        if size >= BACKSTOP * self.threshold:
            # Writes in a row (a bulk load) outran the thread: the WAL only restarts once
            # copied whole, so this commit waits for the copy rather than let the WAL grow on.
            self._checkpoint()
            return
        self._ensure_thread()
        self._wake.set()

    def _ensure_thread(self) -> None:
        with self._lock:
            # A forked worker process does not inherit the parent's thread: start its own.
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="sqlite-checkpoint", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopped:
                return
            self._checkpoint()

    def _checkpoint(self) -> None:
        # A failed checkpoint (a busy database) is tried again after a later commit.
        with contextlib.suppress(sqlite3.Error, DBAPIError):
            raw = self.engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                raw.close()

    def stop(self) -> None:
        """Stop the thread (when the database is disposed)."""
        self._stopped = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            thread.join(timeout=5)
