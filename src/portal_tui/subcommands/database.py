"""`portal db upgrade` and `portal doctor`: the schema and the health of an installation."""

from __future__ import annotations

import stat
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

import click

from portal_core import paths
from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import echo, say


@click.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@click.option("--quiet", is_flag=True, help="Print nothing when all is well.")
@click.pass_obj
def upgrade(context: CliContext, quiet: bool) -> None:
    """Bring the database to the newest schema (safe to run again)."""
    from portal_core.clock import Clock
    from portal_core.services.audit import checkpoint_now

    db = context.database()
    db.upgrade()
    # Seal the log as the upgrade found it (rows hashed before the keyed chain included).
    checkpoint_now(db, Clock().now(), unless_sealed=True)
    if not quiet:
        say(f"Database is at schema revision {db.current_revision()}.")


@dataclass
class Check:
    """One line of the doctor's report."""

    name: str
    value: str
    ok: bool = True


def _mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


def _private(path: Path) -> bool:
    """No access for group or others."""
    return not stat.S_IMODE(path.stat().st_mode) & 0o077


def _version_of(package: str) -> str:
    try:
        return package_version(package)
    except PackageNotFoundError:
        return "not installed"


def _database_checks(context: CliContext) -> list[Check]:
    from alembic.script import ScriptDirectory
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from portal_core.store.engine import alembic_config

    url = context.settings().resolved_database_url()
    checks = [Check("database", make_url(url).render_as_string(hide_password=True))]
    db = context.database()
    if db.is_sqlite:
        with db.engine.connect() as conn:
            integrity = [row[0] for row in conn.execute(text("PRAGMA integrity_check"))]
            orphans = list(conn.execute(text("PRAGMA foreign_key_check")))
        checks.append(Check("integrity", "; ".join(integrity), integrity == ["ok"]))
        checks.append(
            Check(
                "foreign keys",
                "ok" if not orphans else f"{len(orphans)} rows point at missing rows",
                not orphans,
            )
        )
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    current = db.current_revision()
    if current is None:
        checks.append(Check("migration", "none: run `portal db upgrade`", False))
    else:
        behind = "" if current == head else f" (newest is {head}: run `portal db upgrade`)"
        checks.append(Check("migration", f"{current}{behind}", current == head))
    return checks


def _path_checks(context: CliContext) -> list[Check]:
    checks: list[Check] = []
    data_dir = paths.data_dir()
    if data_dir.exists():
        checks.append(Check("data dir", f"{data_dir} {_mode(data_dir)}", _private(data_dir)))
    else:
        checks.append(Check("data dir", f"{data_dir} (not created yet)"))
    database = context.settings().resolved_database_url().removeprefix("sqlite:///")
    db_file = Path(database)
    if context.database().is_sqlite and db_file.exists():
        checks.append(Check("database file", f"{db_file} {_mode(db_file)}", _private(db_file)))
    config = paths.config_file()
    if config.exists():
        checks.append(Check("config file", f"{config} {_mode(config)}"))
    else:
        checks.append(Check("config file", f"{config} (none; defaults apply)"))
    return checks


@click.command()
@click.pass_obj
def doctor(context: CliContext) -> None:
    """Check the database, the schema, file permissions and versions; exit 1 on a problem."""
    checks = _database_checks(context) + _path_checks(context)
    python = ".".join(str(part) for part in sys.version_info[:3])
    checks.append(
        Check(
            "versions",
            f"python {python}, textual {_version_of('textual')}, "
            f"sqlalchemy {_version_of('sqlalchemy')}, portal {_version_of('portal-tui')}",
        )
    )
    width = max(len(check.name) for check in checks)
    for check in checks:
        mark = "ok " if check.ok else "BAD"
        echo(f"{mark} {check.name.ljust(width)}  {check.value}")
    problems = [check.name for check in checks if not check.ok]
    if problems:
        say(f"Problems found: {', '.join(problems)}.")
        sys.exit(1)


COMMANDS = [db_group, doctor]
"""What this module adds to `portal`."""
