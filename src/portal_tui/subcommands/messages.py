"""`portal messages search`, `portal messages show REF` and `portal messages send --from FILE.json`
(signs in as PORTAL_USERNAME).

Message text comes from other people: `show` prints it through `output`, which shows control
characters visibly, so nothing in a post can drive the terminal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from portal_core.rules.local_time import payer_time
from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import echo, emit, emit_json, format_option, say

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.messages import ThreadDetail, ThreadSummary

THREAD_COLUMNS = (
    "reference", "status", "unread", "last_post_at", "tin", "organization", "author_name",
    "topic", "category", "linked_kind", "linked_id", "subject",
)  # fmt: skip
POST_COLUMNS = ("created_at", "author_name", "payer_side", "body", "attachments")
MAX_ROWS = 10_000
"""Most threads `messages search` prints."""


@click.group("messages")
def messages_group() -> None:
    """Message Center: search, read and send threads (signs in as PORTAL_USERNAME)."""


@messages_group.command("search")
@click.option("--text", help='Words (all must match), "quoted phrases", prefix*.')
@click.option("--reference", help="A reference number, MSG-YYYY-NNNNNN.")
@click.option("--status", help="open, awaiting_payer, awaiting_provider or closed.")
@click.option("--topic", help="general or transaction.")
@click.option("--category", help="A general thread's category (claims, eligibility, …).")
@click.option("--from", "start", help="Last activity on or after this date.")
@click.option("--to", "end", help="Last activity on or before this date.")
@click.option("--tin")
@click.option("--unread", "unread_only", is_flag=True, help="Only threads with unread posts.")
@click.option("--queue", is_flag=True, help="The CSR work queue, oldest waiting first.")
@click.option("--limit", default=100, show_default=True, help="Most threads to print.")
@format_option()
@click.pass_obj
def search(
    context: CliContext,
    /,
    queue: bool,
    unread_only: bool,
    limit: int,
    output_format: str,
    **fields: str | None,
) -> None:
    """Threads newest activity first, filtered and searched; or the CSR's queue."""
    from portal_core.models.messages import ThreadFilter

    query = ThreadFilter(unread_only=unread_only, **fields)
    wanted = max(1, min(limit, MAX_ROWS))

    async def work(client: PortalClient) -> list[ThreadSummary]:
        found: list[ThreadSummary] = []
        after: str | None = None
        while len(found) < wanted:
            size = min(200, wanted)
            if queue:
                page = await client.message_queue(after=after, limit=size)
            else:
                page = await client.list_threads(query, after=after, limit=size)
            found.extend(page.items)
            after = page.next_cursor
            if after is None:
                break
        return found[:wanted]

    rows = context.as_user(work)
    emit([t.model_dump() for t in rows], THREAD_COLUMNS, output_format)


@messages_group.command("show")
@click.argument("reference")
@click.option("--lookup", is_flag=True, help="CSR: look the reference up across organizations.")
@format_option()
@click.pass_obj
def show(context: CliContext, reference: str, lookup: bool, output_format: str) -> None:
    """One thread with its posts (marks it read)."""

    async def work(client: PortalClient) -> tuple[ThreadDetail, dict[str, Any]]:
        if lookup:
            found = await client.lookup_thread(reference)
            caller = {
                "organization_kind": found.organization_kind,
                "organization_tins": found.organization_tins,
                "author_role": found.author_role,
            }
            return found.thread, caller
        return await client.get_thread(reference), {}

    thread, caller = context.as_user(work)
    if output_format == "json":
        emit_json({**thread.model_dump(), **caller})
        return
    emit([thread.model_dump()], THREAD_COLUMNS, output_format)
    if output_format == "table" and caller:
        tins = ", ".join(caller["organization_tins"])
        role = caller["author_role"] or "no role"
        say(
            f"Caller: {thread.author_name} ({role}) for "
            f"{thread.organization}, a {caller['organization_kind']} ({tins})"
        )
    if output_format == "table":
        echo()
        for post in thread.posts:
            side = "payer" if post.payer_side else "provider"
            when = payer_time(post.created_at)
            echo(f"--- {when} {post.author_name} ({side})")
            echo(post.body)
            for a in post.attachments:
                echo(f"  [attachment {a.document_id}] {a.file_name} ({a.size} B)")
        return
    rows = []
    for post in thread.posts:
        row = post.model_dump()
        row["attachments"] = "; ".join(a.file_name for a in post.attachments)
        rows.append(row)
    emit(rows, POST_COLUMNS, output_format)


@messages_group.command("send")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON file: a new thread, or a reply when it names a `reference`.",
)
@click.pass_obj
def send(context: CliContext, source: Path) -> None:
    """Open a thread or reply from a JSON file; prints the thread's reference number.

    New thread: {"tin", "topic": "general"|"transaction", "category" | "linked_kind" +
    "linked_id", "subject", "body", "attachments": [paths]}. Reply: {"reference", "body",
    "attachments"}. Attachment paths are relative to the JSON file.
    """
    from portal_core.errors import ValidationFailed
    from portal_core.models.claims import UploadFile
    from portal_core.models.messages import NewPost, NewThread

    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationFailed("That file is not readable JSON.", field="from") from error
    if not isinstance(data, dict):
        raise ValidationFailed("The file must hold one JSON object.", field="from")
    files = []
    for name in data.pop("attachments", None) or []:
        path = source.parent / str(name)
        try:
            files.append(UploadFile(file_name=path.name, content=path.read_bytes()))
        except OSError as error:
            raise ValidationFailed(f"Cannot read the attachment {name}.", field="files") from error
    reference = data.pop("reference", None)
    try:
        message: NewThread | NewPost = (
            NewPost(body=data.get("body", ""), attachments=files)
            if reference
            else NewThread(**data, attachments=files)
        )
    except (TypeError, ValueError) as error:
        raise ValidationFailed(
            "The file needs tin, subject and body (see `portal messages send --help`).",
            field="from",
        ) from error

    async def work(client: PortalClient) -> ThreadDetail:
        if isinstance(message, NewPost):
            return await client.reply_to_thread(str(reference), message)
        return await client.send_message(message)

    thread = context.as_user(work)
    echo(thread.reference)
    say(f"Thread {thread.reference} is {thread.status.replace('_', ' ')}.")


COMMANDS = [messages_group]
"""What this module adds to `portal`."""
