"""What a user met trying the app: the first focus of every screen, a fast typist at sign-in,
markup and control characters in data, TINs as 12-3456789, the help screen and its guide."""

from __future__ import annotations

from sqlalchemy import update
from textual import events
from textual.widgets import Input, Markdown

from builders import PASSWORD
from portal_core.services import Services
from portal_core.store.schema import users
from portal_tui.app import PortalApp
from portal_tui.assets import guide_path
from portal_tui.display_text import one_line, printable
from portal_tui.screens.help import HelpScreen
from portal_tui.screens.login import LoginScreen
from portal_tui.screens.review_worklist import ReviewWorklistScreen
from portal_tui.screens.user_detail import UserDetailScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in


def burst(app: PortalApp, *parts: str) -> None:
    """Queue keys all at once, as a terminal delivers a fast typist's burst (no wait between)."""
    for part in parts:
        if part in {"tab", "enter"}:
            app.post_message(events.Key(part, "\t" if part == "tab" else "\r"))
        else:
            for char in part:
                app.post_message(events.Key(char, char))


async def test_a_burst_of_keys_at_sign_in_lands_in_the_right_fields(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        burst(app, "ada.admin", "tab", PASSWORD, "enter")
        await settle(pilot, lambda: "Needs action" in screen_text(app))
        assert app.account is not None and app.account.username == "ada.admin"


async def test_enter_after_the_username_moves_to_the_password_at_once(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        burst(app, "ada.admin", "enter", "not the password!")
        await settle(pilot, lambda: app.screen.query_one("#password", Input).value != "")
        assert app.screen.query_one("#username", Input).value == "ada.admin"
        assert app.screen.query_one("#password", Input).value == "not the password!"
        assert app.account is None


async def test_keys_before_any_field_has_the_focus_go_to_the_username(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LoginScreen)
        screen.set_focus(None)
        await pilot.press("a", "d")
        assert screen.query_one("#username", Input).value == "ad"


async def test_lists_have_the_focus_when_their_menu_opens(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        for key, table_id in (("f2", "users-table"), ("f3", "campaigns"), ("0", "documents")):
            await pilot.press(key)
            await settle(pilot, lambda t=table_id: getattr(app.focused, "id", None) == t)
        # Users: `/` goes to the filter, enter and escape come back to the list.
        await pilot.press("f2")
        await settle(pilot, lambda: getattr(app.focused, "id", None) == "users-table")
        await pilot.press("slash")
        await settle(pilot, lambda: getattr(app.focused, "id", None) == "users-text")
        await pilot.press("l", "o", "u", "enter")
        await settle(pilot, lambda: getattr(app.focused, "id", None) == "users-table")
        await pilot.press("slash", "escape")
        await settle(pilot, lambda: getattr(app.focused, "id", None) == "users-table")
        table = app.screen.query_one(ResultTable)
        await settle(pilot, lambda: table.total == 1 and not table.fetching)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, UserDetailScreen))


async def test_reviews_open_a_campaign_with_enter_and_show_tins_with_a_dash(
    make_app, practice: Practice
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3", "o")
        await settle(pilot, lambda: "Open a user review?" in screen_text(app))
        await pilot.press("y")
        await settle(pilot, lambda: isinstance(app.screen, ReviewWorklistScreen))
        await pilot.press("escape")
        await settle(pilot, lambda: "12-3456789" in screen_text(app))
        assert "123456789" not in screen_text(app)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ReviewWorklistScreen))


async def test_help_shows_brackets_and_the_menu_guide(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await settle(pilot, lambda: app.current_mode == "users")
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert "Id (for [keys] in the config file)" in screen_text(app)
        assert "users.filter" in screen_text(app)
        guide = help_screen.query_one("#guide", Markdown)
        await settle(pilot, lambda: "Loading the guide" not in guide.source)
        assert guide.source == guide_path("users").read_text(encoding="utf-8")
        assert "One user" in screen_text(app) or "Users" in screen_text(app)


async def test_sign_in_help_shows_the_sign_in_guide(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.action_help()
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(
            pilot,
            lambda: any("authenticator" in guide.source for guide in app.screen.query(Markdown)),
        )
        assert "login.register" in screen_text(app)
        assert "^pgup" not in screen_text(app)  # the text field's editing keys are left out


async def test_names_with_markup_and_control_characters_show_as_typed(
    make_app, practice: Practice, services: Services
):
    with services.db.write() as conn:
        conn.execute(
            update(users)
            .where(users.c.id == practice.staff_ids[0])
            .values(full_name="Eve [bold]Bracket[/bold] \x1b[31mRed")
        )
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        await app.open_user("staff.01")
        await settle(pilot, lambda: "Eve [bold]Bracket[/bold]" in screen_text(app))
        assert "\\x1b[31mRed" in screen_text(app)
        assert "\x1b" not in screen_text(app)
        app.notify("Saved [b]x[/b] for \x1b[2JEve")
        await settle(pilot, lambda: bool(list(app._notifications)))
        last = list(app._notifications)[-1]
        assert last.message == "Saved [b]x[/b] for \\x1b[2JEve"
        assert last.markup is False


def test_printable_shows_control_characters():
    assert printable("a\x1b[2Jb\nc\td\x9b") == "a\\x1b[2Jb\nc\td\\x9b"
    assert one_line("a\nb\tc") == "a b c"


def _binding_classes() -> list[type]:
    """Every class of the app, its screens, modals and widgets that declares key bindings."""
    import importlib
    import inspect
    import pkgutil

    import portal_tui.modals
    import portal_tui.screens
    import portal_tui.widgets

    modules = [importlib.import_module("portal_tui.app")]
    for package in (portal_tui.screens, portal_tui.modals, portal_tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            modules.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return [
        cls
        for module in modules
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and "BINDINGS" in cls.__dict__
    ]


def test_every_menu_guide_exists_and_keys_md_lists_every_binding_id():
    import importlib

    from textual.binding import Binding

    from portal_tui.menus import MENUS

    for name in ("README", "sign-in", "keys"):
        assert guide_path(name).is_file(), name
    for menu in MENUS:
        screen = importlib.import_module(f"portal_tui.screens.{menu.mode}").MENU_SCREEN
        assert guide_path(screen.GUIDE or menu.mode).is_file(), menu.mode
    keys = guide_path("keys").read_text(encoding="utf-8")
    classes = _binding_classes()
    assert len(classes) > 40  # the discovery found the screens, not an empty package
    unnamed = sorted(
        f"{cls.__name__}: {b.key}"
        for cls in classes
        for b in cls.__dict__["BINDINGS"]
        if isinstance(b, Binding) and not b.id
    )
    assert unnamed == [], "every binding needs an id (users remap keys by it)"
    ids = {
        b.id for cls in classes for b in cls.__dict__["BINDINGS"] if isinstance(b, Binding) and b.id
    }
    missing = sorted(i for i in ids if f"`{i}`" not in keys)
    assert missing == []


async def test_worklist_footer_fits_80_columns(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3", "o")
        await settle(pilot, lambda: "Open a user review?" in screen_text(app))
        await pilot.press("y")
        await settle(pilot, lambda: isinstance(app.screen, ReviewWorklistScreen))
        await settle(pilot, lambda: "staff.01" in screen_text(app))
        footer = screen_text(app).splitlines()[-1]
        for hint in ("Keep", "Deact", "Role", "Narrow", "Assign", "Sign off", "Help", "Menus"):
            assert hint in footer, footer
