"""Documents: letters, EOPs, care plans, review evidence and uploads the user may see, newest
first, filtered by kind, filing dates and linked record; enter opens a viewer (text shown as text,
anything else described), `s` saves a document to a file only the user can read."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, LoadingIndicator, Select, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable, when
from portal_tui.record_links import kind_label
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.documents import Document, DocumentQuery, DocumentSummary

PAGE_SIZE = 100
"""Documents fetched per page."""

KIND_CHOICES = [
    ("letter", "letter"),
    ("EOP", "eop"),
    ("care plan", "care_plan"),
    ("review evidence", "review_evidence"),
    ("upload", "upload"),
]
"""The kinds the filter offers (label, value)."""

TEXT_TYPES = frozenset({"application/json", "application/xml", "application/csv"})
"""Media types shown as text besides `text/*`."""


SELF_NAMED = frozenset({"claim", "preauth", "admission", "referral", "message_thread", "payment"})
"""Linked kinds whose numbers say what they are (`C…`, `PA-…`, `ADM-…`, `MSG-…`): the list shows
the number alone."""


def _linked(d: DocumentSummary) -> str:
    if not d.linked_id:
        return ""
    return f"{kind_label(d.linked_kind or '')} {d.linked_id}".strip()


def _linked_short(d: DocumentSummary) -> str:
    if d.linked_id and d.linked_kind in SELF_NAMED:
        return d.linked_id
    return _linked(d)


DOCUMENT_COLUMNS: list[Column[DocumentSummary]] = [
    Column("Filed", 10, lambda d: when(d.created_at, "day")),
    Column("Kind", 15, lambda d: d.kind.replace("_", " ")),
    Column("File", 0, lambda d: printable(d.file_name)),
    Column("About", 18, lambda d: printable(_linked_short(d))),
    Column("Size", 9, lambda d: f"{d.size:,}"),
]


def parse_day(text: str) -> date | None:
    """`2026-11-01` or `11/01/2026`; None when empty. Raises ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def is_text(document: DocumentSummary) -> bool:
    """Whether the viewer may show the document as text."""
    media = document.media_type.lower().split(";")[0].strip()
    return media.startswith("text/") or media in TEXT_TYPES


def describe(document: DocumentSummary) -> str:
    """Name, type, size, SHA-256 and what it is about, one fact a line."""
    lines = [
        f"File:    {document.file_name}",
        f"Kind:    {document.kind.replace('_', ' ')}",
        f"Type:    {document.media_type}",
        f"Size:    {document.size:,} bytes",
        f"SHA-256: {document.sha256}",
        f"Filed:   {when(document.created_at)}",
    ]
    if document.linked_id:
        lines.append(f"About:   {_linked(document)}")
    return printable("\n".join(lines))


def document_text(document: Document) -> str | None:
    """The content as display-safe text, or None when it is not text (run off the event loop)."""
    if not is_text(document):
        return None
    try:
        text = document.content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return printable(text)


async def save_document(screen: MenuScreen, document_id: int, file_name: str) -> str | None:
    """Ask where, fetch the document and write it 0600; returns what to say (None: cancelled)."""
    from portal_core.paths import data_dir, write_private_file
    from portal_core.rules.file_names import safe_file_name
    from portal_tui.modals.file_path import FilePathModal

    safe_name = safe_file_name(file_name, fallback=f"document-{document_id}")
    default = data_dir() / "exports" / safe_name
    path = await screen.app.push_screen_wait(FilePathModal("Save the document", default))
    if path is None:
        return None
    try:
        document = await screen.client.get_document(document_id)
    except PortalError as error:
        return error.message
    try:
        await asyncio.to_thread(write_private_file, Path(path), document.content)
    except OSError as error:
        return f"The file could not be written: {error.strerror}"
    return f"Saved to {path}."


class DocumentsScreen(MenuScreen):
    """The documents list with its filters."""

    MENU = "documents"
    CSS_PATH = stylesheet("documents")
    AUTO_FOCUS = "#documents"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "search", "Filter", id="documents.search"),
        Binding("slash", "form", "Filters", id="documents.form"),
        Binding("escape", "to_table", "List", show=False, id="documents.to_table"),
        Binding("s", "save", "Save to file", id="documents.save"),
        Binding("f5", "refresh", "Refresh", id="documents.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | enter, ctrl+s | documents.search | Apply the filters. |
    | / | documents.form | To the filters. |
    | escape | documents.to_table | To the list. |
    | s | documents.save | Save the document under the cursor to a file only you can read. |
    | f5 | documents.refresh | Fetch again. |
    | enter (list) | table.open | Open the viewer. |
    """

    def __init__(self) -> None:
        super().__init__()
        self.query_shown: DocumentQuery | None = None
        """The filters of the list shown (None until the first search)."""

    def compose_content(self) -> ComposeResult:
        yield Static("Documents", classes="screen-title")
        with Horizontal(classes="field-row"):
            yield Label("Kind", classes="field-label")
            yield Select[str](KIND_CHOICES, prompt="any", id="doc-kind", compact=True)
            yield Label("Record", classes="field-label")
            yield Input(placeholder="C2026…, PA-…, MSG-…", id="doc-linked", compact=True)
        with Horizontal(classes="field-row"):
            yield Label("From", classes="field-label")
            yield Input(placeholder="YYYY-MM-DD", id="doc-since", compact=True)
            yield Label("To", classes="field-label")
            yield Input(placeholder="YYYY-MM-DD", id="doc-until", compact=True)
        yield Static(
            "/ goes to the filters (enter applies); enter on a document opens it; s saves it.",
            id="documents-message",
            markup=False,
        )
        yield ResultTable["DocumentSummary"](
            DOCUMENT_COLUMNS, key=lambda d: d.id, empty_text="No document matches.", id="documents"
        )

    @property
    def table(self) -> ResultTable[DocumentSummary]:
        return self.query_one("#documents", ResultTable)

    def on_mount(self) -> None:
        self.action_search()

    def say(self, text: str, error: bool = False) -> None:
        """The line above the list (red for a problem)."""
        message = self.query_one("#documents-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def query_from_form(self) -> DocumentQuery | None:
        """The filters the form describes; None (and a message) when a date cannot be read."""
        from portal_core.models.documents import DocumentQuery

        kind = self.query_one("#doc-kind", Select).value
        days: list[date | None] = []
        for field_id in ("doc-since", "doc-until"):
            field = self.query_one(f"#{field_id}", Input)
            try:
                days.append(parse_day(field.value))
            except ValueError:
                self.say("Type dates as YYYY-MM-DD (or MM/DD/YYYY).", error=True)
                field.focus()
                return None
        linked = self.query_one("#doc-linked", Input).value.strip()
        return DocumentQuery(
            kind=None if kind is Select.NULL else str(kind),
            since=days[0],
            until=days[1],
            linked_id=linked or None,
        )

    @on(Input.Submitted)
    def action_search(self) -> None:
        query = self.query_from_form()
        if query is None:
            return
        self.query_shown = query
        self.load()

    @on(Select.Changed, "#doc-kind")
    def _kind_changed(self) -> None:
        if self.is_mounted and self.query_shown is not None:
            self.action_search()

    def action_form(self) -> None:
        self.query_one("#doc-kind", Select).focus()

    def action_to_table(self) -> None:
        self.table.focus()

    def action_refresh(self) -> None:
        self.load()

    @on(ResultTable.NeedMore, "#documents")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="documents")
    async def load(self, after: str | None = None) -> None:
        """Fetch a page of documents matching the filters shown."""
        from portal_core.models.documents import DocumentQuery

        query = self.query_shown or DocumentQuery()
        if after is None:
            self.table.reset()
            filtered = query != DocumentQuery()
            self.table.empty_text = "No document matches." if filtered else "No documents yet."
        try:
            page = await self.client.search_documents(query, after=after, limit=PAGE_SIZE)
        except PortalError as error:
            self.table.show_error(error.message)
            self.say(error.message, error=True)
            self.report(error)
            return
        self.table.append_page(page.items, page.next_cursor, page.total)
        if after is None:
            count = page.total if page.total is not None else len(page.items)
            noun = "document" if count == 1 else "documents"
            self.say(f"{count:,} {noun}. Enter opens one; s saves it; / filters.")

    @on(ResultTable.Opened, "#documents")
    def _open(self, event: ResultTable.Opened) -> None:
        summary: DocumentSummary = event.row  # type: ignore[assignment]
        self.app.push_screen(DocumentViewerScreen(summary.id))

    @work(exclusive=True, group="document-save")
    async def action_save(self) -> None:
        """Save the document under the cursor to a 0600 file."""
        summary = self.table.current
        if summary is None:
            self.notify("No document is selected.")
            return
        said = await save_document(self, summary.id, summary.file_name)
        if said:
            self.notify(said, severity="information" if said.startswith("Saved") else "error")


class DocumentViewerScreen(MenuScreen):
    """One document: its text when it is text, otherwise what it is, with save."""

    MENU = "documents"
    GUIDE = "documents"
    CSS_PATH = stylesheet("documents")
    AUTO_FOCUS = "#document-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="document.back"),
        Binding("s", "save", "Save to file", id="document.save"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | document.back | Back. |
    | s | document.save | Save the document to a file only you can read. |
    """

    def __init__(self, document_id: int) -> None:
        super().__init__()
        self.document_id = document_id
        """The document shown."""
        self.document: Document | None = None
        """The document as loaded (its read is audited by the portal)."""

    def compose_content(self) -> ComposeResult:
        yield Static(f"Document {self.document_id}", classes="screen-title", id="document-title")
        yield LoadingIndicator(id="document-loading")
        yield Static("", id="document-facts", markup=False)
        with VerticalScroll(id="document-body", can_focus=True):
            yield Static("", id="document-text", markup=False)

    def on_mount(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="document")
    async def load(self) -> None:
        """Fetch the document and show it."""
        body = self.query_one("#document-text", Static)
        try:
            document = await self.client.get_document(self.document_id)
        except PortalError as error:
            body.update(printable(error.message))
            self.report(error)
            return
        finally:
            self.query_one("#document-loading").display = False
        self.document = document
        self.query_one("#document-title", Static).update(printable(document.file_name))
        text = await asyncio.to_thread(document_text, document)
        if text is None:
            self.query_one("#document-facts", Static).update(
                "This document is not text: save it (s) and open it with a program that reads "
                f"{printable(document.media_type)}."
            )
            body.update(describe(document))
        else:
            facts = f"{document.kind.replace('_', ' ')} · {document.size:,} bytes"
            if document.linked_id:
                facts += f" · {_linked(document)}"
            self.query_one("#document-facts", Static).update(printable(facts))
            body.update(text or "(This document is empty.)")

    @work(exclusive=True, group="document-save")
    async def action_save(self) -> None:
        """Save the document to a 0600 file."""
        name = self.document.file_name if self.document else f"document-{self.document_id}"
        said = await save_document(self, self.document_id, name)
        if said:
            self.notify(said, severity="information" if said.startswith("Saved") else "error")


MENU_SCREEN = DocumentsScreen
"""The screen the documents menu opens on."""
