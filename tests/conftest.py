"""Fixtures shared by every test: a real, migrated SQLite file per test and a settable clock."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal_core.clock import SettableClock
from portal_core.services import Services
from portal_core.store.engine import Database

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
"""The fixed 'now' tests start at (a Monday)."""


@pytest.fixture(scope="session", autouse=True)
def _session_secret_key() -> Iterator[None]:
    """One secret key for the whole run, never the user's own key file: session fixtures (the
    seeded demo worlds) write keyed audit hashes that every test's copy must verify."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTAL_SECRET_KEY", "portal-tests-secret-key-" + "0" * 24)
        yield


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the user's real data and config."""
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PORTAL_CONFIG", str(tmp_path / "config.toml"))
    for name in ("PORTAL_USERNAME", "PORTAL_PASSWORD", "PORTAL_TOKEN", "PORTAL_SERVER"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated with the real Alembic migrations, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "portal.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture
def db(tmp_path: Path, migrated_template: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite file."""
    path = tmp_path / "portal.sqlite3"
    shutil.copyfile(migrated_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def clock() -> SettableClock:
    """A clock standing at START until moved."""
    return SettableClock(START)


@pytest.fixture
def services(db: Database, clock: SettableClock) -> Services:
    """Every service over the test database."""
    return Services(db, clock)
