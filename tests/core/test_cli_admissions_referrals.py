"""`portal admissions ...` and `portal referrals ...` over the small demo."""

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


def test_admissions_and_referrals_from_the_command_line() -> None:
    assert run("db", "upgrade", "--quiet").exit_code == 0
    assert run("demo", "seed", "--scale", "small", "--quiet").exit_code == 0

    listed = run("admissions", "list", "--status", "in_review", "--format", "json")
    assert listed.exit_code == 0, listed.output
    admissions = json.loads(listed.stdout)
    assert admissions and all(a["status"] == "in_review" for a in admissions)
    assert all(a["member_name"] for a in admissions)

    late = run("admissions", "list", "--late", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(late.stdout)))
    assert rows and all(r["late"] == "yes" for r in rows)

    queue = run("admissions", "queue", "--format", "json", user="reviewer.kim")
    assert queue.exit_code == 0, queue.output
    due = [a["next_review_date"] for a in json.loads(queue.stdout) if a["next_review_date"]]
    assert due == sorted(due)
    refused = run("admissions", "queue")
    assert refused.exit_code == 2 and "role" in refused.stderr

    shown = run("admissions", "show", admissions[0]["number"])
    assert shown.exit_code == 0 and admissions[0]["number"] in shown.stdout
    bad = run("admissions", "show", "ADM-12")
    assert bad.exit_code == 2 and "ADM-2026-000123" in bad.stderr

    referrals = run("referrals", "list", "--status", "active", "--format", "json")
    assert referrals.exit_code == 0, referrals.output
    active = json.loads(referrals.stdout)
    assert active and all(r["status"] == "active" for r in active)
    npi = active[0]["referring_npi"]
    by_npi = run("referrals", "list", "--npi", npi, "--format", "csv")
    found = list(csv.DictReader(io.StringIO(by_npi.stdout)))
    assert found and all(npi in (r["referring_npi"], r["specialist_npi"]) for r in found)
    member = active[0]["member_id"]
    by_member = json.loads(run("referrals", "list", "--member", member, "--format", "json").stdout)
    assert {r["member_id"] for r in by_member} == {member}
    for status in ("used", "expired", "cancelled"):
        some = json.loads(run("referrals", "list", "--status", status, "--format", "json").stdout)
        assert some and {r["status"] for r in some} == {status}
    table = run("referrals", "show", active[0]["number"])
    assert table.exit_code == 0 and "created" in table.stdout
    billing = run("referrals", "list", user="billing.acme")
    assert billing.exit_code == 2
