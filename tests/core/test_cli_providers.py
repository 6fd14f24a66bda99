"""`portal providers search` over the small demo."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner, Result

from portal_core.demo import DEMO_PASSWORD
from portal_tui.subcommands import portal


def run(*args: str, user: str = "staff.lakeside") -> Result:
    env = {"PORTAL_USERNAME": user, "PORTAL_PASSWORD": DEMO_PASSWORD}
    return CliRunner().invoke(portal, list(args), env=env, catch_exceptions=False)


def test_provider_search_from_the_command_line() -> None:
    assert run("db", "upgrade", "--quiet").exit_code == 0
    assert run("demo", "seed", "--scale", "small", "--quiet").exit_code == 0

    found = run("providers", "search", "--name", "RIVERA", "--format", "json")
    assert found.exit_code == 0, found.output
    rivera = json.loads(found.stdout)
    assert [p["name"] for p in rivera] == ["Dr. Elena Rivera"]
    assert rivera[0]["city"] == "Springfield" and rivera[0]["state"] == "IL"

    by_npi = run("providers", "search", "--npi", rivera[0]["npi"], "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(by_npi.stdout)))
    assert [r["npi"] for r in rows] == [rivera[0]["npi"]]
    assert by_npi.stdout.startswith("npi,name,kind,specialty")

    peoria = run("providers", "search", "--city", "peoria", "--state", "il", "--format", "json",
                 user="payer.admin")  # fmt: skip
    assert peoria.exit_code == 0
    places = json.loads(peoria.stdout)
    assert places and all(p["city"] == "Peoria" for p in places)

    family = run("providers", "search", "--specialty", "family", "--accepting", "--limit", "3")
    assert family.exit_code == 0 and "Family Medicine" in family.stdout

    bad = run("providers", "search", "--npi", "1234567890")
    assert bad.exit_code == 2 and "NPI" in bad.stderr
    bad_zip = run("providers", "search", "--zip", "6x")
    assert bad_zip.exit_code == 2 and "ZIP" in bad_zip.stderr
