"""Security tests: each module is one class of attack, tried through the real API app (and
through `RemoteClient`) over the small demo world. The fixtures are the API tests' own, and a
`RemoteClient` of that app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from api.conftest import app, demo_world, http, http_client, world
from in_process_api import remote_client
from portal_core.client.remote import RemoteClient

__all__ = ["app", "client", "demo_world", "http", "http_client", "world"]


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[RemoteClient]:
    """A RemoteClient of the real API app."""
    remote = remote_client(app=app)
    try:
        yield remote
    finally:
        await remote.close()
