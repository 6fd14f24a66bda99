"""(c) A review decision keypress repainted, on the 10,000-user campaign, timed inside the app.

Pilot's wall time is no latency figure (it costs ~83 ms a key whatever the app), so two hooks on the
running app time it instead: one stamps a key event as the app receives it, the other stamps the
next frame the compositor hands to `App._display`. The figure is the gap, per key. The real app
runs headless over a copy of the benchmark database, signed in as the large TIN's administrator.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import Figure, fresh_copy
from portal_core.demo import DEMO_PASSWORD, LARGE_SIGN_IN

DECISIONS = 100
"""Decision keypresses measured (each after a cursor move, which is measured too)."""
WAIT_LIMIT = 60.0


class FrameClock:
    """Stamps key events and the frame after each."""

    def __init__(self, app: Any) -> None:
        from textual import events

        self.pending: tuple[str, float] | None = None
        self.gaps: dict[str, list[float]] = {}
        original_event = app.on_event
        original_display = app._display

        async def on_event(event: Any) -> None:
            if isinstance(event, events.Key):
                self.pending = (event.key, time.perf_counter())
            await original_event(event)

        def display(screen: Any, renderable: Any) -> None:
            original_display(screen, renderable)
            if renderable is not None and self.pending is not None:
                key, at = self.pending
                self.gaps.setdefault(key, []).append((time.perf_counter() - at) * 1000)
                self.pending = None

        app.on_event = on_event
        app._display = display


async def _until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} never happened")
        await asyncio.sleep(0.02)


def _key_for(screen: Any, word: str) -> str | None:
    for key, active in screen.active_bindings.items():
        if word in active.binding.action:
            return str(key)
    return None


async def _run(database: Path) -> tuple[dict[str, list[float]], str]:
    from portal_core.client.factory import open_client
    from portal_core.config import load_settings
    from portal_tui.app import PortalApp

    settings = load_settings(database_url=f"sqlite:///{database}")
    app = PortalApp(client_factory=lambda: open_client(settings), settings=settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.wait_for_client()
        login = app.screen
        login.query_one("#username").value = LARGE_SIGN_IN.username
        login.query_one("#password").value = DEMO_PASSWORD
        login.sign_in()
        await _until(lambda: app.signed_in, "sign-in")
        await app.open_review()
        await _until(lambda: _key_for(app.screen, "keep") is not None, "the review worklist")
        await app.workers.wait_for_complete()
        await pilot.pause()
        keep = _key_for(app.screen, "keep")
        assert keep is not None
        clock = FrameClock(app)

        async def press(key: str) -> None:
            # Wait for the key's frame before the next key, so each gap belongs to one key.
            await pilot.press(key)
            await _until(lambda: clock.pending is None, f"a frame after {key}")
            await app.workers.wait_for_complete()

        for _ in range(DECISIONS):
            await press("down")
            await press(keep)
        return clock.gaps, keep


def measure(database: Path, scratch: Path) -> list[Figure]:
    """Key-to-frame latency of decision keys and of cursor moves in the worklist."""
    decision = Figure("user review of 10,000 users: a decision keypress repainted", "ms", 16.7)
    cursor = Figure("any key to the next frame (cursor down in the worklist)", "ms", 16.7)
    copy = scratch / "keypress.sqlite3"
    fresh_copy(database, copy)
    try:
        gaps, keep = asyncio.run(_run(copy))
    except Exception as error:  # the screens may not be built yet: say so, keep the other figures
        reason = f"could not drive the worklist: {type(error).__name__}: {error}"
        decision.skipped = cursor.skipped = reason
        return [decision, cursor]
    finally:
        copy.unlink(missing_ok=True)
    decision.samples = gaps.get(keep, [])
    decision.note = f"key `{keep}`, {len(decision.samples)} presses, in-app hook"
    cursor.samples = gaps.get("down", [])
    cursor.note = f"{len(cursor.samples)} presses, in-app hook"
    return [decision, cursor]
