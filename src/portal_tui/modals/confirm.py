"""Ask before doing something that matters."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from portal_tui.display_text import printable

MODAL_CSS = """
    align: center middle;
    & > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    & .modal-title { text-style: bold; color: $primary; margin-bottom: 1; }
    & .modal-text { color: $foreground; margin-bottom: 1; }
    & .modal-error { color: $error; text-style: bold; height: auto; }
    & .modal-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    & .modal-buttons Button { margin-left: 1; }
"""
"""The look every modal shares (nested under the modal's type selector)."""


class ConfirmModal(ModalScreen[bool]):
    """Yes or no; dismisses with True for yes."""

    DEFAULT_CSS = "ConfirmModal {" + MODAL_CSS + "}"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, text: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text = title
        """The question, short."""
        self.text = text
        """What will happen, in plain words."""
        self.yes = yes
        """The label of the yes button."""
        self.no = no
        """The label of the no button."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(printable(self.title_text), classes="modal-title", markup=False)
            yield Static(printable(self.text), classes="modal-text", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button(f"{self.no} (n)", id="no")
                yield Button(f"{self.yes} (y)", id="yes", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
