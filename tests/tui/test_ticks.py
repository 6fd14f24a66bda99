"""A tick is read from its glyph (`[x]` / `[ ]`), not from colour: in the monochrome theme and with
NO_COLOR, the notification choices, the affiliations picker and the worklist's selection."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox

from portal_tui.app import PortalApp
from tui.conftest import Practice
from tui.driving import screen_text, settle
from tui.test_reviews import open_worklist
from tui.test_settings import open_settings
from tui.test_user_actions import open_detail


@pytest.fixture(autouse=True)
def no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


def line_with(app: PortalApp, text: str) -> str:
    return next(line for line in screen_text(app).splitlines() if text in line)


async def test_notification_choices_show_the_tick_as_a_glyph(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot)
        app.theme = "monochrome"
        box = app.screen.query_one("#n-letter_filed", Checkbox)
        assert str(box.render()).startswith("[x] A letter is filed")
        box.focus()
        await pilot.press("space")
        await settle(pilot, lambda: not box.value)
        assert str(box.render()).startswith("[ ] A letter is filed")
        assert str(app.screen.query_one("#n-review_due", Checkbox).render()).startswith("[x]")


async def test_the_affiliations_picker_shows_ticks_as_glyphs(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_detail(pilot, "staff.03")
        app.theme = "monochrome"
        await pilot.press("a")
        await settle(pilot, lambda: "Providers staff.03 works for" in screen_text(app))
        first, second = practice.npis
        assert "[x] " in line_with(app, first)
        assert "[ ] " in line_with(app, second)
        await pilot.press("space", "down", "space")  # untick the first, tick the second
        await pilot.pause()
        assert "[ ] " in line_with(app, first)
        assert "[x] " in line_with(app, second)


async def test_the_worklist_marks_a_selected_line(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_worklist(pilot, app)
        app.theme = "monochrome"
        await pilot.press("space")
        await pilot.pause()
        assert "● ada.admin" in line_with(app, "ada.admin")
        assert "● " not in line_with(app, "lou.locked")
