"""`portal documents list` and `portal documents save ID [PATH]`: the documents the user may see,
and one saved to a file only they can read (signs in as PORTAL_USERNAME). A document's own name
becomes a file name only through `rules/file_names.py`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from portal_core.rules.inert_text import visible
from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import emit, format_option, say

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.documents import Document, DocumentSummary

DOCUMENT_COLUMNS = (
    "id", "created_at", "kind", "tin", "linked_kind", "linked_id", "file_name", "media_type",
    "size", "sha256",
)  # fmt: skip

KINDS = ("letter", "eop", "care_plan", "review_evidence", "upload")
"""The `--kind` choices."""

DAY = click.DateTime(formats=["%Y-%m-%d"])


def split_linked(linked: str | None) -> tuple[str | None, str | None]:
    """`preauth:PA-2026-000123` → (`preauth`, `PA-2026-000123`); a bare number has no kind."""
    if not linked or not linked.strip():
        return None, None
    kind, colon, number = linked.strip().partition(":")
    if colon and number.strip():
        return kind.strip().lower() or None, number.strip()
    return None, linked.strip()


@click.group("documents")
def documents_group() -> None:
    """Letters, EOPs, care plans, review evidence and uploads (signs in as PORTAL_USERNAME)."""


@documents_group.command("list")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--tin")
@click.option("--since", type=DAY, help="Filed on or after this day (YYYY-MM-DD).")
@click.option("--until", type=DAY, help="Filed on or before this day (YYYY-MM-DD).")
@click.option(
    "--linked",
    help="The linked record's number (C…, PA-…, ADM-…, MSG-…), or KIND:NUMBER.",
)
@click.option("--limit", default=100, show_default=True)
@format_option()
@click.pass_obj
def list_documents(
    context: CliContext,
    /,
    kind: str | None,
    tin: str | None,
    since: datetime | None,
    until: datetime | None,
    linked: str | None,
    limit: int,
    output_format: str,
) -> None:
    """Documents, newest first."""
    from portal_core.models.documents import DocumentQuery

    linked_kind, linked_id = split_linked(linked)
    query = DocumentQuery(
        kind=kind,
        tin=tin,
        since=since.date() if since else None,
        until=until.date() if until else None,
        linked_kind=linked_kind,
        linked_id=linked_id,
    )
    wanted = max(1, min(limit, 10_000))

    async def work(client: PortalClient) -> list[DocumentSummary]:
        found: list[DocumentSummary] = []
        after: str | None = None
        while len(found) < wanted:
            page = await client.search_documents(query, after=after, limit=min(500, wanted))
            found.extend(page.items)
            after = page.next_cursor
            if after is None:
                break
        return found[:wanted]

    rows = context.as_user(work)
    emit([d.model_dump() for d in rows], DOCUMENT_COLUMNS, output_format)


@documents_group.command("save")
@click.argument("document_id", type=int)
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@click.pass_obj
def save(context: CliContext, document_id: int, path: Path | None, force: bool) -> None:
    """Save a document to PATH, readable only by you (0600).

    When PATH is a folder (or left out: the current folder), the file is named after the
    document, made safe first: no folder part, control character or reserved name.
    """
    from portal_core.paths import write_private_file
    from portal_core.rules.file_names import safe_file_name

    if path is not None and not path.is_dir() and path.exists() and not force:
        raise click.ClickException(f"{path} exists; add --force to replace it.")

    async def work(client: PortalClient) -> Document:
        return await client.get_document(document_id)

    document = context.as_user(work)
    if path is None or path.is_dir():
        name = safe_file_name(document.file_name, fallback=f"document-{document_id}")
        path = (path or Path()) / name
        if path.exists() and not force:
            raise click.ClickException(f"{visible(str(path))} exists; add --force to replace it.")
    try:
        write_private_file(path, document.content)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) else "the name cannot be used"
        where = visible(str(path))
        raise click.ClickException(f"{where} could not be written: {reason}") from error
    say(f"Saved {document.file_name} ({document.size:,} bytes) to {path}.")


COMMANDS = [documents_group]
"""What this module adds to `portal`."""
