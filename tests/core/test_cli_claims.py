"""`portal members ...`, `portal claims ...`, `portal payments search` over the small demo."""

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


def test_claims_members_and_payments_from_the_command_line() -> None:
    assert run("db", "upgrade", "--quiet").exit_code == 0
    assert run("demo", "seed", "--scale", "small", "--quiet").exit_code == 0

    found = run("claims", "search", "--tin", "461234567", "--status", "denied", "--limit", "3",
                "--format", "json")  # fmt: skip
    assert found.exit_code == 0, found.output
    claims = json.loads(found.stdout)
    assert len(claims) == 3 and all(c["status"] == "denied" for c in claims)

    shown = run("claims", "show", claims[0]["claim_number"])
    assert shown.exit_code == 0 and "Next step:" in shown.stdout

    member = claims[0]["member_id"]
    detail = run("claims", "search", "--member-id", member, "--format", "csv")
    assert next(iter(csv.DictReader(io.StringIO(detail.stdout))))["member_id"] == member

    # Nothing typed is ignored: a bad date beside a claim number, two ways at once.
    garbage = run("claims", "search", "--claim-number", claims[0]["claim_number"],
                  "--to", "garbage")  # fmt: skip
    assert garbage.exit_code == 2 and "date" in garbage.stderr
    both = run("claims", "search", "--claim-number", claims[0]["claim_number"],
               "--payment-number", "EFT000001524")  # fmt: skip
    assert both.exit_code == 2 and "not both" in both.stderr

    bad = run("members", "eligibility", "--member-id", "12", "--dob", "1980-01-01")
    assert bad.exit_code == 2 and "member ID" in bad.stderr

    paid = run("payments", "search", "--limit", "2", "--format", "csv", user="billing.acme")
    assert paid.exit_code == 0 and paid.stdout.startswith("payment_number,")
    refused = run("payments", "search", user="staff.lakeside")
    assert refused.exit_code == 2

    report = run("claims", "report", "--status", "denied", "--column", "claim_number",
                 "--column", "denial_carc", "--save", "mine", "--format", "csv")  # fmt: skip
    assert report.exit_code == 0 and report.stdout.startswith("claim_number,denial_carc")
    again = run("claims", "report", "--name", "mine", "--format", "csv")
    assert again.stdout == report.stdout
