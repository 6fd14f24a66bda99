"""The help screen (`?`): every key active on the screen below, with its binding id (for
remapping), and the guide of the current menu (its page in `docs/`)."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.markup import escape
from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown, Static

from portal_tui.assets import guide_path, stylesheet


class HelpScreen(ModalScreen[None]):
    """Lists the active bindings (key, what it does, the id to remap it under `[keys]`), then the
    menu's guide."""

    CSS_PATH = stylesheet("help")
    AUTO_FOCUS = "#help-scroll"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, bindings: dict[str, ActiveBinding], guide: str | None = None) -> None:
        super().__init__()
        self.bindings = bindings
        """The active bindings of the screen below, by key."""
        self.guide = guide
        """The name of the guide to show (`users` for `docs/users.md`), or None."""

    def compose(self) -> ComposeResult:
        # Rich tables read their strings as markup: every cell is escaped, or `[keys]` vanishes.
        table = Table(expand=True, box=None, show_edge=False, header_style="bold")
        table.add_column("Key", no_wrap=True)
        table.add_column("Does")
        table.add_column(escape("Id (for [keys] in the config file)"), no_wrap=True)
        rows = sorted(
            self.bindings.items(),
            # The screen's own keys first, the app-wide ones (help, menus) after them.
            key=lambda item: (item[1].node is self.app, item[1].binding.id or "~", item[0]),
        )
        for key, active in rows:
            binding = active.binding
            # Keys of the portal have an id; the text fields' editing keys (ctrl+pgup, ...) have
            # none and would bury them. The app's own keys (ctrl+q) stay.
            if binding.system or (binding.id is None and active.node is not self.app):
                continue
            description = binding.description or binding.action
            table.add_row(
                escape(self.app.get_key_display(binding) or key),
                escape(description),
                escape(binding.id or "—"),
            )
        # Side by side on a wide terminal, the guide below the keys on a narrow one.
        with Vertical(id="help-box"), Horizontal(id="help-panes"):
            with Vertical(id="keys-pane"):
                yield Static("Keys on this screen", id="help-title")
                with VerticalScroll(id="help-scroll"):
                    yield Static(table, id="help-table")
                yield Static(
                    'Remap a key in the config file, e.g.  [keys]  app.help = "f1"',
                    id="help-hint",
                    markup=False,
                )
            if self.guide is not None:
                with VerticalScroll(id="guide-scroll"):
                    yield Markdown("Loading the guide…", id="guide")
        yield Footer()

    def on_mount(self) -> None:
        if self.guide is not None:
            # After the first refresh: the guide's widget is mounted by then.
            self.call_after_refresh(self.load_guide, self.guide)

    @work(exclusive=True, group="help-guide")
    async def load_guide(self, name: str) -> None:
        """Read the guide off the event loop and show it."""
        path = guide_path(name)
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        except OSError:
            text = f"The guide `{name}.md` is not installed."
        await self.query_one("#guide", Markdown).update(text)
