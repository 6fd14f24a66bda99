"""The help screen (`?`): every key active on the screen below, with its binding id (for
remapping)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from portal_tui.assets import stylesheet


class HelpScreen(ModalScreen[None]):
    """Lists the active bindings: key, what it does, and the id to remap it under `[keys]`."""

    CSS_PATH = stylesheet("help")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, bindings: dict[str, ActiveBinding]) -> None:
        super().__init__()
        self.bindings = bindings
        """The active bindings of the screen below, by key."""

    def compose(self) -> ComposeResult:
        table = Table(expand=True, box=None, show_edge=False, header_style="bold")
        table.add_column("Key", no_wrap=True)
        table.add_column("Does")
        table.add_column("Id (for [keys] in the config file)", no_wrap=True)
        rows = sorted(
            self.bindings.items(),
            key=lambda item: (item[1].binding.id or "~", item[0]),
        )
        for key, active in rows:
            binding = active.binding
            if binding.system:
                continue
            description = binding.description or binding.action
            table.add_row(self.app.get_key_display(binding) or key, description, binding.id or "—")
        with Vertical(id="help-box"):
            yield Static("Keys on this screen", id="help-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(table, id="help-table")
            yield Static(
                'Remap a key in the config file, e.g.  [keys]  app.help = "f1"',
                id="help-hint",
                markup=False,
            )
        yield Footer()
