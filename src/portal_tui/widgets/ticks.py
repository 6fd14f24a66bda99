"""Ticks shown by a glyph: `[x]` when ticked, `[ ]` when not.

Textual's Checkbox and SelectionList draw the same `X` in both states and tell them apart by colour
alone, which the monochrome theme, NO_COLOR and a colour-blind reader cannot see; what a tick
decides here (whose records a user may see, what mail they get) must be readable as text.
"""

from __future__ import annotations

from typing import TypeVar

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList
from textual.widgets.option_list import OptionDoesNotExist

TICKED = "[x]"
"""A ticked box."""
UNTICKED = "[ ]"
"""A box not ticked."""

SelectionT = TypeVar("SelectionT")


def tick(ticked: bool) -> str:
    """The glyph of a box."""
    return TICKED if ticked else UNTICKED


class TickBox(Checkbox):
    """A Checkbox drawn `[x]` or `[ ]`."""

    @property
    def _button(self) -> Content:
        return Content.styled(tick(self.value), self.get_visual_style("toggle--button"))


class TickList(SelectionList[SelectionT]):
    """A SelectionList whose lines start with `[x]` or `[ ]`."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        _, scroll_y = self.scroll_offset
        try:
            selection = self.get_option_at_index(scroll_y + y)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        if len(segments) < 3:
            return strip
        # The list draws its button as three one-cell segments (left side, inside, right side):
        # the same cells, with the glyph instead of the colour-only `X`.
        glyph = tick(selection.value in self._selected)
        button = [
            Segment(char, segment.style) for char, segment in zip(glyph, segments[:3], strict=True)
        ]
        return Strip([*button, *segments[3:]], strip.cell_length)
