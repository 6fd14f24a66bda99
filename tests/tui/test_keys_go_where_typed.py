"""Keys go where they are typed: a burst right after a screen opens lands in its first text field
(or the list's filter), never as another screen's action; letters and digits in a form are the
form's; escape leaves a form; Settings in sections."""

from __future__ import annotations

import pytest
from textual import events
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Static

from portal_core.demo.catalog import DEMO_PASSWORD
from portal_tui.app import PortalApp
from portal_tui.menus import usable_menus
from portal_tui.screens.base import is_typed
from tui.conftest import Practice
from tui.driving import settle, sign_in

BURST = "zunbalanced 42"
"""A fast typist's word: its first letter is no key of any screen; then letters that are keys of
many screens (u, n, a, l, c, e, d) and digits that are menu keys."""


def burst(app: PortalApp, *parts: str) -> None:
    """Queue keys all at once, as a terminal delivers a fast typist's burst (no wait between)."""
    names = {" ": "space", "/": "slash", "-": "minus"}
    for part in parts:
        if part in {"tab", "enter", "escape", "slash", "f2", "f3", "f4"}:
            app.post_message(events.Key(part, {"tab": "\t", "enter": "\r", "slash": "/"}.get(part)))
        else:
            for char in part:
                app.post_message(events.Key(names.get(char, char), char))


async def keys_read(pilot) -> None:
    """Wait until the app has read every key it holds, and what they did is done."""
    app = pilot.app
    await settle(pilot, lambda: not app._held_keys and not app._key_acting)
    await pilot.pause()
    await pilot.pause()


def first_field(screen: Screen) -> Input | None:
    """The screen's first text field that can take the focus (the list's filter on a list)."""
    chain = screen.focus_chain
    return next((i for i in screen.query(Input) if i in chain), None)


def typed_values(screen: Screen) -> dict[str, str]:
    return {str(i.id): i.value for i in screen.query(Input) if i.value}


async def check_burst_lands(pilot, open_keys: list[str], *, before_loading: bool) -> str:
    """Open a screen with `open_keys` and type a burst at once (`before_loading`), or once it has
    settled; check where the keys landed: in its first text field, or (none shown) nowhere, and
    never as another screen's action. Returns where, for the message."""
    app = pilot.app
    if before_loading:
        burst(app, *open_keys, BURST)
        await keys_read(pilot)
        screen = app.screen
    else:
        burst(app, *open_keys)
        await keys_read(pilot)
        screen = app.screen
        burst(app, BURST)
        await keys_read(pilot)
    assert app.screen is screen, f"{screen} gave way to {app.screen}"
    assert not isinstance(app.screen, ModalScreen), f"{app.screen} opened over {screen}"
    field = first_field(screen)
    if field is None:
        assert not typed_values(screen), f"{screen}: {typed_values(screen)}"
        return f"{screen}: no field"
    assert field.value == BURST, f"{screen}: {typed_values(screen)}"
    return f"{screen}#{field.id}"


@pytest.mark.parametrize(
    "username", ["admin.lakeside", "billing.acme", "csr.jones", "reviewer.kim", "payer.admin"]
)
async def test_a_burst_right_after_each_menu_opens_lands_in_its_field(demo, username: str):
    app = demo.make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot, username, DEMO_PASSWORD)
        await keys_read(pilot)
        for menu in usable_menus(app.account):
            key = menu.key or {"users": "f2", "reviews": "f3", "settings": "f4"}[menu.mode]
            if menu.mode == "home":
                continue
            await check_burst_lands(pilot, [key], before_loading=True)
            assert app.current_mode == menu.mode
            burst(app, "escape", "1")
            await keys_read(pilot)
            assert app.current_mode == "home", f"escape then 1 left {app.focused} in {menu.mode}"


async def test_a_burst_lands_in_the_filter_once_the_list_has_loaded(demo):
    app = demo.make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot, "admin.lakeside", DEMO_PASSWORD)
        # After enter in the filter the list has the focus: typing searches again.
        burst(app, "2")
        await keys_read(pilot)
        table = app.screen.query_one("#messages-table")
        await settle(pilot, lambda: not table.fetching)
        burst(app, "x", "enter")
        await keys_read(pilot)
        await settle(pilot, lambda: app.focused is table)
        await check_burst_lands(pilot, [], before_loading=False)


async def test_sign_in_register_and_recover_take_a_burst_in_their_first_field(make_app, practice):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        burst(app, BURST)  # before the sign-in screen has its focus
        await keys_read(pilot)
        assert app.screen.query_one("#username", Input).value == BURST
        for key, field in (("f2", "full_name"), ("f3", "forgot-email")):
            burst(app, "escape") if key == "f3" else None
            await keys_read(pilot)
            burst(app, key, BURST)
            await keys_read(pilot)
            assert app.screen.query_one(f"#{field}", Input).value == BURST, app.screen


async def test_pushed_forms_take_a_burst_in_their_first_field(demo):
    app = demo.make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        burst(app, "7")
        await keys_read(pilot)
        burst(app, "escape", "n", BURST)  # the referrals list, then New referral at once
        await keys_read(pilot)
        assert app.screen.query_one("#member_id", Input).value == BURST, app.screen


async def test_menu_digits_in_a_field_are_typed_and_escape_leaves_the_form(
    make_app, practice: Practice
):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot)
        burst(app, "8")
        await keys_read(pilot)
        burst(app, "slash", "1234")
        await keys_read(pilot)
        assert app.current_mode == "members"
        assert app.screen.query_one("#member-id", Input).value == "1234"
        # Escape leaves the eligibility form; then the digit switches menus.
        burst(app, "escape")
        await keys_read(pilot)
        assert app.focused is app.screen.query_one("#members-result")
        burst(app, "1")
        await keys_read(pilot)
        assert app.current_mode == "home"


async def test_letters_and_digits_on_a_forms_button_act_nowhere(make_app, practice: Practice):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot)
        burst(app, "f4")
        await keys_read(pilot)
        button = app.screen.query_one("#email-send", Button)
        await pilot.press("e")  # the email section
        await keys_read(pilot)
        app.screen.set_focus(button)
        await pilot.pause()
        burst(app, "12-3456789", "7n")
        await keys_read(pilot)
        assert app.current_mode == "settings"
        assert not isinstance(app.screen, ModalScreen)
        assert app.focused is button


def test_typed_keys_are_characters_not_space_or_enter():
    assert all(is_typed(key) for key in ("a", "Z", "7", "question_mark"))
    assert is_typed("slash", "/")
    assert not any(is_typed(key) for key in ("space", "enter", "tab", "escape", "f2", "ctrl+s"))


async def test_settings_sections_have_keys_and_enter_submits_the_focused_form(
    make_app, practice: Practice
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        burst(app, "f4")
        await keys_read(pilot)
        screen = app.screen
        assert app.focused is screen.query_one("#settings-sections")
        assert screen.query_one("#sec-look").display and not screen.query_one("#sec-email").display
        # p: the password section, at its first field; enter in the field changes the password.
        burst(app, "p", "wrong current password", "tab", "short", "enter")
        await keys_read(pilot)
        answer = screen.query_one("#ans-password", Static)
        await settle(pilot, lambda: str(answer.render()) not in ("", "Working…"))
        assert "Password changed" not in str(answer.render())
        assert (
            screen.query_one("#sec-password").display and not screen.query_one("#sec-look").display
        )
        # Escape back to the bar; a letter there is a section key again.
        burst(app, "escape", "h")
        await keys_read(pilot)
        await settle(pilot, lambda: app.focused is screen.query_one("#handover-user"))
        assert screen.query_one("#sec-handover").display
        assert app.current_mode == "settings"
