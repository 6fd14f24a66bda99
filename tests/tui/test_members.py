"""The members menu over the small demo: eligibility (and a malformed member ID), member detail
with care plans (refused for billing users), batch eligibility, the PCP panel with export, and the
in-network check."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from textual.widgets import Input, TextArea

from portal_core.demo.catalog import DEMO_PASSWORD
from portal_core.store.schema import message_threads
from portal_tui.app import PortalApp
from portal_tui.modals.message_compose import ComposeMessageModal
from portal_tui.screens.help import HelpScreen
from portal_tui.screens.member_detail import MemberDetailScreen
from portal_tui.screens.member_lookups import (
    BatchEligibilityScreen,
    NetworkCheckScreen,
    PcpPanelScreen,
)
from portal_tui.screens.members import MembersScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle, sign_in

SIZE = (80, 24)


async def open_members(pilot, app: PortalApp, username: str = "dr.rivera") -> MembersScreen:
    await sign_in(pilot, username, DEMO_PASSWORD)
    await pilot.press("8")
    await settle(pilot, lambda: isinstance(app.screen, MembersScreen))
    assert isinstance(app.screen, MembersScreen)
    await settle(pilot, lambda: getattr(app.focused, "id", None) == "members-result")
    return app.screen


def fill(screen, **values: str) -> None:
    for field_id, value in values.items():
        screen.query_one(f"#{field_id.replace('_', '-')}", Input).value = value


async def test_eligibility_lookup_then_member_detail(demo: Demo):
    app = demo.make_app()
    world = demo.world
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, app)
        fill(screen, member_id=world.member_id, birth_date=f"{world.birth_date:%m/%d/%Y}")
        screen.query_one("#birth-date", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: "COVERED" in screen_text(app))
        text = screen_text(app)
        assert world.member_id in text
        assert "PCP" in text and "Network" in text
        await pilot.press("question_mark")  # the focus left the form: `?` is help, not text
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert app.screen.guide == "members"
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, MembersScreen))
        await pilot.press("f9")
        await settle(
            pilot,
            lambda: isinstance(app.screen, MemberDetailScreen) and bool(app.screen.care_plans),
        )
        text = screen_text(app)
        assert "Coverage" in text
        assert "Care plans" in text
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, MembersScreen))


async def test_malformed_member_id_is_a_plain_message(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_members(pilot, app)
        fill(screen, member_id="12-bad", birth_date="1961-03-02")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "member ID" in screen_text(app).replace("\n", " "))
        assert screen.result is None
        assert "COVERED" not in screen_text(app)


async def test_message_the_care_team_from_a_member(demo: Demo):
    member = demo.world.member_id
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "dr.rivera", DEMO_PASSWORD)
        await app.open_member(member)
        await settle(
            pilot,
            lambda: isinstance(app.screen, MemberDetailScreen) and bool(app.screen.care_plans),
        )
        await pilot.press("m")
        await settle(pilot, lambda: isinstance(app.screen, ComposeMessageModal))
        modal = app.screen
        modal.query_one("#compose-subject", Input).value = ""
        modal.query_one("#compose-body", TextArea).text = "Please call about the care plan."
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Write a subject" in screen_text(app))
        modal.query_one("#compose-subject", Input).value = "Care plan goals"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, MemberDetailScreen))
        with demo.services.db.read() as conn:
            rows = conn.execute(
                select(message_threads.c.linked_kind, message_threads.c.linked_id).where(
                    message_threads.c.subject == "Care plan goals"
                )
            ).all()
        assert [tuple(r) for r in rows] == [("member", member)]


async def test_billing_users_see_no_care_plans(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "billing.acme", DEMO_PASSWORD)
        await app.open_member(demo.world.member_id)
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, MemberDetailScreen)
                and "not shown to you" in screen_text(app)
            ),
        )
        assert app.screen.care_plans == []
        assert "Problems" not in screen_text(app)


async def test_batch_eligibility_answers_each_line(demo: Demo):
    app = demo.make_app()
    world = demo.world
    async with app.run_test(size=SIZE) as pilot:
        await open_members(pilot, app)
        await pilot.press("f6")
        await settle(pilot, lambda: isinstance(app.screen, BatchEligibilityScreen))
        app.screen.query_one(
            "#batch-lines", TextArea
        ).text = f"{world.member_id}, {world.birth_date:%Y-%m-%d}\nNW999999999, 1970-01-01\n"
        await pilot.press("ctrl+s")
        table = app.screen.query_one("#batch-results", ResultTable)
        await settle(pilot, lambda: table.total == 2)
        text = screen_text(app)
        assert world.member_id in text
        assert "No member matches" in text


async def test_pcp_panel_lists_and_exports_a_private_file(demo: Demo, tmp_path: Path):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_members(pilot, app)
        await pilot.press("f8")
        await settle(pilot, lambda: isinstance(app.screen, PcpPanelScreen))
        screen = app.screen
        fill(screen, panel_npi=demo.world.rivera_npi)
        await pilot.press("enter")
        table = screen.query_one("#panel-table", ResultTable)
        await settle(pilot, lambda: not table.fetching and len(table.rows) > 0)
        assert demo.world.member_id in {m.member_id for m in table.rows}
        await pilot.press("x")
        await settle(pilot, lambda: bool(app.screen.query("#path")))
        target = tmp_path / "panel.csv"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot, lambda: target.exists() and "Saved to" in screen_text(app))
        assert os.stat(target).st_mode & 0o777 == 0o600
        assert "member_id" in target.read_text().splitlines()[0]


async def test_in_network_check_and_a_bad_npi(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_members(pilot, app)
        await pilot.press("f7")
        await settle(pilot, lambda: isinstance(app.screen, NetworkCheckScreen))
        screen = app.screen
        from textual.widgets import Select

        picker = screen.query_one("#network-plan", Select)
        await settle(pilot, lambda: len(picker._options) > 1)
        picker.value = picker._options[1][1]
        fill(screen, network_npi="123")
        screen.query_one("#network-npi", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: "NPI" in str(screen.query_one("#network-result").render()))
        assert "IN NETWORK" not in screen_text(app)
        fill(screen, network_npi=demo.world.rivera_npi)
        await pilot.press("enter")
        await settle(pilot, lambda: "Why" in screen_text(app))
        assert "NETWORK" in screen_text(app)


# -- issue 13: a failed lookup never leaves the previous member on screen --------------------------


def member_name(demo: Demo) -> tuple[str, str]:
    from portal_core.store.schema import members

    with demo.services.db.read() as conn:
        row = conn.execute(
            select(members.c.last_name, members.c.first_name).where(
                members.c.member_id == demo.world.member_id
            )
        ).one()
    return str(row.last_name), str(row.first_name)


def assert_no_trace_of(text: str, demo: Demo) -> None:
    last, first = member_name(demo)
    for trace in (demo.world.member_id, last, first, "COVERED"):
        assert trace not in text, trace


async def test_a_failed_eligibility_check_clears_the_last_answer(demo: Demo):
    app = demo.make_app()
    world = demo.world
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_members(pilot, app)
        fill(screen, member_id=world.member_id, birth_date=f"{world.birth_date:%Y-%m-%d}")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "COVERED" in screen_text(app))
        assert screen.result is not None

        fill(screen, member_id="NW999999999", birth_date="1970-01-01")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "No member matches" in screen_text(app))
        assert screen.result is None
        assert screen.check_action("detail", ()) is False
        text = screen_text(app)
        assert_no_trace_of(text.replace("NW999999999", ""), demo)

        # A form refused before asking clears the answer too.
        fill(screen, member_id=world.member_id, birth_date=f"{world.birth_date:%Y-%m-%d}")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "COVERED" in screen_text(app))
        fill(screen, member_id="NW999999999", birth_date="")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Enter the date of birth" in screen_text(app))
        assert_no_trace_of(screen_text(app).replace("NW999999999", ""), demo)


async def test_a_failed_network_check_clears_the_last_answer(demo: Demo):
    from textual.widgets import Select

    app = demo.make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_members(pilot, app)
        await pilot.press("f7")
        await settle(pilot, lambda: isinstance(app.screen, NetworkCheckScreen))
        screen = app.screen
        picker = screen.query_one("#network-plan", Select)
        await settle(pilot, lambda: len(picker._options) > 1)
        picker.value = picker._options[1][1]
        fill(screen, network_npi=demo.world.rivera_npi)
        screen.query_one("#network-npi", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: "Why" in screen_text(app))
        fill(screen, network_npi="123")
        await pilot.press("enter")
        await settle(pilot, lambda: "NPI" in str(screen.query_one("#network-result").render()))
        text = screen_text(app)
        assert "Why" not in text and "NETWORK" not in text


async def test_a_failed_refresh_of_a_member_clears_what_was_shown(demo: Demo, monkeypatch):
    from portal_core.errors import NotFound

    app = demo.make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot, "dr.rivera", DEMO_PASSWORD)
        await app.open_member(demo.world.member_id)
        await settle(
            pilot,
            lambda: isinstance(app.screen, MemberDetailScreen) and bool(app.screen.care_plans),
        )
        screen = app.screen
        last, _ = member_name(demo)
        assert last in screen_text(app)

        async def gone(member_id: str) -> object:
            raise NotFound("No member matches among your providers' members.")

        monkeypatch.setattr(app.client, "get_member", gone)
        await pilot.press("f5")
        await settle(pilot, lambda: "No member matches" in screen_text(app))
        text = screen_text(app).replace(f"Member {demo.world.member_id}", "")
        assert_no_trace_of(text, demo)
        assert "Problems" not in text and "Goals" not in text
        assert screen.member is None and screen.care_plans == []
        assert screen.check_action("save_care_plan", ()) is False
