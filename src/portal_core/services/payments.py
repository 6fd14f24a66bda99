"""Payments: Explanations of Payment (EOPs) by number or by TIN and dates, and an EOP as text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    func,
    select,
)

from portal_core.errors import NotFound
from portal_core.models.claims import (
    PaymentDetail,
    PaymentSearch,
    PaymentSummary,
    ProviderAdjustment,
)
from portal_core.models.common import Page
from portal_core.models.identity import Principal
from portal_core.rules.identifiers import parse_payment_number
from portal_core.rules.money import dollars
from portal_core.rules.permissions import Action
from portal_core.rules.service_dates import check_range, claim_history_start, parse_date
from portal_core.services import audit, keyset
from portal_core.services.claim_access import (
    SUMMARY_COLUMNS,
    SUMMARY_FROM,
    ClaimAccess,
    page_limit,
)
from portal_core.services.record_scope import claim_condition, payment_condition
from portal_core.store.schema import (
    claims,
    payments,
    tins,
)


class PaymentService(ClaimAccess):
    """Payments and their EOPs."""

    # -- payments ----------------------------------------------------------------------------------
    def search_payments(
        self,
        principal: Principal,
        search: PaymentSearch,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[PaymentSummary]:
        """Payments (EOPs) by number, or by TIN and payment dates, newest first."""
        now = self._require(principal, Action.READ_PAYMENTS, "payments.search")
        limit = page_limit(limit)
        where = [payment_condition(principal, Action.READ_PAYMENTS, now)]
        if search.payment_number and search.payment_number.strip():
            where.append(payments.c.payment_number == parse_payment_number(search.payment_number))
        else:
            if search.tin and search.tin.strip():
                tin = self._scoped_tin(principal, search.tin, "payments.search")
                where.append(payments.c.payee_tin == tin)
            first = parse_date(search.paid_from, "paid_from") if search.paid_from else None
            last = parse_date(search.paid_to, "paid_to") if search.paid_to else None
            check_range(first, last, "paid_from")
            where.append(payments.c.payment_date >= (first or claim_history_start(now.date())))
            if last is not None:
                where.append(payments.c.payment_date <= last)
        position = keyset.seek(after, (payments.c.payment_date, payments.c.id), descending=True)
        claim_count = (
            select(func.count())
            .where(claims.c.payment_id == payments.c.id)
            .correlate(payments)
            .scalar_subquery()
        )
        query = (
            select(payments, tins.c.name.label("payee_name"), claim_count.label("claim_count"))
            .join(tins, tins.c.tin == payments.c.payee_tin)
            .where(*position.where(where))
            .order_by(*position.order)
            .limit(limit + 1)
        )
        with self.db.read() as conn:
            rows, cursor = position.page(list(conn.execute(query).mappings()), limit)
        items = [_payment_summary(r) for r in rows]
        return Page[PaymentSummary](items=items, next_cursor=cursor)

    def get_payment(self, principal: Principal, payment_number: str) -> PaymentDetail:
        """An EOP: the payment, its provider-level adjustments and its claims with line detail."""
        now = self._require(principal, Action.READ_PAYMENTS, "payments.read")
        number = payment_number.strip().upper()
        with self.db.write() as conn:
            row = (
                conn.execute(
                    select(payments, tins.c.name.label("payee_name"))
                    .join(tins, tins.c.tin == payments.c.payee_tin)
                    .where(
                        payments.c.payment_number == number,
                        payment_condition(principal, Action.READ_PAYMENTS, now),
                    )
                )
                .mappings()
                .first()
            )
            if row is not None:
                claim_rows = list(
                    conn.execute(
                        select(*SUMMARY_COLUMNS)
                        .select_from(SUMMARY_FROM)
                        .where(
                            claims.c.payment_id == row["id"],
                            claim_condition(principal, Action.READ_PAYMENTS, now),
                        )
                        .order_by(claims.c.id)
                    ).mappings()
                )
                count = conn.execute(
                    select(func.count()).where(claims.c.payment_id == row["id"])
                ).scalar_one()
                detail = PaymentDetail(
                    **_payment_summary({**row, "claim_count": count}).model_dump(),
                    provider_adjustments=[
                        ProviderAdjustment(
                            code=a["code"],
                            reference=a.get("reference", ""),
                            amount=dollars(a["amount_cents"]),
                        )
                        for a in row["provider_adjustments"]
                    ],
                    claims=self._details(conn, claim_rows),
                    hidden_claims=count - len(claim_rows),
                )
                audit.record_many(
                    conn,
                    at=now,
                    action="payments.read",
                    principal=principal,
                    record_kind="member",
                    record_ids=[c.member_id for c in detail.claims],
                    tin=row["payee_tin"],
                )
                audit.record(
                    conn,
                    at=now,
                    action="payments.read",
                    principal=principal,
                    tin=row["payee_tin"],
                    record_kind="payment",
                    record_id=number,
                )
                return detail
        self._refused(principal, "payments.read", "payment", number)
        raise NotFound("No such payment.")

    def export_payment(self, principal: Principal, payment_number: str) -> bytes:
        """An EOP as a text document to save."""
        return eop_text(self.get_payment(principal, payment_number)).encode("utf-8")


def _payment_summary(row: Any) -> PaymentSummary:
    return PaymentSummary(
        payment_number=row["payment_number"],
        payment_date=row["payment_date"],
        method=row["method"],
        payee_tin=row["payee_tin"],
        payee_name=row["payee_name"],
        total=dollars(row["total_cents"]),
        claim_count=row["claim_count"],
    )


def eop_text(eop: PaymentDetail) -> str:
    """An Explanation of Payment as plain text."""
    method = "EFT" if eop.method == "ACH" else "Check"
    lines = [
        "Northwind Health Plan - Explanation of payment",
        "",
        f"Payment {eop.payment_number} ({method}) to {eop.payee_name}, "
        f"TIN {eop.payee_tin[:2]}-{eop.payee_tin[2:]}",
        f"Paid: {eop.payment_date:%B %d, %Y}",
        f"Total paid: {eop.total:,.2f}",
    ]
    for plb in eop.provider_adjustments:
        lines.append(f"Provider adjustment {plb.code} {plb.reference}: {plb.amount:,.2f}")
    if eop.hidden_claims:
        lines.append(
            f"{eop.hidden_claims} of its {eop.claim_count} claims are for providers you are not "
            "affiliated with and are not shown."
        )
    for claim in eop.claims:
        lines += [
            "",
            f"Claim {claim.claim_number}  account {claim.patient_account}  member "
            f"{claim.member_id} {claim.member_name}",
            f"  Service {claim.service_from} to {claim.service_to}  status {claim.status}  "
            f"billed {claim.billed:,.2f}  allowed {claim.allowed:,.2f}  paid {claim.paid:,.2f}  "
            f"patient {claim.patient_responsibility:,.2f}",
        ]
        for line in claim.lines:
            mods = ("-" + "-".join(line.modifiers)) if line.modifiers else ""
            lines.append(
                f"  {line.line_number:>3} {line.service_date} {line.procedure_code}{mods} "
                f"x{line.units}  billed {line.billed:,.2f}  allowed {line.allowed:,.2f}  "
                f"paid {line.paid:,.2f}"
            )
            for adj in line.adjustments:
                lines.append(
                    f"        {adj.group_code}-{adj.carc} {adj.amount:,.2f}  {adj.carc_text}"
                )
            for rem in line.remarks:
                lines.append(f"        {rem.rarc}  {rem.text}")
        for adj in claim.claim_adjustments:
            lines.append(f"      {adj.group_code}-{adj.carc} {adj.amount:,.2f}  {adj.carc_text}")
    return "\n".join(lines) + "\n"
