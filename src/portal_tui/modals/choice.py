"""Pick one of a few options (a role, a decision, a reviewer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from portal_tui.display_text import printable
from portal_tui.modals.confirm import MODAL_CSS

ChoiceT = TypeVar("ChoiceT")


class ChoiceModal(ModalScreen[ChoiceT | None], Generic[ChoiceT]):
    """Dismisses with the value picked (enter), or None (escape)."""

    DEFAULT_CSS = "ChoiceModal {" + MODAL_CSS + "} ChoiceModal OptionList { max-height: 14; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="choice.cancel"),
    ]

    def __init__(self, title: str, choices: Sequence[tuple[ChoiceT, str]], text: str = "") -> None:
        super().__init__()
        self.title_text = title
        """What is being chosen."""
        self.text = text
        """More words, when needed."""
        self.choices = list(choices)
        """(value, label) pairs in order."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(printable(self.title_text), classes="modal-title", markup=False)
            if self.text:
                yield Static(printable(self.text), classes="modal-text", markup=False)
            # Labels hold names: shown as typed, never read as markup.
            yield OptionList(
                *[Option(printable(label), id=str(i)) for i, (_, label) in enumerate(self.choices)],
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
