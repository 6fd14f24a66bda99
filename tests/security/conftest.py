"""Security tests: each module is one class of attack, tried through the real API app (and
through `RemoteClient`) over the small demo world. The fixtures are the API tests' own."""

from __future__ import annotations

from api.conftest import app, demo_world, http, http_client, world

__all__ = ["app", "demo_world", "http", "http_client", "world"]
