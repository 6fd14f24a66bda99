"""Every screen of every menu, as each demo role, over the small demo: sign in, open each menu the
role has, press each of the screen's keys (dismissing what they open), open the first row of each
list and do the same on the record's screen. Any exception, exit or traceback fails the test, so a
NameError in a rarely used path (issue 13: `o` in a thread with two attachments) cannot land again.

Pressed: the portal's own keys (each has an id), not Textual's widgets' (editing a field,
scrolling) nor moving in a list. Skipped: keys that leave (back, close, cancel: escape comes back
instead), the app's own keys (menus, sign out, lock, palette) and retry (nothing to retry).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, TextArea

from portal_core.demo.catalog import DEMO_PASSWORD
from portal_tui.app import PortalApp
from portal_tui.menus import usable_menus
from portal_tui.screens.login import LoginScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle, sign_in

ROLES = (
    "admin.lakeside",
    "maint.lakeside",
    "dr.rivera",
    "staff.lakeside",
    "billing.acme",
    "csr.jones",
    "reviewer.kim",
    "payer.admin",
    "breakglass.ops",
)

LEAVING = {"back", "close", "cancel", "dismiss", "quit", "sign_out", "lock", "retry"}
"""Actions not pressed: they leave the screen or the session (escape comes back instead)."""

APP_KEYS_PRESSED = {"help", "notifications"}
"""The app's own keys pressed on each screen (the others switch menus or end the session)."""

DEPTH = 2
"""Screens opened from a menu's screen (by a key or a row), and from those, that are explored."""

CRASH = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception)\b")
"""What a crash leaves on screen (Textual's error screen names the exception)."""


@dataclass
class Walk:
    """What the walk did, for the failure message."""

    role: str
    path: list[str] = field(default_factory=list)
    pressed: int = 0
    screens: set[str] = field(default_factory=set)

    def where(self) -> str:
        return f"{self.role}: {' > '.join(self.path)}"


def check_alive(app: PortalApp, walk: Walk) -> None:
    """Fail on an exception, an exit, or a crash on screen."""
    assert app._exception is None, f"{walk.where()}: {app._exception!r}"
    assert app.return_code is None and app.is_running, f"{walk.where()}: the app exited"
    text = screen_text(app)
    found = CRASH.search(text)
    assert found is None, f"{walk.where()}: {found.group(0)} on screen\n{text}"


async def idle(pilot, app: PortalApp) -> None:
    """Let workers run; a worker waiting on a dialog never ends, so this gives up after a while."""
    for _ in range(100):
        await pilot.pause()
        screen = app.screen
        busy = [
            w
            for w in app.workers
            if w.is_running and isinstance(w.node, Widget) and w.node.screen is screen
        ]
        if not busy and not any(t.fetching for t in screen.query(ResultTable)):
            return
        await pilot.pause(0.01)


async def back_to(pilot, app: PortalApp, screen: Screen[object], walk: Walk) -> None:
    """Escape (and, when that does not do it, pop) down to `screen`."""
    for _ in range(6):
        if app.screen is screen or screen not in app.screen_stack:
            break
        await pilot.press("escape")
        await idle(pilot, app)
        check_alive(app, walk)
    while app.screen is not screen and screen in app.screen_stack:
        app.pop_screen()
        await idle(pilot, app)
    assert app.screen is screen or screen not in app.screen_stack


def keys_of(
    app: PortalApp, screen: Screen[object], root: bool
) -> list[tuple[str, str, Widget | None]]:
    """(key, action, the node that binds it) for the screen's enabled keys, each action once;
    the app's help and notifications on a menu's first screen only."""
    seen: set[str] = set()
    keys: list[tuple[str, str, Widget | None]] = []
    for key, active in app.active_bindings.items():
        action = active.binding.action
        binding_id = active.binding.id or ""
        if not active.enabled or action in seen or not binding_id:
            continue  # Textual's own widgets' keys (fields, scrolling) have no id
        if binding_id.startswith(("table.", "form.")):
            continue  # moving in a list or a form: rows are opened below
        if active.node is app:
            if not root or action not in APP_KEYS_PRESSED:
                continue
        elif action in LEAVING or action.startswith("menu("):
            continue
        seen.add(action)
        node = active.node
        if not isinstance(node, Widget) or node is screen:
            node = None
        keys.append((key, action, node))
    return keys


EDITING_KEYS = {
    "escape", "enter", "tab", "up", "down", "left", "right", "home", "end", "pageup", "pagedown",
    "delete", "backspace", "insert",
}  # fmt: skip


def typed(key: str) -> bool:
    """Whether a text field would take the key as text (`a`, `slash`, `question_mark`)."""
    return not (key in EDITING_KEYS or "+" in key or (key[0] == "f" and key[1:].isdigit()))


async def press(pilot, app: PortalApp, screen: Screen[object], key: str, node: Widget | None):
    """Press a key so that its binding gets it: its widget focused, or no text field focused
    when it is a letter (which a field would take as text)."""
    if node is not None and node.is_attached and node.focusable and app.focused is not node:
        node.focus()
        await pilot.pause()
    elif isinstance(app.focused, Input | TextArea) and typed(key):
        screen.set_focus(None)
        await pilot.pause()
    await pilot.press(key)


async def explore(pilot, app: PortalApp, screen: Screen[object], walk: Walk, depth: int) -> None:
    """Press each key of `screen`, come back after each, then open its lists' first rows (a
    screen met again, e.g. a claim from a payment, is not walked again)."""
    await idle(pilot, app)
    check_alive(app, walk)
    name = type(screen).__name__
    if name in walk.screens:
        return  # its keys were pressed where it was met first
    walk.screens.add(name)
    for key, action, node in keys_of(app, screen, root=depth == 0):
        if app.screen is not screen:
            await back_to(pilot, app, screen, walk)
        if screen not in app.screen_stack:
            return
        walk.path.append(f"{key} ({action})")
        await press(pilot, app, screen, key, node)
        walk.pressed += 1
        await idle(pilot, app)
        check_alive(app, walk)
        opened = app.screen
        if opened is not screen and screen in app.screen_stack:
            if depth < DEPTH and not isinstance(opened, ModalScreen):
                walk.path.append(type(opened).__name__)
                await explore(pilot, app, opened, walk, depth + 1)
                walk.path.pop()
            await back_to(pilot, app, screen, walk)
        walk.path.pop()
        if app.screen is not screen:
            return
    if depth >= DEPTH:
        return
    for table in list(screen.query(ResultTable)):
        if app.screen is not screen:
            await back_to(pilot, app, screen, walk)
        if not table.is_attached or not table.display or not table.rows:
            continue
        walk.path.append(f"enter on {table.id}")
        table.focus()
        table.cursor = 0
        await pilot.pause()
        await pilot.press("enter")
        await idle(pilot, app)
        check_alive(app, walk)
        opened = app.screen
        if opened is not screen and screen in app.screen_stack:
            if not isinstance(opened, ModalScreen):
                walk.path.append(type(opened).__name__)
                await explore(pilot, app, opened, walk, depth + 1)
                walk.path.pop()
            await back_to(pilot, app, screen, walk)
        walk.path.pop()


@pytest.mark.parametrize("username", ROLES)
async def test_every_screen_of_every_menu_takes_its_keys(demo: Demo, username: str):
    app = demo.make_app()
    walk = Walk(username)
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot, username, DEMO_PASSWORD)
        menus = usable_menus(app.account)
        assert menus, username
        for menu in menus:
            walk.path = [menu.mode]
            await app.action_menu(menu.mode)
            await settle(pilot, lambda mode=menu.mode: app.current_mode == mode)
            root = app.screen
            await explore(pilot, app, root, walk, 0)
            if isinstance(app.screen, LoginScreen) or not app.signed_in:
                pytest.fail(f"{walk.where()}: signed out")
            await back_to(pilot, app, root, walk)
        check_alive(app, walk)
    assert walk.pressed > 0
