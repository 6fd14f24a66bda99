"""End on a long list fetches its last page only (never every page before it), paging up from there
fetches the pages before, Home goes back to the first rows without a fetch; and leaving the screen
for another menu cancels its workers, the page cut short being asked for again on coming back."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widgets import Input

from portal_core.demo.catalog import DEMO_PASSWORD, MAIN_TIN
from portal_core.models.claims import ClaimSearch
from portal_core.models.common import BACKWARD, LAST
from portal_tui.app import PortalApp
from portal_tui.screens.claims import ClaimSearchScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import settle, sign_in

SIZE = (100, 30)


def _all_claims(demo: Demo) -> list[str]:
    """Every claim number of the search, walked forwards by the service."""
    from core.members_claims_world import principal

    admin = principal(demo.services.db, "admin.lakeside")
    numbers: list[str] = []
    after = None
    while True:
        page = demo.services.claims.search_claims(admin, ClaimSearch(tin=MAIN_TIN), after, 500)
        numbers += [c.claim_number for c in page.items]
        if page.next_cursor is None:
            return numbers
        after = page.next_cursor


async def _searched(pilot: Any, app: PortalApp) -> tuple[ClaimSearchScreen, ResultTable[Any]]:
    await sign_in(pilot, "admin.lakeside", DEMO_PASSWORD)
    await pilot.press("3")
    await settle(pilot, lambda: isinstance(app.screen, ClaimSearchScreen))
    screen = app.screen
    assert isinstance(screen, ClaimSearchScreen)
    screen.query_one("#tin", Input).value = MAIN_TIN
    screen.query_one("#tin", Input).focus()
    await pilot.press("enter")
    table: ResultTable[Any] = screen.query_one("#claims-table", ResultTable)
    await settle(pilot, lambda: not table.fetching and len(table.rows) >= 100)
    await settle(pilot, lambda: app.focused is table)
    return screen, table


def _count_fetches(app: PortalApp) -> list[str | None]:
    """The `after` of every claim search the screen asks the client for, from now on."""
    client: Any = app.client
    asked: list[str | None] = []
    search = client.search_claims

    async def counted(search_: ClaimSearch, after: str | None = None, limit: int = 100) -> Any:
        asked.append(after)
        return await search(search_, after=after, limit=limit)

    client.search_claims = counted
    return asked


async def test_end_fetches_the_last_page_only_and_home_goes_back_without_a_fetch(demo: Demo):
    everything = _all_claims(demo)
    assert len(everything) > 1000  # many pages of 100
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        _, table = await _searched(pilot, app)
        first_rows = [c.claim_number for c in table.rows[:100]]
        asked = _count_fetches(app)
        await pilot.press("end")
        await settle(pilot, lambda: not table.fetching and asked == [LAST])
        assert table.current is not None and table.current.claim_number == everything[-1]
        assert [c.claim_number for c in table.rows] == everything[-100:]
        assert asked == [LAST]  # one page, not the thousands of rows before it
        assert "from the end" in table.status_text

        # Up from the last page: the page before comes in front, the cursor stays on its row.
        await pilot.press(*["pageup"] * 8)
        await settle(pilot, lambda: not table.fetching and len(table.rows) >= 200)
        held = len(table.rows)
        assert len(asked) == held // 100 and all(a.startswith(BACKWARD) for a in asked[1:])
        assert [c.claim_number for c in table.rows] == everything[-held:]
        assert table.current is not None
        assert table.current.claim_number == everything[-held + table.cursor]

        fetched = len(asked)
        await pilot.press("home")
        await pilot.pause()
        assert len(asked) == fetched  # the first rows were kept: no fetch
        assert table.cursor == 0
        assert [c.claim_number for c in table.rows[:100]] == first_rows
        assert table.status_text.startswith("Row 1 of")


async def test_leaving_the_screen_cancels_its_fetch_and_coming_back_asks_again(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await _searched(pilot, app)
        client: Any = app.client
        search = client.search_claims
        release = asyncio.Event()
        cancelled: list[str | None] = []

        async def slow(search_: ClaimSearch, after: str | None = None, limit: int = 100) -> Any:
            try:
                await release.wait()
            except asyncio.CancelledError:
                cancelled.append(after)
                raise
            return await search(search_, after=after, limit=limit)

        client.search_claims = slow
        await pilot.press("end")
        await settle(pilot, lambda: table.fetching)
        await pilot.press("1")  # another menu
        await settle(pilot, lambda: app.current_mode == "home")
        await settle(pilot, lambda: cancelled == [LAST])
        assert not table.fetching
        assert not [w for w in app.workers if w.node is screen and not w.is_finished]

        release.set()
        await pilot.press("3")  # back: the page cut short is asked for again
        await settle(pilot, lambda: app.screen is screen)
        await settle(pilot, lambda: not table.fetching and table.previous_cursor is not None)
        assert table.current is not None and table.cursor == len(table.rows) - 1
