"""The contract suite's worlds and clients.

Every scenario runs four ways: through `LocalClient` and through `RemoteClient` (the real API app
in process over `httpx.ASGITransport`, on the same database), each over SQLite and over a
throwaway PostgreSQL server. The world is the small demo, seeded once per backend and copied for
each test.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from conftest import START
from in_process_api import remote_client
from pg_server import PostgresServer, postgres  # noqa: F401  (the session fixture)
from portal_core.client.base import PortalClient
from portal_core.client.local import LocalClient
from portal_core.client.remote import RemoteClient
from portal_core.clock import SettableClock
from portal_core.demo import Scale, seed
from portal_core.services import Services
from portal_core.store.engine import Database

_names = itertools.count(1)


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    """The small demo in a SQLite file, seeded once."""
    path = tmp_path_factory.mktemp("contract") / "demo.sqlite3"
    shutil.copyfile(migrated_template, path)
    db = Database(f"sqlite:///{path}")
    seed(db, Scale.SMALL, SettableClock(START))
    db.dispose()
    return path


@pytest.fixture(scope="session")
def demo_postgres(postgres: PostgresServer) -> str:  # noqa: F811
    """The small demo in a PostgreSQL database (the template each test copies)."""
    db = Database(postgres.create_database("demo_template"))
    db.upgrade()
    seed(db, Scale.SMALL, SettableClock(START))
    db.dispose()
    return "demo_template"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh copy of the demo world on the backend the parameter names."""
    if request.param == "sqlite":
        path = tmp_path / "world.sqlite3"
        shutil.copyfile(request.getfixturevalue("demo_sqlite"), path)
        db = Database(f"sqlite:///{path}")
    else:
        template = request.getfixturevalue("demo_postgres")
        server: PostgresServer = request.getfixturevalue("postgres")
        db = Database(server.create_database(f"world_{next(_names)}", template=template))
    yield db
    db.dispose()


@pytest.fixture
def world(world_db: Database, clock: SettableClock) -> Services:
    """Every service over the test's world, on the test clock."""
    return Services(world_db, clock)


@pytest.fixture(params=["local", "remote"])
async def client(request: pytest.FixtureRequest, world: Services) -> AsyncIterator[PortalClient]:
    """The client under test: the services in process, or the same services over the API."""
    made: PortalClient = LocalClient(world) if request.param == "local" else remote_client(world)
    yield made
    if isinstance(made, RemoteClient):
        await made.close()  # the local client's close would dispose the shared database
