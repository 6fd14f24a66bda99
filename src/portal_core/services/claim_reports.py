"""Custom claims reports: saved definitions, runs of up to 10,000 rows, CSV export."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    insert,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from portal_core.errors import NotFound
from portal_core.models.claims import (
    ClaimReportDefinition,
    ClaimReportResult,
    SavedClaimReport,
)
from portal_core.models.identity import Principal
from portal_core.rules.adjustment_codes import (
    parse_carc,
)
from portal_core.rules.claim_reports import MAX_REPORT_ROWS, check_columns, check_name
from portal_core.rules.claim_status import parse_status
from portal_core.rules.csv_cells import csv_bytes
from portal_core.rules.identifiers import parse_npi
from portal_core.rules.permissions import Action
from portal_core.services import audit
from portal_core.services.claim_access import (
    SUMMARY_COLUMNS,
    SUMMARY_FROM,
    ClaimAccess,
    summary_fields,
)
from portal_core.services.record_scope import claim_condition
from portal_core.store.schema import (
    claim_reports,
    claims,
)


class ClaimReportService(ClaimAccess):
    """Saved and ad-hoc claims reports."""

    # -- custom reports ----------------------------------------------------------------------------
    def save_claim_report(
        self, principal: Principal, definition: ClaimReportDefinition
    ) -> SavedClaimReport:
        """Save a report definition under its name (replacing one of the same name)."""
        now = self._require(principal, Action.RUN_CLAIM_REPORTS, "claims.report.save")
        name = check_name(definition.name)
        self._report_conditions(principal, definition, now)  # refuse a bad filter now, not later
        stored = definition.model_copy(
            update={"name": name, "columns": check_columns(definition.columns)}
        )
        data = stored.model_dump()
        with self.db.write() as conn:
            existing = conn.execute(
                select(claim_reports.c.id).where(
                    claim_reports.c.owner_id == principal.user_id, claim_reports.c.name == name
                )
            ).scalar()
            if existing is None:
                report_id = conn.execute(
                    insert(claim_reports)
                    .values(
                        owner_id=principal.user_id,
                        name=name,
                        definition=data,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(claim_reports.c.id)
                ).scalar_one()
            else:
                report_id = existing
                conn.execute(
                    update(claim_reports)
                    .where(claim_reports.c.id == existing)
                    .values(definition=data, updated_at=now)
                )
            audit.record(
                conn,
                at=now,
                action="claims.report.save",
                principal=principal,
                record_kind="claim_report",
                record_id=report_id,
            )
        return SavedClaimReport(id=report_id, name=name, definition=stored, updated_at=now)

    def list_claim_reports(self, principal: Principal) -> list[SavedClaimReport]:
        """The user's saved report definitions, by name."""
        self._require(principal, Action.RUN_CLAIM_REPORTS, "claims.report.list")
        with self.db.read() as conn:
            rows = conn.execute(
                select(claim_reports)
                .where(claim_reports.c.owner_id == principal.user_id)
                .order_by(claim_reports.c.name)
            ).mappings()
            return [
                SavedClaimReport(
                    id=r["id"],
                    name=r["name"],
                    definition=ClaimReportDefinition(**r["definition"]),
                    updated_at=r["updated_at"],
                )
                for r in rows
            ]

    def delete_claim_report(self, principal: Principal, report_id: int) -> None:
        """Delete one of the user's saved reports."""
        now = self._require(principal, Action.RUN_CLAIM_REPORTS, "claims.report.delete")
        with self.db.write() as conn:
            deleted = conn.execute(
                claim_reports.delete().where(
                    claim_reports.c.id == report_id, claim_reports.c.owner_id == principal.user_id
                )
            ).rowcount
            if not deleted:
                raise NotFound("No such report.")
            audit.record(
                conn,
                at=now,
                action="claims.report.delete",
                principal=principal,
                record_kind="claim_report",
                record_id=report_id,
            )

    def _report_conditions(
        self, principal: Principal, definition: ClaimReportDefinition, now: datetime
    ) -> list[ColumnElement[bool]]:
        check_columns(definition.columns)
        where = [claim_condition(principal, Action.RUN_CLAIM_REPORTS, now)]
        if definition.tin and definition.tin.strip():
            where.append(
                claims.c.tin == self._scoped_tin(principal, definition.tin, "claims.report.run")
            )
        if definition.npi and definition.npi.strip():
            where.append(claims.c.rendering_npi == parse_npi(definition.npi))
        if definition.status and definition.status.strip():
            where.append(claims.c.status == parse_status(definition.status).value)
        if definition.denial_carc and definition.denial_carc.strip():
            where.append(claims.c.denial_carc == parse_carc(definition.denial_carc))
        start, end = self._dates(definition.service_from, definition.service_to, now.date())
        where.append(claims.c.service_from >= start)
        if end is not None:
            where.append(claims.c.service_from <= end)
        return where

    def run_claim_report(
        self, principal: Principal, definition: ClaimReportDefinition
    ) -> ClaimReportResult:
        """Run a report: its columns for at most 10,000 claims, newest service first."""
        now = self._require(principal, Action.RUN_CLAIM_REPORTS, "claims.report.run")
        columns = check_columns(definition.columns)
        where = self._report_conditions(principal, definition, now)
        query = (
            select(*SUMMARY_COLUMNS)
            .select_from(SUMMARY_FROM)
            .where(*where)
            .order_by(claims.c.service_from.desc(), claims.c.id.desc())
            .limit(MAX_REPORT_ROWS + 1)
        )
        with self.db.read() as conn:
            rows = list(conn.execute(query).mappings())
        kept = rows[:MAX_REPORT_ROWS]
        cells = []
        for row in kept:
            fields = summary_fields(row)
            cells.append([_cell(fields[c]) for c in columns])
        # The read above holds no write lock; only the members' audit rows are appended under one.
        with self.db.write() as conn:
            audit.record_many(
                conn,
                at=now,
                action="claims.report.run",
                principal=principal,
                record_kind="member",
                record_ids=[r["member_id"] for r in kept],
            )
        return ClaimReportResult(columns=columns, rows=cells, truncated=len(rows) > MAX_REPORT_ROWS)

    def export_claim_report(self, principal: Principal, definition: ClaimReportDefinition) -> bytes:
        """A report run as CSV (cells a spreadsheet could run as formulas neutralized)."""
        result = self.run_claim_report(principal, definition)
        return csv_bytes(result.columns, result.rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
