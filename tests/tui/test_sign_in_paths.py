"""Sign-in paths: the authenticator code step, the legacy migration screen, registration as the
first of a TIN, and recovery (username, password, reset with the mailed code). Each main path and
its bad input, checked on the screen and in the store."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import func, select
from textual.widgets import Input, Static

from builders import PASSWORD, add_tin, add_user, principal_for
from portal_core.clock import SettableClock
from portal_core.models.identity import Role
from portal_core.services import Services
from portal_core.store.schema import mail_outbox, sessions, user_roles, users
from portal_tui.app import PortalApp
from portal_tui.screens.login import LoginScreen
from portal_tui.screens.migration import MigrationScreen
from portal_tui.screens.recover import RecoverScreen
from portal_tui.screens.register import RegisterScreen
from tui.conftest import Practice
from tui.driving import screen_text, settle

NEW_PASSWORD = "a brand new long passphrase"


def fill(screen, **values: str) -> None:
    for name, value in values.items():
        screen.query_one(f"#{name}", Input).value = value


def shown(app: PortalApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def user_row(services: Services, username: str):
    with services.db.read() as conn:
        return conn.execute(select(users).where(users.c.username == username)).mappings().first()


def session_count(services: Services, user_id: int) -> int:
    with services.db.read() as conn:
        return conn.execute(
            select(func.count()).select_from(sessions).where(sessions.c.user_id == user_id)
        ).scalar_one()


async def type_credentials(pilot, username: str, password: str) -> None:
    await pilot.pause()
    fill(pilot.app.screen, username=username, password=password)
    pilot.app.screen.query_one("#password", Input).focus()
    await pilot.press("enter")


# -- the authenticator step -----------------------------------------------------------------------
def enroll_totp(services: Services, clock: SettableClock, user_id: int) -> str:
    """Turn two-step sign-in on for a user through the service; returns the secret."""
    principal = principal_for(services.db, user_id)
    enrollment = services.identity.begin_totp_enrollment(principal)
    code = pyotp.TOTP(enrollment.secret).at(clock.now())
    services.identity.confirm_totp_enrollment(principal, code)
    # The code used to confirm may not sign in (replay); the next one may.
    clock.advance(seconds=60)
    return enrollment.secret


async def test_totp_step_refuses_a_wrong_code_then_signs_in(
    make_app, practice: Practice, services: Services, clock: SettableClock
):
    secret = enroll_totp(services, clock, practice.admin_id)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_credentials(pilot, "ada.admin", PASSWORD)
        await settle(pilot, lambda: app.screen.has_class("needs-totp"))
        assert "code from your authenticator app" in shown(app, "#login-message")
        assert app.account is None
        assert session_count(services, practice.admin_id) == 0

        right = pyotp.TOTP(secret).at(clock.now())
        wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
        fill(app.screen, totp=wrong)
        app.screen.query_one("#totp", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: "The code is not right" in shown(app, "#login-message"))
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#totp", Input).value == ""
        assert session_count(services, practice.admin_id) == 0
        assert user_row(services, "ada.admin")["failed_sign_ins"] == 1

        fill(app.screen, totp=right)
        app.screen.query_one("#totp", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: app.current_mode == "home")
        assert session_count(services, practice.admin_id) == 1
        row = user_row(services, "ada.admin")
        assert row["failed_sign_ins"] == 0
        assert row["totp_last_step"] == int(clock.now().timestamp()) // 30


async def test_a_recovery_code_signs_in_in_place_of_the_app_code(
    make_app, practice: Practice, services: Services, clock: SettableClock
):
    principal = principal_for(services.db, practice.admin_id)
    enrollment = services.identity.begin_totp_enrollment(principal)
    codes = services.identity.confirm_totp_enrollment(
        principal, pyotp.TOTP(enrollment.secret).at(clock.now())
    ).codes
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_credentials(pilot, "ada.admin", PASSWORD)
        await settle(pilot, lambda: app.screen.has_class("needs-totp"))
        assert "recovery code" in shown(app, "#login-message")
        totp_field = app.screen.query_one("#totp", Input)
        totp_field.focus()
        await pilot.press(*codes[0].upper())
        assert totp_field.value == codes[0].upper()
        await pilot.press("enter")
        await settle(pilot, lambda: app.current_mode == "home")
        assert app.account is not None and app.account.recovery_codes_left == 9


async def test_a_pending_registrant_is_told_the_tin_and_the_day_it_was_asked(
    make_app, practice: Practice, services: Services
):
    add_user(
        services.db,
        "new.registrant",
        Role.STAFF,
        practice.tin,
        status="pending",
        role_status="pending",
    )
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_credentials(pilot, "new.registrant", PASSWORD)
        await settle(pilot, lambda: "waiting for approval" in shown(app, "#login-message"))
        message = shown(app, "#login-message")
        assert "TIN 12-3456789 (Lakeside Family Practice), asked on 10/31/2026" in message
        assert app.account is None


# -- the legacy migration screen ------------------------------------------------------------------
async def test_legacy_account_moves_over_after_bad_input_is_refused(
    make_app, practice: Practice, services: Services
):
    legacy_id = add_user(services.db, "OLDUSER1", Role.STAFF, practice.tin, status="legacy")
    app = make_app()
    async with app.run_test(size=(100, 34)) as pilot:
        await type_credentials(pilot, "OLDUSER1", PASSWORD)
        await settle(pilot, lambda: isinstance(app.screen, MigrationScreen))
        screen = app.screen
        assert "old portal" in screen_text(app)

        # A username with characters it may not hold.
        fill(
            screen,
            **{"new-username": "x!", "new-password": NEW_PASSWORD, "email": "old@example.org"},
        )
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Moving" not in shown(app, "#form-message"))
        assert app.screen is screen
        assert shown(app, "#form-message")
        assert screen.query_one("#form-message").has_class("error")
        assert user_row(services, "OLDUSER1")["status"] == "legacy"

        # A password too short.
        fill(screen, **{"new-username": "olga.old", "new-password": "short"})
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Moving" not in shown(app, "#form-message"))
        assert "characters" in shown(app, "#form-message")
        assert user_row(services, "olga.old") is None

        fill(screen, **{"new-password": NEW_PASSWORD})
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "mailed a code" in shown(app, "#form-message"))
        row = user_row(services, "olga.old")
        assert row is not None and row["id"] == legacy_id
        assert row["status"] == "active"
        # The typed address is used once the code mailed to it is entered.
        assert row["email"] == "OLDUSER1@example.org"
        # The code field comes into view with the focus (it once stayed below the fold).
        field = screen.query_one("#email-code", Input)
        await settle(
            pilot,
            lambda: field.has_focus and app.screen.region.contains_region(field.region),
        )
        fill(screen, **{"email-code": "00000000"})
        screen.query_one("#email-code", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: "not right" in shown(app, "#form-message"))
        assert app.screen is screen
        (mail,) = mails_to(services, "old@example.org")
        code = re.search(r"^ {4}(\d{8})$", mail, re.M)
        assert code is not None
        fill(screen, **{"email-code": code.group(1)})
        screen.query_one("#email-code", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: app.current_mode == "home")
        row = user_row(services, "olga.old")
        assert row is not None and row["email"] == "old@example.org"
        assert row["email_verified_at"] is not None
        assert user_row(services, "OLDUSER1") is None
        assert session_count(services, legacy_id) == 1
        assert "olga.old" in screen_text(app)


# -- registration ---------------------------------------------------------------------------------
NEW_TIN = "987654321"


async def open_register(pilot, app: PortalApp) -> RegisterScreen:
    await pilot.press("f2")
    await settle(pilot, lambda: isinstance(app.screen, RegisterScreen))
    assert isinstance(app.screen, RegisterScreen)
    return app.screen


async def test_first_registrant_of_a_tin_becomes_its_administrator(make_app, services: Services):
    add_tin(services.db, NEW_TIN, name="Hillside Clinic", registration_code="HILLSIDE-1")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_register(pilot, app)
        fill(
            screen,
            full_name="Hana First",
            email="hana@example.org",
            username="hana.first",
            password="hana's long enough passphrase",
            tin="98-7654321",
            registration_code="HILLSIDE-1",
        )
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "escape to go back" in screen_text(app))
        assert not screen.query_one("#form-message").has_class("error")
        with services.db.read() as conn:
            role, status = conn.execute(
                select(user_roles.c.role, user_roles.c.status)
                .join(users, users.c.id == user_roles.c.user_id)
                .where(users.c.username == "hana.first", user_roles.c.tin == NEW_TIN)
            ).one()
        assert (role, status) == ("administrator", "active")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, LoginScreen))
        await type_credentials(pilot, "hana.first", "hana's long enough passphrase")
        await settle(pilot, lambda: app.current_mode == "home")
        assert "Administrator" in screen_text(app)


async def test_registration_refuses_a_weak_password_and_a_wrong_code(make_app, services: Services):
    add_tin(services.db, NEW_TIN, name="Hillside Clinic", registration_code="HILLSIDE-1")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_register(pilot, app)
        fill(
            screen,
            full_name="Walt Weak",
            email="walt@example.org",
            username="walt.weak",
            password="password",
            tin=NEW_TIN,
            registration_code="HILLSIDE-1",
        )
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Registering" not in shown(app, "#form-message"))
        weak_message = shown(app, "#form-message")
        assert screen.query_one("#form-message").has_class("error")
        assert "at least 15 characters" in weak_message
        assert user_row(services, "walt.weak") is None

        fill(screen, password="walt's long enough passphrase", registration_code="NOT-THE-CODE")
        await pilot.press("ctrl+s")
        await settle(
            pilot,
            lambda: (
                "Registering" not in shown(app, "#form-message")
                and shown(app, "#form-message") != weak_message
            ),
        )
        assert screen.query_one("#form-message").has_class("error")
        assert "escape to go back" not in screen_text(app)
        assert user_row(services, "walt.weak") is None


# -- recovery -------------------------------------------------------------------------------------
def mails_to(services: Services, address: str) -> list[str]:
    with services.db.read() as conn:
        return list(
            conn.execute(
                select(mail_outbox.c.body)
                .where(mail_outbox.c.to_address == address)
                .order_by(mail_outbox.c.id)
            ).scalars()
        )


async def open_recover(pilot, app: PortalApp, tab: str) -> RecoverScreen:
    await pilot.press("f3")
    await settle(pilot, lambda: isinstance(app.screen, RecoverScreen))
    app.screen.query_one("#recover-tabs").active = tab
    await pilot.pause()
    assert isinstance(app.screen, RecoverScreen)
    return app.screen


async def test_forgot_username_answers_the_same_for_known_and_unknown_addresses(
    make_app, practice: Practice, services: Services
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_recover(pilot, app, "tab-username")
        fill(screen, **{"forgot-email": "nobody@example.org"})
        screen.query_one("#send-usernames").press()
        await settle(pilot, lambda: "on their way" in shown(app, "#answer-username"))
        unknown_answer = shown(app, "#answer-username")
        assert mails_to(services, "nobody@example.org") == []

        fill(screen, **{"forgot-email": "staff.03@example.org"})
        screen.query_one("#send-usernames").press()
        await settle(pilot, lambda: bool(mails_to(services, "staff.03@example.org")))
        await settle(pilot, lambda: "on their way" in shown(app, "#answer-username"))
        assert shown(app, "#answer-username") == unknown_answer
        assert "staff.03" in mails_to(services, "staff.03@example.org")[0]


async def test_reset_password_with_the_mailed_code_after_a_wrong_and_an_expired_one(
    make_app, practice: Practice, services: Services, clock: SettableClock
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_recover(pilot, app, "tab-password")

        async def ask_for_code() -> str:
            before = len(mails_to(services, "staff.01@example.org"))
            fill(screen, **{"reset-username": "staff.01", "reset-email": "staff.01@example.org"})
            screen.query_one("#answer-password", Static).update("")
            screen.query_one("#send-reset").press()
            await settle(
                pilot, lambda: "reset code is on its way" in shown(app, "#answer-password")
            )
            bodies = mails_to(services, "staff.01@example.org")
            assert len(bodies) == before + 1
            match = re.search(r"Your reset code is:\n\n    (\S+)", bodies[-1])
            assert match, "the mail carries the code"
            return match.group(1)

        async def reset_with(code: str, password: str) -> str:
            screen.query_one("#recover-tabs").active = "tab-reset"
            await pilot.pause()
            fill(screen, **{"reset-code": code, "new-password": password})
            answer = screen.query_one("#answer-reset", Static)
            answer.update("")
            screen.query_one("#do-reset").press()
            await settle(pilot, lambda: shown(app, "#answer-reset") not in ("", "Sending…"))
            return shown(app, "#answer-reset")

        old_hash = user_row(services, "staff.01")["password_hash"]
        expired = await ask_for_code()
        clock.advance(minutes=31)
        assert "not valid or has expired" in await reset_with(expired, NEW_PASSWORD)
        assert user_row(services, "staff.01")["password_hash"] == old_hash

        code = await ask_for_code()
        assert "not valid or has expired" in await reset_with("WRONG" + code, NEW_PASSWORD)
        assert user_row(services, "staff.01")["password_hash"] == old_hash

        assert "Your password is set" in await reset_with(code, NEW_PASSWORD)
        assert user_row(services, "staff.01")["password_hash"] != old_hash
        # The code was single use.
        assert "not valid" in await reset_with(code, NEW_PASSWORD + " again")

        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, LoginScreen))
        await type_credentials(pilot, "staff.01", NEW_PASSWORD)
        await settle(pilot, lambda: app.current_mode == "home")
