"""The sidebar: every menu the signed-in role may use, with the key that switches to it."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import Widget

from portal_tui.menus import Menu, usable_menus
from portal_tui.messages import MenuChosen


class Sidebar(Widget):
    """Lists the menus, highlights the current one; a click switches menu (keys do the same)."""

    COMPONENT_CLASSES = {"sidebar--current", "sidebar--key"}
    """
    | Class | Description |
    | :- | :- |
    | `sidebar--current` | The current menu. |
    | `sidebar--key` | The key beside each menu. |
    """

    DEFAULT_CSS = """
    Sidebar {
        width: 15;
        height: 1fr;
        background: $panel;
        color: $foreground;
        padding: 1 0 0 0;
    }
    Sidebar > .sidebar--current { background: $primary; color: $text; text-style: bold reverse; }
    Sidebar > .sidebar--key { color: $accent; text-style: bold; }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current
        """The mode of the screen this sidebar is on."""

    def on_mount(self) -> None:
        # The menus follow the account (a changed active TIN or break-glass window).
        self.watch(self.app, "account", self._account_changed, init=False)

    def _account_changed(self) -> None:
        self.refresh()

    @property
    def menus(self) -> tuple[Menu, ...]:
        """The menus shown: those the signed-in role may use (`menus.usable_menus`)."""
        return usable_menus(getattr(self.app, "account", None))

    def render(self) -> Text:
        current_style = self.get_component_rich_style("sidebar--current")
        key_style = self.get_component_rich_style("sidebar--key")
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, menu in enumerate(self.menus):
            if index:
                text.append("\n")
            key = (menu.key or "").upper() if (menu.key or "").startswith("f") else (menu.key or "")
            line = Text()
            line.append(f" {key:>3} ", key_style)
            line.append(f"{menu.title:<10}")
            if menu.mode == self.current:
                line.stylize(current_style)
            text.append_text(line)
        return text

    def on_click(self, event: events.Click) -> None:
        row = event.y - 1  # the top padding line
        menus = self.menus
        if 0 <= row < len(menus):
            self.post_message(MenuChosen(menus[row].mode))
