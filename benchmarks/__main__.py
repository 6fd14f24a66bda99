"""`python -m benchmarks` (`make bench`): measure, compare with DESIGN.md's budgets, write
RESULTS.md.

The benchmark database is the large demo (`portal demo seed --scale large`) under
`benchmarks/.data/` (gitignored), built on the first run and reused after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    claims_bench,
    claims_tui,
    concurrency_bench,
    messages_bench,
    preauth_bench,
    remote_bench,
    review_keypress,
    services_bench,
    startup,
)
from benchmarks.measure import Figure, machine

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
RESULTS = HERE / "RESULTS.md"


def build_database() -> Path:
    """The large demo database, seeded once."""
    database = DATA / "portal.sqlite3"
    if database.exists() and _schema_is_current(database):
        return database
    database.unlink(missing_ok=True)
    DATA.mkdir(mode=0o700, exist_ok=True)
    portal = str(Path(sys.executable).with_name("portal"))
    env = dict(os.environ, PORTAL_DATA_DIR=str(DATA), PORTAL_CONFIG=str(DATA / "none.toml"))
    started = time.perf_counter()
    for args in (["db", "upgrade", "--quiet"], ["demo", "seed", "--scale", "large", "--quiet"]):
        subprocess.run([portal, *args], env=env, check=True)
    print(f"built {database} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return database


def _head_revision() -> str | None:
    """The newest migration's revision."""
    from alembic.script import ScriptDirectory

    from portal_core.store.engine import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _schema_is_current(database: Path) -> bool:
    """True when the saved database has every table of today's schema (else it is rebuilt)."""
    from sqlalchemy import create_engine, inspect

    from portal_core.store.schema import metadata

    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            if not set(metadata.tables) <= set(inspect(conn).get_table_names()):
                return False
            # A migration that rebuilds what autogeneration cannot see (the search index) moves
            # the revision on: a database behind it is rebuilt too.
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            if revision != _head_revision():
                return False
            # An index added since the build is created in place (and the planner's statistics
            # refreshed, as the demo's build does), not worth a rebuild.
            inspector = inspect(conn)
            added = False
            for table in metadata.sorted_tables:
                present = {i["name"] for i in inspector.get_indexes(table.name)}
                for index in table.indexes:
                    if index.name not in present:
                        index.create(conn)
                        added = True
            if added:
                conn.exec_driver_sql("ANALYZE")
            return True
    finally:
        engine.dispose()


def _cell(figure: Figure, value: float) -> str:
    return f"{value:.2f}" if figure.unit == "x" else f"{value:.1f}"


def report(figures: list[Figure]) -> str:
    """RESULTS.md."""
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` (`python -m benchmarks`).",
        'Budgets are DESIGN.md\'s ("Speed"); a figure passes when its p95 (or median, where',
        "noted) is within the budget.",
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in machine().items()),
        "",
        "| what | unit | median | p95 | budget | verdict | notes |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for f in figures:
        budget = "-" if f.budget is None else f"≤ {f.budget:g}"
        if f.skipped or not f.samples:
            lines.append(f"| {f.what} | {f.unit} | | | {budget} | not measured | {f.skipped} |")
            continue
        lines.append(
            f"| {f.what} | {f.unit} | {_cell(f, f.median)} | {_cell(f, f.p95)} | {budget} "
            f"| {f.verdict} | {f.note} |"
        )
    lines += [
        "",
        "How each figure is taken: start-up with `../shared/tools/first-frame` on a real",
        "pseudo-terminal (100x30), alternating with a bare Textual app; sign-in through",
        "`LocalClient` with the home screen's calls; keypresses inside the running app, from the",
        "key event to the next compositor frame (not Pilot wall time); sign-off in the services;",
        "throughput under load as operations per second of a round (50 clients at once), its",
        "median and p95 over the rounds.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    database = build_database()
    scratch = DATA / "scratch"
    scratch.mkdir(mode=0o700, exist_ok=True)
    figures: list[Figure] = []
    steps = (
        ("start-up", lambda: startup.measure(DATA)),
        ("sign-in", lambda: [services_bench.measure_sign_in(database)]),
        ("review keypress", lambda: review_keypress.measure(database, scratch)),
        ("sign-off", lambda: [services_bench.measure_sign_off(database, scratch)]),
        ("claims and eligibility", lambda: claims_bench.measure(database, scratch)),
        ("claims screen", lambda: claims_tui.measure(database, scratch)),
        ("messages", lambda: messages_bench.measure(database, scratch)),
        ("preauthorization", lambda: preauth_bench.measure(database, scratch)),
        ("remote page", lambda: [remote_bench.measure_page(DATA)]),
        ("remote under load", lambda: concurrency_bench.measure(scratch)),
    )
    for name, step in steps:
        print(f"measuring {name} ...", file=sys.stderr)
        figures.extend(step())
    RESULTS.write_text(report(figures), encoding="utf-8")
    print(RESULTS.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
