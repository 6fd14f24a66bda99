"""A `RemoteClient` speaking to the real API app in process (`httpx.ASGITransport`): what the
contract and API tests use in place of a network."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from portal_core.api.app import create_app
from portal_core.client.credentials import MemoryTokenStore
from portal_core.client.remote import RemoteClient
from portal_core.services import Services

SERVER = "http://portal.test"
"""The base URL the in-process client uses (nothing listens there)."""


def remote_client(
    services: Services | None = None, address: str = "127.0.0.1", app: FastAPI | None = None
) -> RemoteClient:
    """A client of `app` (or of a new `create_app(services)`), calling from `address`."""
    if app is None:
        assert services is not None
        app = create_app(services)
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return RemoteClient.connect(SERVER, transport=transport, token_store=MemoryTokenStore())
