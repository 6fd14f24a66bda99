"""`ResultTable`: a list of records that renders only the lines on screen (Textual's Line API)
over keyset-paged fetches.

The table never calls the client (attributes down, messages up): it posts `NeedMore` when the cursor
nears the end of what it holds, and the screen answers with `append_page`. The first page shows at
once; a status line at the bottom gives the position, the count, the selection and "Loading…".

Before the first search the table says what to do (`before_text`, the screen's words); a search
that finds nothing says `empty_text`; a refused search shows its error in place of the rows
(`show_error`).

Columns fit their content: a column of fixed width (numbers, money, ids, dates, codes, statuses) is
never narrower than its title nor than its widest value held, so "$11,455,791.00" is never cut; the
flexible columns (names, subjects) take what is left, down to their title's width.

End on a list not all held asks for its last page only (`keyset.LAST`): the table then holds the
list's tail, and asks for the page before it (the page's `next_cursor` goes backwards) when the
cursor nears the top; Home goes back to the first rows, kept from before the jump. However long
the list, End and Home cost one page. A fetch cut short when the screen is left (`interrupt`) is
asked for again when it comes back (`resume`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from portal_core.models.common import BACKWARD, LAST
from portal_tui.display_text import one_line

RowT = TypeVar("RowT")


@dataclass(frozen=True)
class _LineStyles:
    """The styles lines are drawn in, resolved once per repaint."""

    base: Style
    header: Style
    status: Style
    selected: Style
    cursor: Style


PREFETCH_ROWS = 50
"""Ask for the next page when the cursor comes this close to the last row held."""


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """One column: a title, a width in cells (0 shares what is left) and how to show a row.

    A fixed `width` is the least the column takes: it grows to its title and its widest value."""

    title: str
    width: int
    value: Callable[[RowT], str]


class ResultTable(ScrollView, Generic[RowT], can_focus=True):
    """A cursor over rows that may be thousands long; only visible lines are drawn.

    Type-to-search: a letter or digit typed on the list that is no key of it or its screen goes
    to the screen's filter field, with what is typed after it (`PortalScreen.take_typing`, asked
    by the app before it hands the key on), so the list binds no letters of its own but j/k."""

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
    | home / end | table.first / table.last | First or last row (end fetches the last page only). |
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
        /* Lines are cut to the width: a horizontal scrollbar would only hide the status line. */
        overflow-x: hidden;
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
        """The table needs a page: fetch the page `after` gives (None: the first page) and answer
        with `append_page`, whichever way it is read."""

        def __init__(self, table: ResultTable[object], after: str | None) -> None:
            super().__init__()
            self.table = table
            self.after = after
            """A page's `next_cursor` (forwards after the rows held, or backwards before them),
            `keyset.LAST` for the last page, or None for the first."""

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
        before_text: str | None = None,
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
        self.before_text = before_text
        """What the table says before the first search (what to search by); None: `empty_text`."""
        self.searched = False
        """Whether a search was started (`reset`): before it the table says `before_text`."""
        self.error_text: str | None = None
        """Why the last search was refused, shown in place of the rows (`show_error`)."""
        self._widest: list[int] = [0] * len(self.columns)
        """The widest value of each column among the rows held (its least width)."""
        self.rows: list[RowT] = []
        """The rows held so far."""
        self.selected: set[Hashable] = set()
        """Keys of the selected rows."""
        self.total: int | None = None
        """How many rows match in all, when known."""
        self.next_cursor: str | None = None
        """Where the next page starts; None when the rows held reach the list's end."""
        self.previous_cursor: str | None = None
        """Where the page before the rows held starts (after End); None when they start the
        list."""
        self.fetching = True
        """True while a page is being fetched (shown in the status line; not Textual's `loading`,
        which would cover the table and make it unfocusable)."""
        self._index: dict[Hashable, int] = {}
        self._pending_last = False
        """End was pressed while a page was coming: jump once it is here."""
        self._asked: str | None = None
        """The `after` of the page coming (how to place it), or of the one cut short."""
        self._interrupted = False
        """A fetch was cut short by leaving the screen: ask again on coming back."""
        self._head: tuple[list[RowT], str | None] | None = None
        """The list's first rows and their `next_cursor`, kept while the tail is held (Home)."""
        self._widths_for: tuple[int, list[int]] = (-1, [])
        """Column widths for the last width drawn (the width rarely changes, rows do)."""
        self._styles: _LineStyles | None = None
        """The styles of one `render_lines` pass (resolving them costs more than a line)."""
        self.sort_mark: tuple[str, bool] | None = None
        """The column title the rows are sorted on and whether descending (marked ▼ or ▲)."""

    # -- data in (from the screen) -------------------------------------------------------------
    def reset(self) -> None:
        """Forget every row (a new filter); shows "Loading…" until the first page comes."""
        self.rows = []
        self._index = {}
        self.searched = True
        self.error_text = None
        self._widest = [0] * len(self.columns)
        self._widths_for = (-1, [])
        self.selected.clear()
        self.total = None
        self.next_cursor = None
        self.previous_cursor = None
        self.fetching = True
        self._pending_last = False
        self._asked = None
        self._interrupted = False
        self._head = None
        self.cursor = 0
        self._sync_size()
        self.scroll_to(y=0, animate=False)
        self.refresh()

    def append_page(
        self, items: Iterable[RowT], next_cursor: str | None, total: int | None
    ) -> None:
        """Place a fetched page: after the rows held, or, when the table asked for the last page
        or one before the rows held, in front of them (`next_cursor` then goes backwards)."""
        asked, self._asked = self._asked, None
        self._interrupted = False
        page = list(items)
        self._measure(page)
        if asked == LAST:
            self._take_tail(page, next_cursor)
        elif asked is not None and asked.startswith(BACKWARD):
            self._prepend(page, next_cursor)
        else:
            for item in page:
                self._index[self.row_key(item)] = len(self.rows)
                self.rows.append(item)
            self.next_cursor = next_cursor
        if total is not None:
            self.total = total
        self.fetching = False
        self._sync_size()
        self.refresh()
        if self._pending_last:
            self._pending_last = False
            self.action_last()
        self._maybe_fetch()
        if len(self.rows) and self.cursor < len(self.rows):
            self.post_message(self.Highlighted(self, self.rows[self.cursor]))  # type: ignore[arg-type]

    def set_columns(self, columns: Sequence[Column[RowT]]) -> None:
        """Show other columns (a report run with the columns it chose)."""
        self.columns = list(columns)
        self._widest = [0] * len(self.columns)
        self._measure(self.rows)
        self._widths_for = (-1, [])
        self.refresh()

    def show_sort(self, title: str | None, descending: bool = True) -> None:
        """Mark the column titled `title` as the order (▼ descending, ▲ ascending), or none."""
        self.sort_mark = None if title is None else (title, descending)
        self._widths_for = (-1, [])
        self.refresh()

    def stop_loading(self) -> None:
        """A fetch failed: stop saying "Loading…" (the screen shows why)."""
        self.fetching = False
        self._pending_last = False
        self._asked = None
        self.refresh()

    def show_error(self, message: str) -> None:
        """A fetch was refused: stop loading and, when no row is held (the first page of a search),
        show why in place of the rows. A later page's refusal keeps the rows held (the screen's
        message line says why)."""
        if not self.rows:
            self.error_text = message
        self.stop_loading()

    @property
    def placeholder_text(self) -> str:
        """What the table says while it holds no row: the error, what to do, or no match."""
        if self.error_text is not None:
            return self.error_text
        if not self.searched and self.before_text is not None:
            return self.before_text
        return self.empty_text

    def _measure(self, rows: Iterable[RowT]) -> None:
        """Widen the fixed columns' least widths to the values of `rows`."""
        widest = self._widest
        changed = False
        for row in rows:
            for i, column in enumerate(self.columns):
                if column.width:
                    size = cell_len(one_line(column.value(row)))
                    if size > widest[i]:
                        widest[i] = size
                        changed = True
        if changed:
            self._widths_for = (-1, [])

    def interrupt(self) -> None:
        """The screen was left and its fetch cancelled: stop loading, ask again on `resume`."""
        if self.fetching:
            self.fetching = False
            self._pending_last = False
            self._interrupted = True
            self.refresh()

    def resume(self) -> None:
        """The screen is back: ask again for the page a left screen did not get."""
        if self._interrupted:
            self._interrupted = False
            self._ask(self._asked)

    def _ask(self, after: str | None) -> None:
        self.fetching = True
        self._asked = after
        self._refresh_status()
        self.post_message(self.NeedMore(self, after))  # type: ignore[arg-type]

    def _reindex(self) -> None:
        self._index = {self.row_key(row): i for i, row in enumerate(self.rows)}

    def _take_tail(self, items: list[RowT], before: str | None) -> None:
        """Hold the list's last page (keeping its first rows for Home) and stand on its end."""
        if self.previous_cursor is None and self._head is None:
            self._head = (self.rows, self.next_cursor)
        self.rows = items
        self.next_cursor = None
        self.previous_cursor = before
        self._reindex()
        self._sync_size()
        self.cursor = len(self.rows) - 1
        self.scroll_to(y=max(len(self.rows) + 2 - self.size.height, 0), animate=False)

    def _prepend(self, items: list[RowT], before: str | None) -> None:
        """Put the page before the rows held in front of them, the cursor staying on its row."""
        self.rows = items + self.rows
        self.previous_cursor = before
        self._reindex()
        self._sync_size()
        shift = len(items)
        self.set_reactive(ResultTable.cursor, self.cursor + shift)
        self.scroll_to(y=self.scroll_offset.y + shift, animate=False, immediate=True)
        if before is None:
            self._head = None  # every row from the first is held again

    def replace_rows(self, rows: Iterable[RowT]) -> None:
        """Put new versions of rows already held (after a decision), repainting only them."""
        for row in rows:
            index = self._index.get(self.row_key(row))
            if index is not None:
                self.rows[index] = row
                self._measure([row])
                self._refresh_row(index)

    @property
    def current(self) -> RowT | None:
        """The row under the cursor."""
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def selected_rows(self) -> list[RowT]:
        """The selected rows held, in order."""
        return [row for row in self.rows if self.row_key(row) in self.selected]

    def clear_selection(self) -> None:
        """Unselect every row."""
        if self.selected:
            self.selected.clear()
            self.refresh()

    # -- drawing -------------------------------------------------------------------------------
    @property
    def _body_height(self) -> int:
        return max(self.size.height - 2, 1)

    def _sync_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows) + 2)

    def on_resize(self) -> None:
        self._sync_size()

    def _widths(self, width: int) -> list[int]:
        """Each column's cells: a fixed column its width, grown to its title (with the sort mark)
        and its widest value; the flexible ones share what is left, each at least its title."""
        known_width, widths = self._widths_for
        if known_width == width:
            return widths
        mark = 2 if self.selectable else 0
        titles = [cell_len(self._title(c.title)) for c in self.columns]
        widths = [
            max(c.width, titles[i], self._widest[i]) if c.width else 0
            for i, c in enumerate(self.columns)
        ]
        flexible = [i for i, c in enumerate(self.columns) if not c.width]
        if flexible:
            left = width - mark - sum(widths) - (len(self.columns) - 1)
            share = left // len(flexible)
            extra = left - share * len(flexible)
            for n, i in enumerate(flexible):
                widths[i] = max(share + (1 if n < extra else 0), titles[i], 4)
        self._widths_for = (width, widths)
        return widths

    def _refresh_row(self, index: int) -> None:
        """Repaint the line of one row, when it is on screen."""
        y = index - self.scroll_offset.y + 1
        if 1 <= y < self.size.height - 1:
            self.refresh(Region(0, y, self.size.width, 1))

    def _refresh_status(self) -> None:
        """Repaint the status line."""
        self.refresh(Region(0, self.size.height - 1, self.size.width, 1))

    def render_lines(self, crop: Region) -> list[Strip]:
        # Resolve the styles once for the lines of this pass, not once per line.
        self._styles = self._resolve_styles()
        try:
            return super().render_lines(crop)
        finally:
            self._styles = None

    def _line_styles(self) -> _LineStyles:
        return self._styles if self._styles is not None else self._resolve_styles()

    def _resolve_styles(self) -> _LineStyles:
        base = self.rich_style
        component = self.get_component_rich_style
        return _LineStyles(
            base=base,
            header=base + component("result-table--header"),
            status=base + component("result-table--status"),
            selected=component("result-table--selected"),
            cursor=component("result-table--cursor"),
        )

    def _line(self, cells: list[str], widths: list[int], mark: str, width: int) -> str:
        text = mark + " ".join(
            set_cell_size(cell, w) for cell, w in zip(cells, widths, strict=True)
        )
        return set_cell_size(text, width)

    def _title(self, title: str) -> str:
        if self.sort_mark is None or self.sort_mark[0] != title:
            return title
        return f"{title} {'▼' if self.sort_mark[1] else '▲'}"

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        widths = self._widths(width)
        styles = self._line_styles()
        base = styles.base
        if y == 0:
            titles = [self._title(c.title) for c in self.columns]
            return Strip(
                [
                    Segment(
                        self._line(titles, widths, "  " if self.selectable else "", width),
                        styles.header,
                    )
                ]
            )
        if y == self.size.height - 1:
            return Strip([Segment(set_cell_size(" " + self.status_text, width), styles.status)])
        index = self.scroll_offset.y + y - 1
        if index >= len(self.rows):
            if index == 0 and not self.fetching:
                text = one_line(self.placeholder_text)
                return Strip([Segment(set_cell_size(" " + text, width), base)])
            return Strip.blank(width, base)
        row = self.rows[index]
        selected = self.row_key(row) in self.selected
        style = base
        if selected:
            style += styles.selected
        if index == self.cursor:
            style += styles.cursor
        mark = ("● " if selected else "  ") if self.selectable else ""
        cells = [one_line(c.value(row)) for c in self.columns]
        return Strip([Segment(self._line(cells, widths, mark, width), style)])

    @property
    def status_text(self) -> str:
        """Position, count, selection and loading, in words."""
        held = len(self.rows)
        if held == 0:
            if self.fetching:
                return "Loading…"
            if self.error_text is not None:
                return "Search refused"
            return "No rows" if self.searched or self.before_text is None else "Not searched yet"
        count = (
            f"{self.total:,}"
            if self.total is not None
            else (f"{held:,}+" if self.next_cursor else f"{held:,}")
        )
        if self.previous_cursor is None:
            parts = [f"Row {self.cursor + 1:,} of {count}"]
        elif self.total is not None:
            parts = [f"Row {self.total - held + self.cursor + 1:,} of {self.total:,}"]
        else:
            parts = [f"Row {held - self.cursor:,} from the end"]
        if self.selected:
            parts.append(f"{len(self.selected):,} selected")
        if self.fetching:
            parts.append("Loading…")
        return " · ".join(parts)

    # -- moving --------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        top = self.scroll_offset.y
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
            self.refresh()
        elif new >= top + self._body_height:
            self.scroll_to(y=new - self._body_height + 1, animate=False, immediate=True)
            self.refresh()
        else:
            # Only the line left, the line reached and the position change: a key repaints three
            # lines, not the screenful.
            self._refresh_row(old)
            self._refresh_row(new)
            self._refresh_status()
        self._maybe_fetch()
        if 0 <= new < len(self.rows):
            self.post_message(self.Highlighted(self, self.rows[new]))  # type: ignore[arg-type]

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def _maybe_fetch(self) -> None:
        if self.fetching:
            return
        if self.next_cursor is not None and self.cursor >= len(self.rows) - PREFETCH_ROWS:
            self._ask(self.next_cursor)
        elif self.previous_cursor is not None and self.cursor < PREFETCH_ROWS:
            self._ask(self.previous_cursor)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += self._body_height

    def action_page_up(self) -> None:
        self.cursor -= self._body_height

    def action_first(self) -> None:
        if self.previous_cursor is not None:
            if self._head is None:  # no first rows kept: fetch them
                if not self.fetching:
                    self._ask(None)
                return
            # Back to the first rows kept from before End (no fetch).
            (self.rows, self.next_cursor), self._head = self._head, None
            self.previous_cursor = None
            self._pending_last = False
            self._reindex()
            self._sync_size()
            self.refresh()
        self.cursor = 0
        self.scroll_to(y=0, animate=False, immediate=True)

    def action_last(self) -> None:
        if self.next_cursor is None:  # the rows held reach the end
            self.cursor = len(self.rows) - 1
        elif self.fetching:
            self._pending_last = True
        else:
            self._ask(LAST)  # the last page only, however long the list

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
        self._refresh_row(self.cursor)
        self._refresh_status()
        self.cursor += 1

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
