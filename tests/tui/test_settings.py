"""The settings menu: two-step sign-in, default TIN, notifications, another TIN, consolidation, who
manages my access, the administrator handover; and TIN names in Selects shown as typed."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
from sqlalchemy import insert, select
from textual.widgets import Checkbox, Input, Select, Static

from builders import PASSWORD, add_tin, add_user, principal_for
from portal_core.clock import SettableClock
from portal_core.models.identity import Role
from portal_core.services import Services
from portal_core.store.schema import admin_handovers, user_roles, users
from portal_tui.app import PortalApp
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in

OTHER_TIN = "555443333"
WHEN = datetime(2026, 11, 1, tzinfo=UTC)


def fill(screen, **values: str) -> None:
    for name, value in values.items():
        screen.query_one(f"#{name}", Input).value = value


def answer(app: PortalApp, answer_id: str) -> str:
    return str(app.screen.query_one(f"#{answer_id}", Static).render())


async def press_and_wait(pilot, button_id: str, answer_id: str, confirm: bool = False) -> str:
    """Press a settings button (and `y` at its confirmation) and wait for its section's answer;
    returns it."""
    from portal_tui.modals.confirm import ConfirmModal

    app = pilot.app
    app.screen.query_one(f"#{answer_id}", Static).update("")
    app.screen.query_one(f"#{button_id}").press()
    if confirm:
        await settle(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
    await settle(pilot, lambda: answer(app, answer_id) not in ("", "Working…"))
    return answer(app, answer_id)


async def open_settings(pilot, username: str = "ada.admin") -> None:
    app = pilot.app
    await sign_in(pilot, username)
    await pilot.press("f4")
    await settle(pilot, lambda: app.current_mode == "settings")
    # The server-side parts (administrators, offers, outbox) have loaded.
    await settle(pilot, lambda: answer(app, "admins") != "")
    await pilot.pause()


def user_value(services: Services, username: str, column: str):
    with services.db.read() as conn:
        return conn.execute(
            select(users.c[column]).where(users.c.username == username)
        ).scalar_one()


def roles_of(services: Services, user_id: int) -> dict[str, tuple[str, str]]:
    with services.db.read() as conn:
        rows = conn.execute(
            select(user_roles.c.tin, user_roles.c.role, user_roles.c.status).where(
                user_roles.c.user_id == user_id
            )
        ).all()
    return {row.tin: (row.role, row.status) for row in rows}


def give_role(services: Services, user_id: int, tin: str, role: str = "staff") -> None:
    with services.db.write() as conn:
        conn.execute(
            insert(user_roles).values(
                user_id=user_id,
                tin=tin,
                role=role,
                status="active",
                created_at=WHEN,
                updated_at=WHEN,
            )
        )


async def test_totp_enrollment_refuses_a_wrong_code_then_turns_on(
    make_app, practice: Practice, services: Services, clock: SettableClock
):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot)
        said = await press_and_wait(pilot, "totp-begin", "ans-totp")
        assert "Add the secret to your app" in said
        secret_text = str(app.screen.query_one("#totp-secret", Static).render())
        secret = secret_text.split("Secret: ")[1].split()[0]
        assert secret == user_value(services, "ada.admin", "totp_secret")
        assert user_value(services, "ada.admin", "totp_enabled") is False

        right = pyotp.TOTP(secret).at(clock.now())
        fill(app.screen, **{"totp-code": f"{(int(right) + 1) % 1_000_000:06d}"})
        said = await press_and_wait(pilot, "totp-confirm", "ans-totp")
        assert "The code is not right" in said
        assert app.screen.query_one("#ans-totp").has_class("error")
        assert user_value(services, "ada.admin", "totp_enabled") is False

        fill(app.screen, **{"totp-code": right})
        assert await press_and_wait(pilot, "totp-confirm", "ans-totp") == "Two-step sign-in is on."
        assert user_value(services, "ada.admin", "totp_enabled") is True
        assert answer(app, "totp-state") == "On. 10 recovery codes left."


def qr_modules(app: PortalApp) -> str:
    return str(app.screen.query_one("#totp-qr", Static).render())


async def test_totp_set_up_shows_a_qr_code_and_recovery_codes_once(
    make_app, practice: Practice, services: Services, clock: SettableClock
):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_settings(pilot)
        await pilot.press("t")  # the Two-step section, from the section bar
        await settle(pilot, lambda: app.screen.query_one("#sec-totp").display)
        assert not app.screen.query_one("#totp-qr").display
        await press_and_wait(pilot, "totp-begin", "ans-totp")
        # The otpauth URI drawn in half blocks, dark on light, and the secret in text beside it.
        qr = app.screen.query_one("#totp-qr", Static)
        assert qr.display
        lines = qr_modules(app).splitlines()
        assert len(lines) >= 12 and {len(line) for line in lines} == {len(lines[0])}
        assert set("".join(lines)) <= set(" ▀▄█") and "█" in "".join(lines)
        # In view, dark on light whatever the theme: the drawn blocks are black on white.
        await settle(pilot, lambda: "█" in screen_text(app))
        drawn = [
            segment.style
            for strip in app.screen._compositor.render_strips()
            for segment in strip
            if "█" in segment.text
        ]
        assert drawn and all(
            style is not None
            and style.color is not None
            and style.color.triplet == (0, 0, 0)
            and style.bgcolor is not None
            and style.bgcolor.triplet == (255, 255, 255)
            for style in drawn
        )
        secret = user_value(services, "ada.admin", "totp_secret")
        assert f"Secret: {secret}" in answer(app, "totp-secret")

        fill(app.screen, **{"totp-code": pyotp.TOTP(secret).at(clock.now())})
        await press_and_wait(pilot, "totp-confirm", "ans-totp")
        shown_text = answer(app, "totp-recovery")
        codes = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", shown_text)
        assert len(codes) == 10 and "shown only this once" in shown_text
        # The set-up is over: the QR code and the secret are gone.
        assert not app.screen.query_one("#totp-qr").display
        assert secret not in screen_text(app)

        # Shown once: back in Settings later, no code is on the screen.
        await app.action_menu("home")
        await settle(pilot, lambda: app.current_mode == "home")
        await pilot.press("f4")
        await settle(pilot, lambda: app.current_mode == "settings")
        await settle(pilot, lambda: answer(app, "admins") != "")
        await settle(pilot, lambda: answer(app, "totp-recovery") == "")
        assert answer(app, "totp-state") == "On. 10 recovery codes left."

        # A new set needs the password and voids the old one.
        fill(app.screen, **{"totp-password": PASSWORD})
        said = await press_and_wait(pilot, "totp-recovery-new", "ans-totp")
        assert "New recovery codes" in said
        fresh = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", answer(app, "totp-recovery"))
        assert len(fresh) == 10 and set(fresh).isdisjoint(codes)


async def test_default_tin_is_saved_and_tin_names_show_as_typed(
    make_app, practice: Practice, services: Services
):
    add_tin(services.db, OTHER_TIN, name="[b]Bold[/b] Clinic [red]x")
    give_role(services, practice.admin_id, OTHER_TIN)
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot)
        select_widget = app.screen.query_one("#default-tin", Select)
        select_widget.focus()
        await pilot.press("enter")  # open the list of TINs
        await settle(pilot, lambda: "55-5443333" in screen_text(app))
        text = screen_text(app)
        assert "55-5443333 [b]Bold[/b] Clinic [red]x" in text
        await pilot.press("escape")
        select_widget.value = OTHER_TIN
        await settle(pilot, lambda: answer(app, "ans-look") == "Default TIN saved.")
        assert user_value(services, "ada.admin", "default_tin") == OTHER_TIN
        # The chosen TIN shows as typed in the closed Select too.
        assert "[b]Bold[/b] Clinic [red]x" in screen_text(app)


async def test_notification_choices_are_saved(make_app, practice: Practice, services: Services):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot)
        app.screen.query_one("#n-letter_filed", Checkbox).value = False
        app.screen.query_one("#n-review_due", Checkbox).value = False
        said = await press_and_wait(pilot, "save-notify", "ans-notify")
        assert said == "Notification choices saved."
        prefs = user_value(services, "ada.admin", "notification_prefs")
        assert prefs["letter_filed"] is False
        assert prefs["review_due"] is False
        assert prefs["message_reply"] is True


async def test_another_tin_needs_the_right_code(make_app, practice: Practice, services: Services):
    add_tin(services.db, OTHER_TIN, name="Hillside Clinic", registration_code="HILLSIDE-1")
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot)
        fill(app.screen, **{"add-tin": "55-5443333", "add-code": "NOT-THE-CODE"})
        await press_and_wait(pilot, "add-tin-go", "ans-tin")
        assert app.screen.query_one("#ans-tin").has_class("error")
        assert OTHER_TIN not in roles_of(services, practice.admin_id)

        fill(app.screen, **{"add-code": "HILLSIDE-1"})
        await press_and_wait(pilot, "add-tin-go", "ans-tin")
        assert not app.screen.query_one("#ans-tin").has_class("error")
        # No administrator there yet: she becomes it.
        assert roles_of(services, practice.admin_id)[OTHER_TIN] == ("administrator", "active")


async def test_consolidation_moves_the_other_accounts_tins(
    make_app, practice: Practice, services: Services
):
    add_tin(services.db, OTHER_TIN, name="Hillside Clinic")
    other = add_user(
        services.db, "ada.hillside", Role.BILLING, OTHER_TIN, email="ada.admin@example.org"
    )
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot)
        settings = app.screen
        fill(settings, **{"merge-username": "ada.hillside", "merge-password": "wrong password"})
        said = await press_and_wait(pilot, "merge-go", "ans-merge", confirm=True)
        assert "not right" in said
        assert user_value(services, "ada.hillside", "status") == "active"
        assert OTHER_TIN not in roles_of(services, practice.admin_id)

        # Said in words first; escape changes nothing and leaves the fields as they were.
        fill(settings, **{"merge-username": "ada.hillside", "merge-password": PASSWORD})
        settings.query_one("#merge-go").press()
        await settle(pilot, lambda: "Bring ada.hillside into ada.admin?" in screen_text(app))
        words = str(app.screen.query_one(".modal-text", Static).render())
        assert "ada.hillside is deactivated: it can no longer sign in" in words
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is settings)
        await pilot.pause()
        assert user_value(services, "ada.hillside", "status") == "active"
        assert answer(app, "ans-merge") == said  # the earlier answer; nothing was sent
        assert settings.query_one("#merge-password", Input).value == PASSWORD

        said = await press_and_wait(pilot, "merge-go", "ans-merge", confirm=True)
        assert settings.query_one("#merge-password", Input).value == ""
        assert said.startswith("Moved: 55-5443333")
        assert roles_of(services, practice.admin_id)[OTHER_TIN] == ("billing", "active")
        assert user_value(services, "ada.hillside", "status") == "deactivated"
        assert user_value(services, "ada.hillside", "merged_into") == practice.admin_id
        assert other != practice.admin_id


async def test_who_manages_my_access_lists_the_administrators(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot, "staff.04")
        admins = answer(app, "admins")
        assert "Ada Admin (ada.admin) ada.admin@example.org" in admins
        assert "staff.04" not in admins


async def test_admin_handover_offer_and_answer(make_app, practice: Practice, services: Services):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot)
        fill(app.screen, **{"handover-user": "no.such.user"})
        app.screen.query_one("#handover-role", Select).value = "staff"
        said = await press_and_wait(pilot, "handover-offer", "ans-handover")
        assert "No active user" in said
        with services.db.read() as conn:
            assert conn.execute(select(admin_handovers.c.id)).first() is None

        fill(app.screen, **{"handover-user": "staff.02"})
        said = await press_and_wait(pilot, "handover-offer", "ans-handover")
        assert said == "Offer made. They take over once they accept."
        with services.db.read() as conn:
            offer = conn.execute(select(admin_handovers)).mappings().one()
        assert (offer["to_user_id"], offer["status"]) == (practice.staff_ids[1], "offered")

    # The new administrator answers in their own session.
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot, "staff.02")
        assert "Offer from ada.admin for TIN 12-3456789" in answer(app, "handovers")
        said = await press_and_wait(pilot, "handover-accept", "ans-handover")
        assert said == "Accepted: you are now an administrator."
        with services.db.read() as conn:
            assert conn.execute(select(admin_handovers.c.status)).scalar_one() == "accepted"
        assert roles_of(services, practice.staff_ids[1])[practice.tin][0] == "administrator"
        assert roles_of(services, practice.admin_id)[practice.tin][0] == "staff"


async def test_change_email_needs_the_code_mailed_to_the_new_address(
    make_app, practice: Practice, services: Services
):
    from portal_core.store.schema import mail_outbox

    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot)
        assert "(confirmed)" in answer(app, "email-state")
        fill(app.screen, **{"email-new": "ada@new.example"})
        said = await press_and_wait(pilot, "email-send", "ans-email")
        assert "code is on its way" in said
        assert "Waiting for the code mailed to ada@new.example" in answer(app, "email-state")
        assert user_value(services, "ada.admin", "email") == "ada.admin@example.org"
        fill(app.screen, **{"email-code": "00000000"})
        assert "not right" in await press_and_wait(pilot, "email-confirm", "ans-email")
        with services.db.read() as conn:
            body = conn.execute(
                select(mail_outbox.c.body).where(mail_outbox.c.to_address == "ada@new.example")
            ).scalar_one()
        code = next(line.strip() for line in body.splitlines() if line.startswith("    "))
        fill(app.screen, **{"email-code": code})
        said = await press_and_wait(pilot, "email-confirm", "ans-email")
        assert said == "Your address is now ada@new.example."
        assert user_value(services, "ada.admin", "email") == "ada@new.example"
        assert "ada@new.example (confirmed)" in answer(app, "email-state")


async def test_a_handover_offer_shows_under_needs_action_on_home(
    make_app, practice: Practice, services: Services
):
    from portal_tui.screens.home import HomeScreen

    offerer = principal_for(services.db, practice.admin_id)
    services.handovers.offer_admin_handover(
        offerer, practice.tin, practice.staff_ids[1], Role.STAFF
    )
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot, "staff.02")
        home = app.screen
        assert isinstance(home, HomeScreen)
        await settle(pilot, lambda: "offers you" in answer(app, "home-actions"))
        assert (
            "Ada Admin (ada.admin) offers you the administrator role for TIN 12-3456789"
            in answer(app, "home-actions")
        )
        await pilot.press("h")
        await settle(pilot, lambda: app.current_mode == "settings")
        await settle(pilot, lambda: "Offer from ada.admin" in answer(app, "handovers"))

    # The one who made the offer is not asked to answer it.
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot, "ada.admin")
        await settle(pilot, lambda: answer(app, "home-actions") not in ("", "Loading…"))
        await pilot.pause(0.2)
        assert "offers you" not in answer(app, "home-actions")
