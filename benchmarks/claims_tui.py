"""The claims screen on the 1,000,000-claim database: Enter to the first page drawn, and the TUI's
resident memory after the searches.

Timed inside the running app (as `review_keypress` does): a hook stamps the Enter key event, another
stamps the first frame the compositor hands to `App._display` once the results table holds rows.
The app runs headless in a process of its own over a copy of the benchmark database (searches append
audit rows), signed in as the large TIN's administrator; memory is the resident set of that
process (which runs nothing else) after the searches.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import Figure, fresh_copy
from benchmarks.review_keypress import _until
from portal_core.demo import DEMO_PASSWORD, LARGE_SIGN_IN
from portal_core.demo.catalog import LARGE_TIN

ROUNDS = 15
"""Searches of each kind."""


def _samples_to_search(database: Path) -> tuple[list[str], list[str]]:
    """Claim numbers and member IDs of the large TIN, picked across the table."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT claim_number, member_id FROM claims WHERE tin = :tin "
                    "AND id % 997 = 0 LIMIT :n"
                ),
                {"tin": LARGE_TIN, "n": ROUNDS},
            ).all()
    finally:
        engine.dispose()
    return [r[0] for r in rows], [r[1] for r in rows]


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def _run(database: Path) -> tuple[dict[str, list[float]], float]:
    from textual import events
    from textual.widgets import Input

    from portal_core.client.factory import open_client
    from portal_core.config import load_settings
    from portal_tui.app import PortalApp

    claim_numbers, member_ids = _samples_to_search(database)
    settings = load_settings(database_url=f"sqlite:///{database}")
    app = PortalApp(client_factory=lambda: open_client(settings), settings=settings)
    gaps: dict[str, list[float]] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        await app.wait_for_client()
        login = app.screen
        login.query_one("#username", Input).value = LARGE_SIGN_IN.username
        login.query_one("#password", Input).value = DEMO_PASSWORD
        login.sign_in()  # type: ignore[attr-defined]
        await _until(lambda: app.signed_in, "sign-in")
        await pilot.press("3")
        await _until(lambda: type(app.screen).__name__ == "ClaimSearchScreen", "the claims screen")
        await app.workers.wait_for_complete()
        screen: Any = app.screen
        table = screen.table
        pending: dict[str, Any] = {}
        original_event = app.on_event
        original_display = app._display

        async def on_event(event: Any) -> None:
            if isinstance(event, events.Key) and event.key == "enter":
                pending["at"] = time.perf_counter()
            await original_event(event)

        def display(target: Any, renderable: Any) -> None:
            original_display(target, renderable)
            at = pending.get("at")
            if at is not None and renderable is not None and table.rows and not table.fetching:
                gaps.setdefault(pending["kind"], []).append((time.perf_counter() - at) * 1000)
                pending.clear()

        app.on_event = on_event  # type: ignore[method-assign]
        app._display = display  # type: ignore[method-assign]
        fields = ("claim-number", "member-id", "tin", "service-from", "service-to")

        async def search(kind: str, values: dict[str, str]) -> None:
            for name in fields:
                screen.query_one(f"#{name}", Input).value = values.get(name, "")
            screen.query_one(f"#{next(iter(values))}", Input).focus()
            table.reset()
            await pilot.pause()
            pending["kind"] = kind
            await pilot.press("enter")
            await _until(lambda: "at" not in pending, f"the first page of a {kind} search")
            await app.workers.wait_for_complete()

        for number, member in zip(claim_numbers, member_ids, strict=True):
            await search("claim number", {"claim-number": number})
            await search("member + dates", {"member-id": member, "service-from": "2024-12-01"})
            await search("TIN + dates", {"tin": LARGE_TIN, "service-from": "2024-12-01"})
        memory = _rss_mb()
    return gaps, memory


def measure(database: Path, scratch: Path) -> list[Figure]:
    """First page after Enter for three kinds of claim search, and the TUI's memory after them."""
    kinds = ("claim number", "member + dates", "TIN + dates")
    figures = [
        Figure(f"first page after Enter, 1,000,000 claims: {kind}", "ms", 100) for kind in kinds
    ]
    memory = Figure(
        "TUI resident memory with the 1,000,000-claim database open, after searches", "MB", 150
    )
    copy = scratch / "claims-screen.sqlite3"
    fresh_copy(database, copy)
    try:
        # A process of its own, so its memory is the app's and not the earlier benchmarks'.
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.claims_tui", str(copy)],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        gaps, rss = answer["gaps"], answer["rss"]
    except Exception as error:  # report the step as not measured, keep the other figures
        reason = f"could not drive the claims screen: {type(error).__name__}: {error}"
        for figure in [*figures, memory]:
            figure.skipped = reason
        return [*figures, memory]
    finally:
        copy.unlink(missing_ok=True)
    for figure, kind in zip(figures, kinds, strict=True):
        figure.samples = gaps.get(kind, [])
        figure.note = f"{len(figure.samples)} searches, Enter to the frame with rows, in-app hook"
    memory.samples = [rss]
    memory.note = "resident set of a process running only the app, after all the searches"
    return [*figures, memory]


if __name__ == "__main__":
    measured_gaps, measured_rss = asyncio.run(_run(Path(sys.argv[1])))
    print(json.dumps({"gaps": measured_gaps, "rss": measured_rss}))
