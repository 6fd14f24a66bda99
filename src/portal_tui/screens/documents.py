"""Documents: letters, evidence reports and uploads the user may see, newest first; enter shows a
text document, `s` saves one to a file only the user can read."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.documents import DocumentSummary

DOCUMENT_COLUMNS: list[Column[DocumentSummary]] = [
    Column("Filed", 10, lambda d: f"{d.created_at:%m/%d/%Y}"),
    Column("Kind", 16, lambda d: d.kind.replace("_", " ")),
    Column("File", 0, lambda d: d.file_name),
    Column("Size", 9, lambda d: f"{d.size:,}"),
]


class DocumentsScreen(MenuScreen):
    """The documents list with a text preview."""

    MENU = "documents"
    CSS_PATH = stylesheet("documents")
    AUTO_FOCUS = "#documents"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "save", "Save to file", id="documents.save"),
        Binding("f5", "refresh", "Refresh", id="documents.refresh"),
    ]

    def compose_content(self) -> ComposeResult:
        yield Static("Documents", classes="screen-title")
        yield ResultTable["DocumentSummary"](
            DOCUMENT_COLUMNS, key=lambda d: d.id, empty_text="No documents yet.", id="documents"
        )
        with VerticalScroll(id="document-preview"):
            yield Static("Press enter on a document to read it here.", id="preview", markup=False)

    @property
    def table(self) -> ResultTable[DocumentSummary]:
        return self.query_one("#documents", ResultTable)

    def on_mount(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @on(ResultTable.NeedMore, "#documents")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="documents")
    async def load(self, after: str | None = None) -> None:
        """Fetch a page of documents."""
        if after is None:
            self.table.reset()
        try:
            page = await self.client.list_documents(after=after)
        except PortalError as error:
            self.table.stop_loading()
            self.report(error)
            return
        self.table.append_page(page.items, page.next_cursor, page.total)

    @on(ResultTable.Opened, "#documents")
    @work(exclusive=True, group="document-open")
    async def _open(self, event: ResultTable.Opened) -> None:
        summary = event.row
        try:
            document = await self.client.get_document(summary.id)  # type: ignore[attr-defined]
        except PortalError as error:
            self.report(error)
            return
        preview = self.query_one("#preview", Static)
        if document.media_type.startswith("text/") or document.media_type == "text/csv":
            preview.update(printable(document.content.decode("utf-8", errors="replace")))
        else:
            preview.update(
                f"{document.file_name} is not text ({document.media_type}); press s to save it."
            )

    @work(exclusive=True, group="document-save")
    async def action_save(self) -> None:
        """Save the document under the cursor to a 0600 file."""
        import asyncio

        from portal_core.paths import data_dir, write_private_file
        from portal_tui.modals.file_path import FilePathModal

        summary = self.table.current
        if summary is None:
            return
        path = await self.app.push_screen_wait(
            FilePathModal("Save the document", data_dir() / "exports" / summary.file_name)
        )
        if path is None:
            return
        try:
            document = await self.client.get_document(summary.id)
        except PortalError as error:
            self.report(error)
            return
        try:
            await asyncio.to_thread(write_private_file, Path(path), document.content)
        except OSError as error:
            self.notify(f"The file could not be written: {error.strerror}", severity="error")
            return
        self.notify(f"Saved to {path}.")


MENU_SCREEN = DocumentsScreen
"""The screen the documents menu opens on."""
