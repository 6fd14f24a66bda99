"""The screen of a menu that a later issue brings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from portal_tui.assets import stylesheet
from portal_tui.menus import Menu
from portal_tui.screens.base import MenuScreen


class NotBuiltScreen(MenuScreen):
    """Says plainly that the menu is not built yet and which issue brings it."""

    CSS_PATH = stylesheet("not_built")

    def __init__(self, menu: Menu) -> None:
        self.menu = menu
        """The menu this screen stands in for."""
        super().__init__()

    @property
    def menu_mode(self) -> str:
        return self.menu.mode

    def compose_content(self) -> ComposeResult:
        yield Static(self.menu.title, classes="screen-title")
        yield Static(
            f"{self.menu.title} is not built yet. It comes with {self.menu.built_by}.\n\n"
            "Use the sidebar keys or ctrl+p to go to another menu.",
            id="not-built-text",
        )
