"""A smoke run over a real `portal serve` on 127.0.0.1: the same client, a real socket, uvicorn,
and the CLI's `login`, token reuse and `logout`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from portal_core.client.credentials import MemoryTokenStore
from portal_core.client.remote import RemoteClient
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.errors import SessionExpired
from portal_core.models.users import UserFilter
from serve_process import running_server

PORTAL = [sys.executable, "-m", "portal_tui.cli"]


def _portal(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PORTAL, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def server() -> Iterator[str]:
    """`portal serve` over a freshly seeded SQLite file, until the test ends."""
    seeded = _portal("demo", "seed", "--quiet")
    assert seeded.returncode == 0, seeded.stderr
    with running_server() as url:
        yield url


async def test_a_real_server_answers_the_remote_client(server: str) -> None:
    client = RemoteClient.connect(server, token_store=MemoryTokenStore())
    try:
        await client.sign_in("admin.lakeside", DEMO_PASSWORD)
        first = await client.list_users(UserFilter(tin=MAIN_TIN), limit=10)
        again = await client.list_users(UserFilter(tin=MAIN_TIN), limit=10)  # any worker
        assert [u.id for u in first.items] == [u.id for u in again.items] and first.items
        await client.sign_out()
        with pytest.raises(SessionExpired):
            await client.account()
    finally:
        await client.close()


def test_login_keeps_a_token_that_later_commands_use(server: str) -> None:
    env = {"PORTAL_TOKEN_STORAGE": "file", "PORTAL_PASSWORD": DEMO_PASSWORD}
    login = _portal("--server", server, "login", "--username", "admin.lakeside", env=env)
    assert login.returncode == 0, login.stderr
    assert "plaintext" in login.stderr and "Signed in" in login.stderr
    listed = _portal(
        "--server",
        server,
        "users",
        "list",
        "--format",
        "json",
        env={"PORTAL_TOKEN_STORAGE": "file"},
    )
    assert listed.returncode == 0, listed.stderr
    assert "admin.lakeside" in {row["username"] for row in json.loads(listed.stdout)}
    logout = _portal("--server", server, "logout", env={"PORTAL_TOKEN_STORAGE": "file"})
    assert logout.returncode == 0 and "Signed out" in logout.stderr
    refused = _portal("--server", server, "users", "list", env={"PORTAL_TOKEN_STORAGE": "file"})
    assert refused.returncode == 2
