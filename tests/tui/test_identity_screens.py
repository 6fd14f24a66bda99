"""Register, recover, settings and documents: main path and bad input, checked in the store."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import Input, Select, Static

from portal_core.services import Services
from portal_core.store.schema import mail_outbox as outbox
from portal_core.store.schema import user_roles, users
from portal_tui.screens.login import LoginScreen
from portal_tui.screens.recover import RecoverScreen
from portal_tui.screens.register import RegisterScreen
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in


def fill(screen, **values: str) -> None:
    for name, value in values.items():
        screen.query_one(f"#{name}", Input).value = value


async def test_register_with_the_registration_code(
    make_app, practice: Practice, services: Services
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, RegisterScreen))
        screen = app.screen
        fill(
            screen,
            full_name="Nia Newcomer",
            email="nia@example.org",
            username="nia.newcomer",
            password="a long enough passphrase for nia",
            tin="12-3456789",
            registration_code="WRONG-CODE",
        )
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Registering" not in screen_text(app))
        with services.db.read() as conn:
            assert (
                conn.execute(select(users.c.id).where(users.c.username == "nia.newcomer")).first()
                is None
            )
        assert "Traceback" not in screen_text(app)
        fill(screen, registration_code="LAKESIDE-2026")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "escape to go back" in screen_text(app))
        with services.db.read() as conn:
            status = conn.execute(
                select(user_roles.c.status)
                .join(users, users.c.id == user_roles.c.user_id)
                .where(users.c.username == "nia.newcomer")
            ).scalar_one()
        assert status == "pending"  # the TIN already has an administrator
        # The address registered with is confirmed with the code mailed to it.
        with services.db.read() as conn:
            body = conn.execute(
                select(outbox.c.body).where(
                    outbox.c.to_address == "nia@example.org",
                    outbox.c.subject == "Confirm your provider portal email address",
                )
            ).scalar_one()
        code = next(line.strip() for line in body.splitlines() if line.startswith("    "))
        # The code field comes into view with the focus (it once stayed below the fold).
        field = screen.query_one("#email-code", Input)
        await settle(
            pilot,
            lambda: field.has_focus and app.screen.region.contains_region(field.region),
        )
        screen.query_one("#email-code", Input).value = code
        screen.query_one("#email-code", Input).focus()
        await pilot.press("enter")
        proof_message = screen.query_one("#proof-message", Static)
        await settle(pilot, lambda: "address is confirmed" in str(proof_message.render()))
        with services.db.read() as conn:
            assert conn.execute(
                select(users.c.email_verified_at).where(users.c.username == "nia.newcomer")
            ).scalar_one()
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, LoginScreen))


async def test_register_needs_a_proof(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, RegisterScreen))
        fill(
            app.screen,
            full_name="A B",
            email="a@example.org",
            username="abcdef",
            password="x" * 20,
            tin="123456789",
        )
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Give the registration code" in screen_text(app))


async def test_forgot_password_mails_a_code(make_app, practice: Practice, services: Services):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        await settle(pilot, lambda: isinstance(app.screen, RecoverScreen))
        app.screen.query_one("#recover-tabs").active = "tab-password"
        await pilot.pause()
        fill(app.screen, **{"reset-username": "staff.01", "reset-email": "staff.01@example.org"})
        app.screen.query_one("#reset-email", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: "reset code is on its way" in screen_text(app))
        with services.db.read() as conn:
            assert conn.execute(select(outbox.c.to_address)).scalars().all() == [
                "staff.01@example.org"
            ]


async def test_settings_theme_is_saved_and_bad_password_change_refused(
    make_app, practice: Practice, services: Services
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f4")
        await settle(pilot, lambda: app.current_mode == "settings")
        app.screen.query_one("#theme", Select).value = "monochrome"
        await settle(pilot, lambda: "Theme monochrome saved." in screen_text(app))
        assert app.theme == "monochrome"
        with services.db.read() as conn:
            assert (
                conn.execute(
                    select(users.c.theme).where(users.c.username == "ada.admin")
                ).scalar_one()
                == "monochrome"
            )
        fill(app.screen, **{"pw-current": "wrong current password", "pw-new": "short"})
        app.screen.query_one("#change-password").press()
        await settle(
            pilot, lambda: "Working" not in str(app.screen.query_one("#ans-password").render())
        )
        assert "Password changed" not in str(app.screen.query_one("#ans-password").render())


async def test_documents_menu_lists_nothing_yet(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("0")
        await settle(pilot, lambda: "No documents yet." in screen_text(app))
