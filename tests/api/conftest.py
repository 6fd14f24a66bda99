"""API fixtures: the small demo world (SQLite) and an HTTP client of the real app in process."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from conftest import START
from portal_core.api.app import create_app
from portal_core.clock import SettableClock
from portal_core.demo import Scale, seed
from portal_core.services import Services
from portal_core.store.engine import Database


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    """The small demo, seeded once."""
    path = tmp_path_factory.mktemp("api") / "demo.sqlite3"
    shutil.copyfile(migrated_template, path)
    db = Database(f"sqlite:///{path}")
    seed(db, Scale.SMALL, SettableClock(START))
    db.dispose()
    return path


@pytest.fixture
def world(demo_world: Path, tmp_path: Path, clock: SettableClock) -> Services:
    """A fresh copy of the demo world, on the test clock."""
    path = tmp_path / "world.sqlite3"
    shutil.copyfile(demo_world, path)
    return Services(Database(f"sqlite:///{path}"), clock)


@pytest.fixture
def app(world: Services) -> FastAPI:
    """The API app over the world."""
    return create_app(world)


def http_client(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """A plain HTTP client of `app`, calling from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://portal.test")


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client of the app."""
    async with http_client(app) as client:
        yield client
