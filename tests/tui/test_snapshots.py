"""Snapshots pinning the look of key screens at 100x30 (update with --snapshot-update)."""

from __future__ import annotations

from typing import Any

from portal_core.client.local import LocalClient
from portal_core.config import Settings
from portal_core.services import Services
from portal_tui.app import PortalApp
from portal_tui.screens.review_worklist import ReviewWorklistScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in

SIZE = (100, 30)


def steady_app(services: Services) -> PortalApp:
    """The app with a fixed backend label (the test database's path changes every run)."""

    def client() -> LocalClient:
        local = LocalClient(services)
        local.backend_label = "local: portal.sqlite3"
        return local

    return PortalApp(client, Settings())


def test_sign_in_screen(snap_compare: Any, practice: Practice, services: Services) -> None:
    async def ready(pilot: Any) -> None:
        await pilot.pause()

    assert snap_compare(steady_app(services), terminal_size=SIZE, run_before=ready)


def test_home_screen(snap_compare: Any, practice: Practice, services: Services) -> None:
    async def ready(pilot: Any) -> None:
        await sign_in(pilot)
        await settle(pilot, lambda: "Needs action" in screen_text(pilot.app))
        # Every section loads in its own worker: wait until none says "Loading…".
        await settle(pilot, lambda: "Loading" not in screen_text(pilot.app))

    assert snap_compare(steady_app(services), terminal_size=SIZE, run_before=ready)


def test_review_worklist(snap_compare: Any, practice: Practice, services: Services) -> None:
    async def ready(pilot: Any) -> None:
        app = pilot.app
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot, lambda: app.current_mode == "reviews")
        await pilot.press("o")
        await settle(pilot, lambda: "Open a user review?" in screen_text(app))
        await pilot.press("y")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, ReviewWorklistScreen)
                and not app.screen.query_one(ResultTable).fetching
            ),
        )
        await pilot.press("y", "space")
        await settle(pilot, lambda: "Decided 1 of 7" in screen_text(app))

    assert snap_compare(steady_app(services), terminal_size=SIZE, run_before=ready)
