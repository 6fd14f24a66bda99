"""`portal documents list` and `portal documents save` over the small demo."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

from click.testing import CliRunner, Result

from portal_core.demo import DEMO_PASSWORD
from portal_tui.subcommands import portal
from portal_tui.subcommands.documents import split_linked


def run(*args: str, user: str = "admin.lakeside") -> Result:
    env = {"PORTAL_USERNAME": user, "PORTAL_PASSWORD": DEMO_PASSWORD}
    return CliRunner().invoke(portal, list(args), env=env, catch_exceptions=False)


def test_linked_record_is_a_number_or_kind_and_number() -> None:
    assert split_linked("PA-2026-000123") == (None, "PA-2026-000123")
    assert split_linked("preauth:PA-2026-000123") == ("preauth", "PA-2026-000123")
    assert split_linked("  ") == (None, None)


def test_list_filter_and_save_from_the_command_line(tmp_path: Path) -> None:
    assert run("db", "upgrade", "--quiet").exit_code == 0
    assert run("demo", "seed", "--scale", "small", "--quiet").exit_code == 0

    listed = run("documents", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    every = json.loads(listed.stdout)
    assert {"letter", "eop", "upload"} <= {d["kind"] for d in every}

    letters = json.loads(run("documents", "list", "--kind", "letter", "--format", "json").stdout)
    assert letters and all(d["kind"] == "letter" for d in letters)
    letter = letters[0]

    linked = run("documents", "list", "--linked", letter["linked_id"], "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(linked.stdout)))
    assert [r["id"] for r in rows] == [str(letter["id"])]

    day = letter["created_at"][:10]
    dated = json.loads(
        run("documents", "list", "--since", day, "--until", day, "--format", "json").stdout
    )
    assert letter["id"] in [d["id"] for d in dated]
    assert all(d["created_at"][:10] == day for d in dated)

    table = run("documents", "list", "--kind", "eop")
    assert table.exit_code == 0 and table.stdout.startswith("id")

    backwards = run("documents", "list", "--since", "2026-11-20", "--until", "2026-11-01")
    assert backwards.exit_code == 2 and "start date is after" in backwards.stderr
    bad_day = run("documents", "list", "--since", "yesterday")
    assert bad_day.exit_code == 2

    target = tmp_path / "out" / "letter.txt"
    saved = run("documents", "save", str(letter["id"]), str(target))
    assert saved.exit_code == 0, saved.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert b"determination" in target.read_bytes().lower()

    target.write_bytes(b"mine")
    again = run("documents", "save", str(letter["id"]), str(target))
    assert again.exit_code != 0 and "--force" in again.output
    assert target.read_bytes() == b"mine"
    forced = run("documents", "save", str(letter["id"]), str(target), "--force")
    assert forced.exit_code == 0 and target.read_bytes() != b"mine"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    missing = run("documents", "save", "999999", str(tmp_path / "none.txt"))
    assert missing.exit_code == 2 and not (tmp_path / "none.txt").exists()
    # Review evidence is for the TIN's administrators: a staff user's list leaves it out.
    staff = json.loads(run("documents", "list", "--format", "json", user="staff.lakeside").stdout)
    assert "review_evidence" not in {d["kind"] for d in staff}
