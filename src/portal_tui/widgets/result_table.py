"""`ResultTable`: a list of records that renders only the lines on screen (Textual's Line API)
over keyset-paged fetches.

The table never calls the client (attributes down, messages up): it posts `NeedMore` when the cursor
nears the end of what it holds, and the screen answers with `append_page`. The first page shows at
once; a status line at the bottom gives the position, the count, the selection and "Loading…".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from portal_tui.display_text import one_line

RowT = TypeVar("RowT")

PREFETCH_ROWS = 50
"""Ask for the next page when the cursor comes this close to the last row held."""


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """One column: a title, a width in cells (0 shares what is left) and how to show a row."""

    title: str
    width: int
    value: Callable[[RowT], str]


class ResultTable(ScrollView, Generic[RowT], can_focus=True):
    """A cursor over rows that may be thousands long; only visible lines are drawn."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("home", "first", "First", show=False, id="table.first"),
        Binding("end", "last", "Last", show=False, id="table.last"),
        Binding("enter", "open", "Open", id="table.open"),
        Binding("space", "toggle_selection", "Select", show=False, id="table.select"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | down, j / up, k | table.down / table.up | Move the cursor. |
    | pagedown / pageup | table.page_down / table.page_up | Move a screenful. |
    | home / end | table.first / table.last | First or last row (end loads the rest). |
    | enter | table.open | Open the row. |
    | space | table.select | Select the row (when the table allows selection). |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "result-table--header",
        "result-table--cursor",
        "result-table--selected",
        "result-table--status",
    }

    DEFAULT_CSS = """
    ResultTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        scrollbar-gutter: stable;
    }
    ResultTable > .result-table--header { text-style: bold; color: $primary; background: $panel; }
    ResultTable > .result-table--cursor { background: $block-cursor-blurred-background; }
    ResultTable:focus > .result-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    ResultTable > .result-table--selected { color: $accent; text-style: bold; }
    ResultTable > .result-table--status { background: $panel; color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, repaint=False)
    """Index of the highlighted row."""

    class NeedMore(Message):
        """The cursor nears the end of the rows held: fetch the page after `cursor`."""

        def __init__(self, table: ResultTable[object], after: str) -> None:
            super().__init__()
            self.table = table
            self.after = after
            """The `next_cursor` of the last page appended."""

        @property
        def control(self) -> ResultTable[object]:
            return self.table

    class Opened(Message):
        """Enter on a row."""

        def __init__(self, table: ResultTable[object], row: object) -> None:
            super().__init__()
            self.table = table
            self.row = row
            """The row opened."""

        @property
        def control(self) -> ResultTable[object]:
            return self.table

    class Highlighted(Message):
        """The cursor moved to a row."""

        def __init__(self, table: ResultTable[object], row: object) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> ResultTable[object]:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column[RowT]],
        key: Callable[[RowT], Hashable],
        *,
        selectable: bool = False,
        openable: bool = True,
        empty_text: str = "Nothing to show.",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        """The columns, left to right."""
        self.row_key = key
        """A row's identity (for selection and replacement)."""
        self.selectable = selectable
        """Whether space selects rows."""
        self.openable = openable
        """Whether enter opens a row."""
        self.empty_text = empty_text
        """What the table says when nothing matches."""
        self.rows: list[RowT] = []
        """The rows held so far."""
        self.selected: set[Hashable] = set()
        """Keys of the selected rows."""
        self.total: int | None = None
        """How many rows match in all, when known."""
        self.next_cursor: str | None = None
        """Where the next page starts; None when all rows are held."""
        self.loading = True
        """True while a page is being fetched."""
        self._index: dict[Hashable, int] = {}
        self._pending_last = False

    # -- data in (from the screen) -------------------------------------------------------------
    def reset(self) -> None:
        """Forget every row (a new filter); shows "Loading…" until the first page comes."""
        self.rows = []
        self._index = {}
        self.selected.clear()
        self.total = None
        self.next_cursor = None
        self.loading = True
        self._pending_last = False
        self.cursor = 0
        self._sync_size()
        self.scroll_to(y=0, animate=False)
        self.refresh()

    def append_page(
        self, items: Iterable[RowT], next_cursor: str | None, total: int | None
    ) -> None:
        """Add a fetched page after the rows held."""
        for item in items:
            self._index[self.row_key(item)] = len(self.rows)
            self.rows.append(item)
        self.next_cursor = next_cursor
        if total is not None:
            self.total = total
        self.loading = False
        self._sync_size()
        self.refresh()
        if self._pending_last:
            self._pending_last = self.next_cursor is not None
            self.cursor = len(self.rows) - 1
        self._maybe_fetch()
        if len(self.rows) and self.cursor < len(self.rows):
            self.post_message(self.Highlighted(self, self.rows[self.cursor]))  # type: ignore[arg-type]

    def stop_loading(self) -> None:
        """A fetch failed: stop saying "Loading…" (the screen shows why)."""
        self.loading = False
        self._pending_last = False
        self.refresh()

    def replace_rows(self, rows: Iterable[RowT]) -> None:
        """Put new versions of rows already held (after a decision), repainting only them."""
        for row in rows:
            index = self._index.get(self.row_key(row))
            if index is not None:
                self.rows[index] = row
        self.refresh()

    @property
    def current(self) -> RowT | None:
        """The row under the cursor."""
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def selected_rows(self) -> list[RowT]:
        """The selected rows held, in order."""
        return [row for row in self.rows if self.row_key(row) in self.selected]

    def clear_selection(self) -> None:
        """Unselect every row."""
        self.selected.clear()
        self.refresh()

    # -- drawing -------------------------------------------------------------------------------
    @property
    def _body_height(self) -> int:
        return max(self.size.height - 2, 1)

    def _sync_size(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 2)

    def on_resize(self) -> None:
        self._sync_size()

    def _widths(self, width: int) -> list[int]:
        mark = 2 if self.selectable else 0
        fixed = sum(c.width + 1 for c in self.columns if c.width) + mark
        flexible = [c for c in self.columns if not c.width]
        share = max((width - fixed - len(flexible)) // len(flexible), 4) if flexible else 0
        return [c.width or share for c in self.columns]

    def _line(self, cells: list[str], widths: list[int], mark: str, width: int) -> str:
        text = mark + " ".join(
            set_cell_size(cell, w) for cell, w in zip(cells, widths, strict=True)
        )
        return set_cell_size(text, width)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        widths = self._widths(width)
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("result-table--header")
            titles = [c.title for c in self.columns]
            return Strip(
                [Segment(self._line(titles, widths, "  " if self.selectable else "", width), style)]
            )
        if y == self.size.height - 1:
            style = base + self.get_component_rich_style("result-table--status")
            return Strip([Segment(set_cell_size(" " + self.status_text, width), style)])
        index = self.scroll_offset.y + y - 1
        if index >= len(self.rows):
            if index == 0 and not self.loading:
                return Strip([Segment(set_cell_size(" " + self.empty_text, width), base)])
            return Strip.blank(width, base)
        row = self.rows[index]
        selected = self.row_key(row) in self.selected
        style = base
        if selected:
            style += self.get_component_rich_style("result-table--selected")
        if index == self.cursor:
            style += self.get_component_rich_style("result-table--cursor")
        mark = ("● " if selected else "  ") if self.selectable else ""
        cells = [one_line(c.value(row)) for c in self.columns]
        return Strip([Segment(self._line(cells, widths, mark, width), Style.combine([style]))])

    @property
    def status_text(self) -> str:
        """Position, count, selection and loading, in words."""
        held = len(self.rows)
        if held == 0:
            return "Loading…" if self.loading else "No rows"
        count = (
            f"{self.total:,}"
            if self.total is not None
            else (f"{held:,}+" if self.next_cursor else f"{held:,}")
        )
        parts = [f"Row {self.cursor + 1:,} of {count}"]
        if self.selected:
            parts.append(f"{len(self.selected):,} selected")
        if self.loading:
            parts.append("Loading…")
        return " · ".join(parts)

    # -- moving --------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        top = self.scroll_offset.y
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + self._body_height:
            self.scroll_to(y=new - self._body_height + 1, animate=False, immediate=True)
        self.refresh()
        self._maybe_fetch()
        if 0 <= new < len(self.rows):
            self.post_message(self.Highlighted(self, self.rows[new]))  # type: ignore[arg-type]

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def _maybe_fetch(self) -> None:
        if self.loading or self.next_cursor is None:
            return
        if self.cursor >= len(self.rows) - PREFETCH_ROWS or self._pending_last:
            self.loading = True
            self.refresh()
            self.post_message(self.NeedMore(self, self.next_cursor))  # type: ignore[arg-type]

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += self._body_height

    def action_page_up(self) -> None:
        self.cursor -= self._body_height

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        # Keep loading pages until the last one, then stand on the last row.
        self._pending_last = self.next_cursor is not None
        self.cursor = len(self.rows) - 1
        self._maybe_fetch()

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(self, row))  # type: ignore[arg-type]

    def action_toggle_selection(self) -> None:
        row = self.current
        if row is None:
            return
        key = self.row_key(row)
        if key in self.selected:
            self.selected.discard(key)
        else:
            self.selected.add(key)
        self.cursor += 1
        self.refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_selection":
            return self.selectable
        if action == "open":
            return self.openable
        return True

    def on_click(self, event: object) -> None:
        y = getattr(event, "y", 0)
        if 1 <= y < self.size.height - 1:
            index = self.scroll_offset.y + y - 1
            if index < len(self.rows):
                if index == self.cursor and getattr(event, "chain", 1) > 1:
                    self.action_open()
                self.cursor = index
