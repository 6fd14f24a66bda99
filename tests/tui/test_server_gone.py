"""The thin client when the server goes away: a clear "cannot reach" state, the typed draft kept,
and the retry key working once the server is back on the same port.

The server is the real API app on uvicorn, on 127.0.0.1, in a thread of the test process, so it
can be stopped and started again over the same database between two key presses.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from textual.widgets import Input, Static

from builders import PASSWORD
from portal_core.client.credentials import MemoryTokenStore
from portal_core.client.remote import RemoteClient
from portal_core.config import Settings
from portal_core.services import Services
from portal_tui.app import PortalApp
from portal_tui.widgets.result_table import ResultTable
from portal_tui.widgets.status_bar import StatusBar
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in

uvicorn = pytest.importorskip("uvicorn")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThreadedServer:
    """`create_app(services)` on uvicorn in a thread; stopped and started again on one port."""

    def __init__(self, services: Services) -> None:
        from portal_core.api.app import create_app

        self.app = create_app(services)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        for _ in range(500):  # waiting for start-up, not timing it
            if self._server.started:
                return
            if not self._thread.is_alive():
                break
            self._thread.join(0.02)
        raise AssertionError("uvicorn did not start")

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(30)
        assert not self._thread.is_alive()


@pytest.fixture
def live(services: Services, practice: Practice) -> Iterator[ThreadedServer]:
    server = ThreadedServer(services)
    server.start()
    yield server
    if server._thread is not None and server._thread.is_alive():
        server.stop()


def _remote_app(url: str) -> PortalApp:
    return PortalApp(lambda: RemoteClient.connect(url, token_store=MemoryTokenStore()), Settings())


def _status(app: PortalApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def test_a_stopped_server_shows_a_clear_state_and_retry_recovers(
    live: ThreadedServer,
) -> None:
    app = _remote_app(live.url)
    async with app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")  # the users menu
        await settle(
            pilot,
            lambda: app.current_mode == "users" and not app.screen.query_one(ResultTable).fetching,
        )
        table = app.screen.query_one(ResultTable)
        assert table.total == 8 and app.server_reachable
        screen = app.screen

        live.stop()
        # The user types a filter; the list cannot be fetched.
        app.screen.query_one("#users-text", Input).value = "lou"
        await settle(pilot, lambda: not app.server_reachable)
        await settle(pilot, lambda: "Cannot reach the portal server" in _status(app))
        assert "ctrl+r to retry" in _status(app)
        assert "Traceback" not in screen_text(app)
        assert any("Cannot reach" in n.title for n in app._notifications)
        # Nothing was torn down: the same screen, the draft as typed.
        assert app.screen is screen and app.current_mode == "users"
        assert app.screen.query_one("#users-text", Input).value == "lou"

        live.start()
        await pilot.press("ctrl+r")
        await settle(
            pilot, lambda: app.server_reachable and table.total == 1 and not table.fetching
        )
        await settle(pilot, lambda: "Cannot reach" not in _status(app))
        assert "lou.locked" in screen_text(app)
        assert app.screen.query_one("#users-text", Input).value == "lou"


async def test_sign_in_with_no_server_says_so_and_keeps_the_password() -> None:
    app = _remote_app(f"http://127.0.0.1:{_free_port()}")  # nothing listens there
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one("#username", Input).value = "ada.admin"
        password = app.screen.query_one("#password", Input)
        password.value = PASSWORD
        password.focus()
        await pilot.press("enter")
        message = app.screen.query_one("#login-message", Static)
        await settle(pilot, lambda: "cannot be reached" in str(message.render()))
        assert "ctrl+r to try again" in str(message.render())
        assert not app.server_reachable and not app.signed_in
        assert app.screen.query_one("#password", Input).value == PASSWORD


async def test_a_review_decision_made_while_the_server_is_gone_is_sent_by_retry(
    live: ThreadedServer, services: Services
) -> None:
    from tui.test_reviews import decisions, open_worklist

    app = _remote_app(live.url)
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_worklist(pilot, app)
        first = table.current
        assert first is not None
        live.stop()
        await pilot.press("y")  # keep: shown at once, then taken back as the server is gone
        await settle(pilot, lambda: not app.server_reachable)
        await settle(pilot, lambda: table.current is not None and table.current.id != first.id)
        assert decisions(services)[first.username] is None
        assert "keep" not in screen_text(app)

        live.start()
        await pilot.press("ctrl+r")
        await settle(pilot, lambda: decisions(services)[first.username] == "keep")
        await settle(pilot, lambda: "Decided 1 of 7" in screen_text(app))
        assert "keep" in screen_text(app) and app.server_reachable
