"""`RemoteClient` on its own: unreachable servers, retries, error bodies, token storage."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import httpx
import pytest

from in_process_api import remote_client
from portal_core import paths
from portal_core.client import remote
from portal_core.client.credentials import (
    FileTokenStore,
    KeyringTokenStore,
    MemoryTokenStore,
    open_token_store,
)
from portal_core.client.remote import RemoteClient
from portal_core.config import Settings
from portal_core.demo import DEMO_PASSWORD
from portal_core.errors import (
    BackendUnavailable,
    Conflict,
    NotFound,
    PortalError,
    SessionExpired,
)
from portal_core.services import Services


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "RETRY_DELAYS", (0.0, 0.0))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_server_is_backend_unavailable() -> None:
    client = RemoteClient.connect(
        f"http://127.0.0.1:{_closed_port()}", token_store=MemoryTokenStore()
    )
    with pytest.raises(BackendUnavailable, match="cannot be reached"):
        await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    await client.close()


class FlakyTransport(httpx.AsyncBaseTransport):
    """Fails the first `failures` requests as the given error, then passes them on."""

    def __init__(self, inner: httpx.AsyncBaseTransport, error: type[Exception], failures: int):
        self.inner, self.error, self.failures, self.seen = inner, error, failures, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen <= self.failures:
            raise self.error("dropped")  # type: ignore[call-arg]
        return await self.inner.handle_async_request(request)


async def test_reads_are_retried_after_a_dropped_connection(world: Services) -> None:
    client = remote_client(world)
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    flaky = FlakyTransport(client._http._transport, httpx.ReadError, failures=2)
    client._http._transport = flaky
    account = await client.account()  # a GET: tried three times
    assert account.username == "admin.lakeside" and flaky.seen == 3


async def test_writes_are_not_retried_after_a_dropped_connection(world: Services) -> None:
    client = remote_client(world)
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    flaky = FlakyTransport(client._http._transport, httpx.ReadError, failures=1)
    client._http._transport = flaky
    with pytest.raises(BackendUnavailable):
        await client.open_campaign("461234567")
    assert flaky.seen == 1


def _answering(status: int, body: bytes, content_type: str = "application/json") -> RemoteClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    client = RemoteClient.connect(
        "http://portal.test", transport=httpx.MockTransport(handler), token_store=MemoryTokenStore()
    )
    client.token = "t"
    return client


async def test_error_bodies_become_the_same_error_class() -> None:
    client = _answering(409, b'{"error": "Conflict", "message": "Taken.", "field": "username"}')
    with pytest.raises(Conflict) as refused:
        await client.account()
    assert (refused.value.message, refused.value.field) == ("Taken.", "username")
    with pytest.raises(BackendUnavailable):
        await _answering(502, b"<html>bad gateway</html>", "text/html").account()
    with pytest.raises(NotFound):
        await _answering(404, b"nothing").account()
    with pytest.raises(PortalError):
        await _answering(418, b"{}").account()


def test_every_client_method_has_a_route() -> None:
    assert set(remote.PortalClient.__abstractmethods__) <= set(remote.ROUTES_BY_METHOD)


async def test_a_client_without_a_session_does_not_call_the_server() -> None:
    client = _answering(200, b"{}")
    client.token = None
    with pytest.raises(SessionExpired):
        await client.account()


# -- token storage ------------------------------------------------------------------------------


def test_portal_token_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_TOKEN", "from-the-environment")
    store = open_token_store(Settings(token_storage="file"), "https://portal.example.org")
    assert store.load() == "from-the-environment" and store.where == "PORTAL_TOKEN"


def test_a_plaintext_file_only_when_asked_and_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = open_token_store(Settings(token_storage="file"), "https://a.example.org")
    assert isinstance(store, FileTokenStore)
    assert "plaintext" in capsys.readouterr().err
    store.save("token-a")
    FileTokenStore(paths.token_file(), "https://b.example.org").save("token-b")
    assert store.load() == "token-a"
    assert stat.S_IMODE(os.stat(paths.token_file()).st_mode) == 0o600
    store.clear()
    assert store.load() is None
    assert FileTokenStore(paths.token_file(), "https://b.example.org").load() == "token-b"


class MemoryKeyring:
    """A keyring backend stand-in: the real module API over a dict."""

    def __init__(self, works: bool = True) -> None:
        self.works, self.kept = works, dict[tuple[str, str], str]()

    def set_password(self, service: str, account: str, secret: str) -> None:
        if not self.works:
            raise RuntimeError("no keyring")
        self.kept[(service, account)] = secret

    def get_password(self, service: str, account: str) -> str | None:
        return self.kept.get((service, account))

    def delete_password(self, service: str, account: str) -> None:
        self.kept.pop((service, account), None)


def test_the_keyring_after_a_test_write_else_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    working = MemoryKeyring()
    for name in ("set_password", "get_password", "delete_password"):
        monkeypatch.setattr(keyring, name, getattr(working, name))
    store = open_token_store(Settings(), "https://portal.example.org")
    assert isinstance(store, KeyringTokenStore)
    store.save("kept")
    assert store.load() == "kept" and list(working.kept.values()) == ["kept"]
    store.clear()
    assert not working.kept

    broken = MemoryKeyring(works=False)
    monkeypatch.setattr(keyring, "set_password", broken.set_password)
    assert isinstance(open_token_store(Settings(), "https://x.example.org"), MemoryTokenStore)
    assert not Path(paths.token_file()).exists()  # never a file unless asked


async def test_sign_in_keeps_the_token_and_sign_out_forgets_it(world: Services) -> None:
    client = remote_client(world)
    store = client.tokens
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    assert store.load() == client.token is not None
    await client.sign_out()
    assert store.load() is None
