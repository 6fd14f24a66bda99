"""Write to the payer about a claim: an inquiry (with its reason), a grievance or appeal, or the
payer's answer to one. A choice (when there is one) and a text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Select, Static, TextArea

from portal_tui.display_text import plain_label, printable
from portal_tui.modals.confirm import MODAL_CSS


class ClaimRequestModal(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (choice, text) (choice is "" when there are no choices), or None."""

    DEFAULT_CSS = "ClaimRequestModal {" + MODAL_CSS + "} ClaimRequestModal TextArea { height: 6; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="request.cancel"),
        Binding("ctrl+s", "send", "Send", id="request.send"),
    ]

    def __init__(
        self, title: str, text: str, choices: Sequence[tuple[str, str]] = (), action: str = "Send"
    ) -> None:
        super().__init__()
        self.title_text = title
        """What is being written."""
        self.text = text
        """What it is for."""
        self.choices = list(choices)
        """(value, label) pairs: the reason, kind or outcome to pick; none when empty."""
        self.action_label = action
        """The label of the send button."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(printable(self.title_text), classes="modal-title", markup=False)
            yield Static(printable(self.text), classes="modal-text", markup=False)
            if self.choices:
                yield Select[str](
                    [(plain_label(label), value) for value, label in self.choices],
                    value=self.choices[0][0],
                    allow_blank=False,
                    id="choice",
                )
            yield TextArea(id="request-text")
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button(f"{self.action_label} (ctrl+s)", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#request-text", TextArea).focus()

    @on(Button.Pressed, "#ok")
    def action_send(self) -> None:
        text = self.query_one("#request-text", TextArea).text.strip()
        if not text:
            self.query_one(".modal-error", Static).update("Write what you are asking for.")
            self.query_one("#request-text", TextArea).focus()
            return
        choice = str(self.query_one("#choice", Select).value) if self.choices else ""
        self.dismiss((choice, text))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
