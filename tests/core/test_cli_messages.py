"""`portal messages search|show|send` over the small demo."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner, Result

from portal_core.demo import DEMO_PASSWORD
from portal_tui.subcommands import portal


def run(*args: str, user: str = "billing.acme") -> Result:
    env = {"PORTAL_USERNAME": user, "PORTAL_PASSWORD": DEMO_PASSWORD}
    return CliRunner().invoke(portal, list(args), env=env, catch_exceptions=False)


def test_messages_from_the_command_line(tmp_path: Path) -> None:
    assert run("db", "upgrade", "--quiet").exit_code == 0
    assert run("demo", "seed", "--scale", "small", "--quiet").exit_code == 0

    (tmp_path / "notes.txt").write_text("remittance copy")
    new = tmp_path / "new.json"
    new.write_text(json.dumps({
        "tin": "461234567", "topic": "general", "category": "claims",
        "subject": "Okapi remittance missing", "body": "Please resend \x1b[31m the EOP.",
        "attachments": ["notes.txt"],
    }))  # fmt: skip
    sent = run("messages", "send", "--from", str(new))
    assert sent.exit_code == 0, sent.output
    reference = sent.stdout.strip()
    assert reference.startswith("MSG-2026-") and "awaiting payer" in sent.stderr

    found = run("messages", "search", "--text", "okapi", "--format", "json")
    assert [t["reference"] for t in json.loads(found.stdout)] == [reference]
    none = run("messages", "search", "--text", "okapi", "--status", "closed", "--format", "csv")
    assert list(csv.DictReader(io.StringIO(none.stdout))) == []

    # The CSR finds it by the caller's reference number, answers and closes it.
    looked = run("messages", "show", reference, "--lookup", user="csr.jones")
    assert looked.exit_code == 0, looked.output
    assert "Caller: Dev Patel (billing)" in looked.stderr
    assert "\\x1b[31m" in looked.stdout and "\x1b" not in looked.stdout
    assert "notes.txt" in looked.stdout
    reply = tmp_path / "reply.json"
    reply.write_text(json.dumps({"reference": reference, "body": "Resent today."}))
    answered = run("messages", "send", "--from", str(reply), user="csr.jones")
    assert answered.exit_code == 0 and "awaiting provider" in answered.stderr

    queue = run("messages", "search", "--queue", "--limit", "5", "--format", "json",
                user="csr.jones")  # fmt: skip
    assert {t["status"] for t in json.loads(queue.stdout)} == {"awaiting_payer"}

    shown = run("messages", "show", reference, "--format", "json")
    assert [p["body"] for p in json.loads(shown.stdout)["posts"]][-1] == "Resent today."

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"tin": "461234567", "category": "claims", "subject": " ",
                               "body": "x"}))  # fmt: skip
    refused = run("messages", "send", "--from", str(bad))
    assert refused.exit_code == 2 and "subject" in refused.stderr
    outside = run("messages", "show", reference, user="admin.riverbend")
    assert outside.exit_code == 2
