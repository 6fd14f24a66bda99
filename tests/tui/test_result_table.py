"""`ResultTable` drawing: a cursor move repaints only the lines it changes, and shows them right."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App, ComposeResult

from portal_tui.widgets.result_table import Column, ResultTable


@dataclass(frozen=True)
class Row:
    id: int
    name: str


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResultTable[Row](
            [Column("Id", 6, lambda r: str(r.id)), Column("Name", 0, lambda r: r.name)],
            key=lambda r: r.id,
            selectable=True,
        )

    def on_mount(self) -> None:
        table = self.query_one(ResultTable)
        table.append_page([Row(n, f"[b]name {n}") for n in range(300)], None, 300)
        table.focus()


class CountingTable:
    """Counts `render_line` calls of one table."""

    def __init__(self, table: ResultTable[Row]) -> None:
        self.lines: list[int] = []
        original = table.render_line

        def render_line(y: int):  # type: ignore[no-untyped-def]
            self.lines.append(y)
            return original(y)

        table.render_line = render_line  # type: ignore[method-assign]


def line_styles(app: App[None]) -> list[object]:
    """The style of the first cell of each screen line."""
    return [strip._segments[0].style if strip._segments else None
            for strip in app.screen._compositor.render_strips()]  # fmt: skip


async def test_a_cursor_move_repaints_three_lines_and_moves_the_highlight():
    app = TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(ResultTable)
        await pilot.pause()
        before = line_styles(app)
        assert before[1] != before[2]  # row 0 has the cursor
        counter = CountingTable(table)
        await pilot.press("down")
        await pilot.pause()
        # The row left, the row reached and the status line; not the screenful.
        assert sorted(set(counter.lines)) == [1, 2, 19]
        after = line_styles(app)
        assert after[2] == before[1]
        assert after[1] == before[2]
        assert "Row 2 of 300" in table.status_text


async def test_moving_past_the_bottom_scrolls_and_repaints_everything():
    app = TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(ResultTable)
        await pilot.pause()
        counter = CountingTable(table)
        for _ in range(18):
            await pilot.press("down")
        await pilot.pause()
        assert table.cursor == 18
        assert table.scroll_offset.y == 1
        assert len(set(counter.lines)) == 20
        text = [strip.text for strip in app.screen._compositor.render_strips()]
        assert text[1].lstrip().startswith("1 ")  # row 0 scrolled out
        assert "[b]name 18" in text[18]  # shown as typed


async def test_selecting_repaints_the_row_and_the_status():
    app = TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(ResultTable)
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        text = [strip.text for strip in app.screen._compositor.render_strips()]
        assert text[1].startswith("● ")
        assert "1 selected" in text[19]
        table.clear_selection()
        await pilot.pause()
        text = [strip.text for strip in app.screen._compositor.render_strips()]
        assert not text[1].startswith("●")
        assert "selected" not in text[19]
