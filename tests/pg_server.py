"""A throwaway PostgreSQL server for the tests: `initdb` and `pg_ctl` in a temporary directory,
on a free port on 127.0.0.1, stopped and removed at the end of the session.

Run as root, the server runs as the `postgres` user (PostgreSQL refuses root). When no server can
be started (not installed, no unprivileged user), the tests that need one skip and say why.
`make test` installs Debian's `postgresql` when it is missing and it may.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

USER = "portal"
"""The database superuser the tests connect as (trust authentication, loopback only)."""


@dataclass
class PostgresServer:
    """A running throwaway server."""

    port: int
    base: Path
    bin_dir: Path
    run_as: list[str]
    created: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` on this server."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create `name` (a copy of `template` when given); returns its URL."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres", autocommit=True
        ) as conn:
            clause = f" TEMPLATE {template}" if template else ""
            conn.execute(f"CREATE DATABASE {name}{clause}")  # type: ignore[arg-type]
        self.created.append(name)
        return self.url(name)

    def stop(self) -> None:
        _run(
            [
                *self.run_as,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.base / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            check=False,
        )
        shutil.rmtree(self.base, ignore_errors=True)


def _run(command: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=check)


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def _parent_for_others() -> str | None:
    """A temporary directory another user can reach (root's /tmp may be private), or None for
    the default."""
    if os.geteuid() != 0:
        return None
    for candidate in (tempfile.gettempdir(), "/var/tmp", "/dev/shm"):
        path = Path(candidate)
        if path.is_dir() and all(os.stat(part).st_mode & 0o001 for part in (path, *path.parents)):
            return str(path)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_postgres() -> PostgresServer | str:
    """A started server, or the reason none could be started."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        return "PostgreSQL is not installed (Debian: apt-get install postgresql; `make test` does)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed (pip install 'portal-tui[server]')"
    run_as: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="portal-pg-", dir=_parent_for_others()))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            return "running as root and there is no `postgres` user to run PostgreSQL as"
        os.chown(base, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(_free_port(), base, bin_dir, run_as)
    data = base / "data"
    try:
        _run(
            [
                *run_as,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        options = (
            f"-p {server.port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run(
            [
                *run_as,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(base / "log"),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ]
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        server.stop()
        return f"PostgreSQL could not be started: {detail.strip()[:300]}"
    return server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the session (skips, saying why, when none starts)."""
    server = start_postgres()
    if isinstance(server, str):
        pytest.skip(f"PostgreSQL tests skipped: {server}")
    try:
        yield server
    finally:
        server.stop()
