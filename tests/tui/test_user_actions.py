"""The user detail screen's actions: edit contact, change role, affiliations, unlock, deactivate and
reactivate (with confirmation), approve and reject a registrant; and refusing to deactivate oneself.
Each checked on the screen and in the store."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import Input, Static

from portal_core.services import Services
from portal_core.store.schema import user_affiliations, user_roles, users
from portal_tui.app import PortalApp
from portal_tui.screens.user_detail import UserDetailScreen
from portal_tui.screens.user_forms import EditContactScreen
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in


async def open_detail(pilot, username: str) -> UserDetailScreen:
    app: PortalApp = pilot.app
    await sign_in(pilot)
    await app.open_user(username)
    await settle(
        pilot,
        lambda: (
            isinstance(app.screen, UserDetailScreen)
            and app.screen.user is not None
            and app.screen.user.username == username
        ),
    )
    assert isinstance(app.screen, UserDetailScreen)
    return app.screen


def facts(app: PortalApp) -> str:
    screen = app.screen
    return "\n".join(
        str(screen.query_one(selector, Static).render())
        for selector in ("#user-facts", "#user-roles")
    )


def confirmation(app: PortalApp) -> str:
    """The words of the open confirmation."""
    return str(app.screen.query_one(".modal-text", Static).render())


def toasts(app: PortalApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def role_of(services: Services, user_id: int) -> tuple[str, str]:
    with services.db.read() as conn:
        row = conn.execute(
            select(user_roles.c.role, user_roles.c.status).where(user_roles.c.user_id == user_id)
        ).one()
    return row.role, row.status


def user_value(services: Services, user_id: int, column: str):
    with services.db.read() as conn:
        return conn.execute(select(users.c[column]).where(users.c.id == user_id)).scalar_one()


def npis_of(services: Services, user_id: int) -> set[str]:
    with services.db.read() as conn:
        return set(
            conn.execute(
                select(user_affiliations.c.npi).where(user_affiliations.c.user_id == user_id)
            ).scalars()
        )


async def test_edit_contact_refuses_a_bad_email_then_saves(
    make_app, practice: Practice, services: Services
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_detail(pilot, "staff.01")
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, EditContactScreen))
        form = app.screen
        form.query_one("#email", Input).value = "not an email"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: str(form.query_one("#form-message", Static).render()) != "")
        assert app.screen is form
        assert user_value(services, practice.staff_ids[0], "email") == "staff.01@example.org"

        form.query_one("#email", Input).value = "staff.one@example.org"
        form.query_one("#phone", Input).value = "555-0199"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, UserDetailScreen))
        # The new address waits for the user's code; the detail shows it so.
        await settle(pilot, lambda: "waiting for its code: staff.one@example.org" in facts(app))
        assert "555-0199" in facts(app)
        assert user_value(services, practice.staff_ids[0], "email") == "staff.01@example.org"
        assert user_value(services, practice.staff_ids[0], "phone") == "555-0199"


async def test_change_role_and_affiliations(make_app, practice: Practice, services: Services):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await open_detail(pilot, "staff.03")
        await pilot.press("r")
        await settle(pilot, lambda: "New role for staff.03" in screen_text(app))
        await pilot.press("down", "down", "down", "down", "enter")  # Billing
        # Said in words first: who, which TIN, from which role to which; escape changes nothing.
        await settle(pilot, lambda: "Change the role of staff.03?" in screen_text(app))
        assert (
            "Staff 03 (staff.03) changes from Staff to Billing at TIN 12-3456789 (Lakeside "
            "Family Practice)." in confirmation(app)
        )
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is detail)
        await pilot.pause()
        assert role_of(services, practice.staff_ids[2]) == ("staff", "active")
        assert "Staff (active)" in facts(app)

        await pilot.press("r")
        await settle(pilot, lambda: "New role for staff.03" in screen_text(app))
        await pilot.press("down", "down", "down", "down", "enter")
        await settle(pilot, lambda: "Change the role of staff.03?" in screen_text(app))
        await pilot.press("y")
        await settle(pilot, lambda: "Billing (active)" in facts(app))
        assert role_of(services, practice.staff_ids[2]) == ("billing", "active")

        assert npis_of(services, practice.staff_ids[2]) == {practice.npis[0]}
        await pilot.press("a")
        await settle(pilot, lambda: "Providers staff.03 works for" in screen_text(app))
        # Untick the first provider, tick the second.
        await pilot.press("space", "down", "space", "ctrl+s")
        await settle(pilot, lambda: practice.npis[1] in facts(app))
        assert npis_of(services, practice.staff_ids[2]) == {practice.npis[1]}


async def test_unlock_a_locked_user(make_app, practice: Practice, services: Services):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_detail(pilot, "lou.locked")
        assert "locked after failed sign-ins" in facts(app)
        await pilot.press("u")
        await settle(pilot, lambda: "Unlock lou.locked?" in screen_text(app))
        assert "Lou Locked (lou.locked) was locked after failed sign-ins." in confirmation(app)
        await pilot.press("escape")  # changes nothing
        await settle(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert user_value(services, practice.locked_id, "locked") is True
        await pilot.press("u")
        await settle(pilot, lambda: "Unlock lou.locked?" in screen_text(app))
        await pilot.press("y")
        await settle(pilot, lambda: "locked after" not in facts(app))
        assert user_value(services, practice.locked_id, "locked") is False
        assert user_value(services, practice.locked_id, "failed_sign_ins") == 0
        # Unlocking is offered only while locked.
        assert screen.check_action("unlock", ()) is False


async def test_deactivate_then_reactivate_after_confirming(
    make_app, practice: Practice, services: Services
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_detail(pilot, "staff.05")
        await pilot.press("d")
        await settle(pilot, lambda: bool(app.screen.query("#reason")))
        app.screen.query_one("#reason", Input).value = "left the practice in November"
        await pilot.press("enter")
        await settle(pilot, lambda: "(deactivated)" in facts(app))
        assert role_of(services, practice.staff_ids[4])[1] == "removed"

        await pilot.press("v")
        await settle(pilot, lambda: "Reactivate staff.05?" in screen_text(app))
        await pilot.press("n")  # not yet
        await settle(pilot, lambda: isinstance(app.screen, UserDetailScreen))
        await pilot.pause()
        assert role_of(services, practice.staff_ids[4])[1] == "removed"

        await pilot.press("v")
        await settle(pilot, lambda: "Reactivate staff.05?" in screen_text(app))
        await pilot.press("y")
        await settle(pilot, lambda: "Staff (active)" in facts(app))
        assert role_of(services, practice.staff_ids[4]) == ("staff", "active")


async def test_reject_a_pending_registrant(make_app, practice: Practice, services: Services):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_detail(pilot, "pat.pending")
        await pilot.press("n")
        await settle(pilot, lambda: "Refuse pat.pending?" in screen_text(app))
        app.screen.query_one("#reason", Input).value = "nobody here knows them"
        await pilot.press("enter")
        await settle(pilot, lambda: "Registrant refused." in toasts(app))
        assert role_of(services, practice.pending_id)[1] != "pending"
        assert role_of(services, practice.pending_id)[1] != "active"
        assert user_value(services, practice.pending_id, "status") == "deactivated"


async def test_self_deactivation_is_refused_with_the_services_message(
    make_app, practice: Practice, services: Services
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_detail(pilot, "ada.admin")
        await pilot.press("d")
        await settle(pilot, lambda: bool(app.screen.query("#reason")))
        app.screen.query_one("#reason", Input).value = "trying to remove myself"
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: any(t.startswith("You cannot deactivate yourself") for t in toasts(app)),
        )
        assert "Traceback" not in screen_text(app)
        assert role_of(services, practice.admin_id) == ("administrator", "active")
