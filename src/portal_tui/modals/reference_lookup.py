"""Type a caller's message reference number (customer service looks it up before a call)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from portal_tui.modals.confirm import MODAL_CSS


class ReferenceLookupModal(ModalScreen[str | None]):
    """Dismisses with the reference number typed (enter), or None (escape)."""

    DEFAULT_CSS = "ReferenceLookupModal {" + MODAL_CSS + "}"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="lookup.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Look up a reference number", classes="modal-title")
            yield Static("The caller's number, e.g. MSG-2026-000123.", classes="modal-text")
            yield Input(placeholder="MSG-YYYY-NNNNNN", id="lookup-reference")
            yield Static("", classes="modal-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#lookup-reference", Input).focus()

    @on(Input.Submitted, "#lookup-reference")
    def _submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.query_one(".modal-error", Static).update("Type the caller's reference number.")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
