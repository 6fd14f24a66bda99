"""The reviews menu: campaigns, the worklist (keys, selection, bulk, paging), sign-off, evidence."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from textual.widgets import Input

from portal_core.services import Services
from portal_core.store.schema import review_campaigns, review_items
from portal_tui.app import PortalApp
from portal_tui.screens.review_worklist import ReviewWorklistScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in


def decisions(services: Services) -> dict[str, str | None]:
    """Each review item's decision, by username of the item's user."""
    from portal_core.store.schema import users

    with services.db.read() as conn:
        rows = conn.execute(
            select(users.c.username, review_items.c.decision).join(
                users, users.c.id == review_items.c.user_id
            )
        ).all()
    return {row.username: row.decision for row in rows}


async def open_worklist(pilot, app: PortalApp) -> ResultTable:
    await sign_in(pilot)
    await pilot.press("f3")
    await settle(pilot, lambda: app.current_mode == "reviews")
    await pilot.press("o")
    await settle(pilot, lambda: "Open a user review?" in screen_text(app))
    await pilot.press("y")
    await settle(
        pilot,
        lambda: (
            isinstance(app.screen, ReviewWorklistScreen)
            and not app.screen.query_one(ResultTable).fetching
        ),
    )
    return app.screen.query_one(ResultTable)


async def test_keep_and_deactivate_with_keys(make_app, practice: Practice, services: Services):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_worklist(pilot, app)
        assert "Decided 0 of 7" in screen_text(app)
        first = table.current
        assert first is not None
        await pilot.press("y")  # keep the first item; the cursor moves on
        await settle(pilot, lambda: "Decided 1 of 7" in screen_text(app))
        assert decisions(services)[first.username] == "keep"
        second = table.current
        assert second is not None and second.username != first.username
        await pilot.press("d")
        await settle(pilot, lambda: app.screen.query("#reason").first() is not None)
        app.screen.query_one("#reason", Input).value = "no"  # too short: refused in the modal
        await pilot.press("enter")
        await pilot.pause()
        assert "at least 5 characters" in screen_text(app)
        app.screen.query_one("#reason", Input).value = "left the practice in October"
        await pilot.press("enter")
        await settle(pilot, lambda: "Decided 2 of 7" in screen_text(app))
        assert decisions(services)[second.username] == "deactivate"


async def test_selection_and_bulk_over_filter(make_app, practice: Practice, services: Services):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_worklist(pilot, app)
        await pilot.press("space", "space", "y")
        await settle(pilot, lambda: "Decided 2 of 7" in screen_text(app))
        assert sorted(v for v in decisions(services).values() if v) == ["keep", "keep"]
        # Filter on "staff." then keep everything the filter matches.
        await pilot.press("slash")
        app.screen.query_one("#worklist-text", Input).value = "staff."
        await settle(pilot, lambda: table.total == 5 and not table.fetching)
        await pilot.press("enter", "b")
        await settle(pilot, lambda: "Decide all 5 items" in screen_text(app))
        await pilot.press("enter")  # Keep
        await settle(pilot, lambda: "Decide in bulk?" in screen_text(app))
        await pilot.press("y")
        await settle(pilot, lambda: "Decided" in screen_text(app) and table.total == 5)
        staff = {k: v for k, v in decisions(services).items() if k.startswith("staff.")}
        assert set(staff.values()) == {"keep"}


async def test_sign_off_refused_until_all_decided_then_applied(
    make_app, practice: Practice, services: Services, tmp_path: Path
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_worklist(pilot, app)
        await pilot.press("s")
        await pilot.pause()
        assert services.db is not None
        with services.db.read() as conn:
            assert conn.execute(select(review_campaigns.c.status)).scalar_one() == "open"
        # Keep everyone, then sign off.
        await pilot.press("b")
        await settle(pilot, lambda: "Decide all 7 items" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, lambda: "Decide in bulk?" in screen_text(app))
        await pilot.press("y")
        await settle(pilot, lambda: "Decided 7 of 7" in screen_text(app))
        await pilot.press("s")
        await settle(pilot, lambda: "Sign off this review?" in screen_text(app))
        await pilot.press("y")
        await settle(pilot, lambda: "signed off" in screen_text(app))
        with services.db.read() as conn:
            assert conn.execute(select(review_campaigns.c.status)).scalar_one() == "signed_off"
        # The evidence report goes to a file only the user can read.
        await pilot.press("x")
        await settle(pilot, lambda: app.screen.query("#path").first() is not None)
        target = tmp_path / "evidence.csv"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot, lambda: target.exists())
        assert os.stat(target).st_mode & 0o777 == 0o600
        assert b"ada.admin" in target.read_bytes()
        assert table.total == 7


async def test_thousands_of_items_page_in_lazily(make_app, big_practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_worklist(pilot, app)
        assert table.total == 607
        assert len(table.rows) < 607  # only the first page is held
        assert "Row 1 of 607" in table.status_text
        await pilot.press("end")  # the last page only
        await settle(pilot, lambda: table.previous_cursor is not None and not table.fetching)
        assert len(table.rows) < 607 and table.cursor == len(table.rows) - 1
        assert "Row 607 of 607" in table.status_text


def question(app: PortalApp) -> str:
    """The open modal's words and choices, on one line."""
    from textual.widgets import OptionList, Static

    words = [str(w.content) for w in app.screen.query(".modal-text").results(Static)]
    words += [str(o.prompt) for lst in app.screen.query(OptionList) for o in lst.options]
    return " | ".join(words)


async def give_reason(pilot, app: PortalApp, reason: str = "left the practice in October") -> None:
    await settle(pilot, lambda: app.screen.query("#reason").first() is not None)
    app.screen.query_one("#reason", Input).value = reason
    await pilot.press("enter")


async def test_bulk_decide_keeps_decisions_unless_told_to_overwrite(
    make_app, practice: Practice, services: Services
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_worklist(pilot, app)
        await pilot.press("y", "y")  # keep ada.admin and lou.locked
        await settle(pilot, lambda: "Decided 2 of 7" in screen_text(app))
        await pilot.press("b")
        await settle(pilot, lambda: "Decide all 7 items" in screen_text(app))
        await pilot.press("down", "enter")  # Deactivate
        await give_reason(pilot, app)
        await settle(pilot, lambda: "Keep what was decided?" in screen_text(app))
        text = question(app)
        assert "Deactivate 5 undecided users. 2 already decided (2 keep) stay as decided." in text
        assert "Overwrite the 2 decided too: deactivate all 7 users" in text
        await pilot.press("escape")  # changes nothing
        await pilot.pause()
        assert sorted(filter(None, decisions(services).values())) == ["keep", "keep"]

        await pilot.press("b")
        await settle(pilot, lambda: "Decide all 7 items" in screen_text(app))
        await pilot.press("down", "enter")
        await give_reason(pilot, app)
        await settle(pilot, lambda: "Keep what was decided?" in screen_text(app))
        await pilot.press("enter")  # the first choice: the undecided only
        await settle(pilot, lambda: "Decided 7 of 7" in screen_text(app))
        decided = decisions(services)
        assert decided["ada.admin"] == decided["lou.locked"] == "keep"
        assert {decided[f"staff.0{n}"] for n in range(1, 6)} == {"deactivate"}

        # Everything is decided: keeping all of them needs the overwrite choice.
        await pilot.press("b")
        await settle(pilot, lambda: "Decide all 7 items" in screen_text(app))
        await pilot.press("enter")  # Keep
        await settle(pilot, lambda: "Keep what was decided?" in screen_text(app))
        text = question(app)
        assert "All 7 users are decided already (2 keep, 5 deactivate)" in text
        await pilot.press("enter")  # Leave them as decided
        await pilot.pause()
        assert list(decisions(services).values()).count("deactivate") == 5
        await pilot.press("b")
        await settle(pilot, lambda: "Decide all 7 items" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, lambda: "Keep what was decided?" in screen_text(app))
        await pilot.press("down", "enter")  # Overwrite them
        await settle(pilot, lambda: set(decisions(services).values()) == {"keep"})


async def test_a_selection_asks_before_overwriting(
    make_app, practice: Practice, services: Services
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_worklist(pilot, app)
        await pilot.press("y")  # keep ada.admin; the cursor moves to lou.locked
        await settle(pilot, lambda: "Decided 1 of 7" in screen_text(app))
        await pilot.press("up", "space", "space")  # select ada.admin and lou.locked
        assert len(table.selected) == 2
        await pilot.press("d")
        await give_reason(pilot, app)
        await settle(pilot, lambda: "Keep what was decided?" in screen_text(app))
        text = question(app)
        assert "Deactivate 1 undecided user. 1 already decided (1 keep) stay as decided." in text
        await pilot.press("enter")
        await settle(pilot, lambda: "Decided 2 of 7" in screen_text(app))
        decided = decisions(services)
        assert (decided["ada.admin"], decided["lou.locked"]) == ("keep", "deactivate")
        # The line under the cursor is decided again without a question.
        await pilot.press("home", "d")
        await give_reason(pilot, app)
        await settle(pilot, lambda: decisions(services)["ada.admin"] == "deactivate")
