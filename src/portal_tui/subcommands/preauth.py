"""`portal preauth templates|submit|list|check` and, for payer administrators,
`portal preauth template show|save|activate|deactivate` (sign in as PORTAL_USERNAME)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import emit, emit_json, format_option

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.preauth import (
        PreauthCheckResult,
        PreauthDetail,
        PreauthSummary,
        PreauthTemplate,
        PreauthTemplateSummary,
    )

TEMPLATE_COLUMNS = ("id", "name", "category", "procedure_codes", "active")
REQUEST_COLUMNS = (
    "number", "status", "urgency", "member_id", "member_name", "template_name", "procedure_codes",
    "units", "start_date", "end_date", "tin", "requesting_npi", "submitted_at", "due_at",
    "time_left",
)  # fmt: skip
CHECK_COLUMNS = ("member_id", "procedure_code", "service_date", "required", "plan_name",
                 "template_ids", "why")  # fmt: skip
SUBMIT_COLUMNS = ("number", "status", "due_at", "time_left", "approved_units", "letters")
SAVED_TEMPLATE_COLUMNS = ("id", "name", "active")


@click.group("preauth")
def preauth_group() -> None:
    """Preauthorization templates, requests and the check (signs in as PORTAL_USERNAME)."""


def _codes(codes: list[str]) -> str:
    return " ".join(codes)


def template_row(template: PreauthTemplateSummary) -> dict[str, Any]:
    """A template as a flat row."""
    row = template.model_dump()
    row["procedure_codes"] = _codes(template.procedure_codes)
    return row


def request_row(request: PreauthSummary) -> dict[str, Any]:
    """A request as a flat row (`time_left` in words)."""
    row = request.model_dump()
    row["procedure_codes"] = _codes(request.procedure_codes)
    row["time_left"] = request.time_left_text
    return row


@preauth_group.command("templates")
@click.option("--search", default="", help="Words of the name, the category or a code.")
@format_option()
@click.pass_obj
def templates(context: CliContext, search: str, output_format: str) -> None:
    """The templates to request a preauthorization with, best match first."""

    async def work(client: PortalClient) -> list[PreauthTemplateSummary]:
        return await client.preauth_templates(search)

    found = context.as_user(work)
    emit([template_row(t) for t in found], TEMPLATE_COLUMNS, output_format)


@preauth_group.command("submit")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON file holding the request (a PreauthDraft).",
)
@format_option()
@click.pass_obj
def submit(context: CliContext, source: Path, output_format: str) -> None:
    """Save the request in FILE as a draft and submit it; prints its number, status and clock."""
    from pydantic import ValidationError

    from portal_core.errors import ValidationFailed
    from portal_core.models.preauth import PreauthDraft

    try:
        draft = PreauthDraft.model_validate_json(source.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as error:
        raise ValidationFailed(
            f"{source.name} is not a preauthorization request: {error}"
        ) from None

    async def work(client: PortalClient) -> PreauthDetail:
        saved = await client.save_preauth_draft(draft)
        return await client.submit_preauth(saved.number)

    done = context.as_user(work)
    row = done.model_dump()
    row["time_left"] = done.time_left_text
    row["letters"] = len(done.letters)
    emit([row], SUBMIT_COLUMNS, output_format)


@preauth_group.command("list")
@click.option("--status", "statuses", multiple=True, help="Only these statuses (repeatable).")
@click.option("--member-id")
@click.option("--tin")
@click.option("--npi", help="Requesting or servicing provider.")
@click.option("--pending", is_flag=True, help="Only requests waiting for a decision.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@format_option()
@click.pass_obj
def list_requests(
    context: CliContext,
    statuses: tuple[str, ...],
    member_id: str | None,
    tin: str | None,
    npi: str | None,
    pending: bool,
    limit: int,
    output_format: str,
) -> None:
    """Requests you can see, newest first."""
    from pydantic import ValidationError

    from portal_core.errors import ValidationFailed
    from portal_core.models.common import Page
    from portal_core.models.preauth import PreauthQuery, PreauthStatus

    try:
        query = PreauthQuery.model_validate(
            {
                "statuses": list(statuses),
                "member_id": member_id,
                "tin": tin,
                "npi": npi,
                "pending_only": pending,
            }
        )
    except ValidationError:
        known = ", ".join(s.value for s in PreauthStatus)
        raise ValidationFailed(f"A status is one of {known}.") from None

    async def work(client: PortalClient) -> list[PreauthSummary]:
        found: list[PreauthSummary] = []
        after: str | None = None
        while len(found) < limit:
            page: Page[PreauthSummary] = await client.list_preauths(
                query, after=after, limit=min(200, limit - len(found))
            )
            found.extend(page.items)
            after = page.next_cursor
            if after is None:
                break
        return found

    rows = context.as_user(work)
    emit([request_row(r) for r in rows], REQUEST_COLUMNS, output_format)


@preauth_group.command("check")
@click.option("--member", "member_id", required=True, help="The member ID.")
@click.option("--code", "procedure_code", required=True, help="The CPT or HCPCS code.")
@click.option("--date", "service_date", required=True, help="Date of service, like 2026-12-01.")
@format_option()
@click.pass_obj
def check(
    context: CliContext, member_id: str, procedure_code: str, service_date: str, output_format: str
) -> None:
    """Does this code need a preauthorization for the member's plan on that date?"""
    from pydantic import ValidationError

    from portal_core.errors import ValidationFailed
    from portal_core.models.preauth import PreauthCheckQuery

    try:
        query = PreauthCheckQuery.model_validate(
            {"member_id": member_id, "procedure_code": procedure_code, "service_date": service_date}
        )
    except ValidationError:
        raise ValidationFailed("Give the date of service as YYYY-MM-DD.") from None

    async def work(client: PortalClient) -> PreauthCheckResult:
        return await client.check_preauth(query)

    result = context.as_user(work)
    row = result.model_dump()
    row.update(query.model_dump())
    row["template_ids"] = " ".join(result.template_ids)
    emit([row], CHECK_COLUMNS, output_format)


# -- template management (payer administrators) ----------------------------------------------------
@preauth_group.group("template")
def template_group() -> None:
    """Payer administrators: read a template as JSON, save an edited one, (de)activate one."""


@template_group.command("show")
@click.argument("template_id")
@click.pass_obj
def template_show(context: CliContext, template_id: str) -> None:
    """The whole template TEMPLATE_ID as JSON, ready to edit and give to `template save`."""

    async def work(client: PortalClient) -> PreauthTemplate:
        return await client.get_preauth_template(template_id)

    template = context.as_user(work)
    emit_json(template.model_dump())


@template_group.command("save")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON file holding the whole template (as `template show` prints it).",
)
@format_option()
@click.pass_obj
def template_save(context: CliContext, source: Path, output_format: str) -> None:
    """Create the template in FILE, or replace the one with its id; prints id, name, active."""
    from pydantic import ValidationError

    from portal_core.errors import ValidationFailed
    from portal_core.models.preauth import PreauthTemplate

    try:
        template = PreauthTemplate.model_validate_json(source.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as error:
        raise ValidationFailed(
            f"{source.name} is not a preauthorization template: {error}"
        ) from None

    async def work(client: PortalClient) -> PreauthTemplate:
        return await client.save_preauth_template(template)

    saved = context.as_user(work)
    emit([saved.model_dump()], SAVED_TEMPLATE_COLUMNS, output_format)


def _set_active(context: CliContext, template_id: str, active: bool, output_format: str) -> None:
    async def work(client: PortalClient) -> PreauthTemplateSummary:
        return await client.set_preauth_template_active(template_id, active)

    done = context.as_user(work)
    emit([template_row(done)], TEMPLATE_COLUMNS, output_format)


@template_group.command("activate")
@click.argument("template_id")
@format_option()
@click.pass_obj
def template_activate(context: CliContext, template_id: str, output_format: str) -> None:
    """Offer TEMPLATE_ID for new requests (and count it in the check) again."""
    _set_active(context, template_id, True, output_format)


@template_group.command("deactivate")
@click.argument("template_id")
@format_option()
@click.pass_obj
def template_deactivate(context: CliContext, template_id: str, output_format: str) -> None:
    """Stop offering TEMPLATE_ID for new requests (requests made with it are kept)."""
    _set_active(context, template_id, False, output_format)


COMMANDS = [preauth_group]
"""What this module adds to `portal`."""
