"""The `portal` command: operator and scripting subcommands over a real SQLite file.

The autouse fixture points PORTAL_DATA_DIR at a temporary directory, so every command here works on
`<tmp>/data/portal.sqlite3`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from portal_core import __version__, paths
from portal_core.demo import DEMO_PASSWORD
from portal_core.store.engine import Database
from portal_tui.cli import tui_options
from portal_tui.subcommands import portal
from portal_tui.subcommands.output import neutralize_cell, render
from tamper import drop_audit_triggers


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(portal, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def seeded() -> Path:
    """The default database, migrated and seeded with the small demo."""
    assert run("db", "upgrade", "--quiet").exit_code == 0
    result = run("demo", "seed", "--scale", "small", "--quiet")
    assert result.exit_code == 0, result.output
    return paths.database_file()


def as_user(username: str) -> dict[str, str]:
    return {"PORTAL_USERNAME": username, "PORTAL_PASSWORD": DEMO_PASSWORD}


def test_version_from_the_installed_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "portal_tui.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"portal {__version__}"
    assert run("version").output.strip() == f"portal {__version__}"


def test_db_upgrade_twice_is_harmless() -> None:
    first = run("db", "upgrade")
    second = run("db", "upgrade")
    assert first.exit_code == second.exit_code == 0
    assert "schema revision" in second.stderr
    assert run("db", "upgrade", "--quiet").stderr == ""


def test_demo_seed_then_if_empty_does_nothing(seeded: Path) -> None:
    again = run("demo", "seed", "--if-empty")
    assert again.exit_code == 0
    assert "nothing seeded" in again.stderr
    refused = run("demo", "seed")
    assert refused.exit_code == 2
    assert "already holds users" in refused.stderr


def test_doctor_passes_on_a_sound_install_and_fails_on_loose_permissions(seeded: Path) -> None:
    healthy = run("doctor")
    assert healthy.exit_code == 0, healthy.output
    for name in ("integrity", "foreign keys", "migration", "data dir", "versions"):
        assert name in healthy.stdout
    os.chmod(seeded, 0o644)
    loose = run("doctor")
    assert loose.exit_code == 1
    assert "BAD database file" in loose.stdout


def test_doctor_fails_on_a_database_never_migrated() -> None:
    result = run("doctor")
    assert result.exit_code == 1
    assert "portal db upgrade" in result.stdout


def test_the_seeded_demo_and_each_upgrade_leave_the_audit_log_sealed(seeded: Path) -> None:
    """A cut tail shows from the start: `demo seed` and `db upgrade` write a signed checkpoint of
    the log as they leave it (none more when nothing was written since)."""
    sealed = run("audit", "verify")
    assert "against 1 signed checkpoint(s)" in sealed.stdout
    assert run("db", "upgrade", "--quiet").exit_code == 0
    assert "against 1 signed checkpoint(s)" in run("audit", "verify").stdout
    db = Database(f"sqlite:///{seeded}")
    try:
        with db.write() as conn:
            drop_audit_triggers(conn)
            conn.execute(text("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)"))
    finally:
        db.dispose()
    cut = run("audit", "verify")
    assert cut.exit_code == 1 and "cut" in cut.stdout


def test_audit_verify_names_the_first_tampered_row(seeded: Path) -> None:
    intact = run("audit", "verify")
    assert intact.exit_code == 0
    assert intact.stdout.startswith("intact")
    db = Database(f"sqlite:///{seeded}")
    try:
        with db.write() as conn:
            drop_audit_triggers(conn)
            conn.execute(text("UPDATE audit_log SET outcome = 'denied' WHERE id = 2"))
    finally:
        db.dispose()
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert "Row id 2 was edited" in broken.stdout


def test_reviews_list_and_export_csv_as_the_administrator(seeded: Path, tmp_path: Path) -> None:
    listed = run("reviews", "list", "--format", "json", env=as_user("admin.lakeside"))
    assert listed.exit_code == 0, listed.output
    campaigns = json.loads(listed.stdout)
    assert [c["tin"] for c in campaigns] == ["461234567"]
    campaign_id = str(campaigns[0]["id"])

    exported = run(
        "reviews", "export", campaign_id, "--format", "csv", env=as_user("admin.lakeside")
    )
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO(exported.stdout)))
    assert len(rows) > 60  # a header and one row per user under review

    target = tmp_path / "evidence.txt"
    to_file = run(
        "reviews", "export", campaign_id, "--format", "text", "--output", str(target),
        env=as_user("admin.lakeside"),
    )  # fmt: skip
    assert to_file.exit_code == 0, to_file.output
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.read_text()


def test_commands_for_a_user_need_credentials_from_the_environment(seeded: Path) -> None:
    result = run("reviews", "list")
    assert result.exit_code == 2
    assert "PORTAL_USERNAME" in result.stderr
    assert result.stdout == ""


def test_a_wrong_password_is_a_plain_message_and_exit_2(seeded: Path) -> None:
    env = {"PORTAL_USERNAME": "admin.lakeside", "PORTAL_PASSWORD": "not the password at all"}
    result = run("users", "list", env=env)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.strip()


def test_users_list_as_csv(seeded: Path) -> None:
    result = run("users", "list", "--format", "csv", env=as_user("admin.lakeside"))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    usernames = {row["username"] for row in rows}
    assert {"admin.lakeside", "dr.rivera", "staff.lakeside"} <= usernames
    assert len(rows) > 60


def test_mail_outbox_shows_a_reset_code(seeded: Path) -> None:
    from portal_core.services import Services

    db = Database(f"sqlite:///{seeded}")
    try:
        Services(db).identity.request_password_reset("staff.lakeside", "staff.lakeside@example.org")
    finally:
        db.dispose()
    result = run("mail", "outbox")
    assert result.exit_code == 0
    assert "staff.lakeside@example.org" in result.stdout
    assert "reset" in result.stdout.lower()
    as_json = json.loads(run("mail", "outbox", "--format", "json").stdout)
    assert as_json[0]["to_address"] == "staff.lakeside@example.org"
    only = run("mail", "outbox", "--to", "STAFF.lakeside@example.org", "--format", "json")
    assert {row["to_address"] for row in json.loads(only.stdout)} == {"staff.lakeside@example.org"}
    assert (
        json.loads(run("mail", "outbox", "--to", "nobody@example.org", "--format", "json").stdout)
        == []
    )


def test_csv_cells_that_look_like_formulas_are_neutralized() -> None:
    assert neutralize_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    for start in "+-@":
        assert neutralize_cell(start + "x").startswith("'")
    assert neutralize_cell("plain") == "plain"
    out = render([{"name": "=1+1", "n": 2}], ["name", "n"], "csv")
    assert out.splitlines()[1] == "'=1+1,2"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {}),
        (["--server", "https://x"], {"server": "https://x"}),
        (["--profile=cc", "--database-url", "sqlite:///a"], {"profile": "cc", "database_url": "sqlite:///a"}),
        (["--version"], None),
        (["doctor"], None),
        (["--server"], None),
        (["--server", "https://x", "users", "list"], None),
    ],
)  # fmt: skip
def test_only_a_bare_portal_skips_the_full_parser(
    args: list[str], expected: dict[str, str] | None
) -> None:
    assert tui_options(args) == expected
