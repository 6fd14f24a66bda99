"""The shell: sign-in (good, bad, TOTP), menus by key and palette, help, keymap, themes, idle lock,
session expiry, and the start-up import budget."""

from __future__ import annotations

import subprocess
import sys

from textual.widgets import Input

from builders import PASSWORD
from portal_core.clock import SettableClock
from portal_tui.screens.help import HelpScreen
from portal_tui.screens.login import LoginScreen
from portal_tui.themes import load_themes
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in


async def test_wrong_password_is_refused_in_plain_words(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_attempt(pilot, "ada.admin", "not the password at all")
        await settle(pilot, lambda: "Signing in" not in screen_text(app))
        assert isinstance(app.screen, LoginScreen)
        assert app.account is None
        message = str(app.screen.query_one("#login-message").render())
        assert message and "Traceback" not in message
        assert app.screen.query_one("#password", Input).value == ""


async def sign_in_attempt(pilot, username: str, password: str) -> None:
    await pilot.pause()
    pilot.app.screen.query_one("#username", Input).value = username
    field = pilot.app.screen.query_one("#password", Input)
    field.value = password
    field.focus()
    await pilot.press("enter")


async def test_sign_in_shows_home_and_status_bar(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await settle(pilot, lambda: "Needs action" in screen_text(app))
        text = screen_text(app)
        assert "1 registrant waits for approval" in text
        assert "1 user is locked" in text
        assert "ada.admin · Administrator · TIN 12-3456789" in text
        assert "local:" in text


async def test_menus_by_number_key(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("5")
        await settle(pilot, lambda: app.current_mode == "preauth")
        await settle(pilot, lambda: "Preauthorizations" in screen_text(app))
        await pilot.press("1")
        await settle(pilot, lambda: app.current_mode == "home")


async def test_palette_jumps_to_a_user(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await app.open_user("staff.03")
        await settle(
            pilot,
            lambda: (
                type(app.screen).__name__ == "UserDetailScreen"
                and "staff.03@example.org" in screen_text(app)
            ),
        )


async def test_palette_provider_lists_every_menu(make_app, practice: Practice):
    from portal_tui.commands import PortalCommands
    from portal_tui.menus import MENUS

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        provider = PortalCommands(app.screen)
        hits = [hit.text async for hit in provider.discover()]
        assert all(f"Go to {menu.title}" in hits for menu in MENUS)
        found = [hit.text async for hit in provider.search("open user jane")]
        assert "Open user jane" in found


async def test_help_lists_binding_ids_and_keymap_remaps(make_app, practice: Practice):
    app = make_app(keys={"app.help": "f1"})
    async with app.run_test(size=(120, 50)) as pilot:
        await sign_in(pilot)
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        assert "home.review" in text and "app.help" in text and "menu.users" in text
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, HelpScreen))


def test_every_theme_file_loads_and_monochrome_uses_default_colors():
    themes, problems = load_themes()
    assert problems == []
    names = {theme.name for theme in themes}
    assert {"dark", "light", "high-contrast", "monochrome"} <= names
    mono = next(theme for theme in themes if theme.name == "monochrome")
    assert mono.ansi
    colors = [mono.primary, mono.background, mono.foreground, *mono.variables.values()]
    assert all(c.startswith("ansi_default") or "reverse" in c or "bold" in c for c in colors)


async def test_idle_lock_keeps_drafts_and_asks_for_the_password(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await settle(pilot, lambda: app.current_mode == "users")
        app.screen.query_one("#users-text", Input).value = "draft filter"
        users_screen = app.screen
        app._last_input -= app.idle_minutes * 60 + 1
        app.lock_if_idle()
        await settle(pilot, lambda: "Screen locked" in screen_text(app))
        await pilot.press("3")  # menu keys do nothing while locked
        assert app.current_mode == "users"
        app.screen.query_one("#lock-password", Input).value = "wrong password here"
        await pilot.press("enter")
        await settle(pilot, lambda: "Checking" not in screen_text(app))
        assert app.locked
        app.screen.query_one("#lock-password", Input).value = PASSWORD
        await pilot.press("enter")
        await settle(pilot, lambda: not app.locked)
        assert app.screen is users_screen
        assert users_screen.query_one("#users-text", Input).value == "draft filter"


async def test_expired_session_goes_back_to_sign_in(
    make_app, practice: Practice, clock: SettableClock
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        clock.advance(hours=13)
        await pilot.press("f5")  # refresh home: the server says the session has ended
        await settle(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert app.account is None


def test_app_module_does_not_import_the_backend():
    code = (
        "import sys, portal_tui.app\n"
        "bad = [m for m in ('sqlalchemy', 'httpx', 'portal_core.client.local',"
        " 'portal_core.models.identity') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
