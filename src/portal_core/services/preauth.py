"""Preauthorization: templates, drafts, submission with the automatic decision, changes, the review
queue, decisions and their letters, and the "does this need a preauth?" check.

Templates live in the database (`preauth_templates`) so payer administrators can edit them; the
first time any template is needed and the table is empty, the shipped set
(`rules/preauth_templates.py`) is copied in. Drafts are kept 96 hours after they were last saved
(`rules/deadlines.py`): expired drafts are neither listed nor usable, and the next draft saved
anywhere deletes them. Every read of a request is audited as a read of the member's data; every
change and every refusal is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from portal_core.clock import Clock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.claims import UploadFile
from portal_core.models.common import Page
from portal_core.models.documents import DocumentSummary
from portal_core.models.identity import Principal
from portal_core.models.preauth import (
    DENIAL_REASONS,
    DecisionOutcome,
    PreauthChange,
    PreauthCheckQuery,
    PreauthCheckResult,
    PreauthDecision,
    PreauthDetail,
    PreauthDraft,
    PreauthHistoryEntry,
    PreauthQuery,
    PreauthStatus,
    PreauthSummary,
    PreauthTemplate,
    PreauthTemplateSummary,
)
from portal_core.rules import deadlines
from portal_core.rules.identifiers import (
    parse_member_id,
    parse_npi,
    parse_procedure_code,
    parse_tin,
)
from portal_core.rules.permissions import (
    Action,
    allowed,
    provider_in_scope,
)
from portal_core.rules.preauth_criteria import evaluate, request_problems, template_problems
from portal_core.rules.preauth_letters import DECISION_WORDS, determination_letter
from portal_core.rules.preauth_templates import shipped_templates
from portal_core.rules.template_search import TemplateSearch
from portal_core.rules.uploads import check_submission, safe_file_name
from portal_core.services import audit, keyset
from portal_core.services.documents import file_document
from portal_core.services.record_scope import preauth_condition
from portal_core.store.accounts import notify
from portal_core.store.engine import Database
from portal_core.store.schema import (
    coverage_spans,
    documents,
    members,
    plans,
    preauth_events,
    preauth_requests,
    preauth_templates,
    provider_tins,
    providers,
    users,
)

_NUMBER = re.compile(r"PA-(\d{4})-(\d{6})")

LETTER_RETAIN_YEARS = 10
"""Determination letters are kept ten years."""

MAX_LIMIT = 200
"""The largest page a list returns."""

_OUTCOME_STATUS = {
    DecisionOutcome.APPROVE: PreauthStatus.APPROVED,
    DecisionOutcome.PARTIALLY_APPROVE: PreauthStatus.PARTIALLY_APPROVED,
    DecisionOutcome.DENY: PreauthStatus.DENIED,
    DecisionOutcome.REQUEST_INFORMATION: PreauthStatus.PENDED,
}


def parse_preauth_number(value: str) -> str:
    """A request number, `PA-YYYY-NNNNNN`, upper-cased; or `ValidationFailed`."""
    cleaned = value.strip().upper()
    if not _NUMBER.fullmatch(cleaned):
        raise ValidationFailed("A preauth number looks like PA-2026-000123.", field="number")
    return cleaned


@dataclass(frozen=True)
class _Actor:
    """Who changes a request: a user, or the portal itself (automatic decisions)."""

    user_id: int | None
    username: str


_SYSTEM = _Actor(None, "system")


class PreauthService:
    """Preauthorization use cases."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""
        self._templates_ready = False
        self._template_cache: tuple[tuple[int, int], list[PreauthTemplate]] | None = None
        """The parsed templates, keyed by the table's row count and sum of revisions."""

    # -- shared ------------------------------------------------------------------------------------
    def _refuse(
        self,
        principal: Principal,
        action: str,
        *,
        tin: str | None = None,
        record_id: str | None = None,
    ) -> PermissionDenied:
        audit.record_refusal(
            self.db,
            self.clock.now(),
            principal,
            action,
            tin=tin,
            record_kind="preauth" if record_id else None,
            record_id=record_id,
        )
        return PermissionDenied("Your role does not allow this.")

    def _require(self, principal: Principal, action: Action, audit_action: str) -> datetime:
        """The time now when some role of the principal may do `action`; else audited refusal."""
        now = self.clock.now()
        if not allowed(principal, action, None, now):
            raise self._refuse(principal, audit_action)
        return now

    def _visible(self, principal: Principal, now: datetime) -> ColumnElement[bool]:
        """Requests the principal may read (`record_scope.preauth_condition`)."""
        return preauth_condition(principal, Action.READ_PREAUTH, now)

    @staticmethod
    def _live(now: datetime) -> ColumnElement[bool]:
        """Not an expired draft."""
        return or_(
            preauth_requests.c.status != PreauthStatus.DRAFT.value,
            preauth_requests.c.draft_expires_at > now,
        )

    def _find(
        self, conn: Connection, principal: Principal, number: str, now: datetime
    ) -> RowMapping | None:
        """The request, when the principal may read it."""
        return (
            conn.execute(
                select(preauth_requests).where(
                    preauth_requests.c.number == number,
                    self._visible(principal, now),
                    self._live(now),
                )
            )
            .mappings()
            .first()
        )

    def _not_found(
        self, principal: Principal, number: str, now: datetime, audit_action: str
    ) -> NotFound:
        """Audit the attempt on a request out of reach (outside any transaction) and say so."""
        audit.record_refusal(
            self.db, now, principal, audit_action, record_kind="preauth", record_id=number
        )
        return NotFound("No preauthorization with that number is open to you.")

    def _row(
        self, principal: Principal, number: str, now: datetime, audit_action: str
    ) -> RowMapping:
        """The request, when the principal may read it; else an audited NotFound."""
        with self.db.read() as conn:
            row = self._find(conn, principal, number, now)
        if row is None:
            raise self._not_found(principal, number, now, audit_action)
        return row

    def _writable_row(
        self, principal: Principal, number: str, audit_action: str
    ) -> tuple[RowMapping, datetime]:
        """The request and the time, when the principal may change it (requesters only)."""
        now = self._require(principal, Action.REQUEST_PREAUTH, audit_action)
        number = parse_preauth_number(number)
        row = self._row(principal, number, now, audit_action)
        tin = row["tin"]
        if not allowed(principal, Action.REQUEST_PREAUTH, tin, now) or not (
            provider_in_scope(principal, tin, row["requesting_npi"])
            or provider_in_scope(principal, tin, row["servicing_npi"])
        ):
            raise self._refuse(principal, audit_action, tin=tin, record_id=number)
        return row, now

    def _next_number(self, conn: Connection, now: datetime) -> str:
        prefix = f"PA-{now.year:04d}-"
        last = conn.execute(
            select(func.max(preauth_requests.c.number)).where(
                preauth_requests.c.number.like(prefix + "%")
            )
        ).scalar()
        following = int(last[-6:]) + 1 if last else 1
        if following > 999_999:
            raise Conflict("No preauthorization numbers are left this year.")
        return f"{prefix}{following:06d}"

    def _event(
        self,
        conn: Connection,
        request_id: int,
        at: datetime,
        status: PreauthStatus,
        actor: _Actor,
        note: str = "",
    ) -> None:
        conn.execute(
            insert(preauth_events).values(
                request_id=request_id,
                at=at,
                status=status.value,
                actor_id=actor.user_id,
                note=note,
            )
        )

    @staticmethod
    def _actor(principal: Principal) -> _Actor:
        return _Actor(principal.user_id, principal.username)

    # -- templates ---------------------------------------------------------------------------------
    def ensure_templates(self) -> None:
        """Copy the shipped templates into an empty table (once per database)."""
        if self._templates_ready:
            return
        with self.db.read() as conn:
            count = conn.execute(select(func.count()).select_from(preauth_templates)).scalar_one()
        if not count:
            with self.db.write() as conn:
                load_shipped_templates(conn, self.clock.now())
        self._templates_ready = True

    def _templates(self, conn: Connection) -> list[PreauthTemplate]:
        """Every template (active or not), parsed once per change of the table."""
        version = conn.execute(
            select(func.count(), func.coalesce(func.sum(preauth_templates.c.revision), 0))
        ).one()
        key = (int(version[0]), int(version[1]))
        if self._template_cache is not None and self._template_cache[0] == key:
            return self._template_cache[1]
        rows = conn.execute(
            select(preauth_templates.c.definition, preauth_templates.c.active).order_by(
                preauth_templates.c.name
            )
        )
        parsed = [
            PreauthTemplate.model_validate({**row.definition, "active": row.active}) for row in rows
        ]
        self._template_cache = (key, parsed)
        return parsed

    def _template(self, conn: Connection, template_id: str) -> PreauthTemplate:
        row = conn.execute(
            select(preauth_templates.c.definition, preauth_templates.c.active).where(
                preauth_templates.c.id == template_id.strip()
            )
        ).first()
        if row is None:
            raise NotFound("No preauthorization template with that id.")
        return PreauthTemplate.model_validate({**row.definition, "active": row.active})

    def preauth_templates(
        self, principal: Principal, search: str = ""
    ) -> list[PreauthTemplateSummary]:
        """Templates by name (best match first when `search` is given). Only active ones, except
        for payer administrators, who manage them all."""
        now = self._require(principal, Action.READ_PREAUTH_TEMPLATES, "preauth.templates")
        self.ensure_templates()
        with self.db.read() as conn:
            templates = self._templates(conn)
        if not allowed(principal, Action.MANAGE_PREAUTH_TEMPLATES, None, now):
            templates = [t for t in templates if t.active]
        summaries = [
            PreauthTemplateSummary.model_validate(t.model_dump(include=_SUMMARY_FIELDS))
            for t in templates
        ]
        if search.strip():
            return TemplateSearch(summaries).rank(search)
        return summaries

    def get_preauth_template(self, principal: Principal, template_id: str) -> PreauthTemplate:
        """One template with its questions, attachments and criteria."""
        self._require(principal, Action.READ_PREAUTH_TEMPLATES, "preauth.template_read")
        self.ensure_templates()
        with self.db.read() as conn:
            return self._template(conn, template_id)

    def save_preauth_template(
        self, principal: Principal, template: PreauthTemplate
    ) -> PreauthTemplate:
        """Create or replace a template (payer administrators)."""
        now = audit.require_or_refuse(
            self.db, self.clock, principal, Action.MANAGE_PREAUTH_TEMPLATES, "preauth.template_save"
        )
        self.ensure_templates()
        template = template.model_copy(
            update={
                "id": template.id.strip(),
                "name": template.name.strip(),
                "procedure_codes": [c.strip().upper() for c in template.procedure_codes],
            }
        )
        problems = template_problems(template)
        if problems:
            raise ValidationFailed(" ".join(problems), field="template")
        values = {
            "name": template.name,
            "category": template.category,
            "active": template.active,
            "definition": template.model_dump(mode="json"),
            "updated_at": now,
            "updated_by": principal.user_id,
        }
        with self.db.write() as conn:
            exists = conn.execute(
                select(preauth_templates.c.id).where(preauth_templates.c.id == template.id)
            ).first()
            if exists:
                conn.execute(
                    update(preauth_templates)
                    .where(preauth_templates.c.id == template.id)
                    .values(revision=preauth_templates.c.revision + 1, **values)
                )
            else:
                conn.execute(insert(preauth_templates).values(id=template.id, revision=1, **values))
            audit.record(
                conn,
                at=now,
                action="preauth.template_save",
                principal=principal,
                record_kind="preauth_template",
                record_id=template.id,
                detail={"created": not exists},
            )
        return template

    def set_preauth_template_active(
        self, principal: Principal, template_id: str, active: bool
    ) -> PreauthTemplateSummary:
        """Offer a template for new requests, or stop offering it."""
        now = audit.require_or_refuse(
            self.db,
            self.clock,
            principal,
            Action.MANAGE_PREAUTH_TEMPLATES,
            "preauth.template_active",
        )
        self.ensure_templates()
        with self.db.write() as conn:
            template = self._template(conn, template_id)
            template = template.model_copy(update={"active": active})
            conn.execute(
                update(preauth_templates)
                .where(preauth_templates.c.id == template.id)
                .values(
                    revision=preauth_templates.c.revision + 1,
                    active=active,
                    definition=template.model_dump(mode="json"),
                    updated_at=now,
                    updated_by=principal.user_id,
                )
            )
            audit.record(
                conn,
                at=now,
                action="preauth.template_active",
                principal=principal,
                record_kind="preauth_template",
                record_id=template.id,
                detail={"active": active},
            )
        return PreauthTemplateSummary.model_validate(template.model_dump(include=_SUMMARY_FIELDS))

    # -- the check ---------------------------------------------------------------------------------
    def check_preauth(self, principal: Principal, query: PreauthCheckQuery) -> PreauthCheckResult:
        """Does the code need a preauthorization for the member's plan on the date? It does when
        an active template lists it, unless that template exempts the plan's product line."""
        now = self._require(principal, Action.CHECK_ELIGIBILITY, "preauth.check")
        member_id = parse_member_id(query.member_id)
        code = parse_procedure_code(query.procedure_code)
        self.ensure_templates()
        with self.db.write() as conn:
            if (
                conn.execute(
                    select(members.c.member_id).where(members.c.member_id == member_id)
                ).first()
                is None
            ):
                raise NotFound("No member with that ID.")
            plan = _plan_on(conn, member_id, query.service_date)
            audit.record(
                conn,
                at=now,
                action="preauth.check",
                principal=principal,
                record_kind="member",
                record_id=member_id,
                detail={"procedure_code": code},
            )
            templates = [t for t in self._templates(conn) if t.active and code in t.procedure_codes]
        if plan is None:
            return PreauthCheckResult(
                required=False,
                why="The member has no coverage on that date, so there is nothing to preauthorize.",
            )
        plan_name, product_line = plan
        if not templates:
            return PreauthCheckResult(
                required=False,
                why=f"{code} needs no preauthorization under {plan_name}.",
                plan_name=plan_name,
                product_line=product_line,
            )
        needing = [t for t in templates if product_line not in t.exempt_product_lines]
        if not needing:
            return PreauthCheckResult(
                required=False,
                why=f"{code} needs no preauthorization for {product_line} plans like {plan_name}.",
                plan_name=plan_name,
                product_line=product_line,
            )
        names = [t.name for t in needing]
        return PreauthCheckResult(
            required=True,
            why=f"{code} needs a preauthorization under {plan_name}: request it with "
            + " or ".join(names)
            + ".",
            template_ids=[t.id for t in needing],
            template_names=names,
            plan_name=plan_name,
            product_line=product_line,
        )

    # -- drafts ------------------------------------------------------------------------------------
    def _checked_draft(
        self, principal: Principal, draft: PreauthDraft, now: datetime, audit_action: str
    ) -> tuple[PreauthDraft, PreauthTemplate]:
        """The draft cleaned up and checked for saving (scope, member, coverage, codes, dates)."""
        tin = parse_tin(draft.tin)
        if not allowed(principal, Action.REQUEST_PREAUTH, tin, now):
            raise self._refuse(principal, audit_action, tin=tin)
        requesting = parse_npi(draft.requesting_npi)
        servicing = parse_npi(draft.servicing_npi)
        if not provider_in_scope(principal, tin, requesting):
            raise self._refuse(principal, audit_action, tin=tin)
        with self.db.read() as conn:
            return self._checked_draft_data(conn, draft, tin, requesting, servicing, now)

    def _checked_draft_data(
        self,
        conn: Connection,
        draft: PreauthDraft,
        tin: str,
        requesting: str,
        servicing: str,
        now: datetime,
    ) -> tuple[PreauthDraft, PreauthTemplate]:
        at_tin = conn.execute(
            select(provider_tins.c.npi).where(
                provider_tins.c.npi == requesting,
                provider_tins.c.tin == tin,
                or_(provider_tins.c.end_date.is_(None), provider_tins.c.end_date >= now.date()),
            )
        ).first()
        if at_tin is None:
            raise ValidationFailed(
                "The requesting provider does not practice under that TIN.", field="requesting_npi"
            )
        if (
            conn.execute(select(providers.c.npi).where(providers.c.npi == servicing)).first()
            is None
        ):
            raise ValidationFailed("No provider or facility has that NPI.", field="servicing_npi")
        member_id = parse_member_id(draft.member_id)
        if (
            conn.execute(
                select(members.c.member_id).where(members.c.member_id == member_id)
            ).first()
            is None
        ):
            raise ValidationFailed("No member with that ID.", field="member_id")
        template = self._template(conn, draft.template_id)
        if not template.active:
            raise ValidationFailed(
                "That template is no longer offered; choose another.", field="template_id"
            )
        cleaned = draft.model_copy(
            update={
                "tin": tin,
                "member_id": member_id,
                "requesting_npi": requesting,
                "servicing_npi": servicing,
                "procedure_codes": [c.strip().upper() for c in draft.procedure_codes if c.strip()],
                "diagnosis_codes": [c.strip().upper() for c in draft.diagnosis_codes if c.strip()],
                "answers": {k: v.strip() for k, v in draft.answers.items() if v.strip()},
            }
        )
        problems = request_problems(template, cleaned, submitting=False)
        if problems:
            raise ValidationFailed(" ".join(problems))
        if _plan_on(conn, member_id, cleaned.start_date) is None:
            raise ValidationFailed(
                "The member has no coverage on the start date.", field="start_date"
            )
        return cleaned, template

    def save_preauth_draft(self, principal: Principal, draft: PreauthDraft) -> PreauthDetail:
        """Save a new draft or over an existing one; kept 96 hours after this save."""
        now = self._require(principal, Action.REQUEST_PREAUTH, "preauth.draft")
        self.ensure_templates()
        existing: RowMapping | None = None
        if draft.number:
            existing, now = self._writable_row(principal, draft.number, "preauth.draft")
            if existing["status"] != PreauthStatus.DRAFT.value:
                raise Conflict("This request was submitted; change it with a modification.")
        cleaned, _template = self._checked_draft(principal, draft, now, "preauth.draft")
        values: dict[str, Any] = {
            "urgency": cleaned.urgency.value,
            "member_id": cleaned.member_id,
            "tin": cleaned.tin,
            "requesting_npi": cleaned.requesting_npi,
            "servicing_npi": cleaned.servicing_npi,
            "template_id": cleaned.template_id.strip(),
            "procedure_codes": cleaned.procedure_codes,
            "diagnosis_codes": cleaned.diagnosis_codes,
            "units": cleaned.units,
            "start_date": cleaned.start_date,
            "end_date": cleaned.end_date,
            "answers": cleaned.answers,
            "updated_at": now,
            "draft_expires_at": deadlines.draft_expires_at(now),
        }
        with self.db.write() as conn:
            # Numbered before the purge, so an expired draft's number is never given again.
            fresh = self._next_number(conn, now) if existing is None else None
            _purge_expired_drafts(conn, now)
            if existing is None:
                number = str(fresh)
                request_id = conn.execute(
                    insert(preauth_requests)
                    .values(
                        number=number,
                        status=PreauthStatus.DRAFT.value,
                        created_by=principal.user_id,
                        created_at=now,
                        **values,
                    )
                    .returning(preauth_requests.c.id)
                ).scalar_one()
                self._event(conn, request_id, now, PreauthStatus.DRAFT, self._actor(principal))
            else:
                number = existing["number"]
                request_id = existing["id"]
                conn.execute(
                    update(preauth_requests)
                    .where(preauth_requests.c.id == request_id)
                    .values(**values)
                )
            audit.record(
                conn,
                at=now,
                action="preauth.draft",
                principal=principal,
                tin=cleaned.tin,
                record_kind="preauth",
                record_id=number,
                detail={"created": existing is None},
            )
            return self._detail(conn, principal, _request(conn, request_id), now)

    # -- submission --------------------------------------------------------------------------------
    def submit_preauth(self, principal: Principal, number: str) -> PreauthDetail:
        """Submit a draft: approved at once when the template's criteria are met (with a letter),
        else pended for review with the decision due by `rules/deadlines.py`."""
        row, now = self._writable_row(principal, number, "preauth.submit")
        if row["status"] != PreauthStatus.DRAFT.value:
            raise Conflict(f"Only a draft can be submitted; this request is {row['status']}.")
        self.ensure_templates()
        request = _as_draft(row)
        request, template = self._checked_draft(principal, request, now, "preauth.submit")
        problems = request_problems(template, request, submitting=True)
        if problems:
            raise ValidationFailed(" ".join(problems))
        verdict = evaluate(template, request)
        due = deadlines.preauth_decision_due(now, request.urgency.value)
        actor = self._actor(principal)
        with self.db.write() as conn:
            values: dict[str, Any] = {
                "submitted_at": now,
                "due_at": due,
                "updated_at": now,
                "draft_expires_at": None,
            }
            self._event(conn, row["id"], now, PreauthStatus.SUBMITTED, actor)
            if verdict.auto_approve:
                values.update(
                    status=PreauthStatus.APPROVED.value,
                    approved_units=request.units,
                    decided_at=now,
                    decision_note="The template's criteria are met: approved at once.",
                )
                conn.execute(
                    update(preauth_requests)
                    .where(preauth_requests.c.id == row["id"])
                    .values(**values)
                )
                self._event(
                    conn, row["id"], now, PreauthStatus.APPROVED, _SYSTEM, values["decision_note"]
                )
                self._file_letter(conn, _request(conn, row["id"]), template, now)
            else:
                values["status"] = PreauthStatus.PENDED.value
                conn.execute(
                    update(preauth_requests)
                    .where(preauth_requests.c.id == row["id"])
                    .values(**values)
                )
                self._event(
                    conn,
                    row["id"],
                    now,
                    PreauthStatus.PENDED,
                    _SYSTEM,
                    "Sent to clinical review. Not met at once: " + "; ".join(verdict.unmet) + ".",
                )
            audit.record(
                conn,
                at=now,
                action="preauth.submit",
                principal=principal,
                tin=row["tin"],
                record_kind="preauth",
                record_id=row["number"],
                detail={"outcome": values["status"]},
            )
            return self._detail(conn, principal, _request(conn, row["id"]), now)

    def modify_preauth(
        self, principal: Principal, number: str, change: PreauthChange
    ) -> PreauthDetail:
        """New units or dates (and/or a note) for a request waiting for a decision; a request
        waiting on the provider's information goes back to the review queue."""
        row, now = self._writable_row(principal, number, "preauth.modify")
        if row["status"] not in (PreauthStatus.SUBMITTED.value, PreauthStatus.PENDED.value):
            raise Conflict(
                "Only a request waiting for a decision can be changed"
                + (" (save the draft instead)." if row["status"] == "draft" else ".")
            )
        note = change.note.strip()
        if len(note) > 4000:
            raise ValidationFailed("Keep the note under 4,000 characters.", field="note")
        if (
            change.units is None
            and change.start_date is None
            and change.end_date is None
            and (not note)
        ):
            raise ValidationFailed("Give new units, new dates or a note.")
        units = change.units if change.units is not None else row["units"]
        start = change.start_date or row["start_date"]
        end = change.end_date or row["end_date"]
        if end < start:
            raise ValidationFailed("The end date is before the start date.", field="end_date")
        parts: list[str] = []
        if units != row["units"]:
            parts.append(f"units {row['units']} → {units}")
        if start != row["start_date"] or end != row["end_date"]:
            parts.append(f"dates {start.isoformat()} to {end.isoformat()}")
        with self.db.write() as conn:
            if start != row["start_date"] and _plan_on(conn, row["member_id"], start) is None:
                raise ValidationFailed(
                    "The member has no coverage on the start date.", field="start_date"
                )
            conn.execute(
                update(preauth_requests)
                .where(preauth_requests.c.id == row["id"])
                .values(
                    units=units,
                    start_date=start,
                    end_date=end,
                    updated_at=now,
                    information_requested=None,
                    status=PreauthStatus.PENDED.value,
                )
            )
            text = ("Changed: " + "; ".join(parts) + ". " if parts else "") + note
            self._event(
                conn, row["id"], now, PreauthStatus.PENDED, self._actor(principal), text.strip()
            )
            audit.record(
                conn,
                at=now,
                action="preauth.modify",
                principal=principal,
                tin=row["tin"],
                record_kind="preauth",
                record_id=row["number"],
                detail={
                    "units": change.units is not None,
                    "dates": bool(parts)
                    and (change.start_date is not None or change.end_date is not None),
                },
            )
            return self._detail(conn, principal, _request(conn, row["id"]), now)

    def _close(
        self,
        principal: Principal,
        number: str,
        reason: str,
        *,
        allowed_from: tuple[PreauthStatus, ...],
        to: PreauthStatus,
        audit_action: str,
    ) -> PreauthDetail:
        row, now = self._writable_row(principal, number, audit_action)
        if row["status"] not in {s.value for s in allowed_from}:
            words = " or ".join(s.value for s in allowed_from)
            raise Conflict(f"Only a request that is {words} can be {to.value}.")
        reason = reason.strip()
        if not reason:
            raise ValidationFailed("Say why.", field="reason")
        if len(reason) > 500:
            raise ValidationFailed("Keep the reason under 500 characters.", field="reason")
        with self.db.write() as conn:
            conn.execute(
                update(preauth_requests)
                .where(preauth_requests.c.id == row["id"])
                .values(status=to.value, updated_at=now, draft_expires_at=None)
            )
            self._event(conn, row["id"], now, to, self._actor(principal), reason)
            audit.record(
                conn,
                at=now,
                action=audit_action,
                principal=principal,
                tin=row["tin"],
                record_kind="preauth",
                record_id=row["number"],
            )
            return self._detail(conn, principal, _request(conn, row["id"]), now)

    def cancel_preauth(self, principal: Principal, number: str, reason: str) -> PreauthDetail:
        """Cancel a draft or a submitted request."""
        return self._close(
            principal,
            number,
            reason,
            allowed_from=(PreauthStatus.DRAFT, PreauthStatus.SUBMITTED),
            to=PreauthStatus.CANCELLED,
            audit_action="preauth.cancel",
        )

    def withdraw_preauth(self, principal: Principal, number: str, reason: str) -> PreauthDetail:
        """Withdraw a submitted or pended request."""
        return self._close(
            principal,
            number,
            reason,
            allowed_from=(PreauthStatus.SUBMITTED, PreauthStatus.PENDED),
            to=PreauthStatus.WITHDRAWN,
            audit_action="preauth.withdraw",
        )

    def attach_preauth_files(
        self, principal: Principal, number: str, files: list[UploadFile]
    ) -> PreauthDetail:
        """Attach files to a draft or a request waiting for a decision."""
        row, now = self._writable_row(principal, number, "preauth.attach")
        open_statuses = (PreauthStatus.DRAFT, PreauthStatus.SUBMITTED, PreauthStatus.PENDED)
        if row["status"] not in {s.value for s in open_statuses}:
            raise Conflict(f"Files cannot be added to a request that is {row['status']}.")
        media_types = check_submission([(f.file_name, f.content) for f in files])
        with self.db.write() as conn:
            for upload, media_type in zip(files, media_types, strict=True):
                file_document(
                    conn,
                    kind="upload",
                    tin=row["tin"],
                    file_name=safe_file_name(upload.file_name),
                    media_type=media_type,
                    content=upload.content,
                    at=now,
                    created_by=principal.user_id,
                    linked_kind="preauth",
                    linked_id=row["number"],
                )
            if row["status"] != PreauthStatus.DRAFT.value:
                conn.execute(
                    update(preauth_requests)
                    .where(preauth_requests.c.id == row["id"])
                    .values(information_requested=None, updated_at=now)
                )
                self._event(
                    conn,
                    row["id"],
                    now,
                    PreauthStatus(row["status"]),
                    self._actor(principal),
                    f"{len(files)} file(s) attached.",
                )
            audit.record(
                conn,
                at=now,
                action="preauth.attach",
                principal=principal,
                tin=row["tin"],
                record_kind="preauth",
                record_id=row["number"],
                detail={"files": len(files)},
            )
            return self._detail(conn, principal, _request(conn, row["id"]), now)

    # -- reading -----------------------------------------------------------------------------------
    def get_preauth(self, principal: Principal, number: str) -> PreauthDetail:
        """A request with its history and letters (answers and files for clinical roles)."""
        now = self._require(principal, Action.READ_PREAUTH, "preauth.read")
        number = parse_preauth_number(number)
        detail: PreauthDetail | None = None
        with self.db.write() as conn:
            row = self._find(conn, principal, number, now)
            if row is not None:
                detail = self._detail(conn, principal, row, now)
                audit.record(
                    conn,
                    at=now,
                    action="preauth.read",
                    principal=principal,
                    tin=row["tin"],
                    record_kind="member",
                    record_id=row["member_id"],
                    detail={"preauth": number},
                )
        if detail is None:
            raise self._not_found(principal, number, now, "preauth.read")
        return detail

    def _query_conditions(
        self, principal: Principal, query: PreauthQuery, now: datetime
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [self._visible(principal, now), self._live(now)]
        statuses = {s.value for s in query.statuses}
        if query.pending_only:
            pending = {PreauthStatus.SUBMITTED.value, PreauthStatus.PENDED.value}
            statuses = statuses & pending if statuses else pending
            if not statuses:
                where.append(false())
        if statuses:
            where.append(preauth_requests.c.status.in_(sorted(statuses)))
        if query.number and query.number.strip():
            where.append(preauth_requests.c.number == parse_preauth_number(query.number))
        if query.member_id and query.member_id.strip():
            where.append(preauth_requests.c.member_id == parse_member_id(query.member_id))
        if query.tin and query.tin.strip():
            where.append(preauth_requests.c.tin == parse_tin(query.tin))
        if query.npi and query.npi.strip():
            npi = parse_npi(query.npi)
            where.append(
                or_(
                    preauth_requests.c.requesting_npi == npi,
                    preauth_requests.c.servicing_npi == npi,
                )
            )
        if query.created_from and query.created_to and query.created_to < query.created_from:
            raise ValidationFailed("The end of the date range is before its start.")
        if query.created_from:
            where.append(preauth_requests.c.created_at >= _day_start(query.created_from))
        if query.created_to:
            where.append(
                preauth_requests.c.created_at
                < _day_start(date.fromordinal(query.created_to.toordinal() + 1))
            )
        return where

    def list_preauths(
        self,
        principal: Principal,
        query: PreauthQuery,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[PreauthSummary]:
        """Requests in scope, newest first, keyset-paged."""
        now = self._require(principal, Action.READ_PREAUTH, "preauth.search")
        limit = max(1, min(limit, MAX_LIMIT))
        where = self._query_conditions(principal, query, now)
        total_where = list(where)
        position = keyset.seek(
            after, (preauth_requests.c.created_at, preauth_requests.c.id), descending=True
        )
        with self.db.write() as conn:
            items, cursor = self._page(conn, principal, position, where, limit, now)
            total = None
            if not after:
                total = conn.execute(
                    select(func.count()).select_from(preauth_requests).where(*total_where)
                ).scalar_one()
            audit.record(
                conn,
                at=now,
                action="preauth.search",
                principal=principal,
                record_kind="preauth",
                detail={"results": len(items)},
            )
        return Page(items=items, next_cursor=cursor, total=total)

    def preauth_queue(
        self, principal: Principal, after: str | None = None, limit: int = 50
    ) -> Page[PreauthSummary]:
        """Pended requests not waiting on the provider, least time left first (reviewers)."""
        now = audit.require_or_refuse(
            self.db, self.clock, principal, Action.DECIDE_PREAUTH, "preauth.queue"
        )
        limit = max(1, min(limit, MAX_LIMIT))
        where: list[ColumnElement[bool]] = [
            preauth_requests.c.status.in_(
                [PreauthStatus.SUBMITTED.value, PreauthStatus.PENDED.value]
            ),
            preauth_requests.c.information_requested.is_(None),
        ]
        total_where = list(where)
        position = keyset.seek(
            after, (preauth_requests.c.due_at, preauth_requests.c.id), descending=False
        )
        with self.db.write() as conn:
            items, cursor = self._page(conn, principal, position, where, limit, now)
            total = None
            if not after:
                total = conn.execute(
                    select(func.count()).select_from(preauth_requests).where(*total_where)
                ).scalar_one()
            audit.record(
                conn,
                at=now,
                action="preauth.queue",
                principal=principal,
                record_kind="preauth",
                detail={"results": len(items)},
            )
        return Page(items=items, next_cursor=cursor, total=total)

    def _page(
        self,
        conn: Connection,
        principal: Principal,
        position: keyset.Seek,
        where: list[ColumnElement[bool]],
        limit: int,
        now: datetime,
    ) -> tuple[list[PreauthSummary], str | None]:
        """One page of summaries at `position`, and the next page's cursor."""
        rows = list(
            conn.execute(
                select(
                    preauth_requests,
                    members.c.first_name,
                    members.c.last_name,
                    preauth_templates.c.name.label("template_name"),
                )
                .join(members, members.c.member_id == preauth_requests.c.member_id)
                .join(preauth_templates, preauth_templates.c.id == preauth_requests.c.template_id)
                .where(*position.where(where))
                .order_by(*position.order)
                .limit(limit + 1)
            ).mappings()
        )
        page_rows, cursor = position.page(rows, limit)
        return [_summary(row, now) for row in page_rows], cursor

    def _detail(
        self, conn: Connection, principal: Principal, row: RowMapping, now: datetime
    ) -> PreauthDetail:
        joined = (
            conn.execute(
                select(
                    members.c.first_name,
                    members.c.last_name,
                    preauth_templates.c.name.label("template_name"),
                    preauth_templates.c.definition,
                    users.c.username.label("requested_by"),
                )
                .select_from(preauth_requests)
                .join(members, members.c.member_id == preauth_requests.c.member_id)
                .join(preauth_templates, preauth_templates.c.id == preauth_requests.c.template_id)
                .join(users, users.c.id == preauth_requests.c.created_by)
                .where(preauth_requests.c.id == row["id"])
            )
            .mappings()
            .one()
        )
        history = [
            PreauthHistoryEntry(
                at=event.at,
                status=PreauthStatus(event.status),
                by=event.username or "system",
                note=event.note,
            )
            for event in conn.execute(
                select(
                    preauth_events.c.at,
                    preauth_events.c.status,
                    preauth_events.c.note,
                    users.c.username,
                )
                .select_from(preauth_events)
                .outerjoin(users, users.c.id == preauth_events.c.actor_id)
                .where(preauth_events.c.request_id == row["id"])
                .order_by(preauth_events.c.id)
            )
        ]
        files = [
            DocumentSummary.model_validate(dict(doc))
            for doc in conn.execute(
                select(*[c for c in documents.c if c.name != "content"])
                .where(
                    documents.c.linked_kind == "preauth",
                    documents.c.linked_id == row["number"],
                )
                .order_by(documents.c.created_at.desc(), documents.c.id.desc())
            ).mappings()
        ]
        clinical = allowed(principal, Action.READ_PREAUTH_CLINICAL, row["tin"], now)
        base = _summary({**row, **joined}, now).model_dump()
        reason = row["decision_reason"]
        return PreauthDetail(
            **base,
            diagnosis_codes=list(row["diagnosis_codes"]),
            requested_by=joined["requested_by"],
            approved_units=row["approved_units"],
            decided_at=row["decided_at"],
            decision_reason=reason,
            decision_reason_text=DENIAL_REASONS.get(reason) if reason else None,
            decision_note=row["decision_note"] or "",
            information_requested=row["information_requested"],
            required_attachments=list(joined["definition"].get("required_attachments", [])),
            answers=dict(row["answers"]) if clinical else None,
            attachments=[f for f in files if f.kind == "upload"] if clinical else None,
            history=history,
            letters=[f for f in files if f.kind == "letter"],
        )

    # -- decisions ---------------------------------------------------------------------------------
    def decide_preauth(
        self, principal: Principal, number: str, decision: PreauthDecision
    ) -> PreauthDetail:
        """A reviewer's decision: approve, partly approve, deny with a specific reason, or ask for
        information. Each files a determination letter and tells the requester."""
        now = audit.require_or_refuse(
            self.db, self.clock, principal, Action.DECIDE_PREAUTH, "preauth.decide"
        )
        number = parse_preauth_number(number)
        row = self._row(principal, number, now, "preauth.decide")
        if row["status"] not in (PreauthStatus.SUBMITTED.value, PreauthStatus.PENDED.value):
            raise Conflict(f"This request is {row['status']}; it cannot be decided now.")
        status = _OUTCOME_STATUS[decision.outcome]
        note = decision.note.strip()
        reason = (decision.reason or "").strip() or None
        approved_units: int | None = None
        if decision.outcome is DecisionOutcome.APPROVE:
            if decision.approved_units is not None and decision.approved_units != row["units"]:
                raise ValidationFailed(
                    "To approve fewer units than asked, choose partial approval.",
                    field="approved_units",
                )
            approved_units = row["units"]
        elif decision.outcome is DecisionOutcome.PARTIALLY_APPROVE:
            units = decision.approved_units
            if units is None or not 1 <= units < row["units"]:
                raise ValidationFailed(
                    f"A partial approval grants from 1 to {row['units'] - 1} units.",
                    field="approved_units",
                )
            approved_units = units
        elif decision.outcome is DecisionOutcome.DENY:
            approved_units = 0
        if decision.outcome in (DecisionOutcome.DENY, DecisionOutcome.PARTIALLY_APPROVE):
            if reason not in DENIAL_REASONS:
                raise ValidationFailed(
                    "Choose the specific reason for the denial from the list.", field="reason"
                )
        elif reason is not None and reason not in DENIAL_REASONS:
            raise ValidationFailed("That is not one of the listed reasons.", field="reason")
        if decision.outcome is DecisionOutcome.REQUEST_INFORMATION and not note:
            raise ValidationFailed("Say what information is needed.", field="note")
        if len(note) > 4000:
            raise ValidationFailed("Keep the note under 4,000 characters.", field="note")
        with self.db.write() as conn:
            if decision.outcome is DecisionOutcome.REQUEST_INFORMATION:
                values: dict[str, Any] = {
                    "status": status.value,
                    "information_requested": note,
                    "updated_at": now,
                }
                event_note = f"Information requested: {note}"
            else:
                values = {
                    "status": status.value,
                    "approved_units": approved_units,
                    "decision_reason": reason,
                    "decision_note": note,
                    "decided_at": now,
                    "decided_by": principal.user_id,
                    "information_requested": None,
                    "updated_at": now,
                }
                event_note = note
                if reason:
                    event_note = f"{DENIAL_REASONS[reason]} {note}".strip()
            conn.execute(
                update(preauth_requests).where(preauth_requests.c.id == row["id"]).values(**values)
            )
            self._event(conn, row["id"], now, status, self._actor(principal), event_note)
            template = self._template(conn, row["template_id"])
            self._file_letter(conn, _request(conn, row["id"]), template, now)
            audit.record(
                conn,
                at=now,
                action="preauth.decide",
                principal=principal,
                tin=row["tin"],
                record_kind="preauth",
                record_id=number,
                detail={"outcome": decision.outcome.value},
            )
            return self._detail(conn, principal, _request(conn, row["id"]), now)

    def _file_letter(
        self, conn: Connection, row: RowMapping, template: PreauthTemplate, now: datetime
    ) -> int:
        """File the determination letter of the request's current decision and tell the
        requester (a decision and a letter notification)."""
        member = conn.execute(
            select(members.c.first_name, members.c.last_name).where(
                members.c.member_id == row["member_id"]
            )
        ).one()
        status = PreauthStatus(row["status"])
        text = determination_letter(row, template, f"{member.first_name} {member.last_name}", now)
        words = DECISION_WORDS[status].lower()
        document_id = file_document(
            conn,
            kind="letter",
            tin=row["tin"],
            file_name=f"{row['number']}-{status.value}-{now:%Y%m%d%H%M}.txt",
            media_type="text/plain",
            content=text.encode("utf-8"),
            at=now,
            created_by=None,
            linked_kind="preauth",
            linked_id=row["number"],
            retain_years=LETTER_RETAIN_YEARS,
        )
        notify(
            conn,
            row["created_by"],
            "decision",
            f"Preauthorization {row['number']}: {words}.",
            now,
            link_kind="preauth",
            link_id=row["number"],
        )
        notify(
            conn,
            row["created_by"],
            "letter",
            f"A determination letter for {row['number']} was filed.",
            now,
            link_kind="document",
            link_id=document_id,
        )
        return document_id


_SUMMARY_FIELDS = set(PreauthTemplateSummary.model_fields)


def load_shipped_templates(conn: Connection, at: datetime) -> int:
    """Copy the shipped templates into an empty `preauth_templates` table; how many were added.

    Used by the service on first use and by the demo seed (the same path either way).
    """
    if conn.execute(select(func.count()).select_from(preauth_templates)).scalar_one():
        return 0
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "category": t.category,
            "active": t.active,
            "definition": t.model_dump(mode="json"),
            "updated_at": at,
            "updated_by": None,
            "revision": 1,
        }
        for t in shipped_templates()
    ]
    conn.execute(insert(preauth_templates), rows)
    return len(rows)


def _purge_expired_drafts(conn: Connection, now: datetime) -> None:
    """Delete drafts past their 96 hours, with their history and attached files."""
    expired = select(preauth_requests.c.id).where(
        preauth_requests.c.status == PreauthStatus.DRAFT.value,
        preauth_requests.c.draft_expires_at <= now,
    )
    numbers = list(
        conn.execute(
            select(preauth_requests.c.number).where(preauth_requests.c.id.in_(expired))
        ).scalars()
    )
    if not numbers:
        return
    conn.execute(
        delete(documents).where(
            documents.c.linked_kind == "preauth", documents.c.linked_id.in_(numbers)
        )
    )
    conn.execute(delete(preauth_events).where(preauth_events.c.request_id.in_(expired)))
    conn.execute(delete(preauth_requests).where(preauth_requests.c.number.in_(numbers)))


def _plan_on(conn: Connection, member_id: str, day: date) -> tuple[str, str] | None:
    """The member's plan name and product line on `day`, or None without coverage."""
    row = conn.execute(
        select(plans.c.name, plans.c.product_line)
        .join(coverage_spans, coverage_spans.c.plan_id == plans.c.plan_id)
        .where(
            coverage_spans.c.member_id == member_id,
            coverage_spans.c.effective_date <= day,
            or_(coverage_spans.c.end_date.is_(None), coverage_spans.c.end_date >= day),
        )
        .order_by(coverage_spans.c.effective_date.desc())
    ).first()
    return (row.name, row.product_line) if row else None


def _request(conn: Connection, request_id: int) -> RowMapping:
    return (
        conn.execute(select(preauth_requests).where(preauth_requests.c.id == request_id))
        .mappings()
        .one()
    )


def _as_draft(row: RowMapping) -> PreauthDraft:
    return PreauthDraft(
        number=row["number"],
        member_id=row["member_id"],
        tin=row["tin"],
        requesting_npi=row["requesting_npi"],
        servicing_npi=row["servicing_npi"],
        template_id=row["template_id"],
        procedure_codes=list(row["procedure_codes"]),
        diagnosis_codes=list(row["diagnosis_codes"]),
        units=row["units"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        urgency=row["urgency"],
        answers=dict(row["answers"]),
    )


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _summary(row: Any, now: datetime) -> PreauthSummary:
    status = PreauthStatus(row["status"])
    due = row["due_at"]
    clock_runs = status.open and due is not None
    return PreauthSummary(
        number=row["number"],
        status=status,
        urgency=row["urgency"],
        member_id=row["member_id"],
        member_name=f"{row['first_name']} {row['last_name']}",
        template_id=row["template_id"],
        template_name=row["template_name"],
        procedure_codes=list(row["procedure_codes"]),
        units=row["units"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        tin=row["tin"],
        requesting_npi=row["requesting_npi"],
        servicing_npi=row["servicing_npi"],
        created_at=row["created_at"],
        submitted_at=row["submitted_at"],
        due_at=due,
        time_left=deadlines.time_left(due, now) if clock_runs else None,
        time_left_text=deadlines.describe_time_left(due, now) if clock_runs else "",
        draft_expires_at=row["draft_expires_at"] if status is PreauthStatus.DRAFT else None,
    )
