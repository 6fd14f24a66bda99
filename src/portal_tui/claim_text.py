"""Claims and payments as the screens show them: claim detail with decoded adjustments and remarks,
documents, inquiries and appeals, as plain text lines (the screens escape them with `printable`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from portal_core.rules.identifiers import format_tin
from portal_tui.member_text import day, money

if TYPE_CHECKING:
    from portal_core.models.claims import (
        Adjustment,
        ClaimAppeal,
        ClaimDetail,
        ClaimDocument,
        ClaimInquiry,
        ClaimSummary,
        PaymentDetail,
        Remark,
    )


def adjustment_text(adjustment: Adjustment) -> str:
    """`CO-45 Charge exceeds fee schedule… (contractual) $55.00`."""
    return (
        f"{adjustment.group_code}-{adjustment.carc} {adjustment.carc_text} "
        f"({adjustment.group_text}) {money(adjustment.amount)}"
    )


def remark_text(remark: Remark) -> str:
    """`Remark N290: Missing/incomplete/invalid rendering provider…`."""
    return f"Remark {remark.rarc}: {remark.text}"


def claim_text(claim: ClaimDetail) -> str:
    """A claim: who, when, amounts, status with its 277 category, lines and adjustments."""
    lines = [
        f"Status     {claim.status} ({claim.status_code} {claim.status_text})",
    ]
    if claim.status_reason:
        lines.append(f"           {claim.status_reason}")
    lines += [
        f"Member     {claim.member_name} ({claim.member_id})",
        f"Patient #  {claim.patient_account}   Type {claim.claim_type}",
        f"Providers  billing NPI {claim.billing_npi}, rendering NPI {claim.rendering_npi}, "
        f"TIN {format_tin(claim.tin)}",
        f"Service    {day(claim.service_from)} to {day(claim.service_to)}   "
        f"received {day(claim.received_date)}   decided {day(claim.adjudicated_date)}",
        f"Amounts    billed {money(claim.billed)} · allowed {money(claim.allowed)} · "
        f"paid {money(claim.paid)} · patient owes {money(claim.patient_responsibility)}",
    ]
    if claim.payment_number:
        lines.append(f"Payment    {claim.payment_number} on {day(claim.payment_date)}")
    if claim.denial_carc:
        lines += ["", f"DENIED     reason {claim.denial_carc}"]
        if claim.denial_next_step:
            lines.append(f"Next step  {claim.denial_next_step}")
        if claim.appeal_deadline:
            lines.append(f"Appeal by  {day(claim.appeal_deadline)}")
    lines += ["", "Lines"]
    for line in claim.lines:
        code = "-".join([line.procedure_code, *line.modifiers])
        lines.append(
            f"  {line.line_number:>2} {day(line.service_date)} {code:<9} x{line.units:<2} "
            f"{money(line.billed)} allowed {money(line.allowed)} paid {money(line.paid)}"
        )
        lines += [f"        {adjustment_text(a)}" for a in line.adjustments]
        lines += [f"        {remark_text(r)}" for r in line.remarks]
    if claim.claim_adjustments or claim.claim_remarks:
        lines += ["", "Claim-level adjustments"]
        lines += [f"  {adjustment_text(a)}" for a in claim.claim_adjustments]
        lines += [f"  {remark_text(r)}" for r in claim.claim_remarks]
    return "\n".join(lines)


def requests_text(
    documents: list[ClaimDocument], inquiries: list[ClaimInquiry], appeals: list[ClaimAppeal]
) -> str:
    """The claim's documents, inquiries and appeals with the payer's answers."""
    lines = ["Documents"]
    lines += [
        f"  #{d.submission} {d.file_name} ({d.media_type}, {d.size:,} bytes) "
        f"sha256 {d.sha256[:12]}… on {day(d.submitted_at.date())}"
        for d in documents
    ] or ["  none"]
    lines += ["", "Inquiries"]
    for inquiry in inquiries:
        lines.append(
            f"  {day(inquiry.opened_at.date())} {inquiry.status}: {inquiry.reason}: {inquiry.text}"
        )
        if inquiry.answer:
            lines.append(f"      answer ({day(_date(inquiry.answered_at))}): {inquiry.answer}")
    if not inquiries:
        lines.append("  none")
    lines += ["", "Grievances and appeals"]
    for appeal in appeals:
        lines.append(
            f"  {day(appeal.opened_at.date())} {appeal.kind} {appeal.status}: {appeal.text}"
        )
        if appeal.answer:
            lines.append(f"      decision ({day(_date(appeal.answered_at))}): {appeal.answer}")
    if not appeals:
        lines.append("  none")
    return "\n".join(lines)


def _date(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def payment_text(payment: PaymentDetail) -> str:
    """An EOP's head: number, date, method, payee, total, provider-level adjustments."""
    method = {"ACH": "EFT", "CHK": "check"}.get(payment.method, payment.method)
    lines = [
        f"Payment    {payment.payment_number} ({method}) on {day(payment.payment_date)}",
        f"Payee      {payment.payee_name} (TIN {format_tin(payment.payee_tin)})",
        f"Total      {money(payment.total)} for {payment.claim_count} claims",
    ]
    if payment.hidden_claims:
        lines.append(
            f"Not shown  {payment.hidden_claims} of them, for providers you are not affiliated with"
        )
    for plb in payment.provider_adjustments:
        lines.append(f"Adjustment {plb.code} {plb.reference} {money(plb.amount)}")
    return "\n".join(lines)


def claim_row_status(claim: ClaimSummary) -> str:
    """The status with the denial reason, for a table cell."""
    return f"{claim.status} {claim.denial_carc}" if claim.denial_carc else claim.status
