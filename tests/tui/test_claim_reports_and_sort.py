"""Claim results sorted by a key that cycles the order (marked in the header), and the claims
report builder: save, run, export CSV 0600, load and delete saved reports, bad filters and
columns said in the form, and the palette's way in."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from textual.widgets import Input

from portal_core.demo.catalog import DEMO_PASSWORD, MAIN_TIN
from portal_core.store.schema import claim_reports
from portal_tui.app import PortalApp
from portal_tui.modals.confirm import ConfirmModal
from portal_tui.screens.claim_reports import ClaimReportScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle, sign_in
from tui.test_claims_screens import SIZE, fill, message, open_claims

WIDE = (120, 34)
"""The builder shows filters, saved reports and rows side by side."""


async def test_sort_key_cycles_the_order_and_marks_the_header(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_claims(pilot, app, "admin.lakeside")
        table = screen.query_one("#claims-table", ResultTable)
        assert "Service ▼" in screen_text(app)
        fill(screen, tin=MAIN_TIN)
        await pilot.press("enter")
        await settle(pilot, lambda: not table.fetching and len(table.rows) == 100)
        dates = [c.service_from for c in table.rows]
        assert dates == sorted(dates, reverse=True)
        table.focus()
        await pilot.press("o")  # service date, oldest first
        await settle(pilot, lambda: "Service ▲" in screen_text(app))
        await settle(pilot, lambda: not table.fetching and table.rows[0].service_from < dates[-1])
        ascending = [c.service_from for c in table.rows]
        assert ascending == sorted(ascending)
        await pilot.press("o")  # billed, largest first
        await settle(pilot, lambda: "Billed ▼" in screen_text(app))
        await settle(
            pilot,
            lambda: (
                not table.fetching
                and len(table.rows) == 100
                and table.rows[0].billed >= max(c.billed for c in table.rows)
                and table.rows[0].billed > table.rows[-1].billed
            ),
        )
        await pilot.press("end")  # the last page, and the page before it, in the same order
        await settle(pilot, lambda: table.previous_cursor is not None and not table.fetching)
        await pilot.press(*["pageup"] * 8)
        await settle(pilot, lambda: len(table.rows) > 100 and not table.fetching)
        billed = [c.billed for c in table.rows]
        assert billed == sorted(billed, reverse=True)
        assert "sorted by billed, descending" in message(screen, "#claims-message").lower()


async def open_builder(pilot, app: PortalApp) -> ClaimReportScreen:
    await sign_in(pilot, "admin.lakeside", DEMO_PASSWORD)
    await pilot.press("3")
    await settle(pilot, lambda: app.current_mode == "claims")
    await pilot.press("f8")
    await settle(pilot, lambda: isinstance(app.screen, ClaimReportScreen))
    screen = app.screen
    assert isinstance(screen, ClaimReportScreen)
    await settle(pilot, lambda: getattr(app.focused, "id", None) == "report-name")
    return screen


def set_fields(screen: ClaimReportScreen, **values: str) -> None:
    for field_id, value in values.items():
        screen.query_one(f"#report-{field_id}", Input).value = value


def saved_names(demo: Demo) -> list[str]:
    with demo.services.db.read() as conn:
        return list(conn.execute(select(claim_reports.c.name)).scalars())


async def test_report_save_run_export_load_and_delete(demo: Demo, tmp_path: Path):
    app = demo.make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_builder(pilot, app)
        rows = screen.query_one("#report-rows", ResultTable)
        saved = screen.query_one("#report-saved", ResultTable)
        set_fields(screen, name="Denials", columns="claim_number, denial_carc, billed")
        screen.query_one("#report-status").value = "denied"
        await pilot.press("f2")
        await settle(pilot, lambda: len(saved.rows) == 1)
        assert saved_names(demo) == ["Denials"]
        await pilot.press("enter")  # runs
        await settle(pilot, lambda: not rows.fetching and len(rows.rows) > 0)
        assert [c.title for c in rows.columns] == ["Claim number", "Denial reason", "Billed"]
        assert all(row[1] for row in rows.rows)  # every denied claim has its reason
        assert "claims." in message(screen, "#report-message")
        await pilot.press("f3")
        await settle(pilot, lambda: bool(app.screen.query("#path")))
        target = tmp_path / "denials.csv"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(
            pilot, lambda: target.exists() and "Exported" in message(screen, "#report-message")
        )
        assert os.stat(target).st_mode & 0o777 == 0o600
        lines = target.read_text().splitlines()
        assert lines[0] == "claim_number,denial_carc,billed" and len(lines) == len(rows.rows) + 1

        set_fields(screen, name="", columns="", carc="")  # a cleared form, then load the saved one
        await pilot.press("f4")
        await settle(pilot, lambda: app.focused is saved)
        await pilot.press("enter")
        await settle(pilot, lambda: screen.query_one("#report-name", Input).value == "Denials")
        assert screen.query_one("#report-columns", Input).value == "claim_number,denial_carc,billed"
        await pilot.press("f4")
        await settle(pilot, lambda: app.focused is saved)
        await pilot.press("delete")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await settle(pilot, lambda: not saved.fetching and saved.rows == [])
        assert saved_names(demo) == []


async def test_report_bad_input_is_said_in_the_form(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_builder(pilot, app)
        rows = screen.query_one("#report-rows", ResultTable)
        set_fields(screen, name="Mine", columns="claim_number,ssn")
        await pilot.press("enter")
        await settle(
            pilot, lambda: "Unknown report column: ssn" in message(screen, "#report-message")
        )
        assert rows.rows == []
        set_fields(screen, columns="", carc="ZZZZ9")
        await pilot.press("f2")
        await settle(pilot, lambda: "error" in screen.query_one("#report-message").classes)
        assert (
            "reason" in message(screen, "#report-message").lower()
            or "code" in message(screen, "#report-message").lower()
        )
        set_fields(screen, carc="", name="", tin="")
        await pilot.press("f2")
        await settle(pilot, lambda: "1 to 100 characters" in message(screen, "#report-message"))
        set_fields(screen, name="Out of order", **{"from": "2026-10-01", "to": "2026-01-01"})
        await pilot.press("enter")
        await settle(pilot, lambda: "start date is after" in message(screen, "#report-message"))
        assert saved_names(demo) == []
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, ClaimReportScreen))


async def test_palette_opens_the_report_builder(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: bool(app.screen.query("CommandInput")))
        await pilot.press(*"claims reports")
        await settle(pilot, lambda: "Claims reports" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ClaimReportScreen))
        assert app.current_mode == "claims"
