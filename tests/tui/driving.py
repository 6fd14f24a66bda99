"""Driving the app in Pilot tests: sign in, wait for workers, read the screen."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input

from builders import PASSWORD
from portal_tui.app import PortalApp


async def sign_in(
    pilot: Pilot[None], username: str = "ada.admin", password: str = PASSWORD
) -> None:
    """Type the credentials on the sign-in screen and wait for the home screen."""
    app = pilot.app
    assert isinstance(app, PortalApp)
    await pilot.pause()
    app.screen.query_one("#username", Input).value = username
    password_field = app.screen.query_one("#password", Input)
    password_field.value = password
    password_field.focus()
    await pilot.press("enter")
    await settle(pilot, lambda: app.current_mode == "home")


async def settle(pilot: Pilot[None], condition: Callable[[], bool], tries: int = 500) -> None:
    """Let the app work until `condition` holds (fails the test if it never does).

    Workers waiting on a dialog never complete, so this polls instead of waiting for all workers.
    """
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.01)
    if condition():
        return
    raise AssertionError("the screen never reached the expected state")


def screen_text(app: PortalApp) -> str:
    """The text on the terminal now, line by line, as the compositor draws it."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)
