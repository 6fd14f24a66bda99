"""Pick a preauthorization template: fuzzy search as you type over names, categories and procedure
codes (`rules.template_search`, over the list fetched once: no round trip per keystroke)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from portal_core.rules.template_search import TemplateSearch
from portal_tui.display_text import plain_label, printable
from portal_tui.modals.confirm import MODAL_CSS
from portal_tui.screens.base import PortalModal

if TYPE_CHECKING:
    from portal_core.models.preauth import PreauthTemplateSummary

SHOWN = 40
"""Matches listed at most (the best ones; typing more narrows)."""


def template_line(template: PreauthTemplateSummary) -> str:
    """`Sleep study (polysomnography) · 95810, 95811`."""
    codes = ", ".join(template.procedure_codes[:4])
    more = "…" if len(template.procedure_codes) > 4 else ""
    return f"{template.name} · {codes}{more}"


class TemplatePickerModal(PortalModal[str | None]):
    """Dismisses with the template id picked, or None when cancelled."""

    DEFAULT_CSS = (
        "TemplatePickerModal {" + MODAL_CSS + "}"
        " TemplatePickerModal > Vertical { width: 76; }"
        " TemplatePickerModal #template-options { height: 12; }"
        " TemplatePickerModal #template-count { color: $text-muted; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="template_picker.cancel"),
        Binding("down", "to_list", "To the list", show=False, id="template_picker.to_list"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | template_picker.cancel | Close without picking. |
    | down | template_picker.to_list | From the search to the list. |
    """

    def __init__(self, templates: list[PreauthTemplateSummary]) -> None:
        super().__init__()
        self.templates = [t for t in templates if t.active]
        """The templates offered (inactive ones are not offered for new requests)."""
        self.search = TemplateSearch(self.templates)
        """The ranking, prepared once."""
        self.shown: list[PreauthTemplateSummary] = []
        """The matches listed, best first."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("New preauthorization: pick a template", classes="modal-title")
            yield Input(
                placeholder="Type a name or a code: sleep, mri knee, 95810", id="template-search"
            )
            yield Static("", id="template-count", markup=False)
            yield OptionList(id="template-options")
            yield Static(
                "Enter picks the first match (or the one highlighted); down goes to the list; "
                "esc cancels.",
                classes="modal-text",
            )

    def on_mount(self) -> None:
        self.show_matches("")
        self.query_one("#template-search", Input).focus()

    @on(Input.Changed, "#template-search")
    def _typed(self, event: Input.Changed) -> None:
        self.show_matches(event.value)

    def show_matches(self, text: str) -> None:
        """List the best matches of what is typed."""
        found = self.search.rank(text)
        self.shown = found[:SHOWN]
        options = self.query_one("#template-options", OptionList)
        options.clear_options()
        options.add_options([Option(plain_label(template_line(t)), id=t.id) for t in self.shown])
        if self.shown:
            options.highlighted = 0
        more = f" (the first {SHOWN} shown)" if len(found) > SHOWN else ""
        count = f"{len(found)} template(s){more}" if found else "No template matches."
        self.query_one("#template-count", Static).update(printable(count))

    def action_to_list(self) -> None:
        if self.shown:
            self.query_one("#template-options", OptionList).focus()

    @on(Input.Submitted, "#template-search")
    def _enter(self) -> None:
        options = self.query_one("#template-options", OptionList)
        index = options.highlighted
        if self.shown:
            self.dismiss(self.shown[index if index is not None else 0].id)

    @on(OptionList.OptionSelected, "#template-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
