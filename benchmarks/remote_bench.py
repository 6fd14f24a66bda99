"""(e) remote: a page of 100 records over loopback, end to end.

Starts a real `portal serve` (one worker) on 127.0.0.1 over the benchmark database, signs in
through `RemoteClient` as the administrator of the 10,000-user TIN, and times
`search_claims(limit=100)` pages from the call to the validated result: HTTP on a kept-alive
connection, session lookup, the keyset query, serialization and parsing. Claims do not exist yet,
so the user list stands in for the budget's "page of 100 claims".
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from benchmarks.measure import Figure
from portal_core.client.credentials import MemoryTokenStore
from portal_core.client.remote import RemoteClient
from portal_core.demo import DEMO_PASSWORD, LARGE_SIGN_IN
from portal_core.demo.catalog import LARGE_TIN
from portal_core.models.claims import ClaimSearch

ROUNDS = 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure_page(data: Path) -> Figure:
    """p50 of a 100-row page through a real server on loopback."""
    figure = Figure(
        "remote: a page of 100 claims over loopback, end to end",
        "ms",
        5,
        judged_on="median",
        note="search_claims(TIN, limit=100) on the 1,000,000-claim TIN via `portal serve`",
    )
    port = _free_port()
    env = dict(os.environ, PORTAL_DATA_DIR=str(data), PORTAL_CONFIG=str(data / "none.toml"))
    env.pop("PORTAL_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "portal_tui.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            figure.skipped = "portal serve did not start"
            return figure
        asyncio.run(_rounds(url, figure))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return figure


async def _rounds(url: str, figure: Figure) -> None:
    client = RemoteClient.connect(url, token_store=MemoryTokenStore())
    try:
        await client.sign_in(LARGE_SIGN_IN.username, DEMO_PASSWORD)
        wanted = ClaimSearch(tin=LARGE_TIN)
        page = await client.search_claims(wanted, limit=100)  # warm-up: imports, connection
        cursors = [None, page.next_cursor]
        for round_number in range(ROUNDS):
            after = cursors[round_number % 2]
            start = time.perf_counter()
            page = await client.search_claims(wanted, after=after, limit=100)
            figure.samples.append((time.perf_counter() - start) * 1000)
            assert len(page.items) == 100
        await client.sign_out()
    finally:
        await client.close()
