"""Ask where to save a file.

The name offered comes from a record (a document's name, a member ID, a report's name), so it is
made safe first (`portal_core.rules.file_names`): a NUL in it crashed the save, a `/` chose
another folder. A path typed with a NUL is refused with a message.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from portal_tui.display_text import printable
from portal_tui.modals.confirm import MODAL_CSS


class FilePathModal(ModalScreen[Path | None]):
    """Dismisses with the path typed (home directory expanded), or None when cancelled."""

    DEFAULT_CSS = "FilePathModal {" + MODAL_CSS + "}"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="file_path.cancel"),
    ]

    def __init__(self, title: str, default: Path) -> None:
        from portal_core.rules.file_names import safe_file_name

        super().__init__()
        self.title_text = title
        """What is being saved."""
        self.default = default.with_name(safe_file_name(default.name))
        """The path offered: the folder given, and the name made safe."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(printable(self.title_text), classes="modal-title", markup=False)
            yield Static("The file is readable only by you.", classes="modal-text")
            yield Input(str(self.default), id="path")
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save", id="ok", variant="primary")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _confirm(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.query_one(".modal-error", Static).update("Type a file name.")
            return
        if "\x00" in text:
            self.query_one(".modal-error", Static).update("A file name cannot hold a NUL.")
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self.query_one(".modal-error", Static).update("That is a folder; add a file name.")
            return
        self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
