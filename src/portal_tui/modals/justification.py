"""Ask for the reason a decision needs (deactivation, role change, rejection)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from portal_tui.display_text import printable
from portal_tui.modals.confirm import MODAL_CSS

MIN_LENGTH = 5
"""Shortest reason accepted: a word or two, not a stray key."""


class JustificationModal(ModalScreen[str | None]):
    """Dismisses with the reason typed, or None when cancelled."""

    DEFAULT_CSS = "JustificationModal {" + MODAL_CSS + "}"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="justification.cancel"),
    ]

    def __init__(self, title: str, text: str, action: str = "Confirm") -> None:
        super().__init__()
        self.title_text = title
        """What is being decided."""
        self.text = text
        """What the reason is for."""
        self.action_label = action
        """The label of the confirm button."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(printable(self.title_text), classes="modal-title", markup=False)
            yield Static(printable(self.text), classes="modal-text", markup=False)
            yield Input(id="reason", placeholder="Reason (required)")
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button(self.action_label, id="ok", variant="primary")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _confirm(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if len(reason) < MIN_LENGTH:
            self.query_one(".modal-error", Static).update(
                f"Give a reason of at least {MIN_LENGTH} characters."
            )
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
