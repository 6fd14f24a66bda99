"""Pick the providers a user is affiliated with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, SelectionList, Static

from portal_tui.display_text import printable
from portal_tui.modals.confirm import MODAL_CSS
from portal_tui.widgets.ticks import TickList

if TYPE_CHECKING:
    from portal_core.models.identity import ProviderBrief


class AffiliationsModal(ModalScreen[list[str] | None]):
    """Dismisses with the NPIs ticked (space ticks, enter on Save), or None when cancelled."""

    DEFAULT_CSS = (
        "AffiliationsModal {" + MODAL_CSS + "} AffiliationsModal SelectionList { max-height: 14; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="affiliations.cancel"),
        Binding("ctrl+s", "save", "Save", id="affiliations.save"),
    ]

    def __init__(
        self, title: str, providers: Sequence[ProviderBrief], chosen: Iterable[str] = ()
    ) -> None:
        super().__init__()
        self.title_text = title
        """Whose affiliations these are."""
        self.providers = list(providers)
        """The TIN's providers."""
        self.chosen = set(chosen)
        """NPIs ticked at the start."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(printable(self.title_text), classes="modal-title", markup=False)
            if not self.providers:
                yield Static("This TIN has no providers to affiliate with.", classes="modal-text")
            yield TickList[str](
                *[
                    (
                        # Text, not a string: a provider's name is never read as markup.
                        Text(
                            printable(f"{p.name} · {p.npi}")
                            + (f" · left {p.left_on:%m/%d/%Y}" if p.left_on else "")
                        ),
                        p.npi,
                        p.npi in self.chosen,
                    )
                    for p in self.providers
                ]
            )
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (ctrl+s)", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    @on(Button.Pressed, "#ok")
    def action_save(self) -> None:
        self.dismiss(list(self.query_one(SelectionList).selected))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
