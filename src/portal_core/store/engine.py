"""The database handle: engine creation, SQLite pragmas, read and write transactions, migrations.

SQLite connections use WAL, `synchronous=FULL`, foreign keys and a busy timeout; a write transaction
starts with `BEGIN IMMEDIATE` so two writers never deadlock on a lock upgrade. PostgreSQL uses its
default READ COMMITTED transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool, QueuePool

from portal_core import paths
from portal_core.errors import BackendUnavailable
from portal_core.store.checkpoints import Checkpointer

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Database:
    """One database: SQLite file or PostgreSQL server, chosen by its SQLAlchemy URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        """The SQLAlchemy URL."""
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        """True for the embedded SQLite backend."""
        self.checkpointer: Checkpointer | None = None
        """Checkpoints a SQLite file's WAL off the request path (None otherwise)."""
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, parsed.database)
            if parsed.database and parsed.database != ":memory:":
                self.checkpointer = Checkpointer(self.engine, Path(parsed.database))
        else:
            self.engine = create_engine(url, pool_pre_ping=True, future=True)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        with self._connect(immediate=True) as conn, conn.begin():
            yield conn
        if self.checkpointer is not None:
            self.checkpointer.committed()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot)."""
        with self._connect(immediate=False) as conn, conn.begin():
            yield conn

    @contextmanager
    def _connect(self, *, immediate: bool) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except OperationalError as error:
            raise BackendUnavailable("The database cannot be opened.") from error
        with conn:
            if immediate:
                conn = conn.execution_options(portal_immediate=True)
            yield conn

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        from alembic import command

        with self.engine.begin() as conn:
            config = alembic_config(self.url)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def current_revision(self) -> str | None:
        """The schema's migration revision, or None for an empty database."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def dispose(self) -> None:
        """Close every pooled connection."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    """An Alembic Config pointing at the shipped migrations, with no ini file needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        paths.ensure_private_dir(Path(database).parent)
        _create_private_file(Path(database))
    # A file database keeps its connections open in a pool: closing the last connection of a WAL
    # database checkpoints the WAL into the file (about 2.5 ms on 1,000,000 claims), and opening one
    # re-runs the pragmas, both on every transaction. SQLite still checkpoints as the WAL grows.
    pool = QueuePool if database and database != ":memory:" else NullPool
    engine = create_engine(url, poolclass=pool, future=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # The driver's own transaction handling is off so that BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        if database and database != ":memory:":
            # The Checkpointer's thread copies the WAL into the file, not the committing request;
            # the WAL is cut back when it restarts, so its size tells how much awaits copying.
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
            cursor.execute("PRAGMA journal_size_limit = 0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("portal_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _create_private_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does (SQLite would follow the umask)."""
    if not path.exists():
        paths.write_private_file(path, b"")


def open_database(url: str | None = None) -> Database:
    """The database of the settings (or `url`), not yet migrated."""
    if url is None:
        from portal_core.config import load_settings

        url = load_settings().resolved_database_url()
    return Database(url)


def sync_sequences(conn: Connection) -> None:
    """After rows were inserted with explicit ids (the demo does), move PostgreSQL's sequences
    past them, so the next insert without an id gets a free one. SQLite needs nothing."""
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import Integer, func, select

    from portal_core.store.schema import metadata

    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        key = keys[0]
        highest = conn.execute(select(func.max(key))).scalar()
        if highest is None:
            continue
        conn.execute(
            select(
                func.setval(
                    func.pg_get_serial_sequence(table.name, key.name), int(highest) + 1, False
                )
            )
        )
