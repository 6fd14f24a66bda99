"""(f) remote under load: throughput of sign-in and of a claim search with 50 concurrent
clients on `portal serve --workers 2`, over SQLite and over PostgreSQL.

Each backend gets the small demo (`portal db upgrade`, `portal demo seed --scale small`): SQLite in
a scratch file, PostgreSQL in a throwaway server started the way the tests start one
(`tests/pg_server.py`; the PostgreSQL figures are skipped, saying why, when none can be started).
A real `portal serve --workers 2` listens on 127.0.0.1 only. Fifty `RemoteClient`s, each with its
own connections, run at once from this process: a round is every client doing `PER_CLIENT`
operations, and its figure is operations per second over the round's wall time. Bounded: `ROUNDS`
rounds, each cut off after `ROUND_LIMIT` seconds. The load generator shares the machine's CPUs
with the server, so the figures are for comparing backends and releases, not capacity planning.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from benchmarks.measure import Figure
from portal_core.client.credentials import MemoryTokenStore
from portal_core.client.remote import RemoteClient
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.models.claims import ClaimSearch

CLIENTS = 50
"""Clients working at once."""

PER_CLIENT = 4
"""Operations each client does in one round."""

ROUNDS = 3
"""Rounds per figure (each a sample of the throughput)."""

ROUND_LIMIT = 120.0
"""Seconds after which a round is abandoned (the figure then says so)."""

WORKERS = 2
"""`portal serve --workers`."""

SIGN_INS = ("admin.lakeside", "maint.lakeside", "staff.lakeside", "dr.rivera", "billing.acme")
"""Demo accounts the clients sign in as, in turn (all use `DEMO_PASSWORD`)."""

SEARCHES = (None, "paid", "denied", "pending", "received", "adjusted")
"""Claim statuses the claim searches use, in turn (None: any status)."""

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(scratch: Path) -> list[Figure]:
    """Sign-in and search throughput over SQLite, then over PostgreSQL."""
    figures: list[Figure] = []
    sqlite = scratch / "concurrency.sqlite3"
    sqlite.unlink(missing_ok=True)
    figures += _backend("SQLite", f"sqlite:///{sqlite}", scratch)
    figures += _over_postgres(scratch)
    return figures


def _figures(backend: str) -> tuple[Figure, Figure]:
    note = (
        f"{CLIENTS} RemoteClients at once, {PER_CLIENT} each per round, "
        f"`portal serve --workers {WORKERS}` on loopback, small demo; median/p95 over rounds"
    )
    sign_in = Figure(
        f"remote: sign-in throughput, {CLIENTS} concurrent clients, {backend}",
        "ops/s",
        None,
        note=note,
    )
    search = Figure(
        f"remote: claim search throughput, {CLIENTS} concurrent clients, {backend}",
        "ops/s",
        None,
        note=note + "; search_claims(TIN, status, limit=50) at the main TIN",
    )
    return sign_in, search


def _over_postgres(scratch: Path) -> list[Figure]:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from pg_server import start_postgres
    except ImportError as error:
        return _skipped("PostgreSQL", f"tests/pg_server.py could not be loaded ({error})")
    server = start_postgres()
    if isinstance(server, str):
        return _skipped("PostgreSQL", server)
    try:
        return _backend("PostgreSQL", server.create_database("portal_bench"), scratch)
    finally:
        server.stop()


def _skipped(backend: str, reason: str) -> list[Figure]:
    figures = _figures(backend)
    for figure in figures:
        figure.skipped = reason
    return list(figures)


def _backend(backend: str, database_url: str, scratch: Path) -> list[Figure]:
    sign_in, search = _figures(backend)
    env = dict(
        os.environ,
        PORTAL_DATA_DIR=str(scratch),
        PORTAL_CONFIG=str(scratch / "none.toml"),
        PORTAL_DATABASE_URL=database_url,
    )
    env.pop("PORTAL_SERVER", None)
    portal = [sys.executable, "-m", "portal_tui.cli"]
    for args in (["db", "upgrade", "--quiet"], ["demo", "seed", "--scale", "small", "--quiet"]):
        done = subprocess.run([*portal, *args], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            reason = f"seeding failed: {done.stderr.strip()[:200]}"
            return _skipped(backend, reason)
    port = _free_port()
    server = subprocess.Popen(
        [*portal, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)],
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
            reason = "portal serve did not start"
            sign_in.skipped = search.skipped = reason
            return [sign_in, search]
        asyncio.run(_load(url, sign_in, search))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return [sign_in, search]


async def _load(url: str, sign_in: Figure, search: Figure) -> None:
    clients = [RemoteClient.connect(url, token_store=MemoryTokenStore()) for _ in range(CLIENTS)]
    try:

        def signing_in(n: int) -> Callable[[], Awaitable[object]]:
            client = clients[n]
            return lambda: client.sign_in(SIGN_INS[n % len(SIGN_INS)], DEMO_PASSWORD)

        # Warm-up: every client connected and signed in as the main TIN's administrator, whose
        # session the searches use.
        await asyncio.gather(*(c.sign_in("admin.lakeside", DEMO_PASSWORD) for c in clients))
        await _rounds(sign_in, [signing_in(n) for n in range(CLIENTS)])
        for client in clients:
            await client.sign_out()
        await asyncio.gather(*(c.sign_in("admin.lakeside", DEMO_PASSWORD) for c in clients))

        def searching(n: int) -> Callable[[], Awaitable[object]]:
            client = clients[n]
            wanted = ClaimSearch(tin=MAIN_TIN, status=SEARCHES[n % len(SEARCHES)])
            return lambda: client.search_claims(wanted, limit=50)

        await _rounds(search, [searching(n) for n in range(CLIENTS)])
    finally:
        for client in clients:
            await client.close()


async def _rounds(figure: Figure, operations: list[Callable[[], Awaitable[object]]]) -> None:
    """`ROUNDS` samples of operations per second, every client doing `PER_CLIENT` in turn."""

    async def one_client(operation: Callable[[], Awaitable[object]]) -> None:
        for _ in range(PER_CLIENT):
            await operation()

    for _ in range(ROUNDS):
        start = time.perf_counter()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(one_client(op) for op in operations)), ROUND_LIMIT
            )
        except TimeoutError:
            figure.skipped = f"a round took over {ROUND_LIMIT:g} s"
            return
        figure.samples.append(len(operations) * PER_CLIENT / (time.perf_counter() - start))
