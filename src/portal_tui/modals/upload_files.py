"""Pick the files to attach to a claim: one path a line, at most five."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from portal_tui.display_text import printable
from portal_tui.modals.confirm import MODAL_CSS

MAX_FILES = 5
"""Files in one submission (the portal refuses more)."""


class UploadFilesModal(ModalScreen[list[Path] | None]):
    """Dismisses with the paths typed (home directory expanded), or None when cancelled."""

    DEFAULT_CSS = "UploadFilesModal {" + MODAL_CSS + "} UploadFilesModal TextArea { height: 7; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="upload.cancel"),
        Binding("ctrl+s", "attach", "Attach", id="upload.attach"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title
        """Where the files go."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(printable(self.title_text), classes="modal-title", markup=False)
            yield Static(
                "One file a line, up to 5: PDF, TIFF, PNG, JPEG or text, 25 MB each. "
                "One refused file refuses them all.",
                classes="modal-text",
            )
            yield TextArea(id="paths", soft_wrap=False)
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Attach (ctrl+s)", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#paths", TextArea).focus()

    def error(self, text: str) -> None:
        """Say what is wrong and stay open."""
        self.query_one(".modal-error", Static).update(printable(text))

    @on(Button.Pressed, "#ok")
    def action_attach(self) -> None:
        lines = [line.strip() for line in self.query_one("#paths", TextArea).text.splitlines()]
        paths = [Path(line).expanduser() for line in lines if line]
        if not paths:
            self.error("Type the path of at least one file.")
            return
        if len(paths) > MAX_FILES:
            self.error(f"At most {MAX_FILES} files at a time; you listed {len(paths)}.")
            return
        self.dismiss(paths)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
