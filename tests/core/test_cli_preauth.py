"""`portal preauth templates|submit|list|check` over the small demo."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import or_, select

from portal_core.config import Settings
from portal_core.demo import DEMO_PASSWORD
from portal_core.store.engine import Database
from portal_core.store.schema import coverage_spans, pcp_assignments, user_affiliations, users
from portal_tui.subcommands import portal


def run(*args: str, user: str = "dr.rivera") -> Result:
    env = {"PORTAL_USERNAME": user, "PORTAL_PASSWORD": DEMO_PASSWORD}
    return CliRunner().invoke(portal, list(args), env=env, catch_exceptions=False)


def _rivera_and_member() -> tuple[str, str]:
    db = Database(Settings().resolved_database_url())
    today = date.today()
    try:
        with db.read() as conn:
            rivera = conn.execute(
                select(users.c.id).where(users.c.username == "dr.rivera")
            ).scalar()
            npi = conn.execute(
                select(user_affiliations.c.npi).where(user_affiliations.c.user_id == rivera)
            ).scalar_one()
            member = conn.execute(
                select(pcp_assignments.c.member_id)
                .join(coverage_spans, coverage_spans.c.member_id == pcp_assignments.c.member_id)
                .where(
                    pcp_assignments.c.npi == npi,
                    pcp_assignments.c.end_date.is_(None),
                    coverage_spans.c.effective_date <= today,
                    or_(
                        coverage_spans.c.end_date.is_(None),
                        coverage_spans.c.end_date >= today + timedelta(days=60),
                    ),
                )
                .order_by(pcp_assignments.c.member_id)
            ).scalar()
    finally:
        db.dispose()
    assert member
    return npi, str(member)


def test_preauth_from_the_command_line(tmp_path: Path) -> None:
    assert run("db", "upgrade", "--quiet").exit_code == 0
    assert run("demo", "seed", "--scale", "small", "--quiet").exit_code == 0

    found = run("preauth", "templates", "--search", "sleep", "--format", "json")
    assert found.exit_code == 0, found.output
    templates = json.loads(found.stdout)
    assert templates[0]["id"] == "sleep-study-psg"
    assert templates[0]["name"] == "Sleep study (polysomnography)"
    table = run("preauth", "templates")
    assert table.exit_code == 0 and len(table.stdout.splitlines()) > 100

    npi, member = _rivera_and_member()
    today = date.today()
    request = {
        "member_id": member,
        "tin": "461234567",
        "requesting_npi": npi,
        "servicing_npi": npi,
        "template_id": "sleep-study-psg",
        "procedure_codes": ["95810"],
        "diagnosis_codes": ["G47.33"],
        "units": 1,
        "start_date": (today + timedelta(days=7)).isoformat(),
        "end_date": (today + timedelta(days=30)).isoformat(),
        "answers": {"epworth_score": "14", "bmi": "31", "witnessed_apneas": "yes",
                    "daytime_symptoms": "yes"},
    }  # fmt: skip
    source = tmp_path / "request.json"
    source.write_text(json.dumps(request), encoding="utf-8")
    submitted = run("preauth", "submit", "--from", str(source), "--format", "json")
    assert submitted.exit_code == 0, submitted.output
    (done,) = json.loads(submitted.stdout)
    assert done["status"] == "approved" and done["letters"] == 1

    request["answers"]["epworth_score"] = "5"  # type: ignore[index]
    source.write_text(json.dumps(request), encoding="utf-8")
    pended = run("preauth", "submit", "--from", str(source), "--format", "csv")
    row = next(iter(csv.DictReader(io.StringIO(pended.stdout))))
    assert row["status"] == "pended" and row["time_left"].endswith("left") and row["due_at"]

    del request["answers"]["epworth_score"]  # type: ignore[attr-defined]
    source.write_text(json.dumps(request), encoding="utf-8")
    incomplete = run("preauth", "submit", "--from", str(source))
    assert incomplete.exit_code == 2 and "Epworth" in incomplete.stderr
    source.write_text("{not json", encoding="utf-8")
    assert run("preauth", "submit", "--from", str(source)).exit_code == 2

    listed = run("preauth", "list", "--pending", "--format", "json")
    assert listed.exit_code == 0
    pending = json.loads(listed.stdout)
    assert row["number"] in [p["number"] for p in pending]
    assert all(p["status"] == "pended" for p in pending)
    assert run("preauth", "list", "--status", "nonsense").exit_code == 2

    checked = run("preauth", "check", "--member", member, "--code", "95810", "--date",
                  today.isoformat(), "--format", "json")  # fmt: skip
    assert checked.exit_code == 0, checked.output
    (answer,) = json.loads(checked.stdout)
    assert answer["required"] is True and answer["template_ids"] == "sleep-study-psg"
    assert run("preauth", "check", "--member", member, "--code", "95810", "--date",
               "tomorrow").exit_code == 2  # fmt: skip

    refused = run("preauth", "list", user="payer.admin")
    assert refused.exit_code == 2


def test_payer_admin_edits_a_template_from_the_command_line(tmp_path: Path) -> None:
    assert run("db", "upgrade", "--quiet").exit_code == 0
    assert run("demo", "seed", "--scale", "small", "--quiet").exit_code == 0

    shown = run("preauth", "template", "show", "sleep-study-psg", user="payer.admin")
    assert shown.exit_code == 0, shown.output
    template = json.loads(shown.stdout)
    assert template["id"] == "sleep-study-psg" and template["questions"]
    label = template["questions"][0]["label"]
    template["questions"][0]["label"] = "Epworth score, 0 to 24"
    source = tmp_path / "template.json"
    source.write_text(json.dumps(template), encoding="utf-8")

    saved = run("preauth", "template", "save", "--from", str(source), "--format", "json",
                user="payer.admin")  # fmt: skip
    assert saved.exit_code == 0, saved.output
    assert json.loads(saved.stdout) == [
        {"id": "sleep-study-psg", "name": "Sleep study (polysomnography)", "active": True}
    ]
    again = json.loads(run("preauth", "template", "show", "sleep-study-psg",
                           user="payer.admin").stdout)  # fmt: skip
    assert again["questions"][0]["label"] == "Epworth score, 0 to 24" != label
    assert {k: v for k, v in again.items() if k != "questions"} == {
        k: v for k, v in template.items() if k != "questions"
    }

    # Office staff may read templates but never change them: refused, nothing written.
    template["questions"][0]["label"] = "Changed by staff"
    source.write_text(json.dumps(template), encoding="utf-8")
    refused = run("preauth", "template", "save", "--from", str(source), user="staff.lakeside")
    assert refused.exit_code == 2 and refused.stderr.strip()
    assert run("preauth", "template", "deactivate", "sleep-study-psg",
               user="staff.lakeside").exit_code == 2  # fmt: skip

    # Not JSON, not a template, or a template the service refuses: said, nothing written.
    source.write_text("{not json", encoding="utf-8")
    bad = run("preauth", "template", "save", "--from", str(source), user="payer.admin")
    assert bad.exit_code == 2 and "not a preauthorization template" in bad.stderr
    broken = dict(template, name="Broken", criteria=[
        {"question_id": "no_such_question", "operator": "is", "value": "yes"}])  # fmt: skip
    source.write_text(json.dumps(broken), encoding="utf-8")
    invalid = run("preauth", "template", "save", "--from", str(source), user="payer.admin")
    assert invalid.exit_code == 2 and invalid.stderr.strip()
    final = json.loads(run("preauth", "template", "show", "sleep-study-psg",
                           user="payer.admin").stdout)  # fmt: skip
    assert final == again

    off = run("preauth", "template", "deactivate", "sleep-study-psg", "--format", "json",
              user="payer.admin")  # fmt: skip
    assert off.exit_code == 0 and json.loads(off.stdout)[0]["active"] is False
    found = json.loads(run("preauth", "templates", "--search", "sleep", "--format", "json").stdout)
    assert "sleep-study-psg" not in [t["id"] for t in found]
    on = run("preauth", "template", "activate", "sleep-study-psg", user="payer.admin")
    assert on.exit_code == 0 and "yes" in on.stdout
    assert run("preauth", "template", "show", "no-such-template", user="payer.admin").exit_code
