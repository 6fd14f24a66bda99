"""The users menu: list and filter, detail, deactivate (with reason), approve, create."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from textual.widgets import Input

from builders import PASSWORD
from portal_core.services import Services
from portal_core.store.schema import user_roles, users
from portal_tui.app import PortalApp
from portal_tui.screens.user_detail import UserDetailScreen
from portal_tui.screens.users import UsersScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in


async def open_users(pilot, app: PortalApp) -> ResultTable:
    await sign_in(pilot)
    await pilot.press("f2")
    await settle(
        pilot,
        lambda: app.current_mode == "users" and not app.screen.query_one(ResultTable).fetching,
    )
    return app.screen.query_one(ResultTable)


def role_status(services: Services, user_id: int) -> str:
    with services.db.read() as conn:
        return conn.execute(
            select(user_roles.c.status).where(user_roles.c.user_id == user_id)
        ).scalar_one()


async def test_filter_narrows_the_list(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_users(pilot, app)
        assert table.total == 8
        assert "staff.01" in screen_text(app)
        await pilot.press("slash")
        app.screen.query_one("#users-text", Input).value = "lou"
        await settle(pilot, lambda: table.total == 1 and not table.fetching)
        assert "lou.locked" in screen_text(app)
        assert "staff.01" not in screen_text(app)
        app.screen.query_one("#users-text", Input).value = "nobody-by-this-name"
        await settle(pilot, lambda: table.total == 0 and not table.fetching)
        assert "No user matches." in screen_text(app)


async def test_deactivate_needs_a_reason(make_app, practice: Practice, services: Services):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_users(pilot, app)
        await app.open_user("staff.02")
        await settle(pilot, lambda: isinstance(app.screen, UserDetailScreen) and app.screen.user)
        await pilot.press("d")
        await settle(pilot, lambda: bool(app.screen.query("#reason")))
        await pilot.press("enter")  # no reason
        await pilot.pause()
        assert "at least 5 characters" in screen_text(app)
        assert role_status(services, practice.staff_ids[1]) == "active"
        app.screen.query_one("#reason", Input).value = "moved to another practice"
        await pilot.press("enter")
        # One word for it on every screen: the detail and the list say "deactivated".
        await settle(pilot, lambda: "(deactivated)" in screen_text(app))
        assert "removed" not in screen_text(app)
        assert role_status(services, practice.staff_ids[1]) == "removed"
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, UsersScreen))
        await settle(pilot, lambda: "Staff 02" in screen_text(app))
        line = next(x for x in screen_text(app).splitlines() if "Staff 02" in x)
        assert "deactivated" in line and "removed" not in line


async def test_approve_a_pending_registrant(make_app, practice: Practice, services: Services):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_users(pilot, app)
        await app.open_user("pat.pending")
        await settle(pilot, lambda: isinstance(app.screen, UserDetailScreen) and app.screen.user)
        await pilot.press("y")
        await settle(pilot, lambda: "Approve pat.pending as" in screen_text(app))
        await pilot.press("down", "down", "down", "enter")  # Staff
        await settle(pilot, lambda: "Providers pat.pending works for" in screen_text(app))
        await pilot.press("space", "ctrl+s")
        await settle(pilot, lambda: "Staff (active)" in screen_text(app))
        assert role_status(services, practice.pending_id) == "active"


async def test_create_user_and_refuse_a_bad_username(
    make_app, practice: Practice, services: Services
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_users(pilot, app)
        await pilot.press("c")
        await settle(pilot, lambda: "New user" in screen_text(app))
        screen = app.screen
        screen.query_one("#username", Input).value = "x!"
        screen.query_one("#full_name", Input).value = "Grace Hopper"
        screen.query_one("#email", Input).value = "grace@example.org"
        from textual.widgets import Select

        screen.query_one("#role", Select).value = "staff"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Creating" not in screen_text(app))
        assert app.screen is screen
        with services.db.read() as conn:
            assert (
                conn.execute(select(users.c.id).where(users.c.full_name == "Grace Hopper")).first()
                is None
            )
        screen.query_one("#username", Input).value = "grace.hopper"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is not screen)
        with services.db.read() as conn:
            assert (
                conn.execute(
                    select(users.c.username).where(users.c.full_name == "Grace Hopper")
                ).scalar_one()
                == "grace.hopper"
            )


async def test_user_detail_shows_sign_ins_and_failures_and_the_look_is_audited(
    make_app, practice: Practice, services: Services
):
    from portal_core.errors import AuthenticationFailed
    from portal_core.store.schema import audit_log

    services.identity.sign_in("staff.02", PASSWORD)
    with pytest.raises(AuthenticationFailed):
        services.identity.sign_in("staff.02", "not the right password")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_users(pilot, app)
        await app.open_user("staff.02")
        await settle(pilot, lambda: isinstance(app.screen, UserDetailScreen) and app.screen.user)
        await pilot.press("h")
        await settle(pilot, lambda: "Sign-ins (last" in screen_text(app))
        text = screen_text(app)
        assert "failed: wrong password" in text
        assert "signed in" in text
        # Newest first: the failure came after the sign-in.
        assert text.index("failed: wrong password") < text.index("signed in")
    with services.db.read() as conn:
        looks = conn.execute(
            select(audit_log.c.actor_username, audit_log.c.record_id).where(
                audit_log.c.action == "users.sign_in_history"
            )
        ).all()
    assert [(r.actor_username, r.record_id) for r in looks] == [
        ("ada.admin", str(practice.staff_ids[1]))
    ]


async def test_the_user_list_exports_as_csv(
    make_app, practice: Practice, services: Services, tmp_path
):
    import csv
    import stat

    from portal_tui.modals.file_path import FilePathModal

    target = tmp_path / "users.csv"
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        table = await open_users(pilot, app)
        await settle(pilot, lambda: table.total == 8)
        table.focus()
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, FilePathModal))
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot, lambda: target.exists())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = list(csv.DictReader(target.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 8
    assert {r["username"] for r in rows} >= {"ada.admin", "staff.01", "lou.locked"}
    assert rows[0]["role"] in {"administrator", "staff", "billing"}
