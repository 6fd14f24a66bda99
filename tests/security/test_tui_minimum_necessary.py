"""Minimum necessary in the TUI: a menu, key, palette command or form the role cannot use is not
offered (sidebar, number keys, palette, footer, the New user form, hints like "press o to open
one"). What is offered is decided by the core's permission matrix on the signed-in account, and
must agree with what the portal grants the session's own principal.
"""

from __future__ import annotations

import pytest
from textual.command import DiscoveryHit

from portal_core.client.local import LocalClient
from portal_core.config import Settings
from portal_core.demo import DEMO_PASSWORD
from portal_core.rules.permissions import Action, allowed
from portal_core.services import Services
from portal_tui.app import PortalApp
from portal_tui.commands import PortalCommands
from portal_tui.menus import MENUS
from portal_tui.widgets.sidebar import Sidebar
from tui.driving import screen_text, settle, sign_in

DEMO_USERS = (
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
"""One demo user of every role."""


def _core_menus(world: Services, username: str) -> set[str]:
    """The menus the portal itself would serve this user: the matrix on the session's own
    principal (resolved from a real session, not from the TUI's account)."""
    signed = world.identity.sign_in(username, DEMO_PASSWORD)
    principal = world.identity.resolve(signed.token)
    usable = set()
    for menu in MENUS:
        tin = principal.active_tin if menu.at_active_tin else None
        if any(allowed(principal, Action(need), tin) for need in menu.needs):
            usable.add(menu.mode)
    return usable


@pytest.mark.parametrize("username", DEMO_USERS)
async def test_every_role_sees_only_the_menus_it_may_use(world: Services, username: str) -> None:
    """Attack: staff and call-center users saw Users and Reviews (sidebar, number keys, palette)
    and were refused only once inside. Now, for every role and every menu, the TUI offers a menu
    exactly when the portal would serve it; a hidden menu's key does nothing."""
    expected = _core_menus(world, username)
    app = PortalApp(lambda: LocalClient(world), Settings())
    async with app.run_test(size=(140, 44)) as pilot:
        await sign_in(pilot, username, DEMO_PASSWORD)
        sidebar = app.screen.query_one(Sidebar)
        assert {menu.mode for menu in sidebar.menus} == expected
        drawn = screen_text(app)
        for menu in MENUS:
            assert app.check_action("menu", (menu.mode,)) is (menu.mode in expected), menu.mode
            shown_in_sidebar = any(
                line.split()[1:2] == [menu.title] for line in drawn.splitlines() if line.split()
            )
            assert shown_in_sidebar is (menu.mode in expected), menu.mode
        provider = PortalCommands(app.screen)
        hits = [hit async for hit in provider.discover() if isinstance(hit, DiscoveryHit)]
        offered = {str(hit.text) for hit in hits}
        for menu in MENUS:
            assert (f"Go to {menu.title}" in offered) is (menu.mode in expected), menu.mode
        assert ("Open review" in offered) is ("reviews" in expected and username != "payer.admin")
        for menu in MENUS:
            if not menu.key or menu.mode == "home":
                continue
            await pilot.press(menu.key)
            await pilot.pause()
            if menu.mode in expected:
                await settle(pilot, lambda mode=menu.mode: app.current_mode == mode, tries=2000)
                # Back home by the action: a digit typed now goes into the menu's first field.
                await app.run_action("menu('home')")
                await settle(pilot, lambda: app.current_mode == "home", tries=2000)
                await pilot.pause(1.1)  # home takes its first focus before it takes keys
            else:
                assert app.current_mode == "home", menu.mode
                # A key that did nothing starts a typed word for a second (keys go where typed):
                # the next menu key waits it out, as a user's would.
                await pilot.pause(1.1)


async def test_staff_and_csr_see_no_user_form_or_review_hint(world: Services) -> None:
    """Attack: a call-center user on Users was offered the New user form (c) and refused on save;
    the Reviews screen said "press o to open one" to roles that may not. Now the key is not
    in the footer or help and does nothing; the hint shows only to those who may open one."""
    app = PortalApp(lambda: LocalClient(world), Settings())
    async with app.run_test(size=(140, 44)) as pilot:
        await sign_in(pilot, "csr.jones", DEMO_PASSWORD)
        await pilot.press("f2")
        await settle(pilot, lambda: app.current_mode == "users")
        screen = app.screen
        assert screen.check_action("create", ()) is False
        assert "New user" not in screen_text(app)
        assert all(b.binding.action != "create" for b in screen.active_bindings.values())
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is screen

    app = PortalApp(lambda: LocalClient(world), Settings())
    async with app.run_test(size=(140, 44)) as pilot:
        await sign_in(pilot, "maint.lakeside", DEMO_PASSWORD)
        await pilot.press("f3")
        await settle(pilot, lambda: app.current_mode == "reviews")
        assert app.screen.check_action("open_campaign", ()) is not False
        await pilot.press("f2")
        await settle(pilot, lambda: app.current_mode == "users")
        assert app.screen.check_action("create", ()) is not False


def test_menu_needs_name_real_permissions() -> None:
    """Attack (on the fix): a menu names a permission the matrix does not know, and so is shown
    to nobody or checked against nothing. Every menu's needs are actions of the matrix."""
    for menu in MENUS:
        assert menu.needs and all(Action(need) for need in menu.needs)
