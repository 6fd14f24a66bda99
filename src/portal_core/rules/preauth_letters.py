"""The determination letter of a preauthorization decision, as plain text.

Pure: the preauth service and the demo both file what this returns as a `letter` document. The
letter names the member, the providers, the service, codes, dates and units, the decision with its
specific reason, and for a denial or partial approval the appeal rights.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from portal_core.models.preauth import DENIAL_REASONS, PreauthStatus, PreauthTemplate
from portal_core.rules.local_time import payer_time

DECISION_WORDS = {
    PreauthStatus.APPROVED: "APPROVED",
    PreauthStatus.PARTIALLY_APPROVED: "PARTIALLY APPROVED",
    PreauthStatus.DENIED: "DENIED",
    PreauthStatus.PENDED: "MORE INFORMATION NEEDED",
}
"""The decision in the letter's words, by the status it leaves the request in."""


def determination_letter(
    row: Mapping[Any, Any], template: PreauthTemplate, member_name: str, now: datetime
) -> str:
    """The letter's text: who, what, the decision and its reason, and the appeal rights."""
    status = PreauthStatus(row["status"])
    reason = row.get("decision_reason")
    lines = [
        "DETERMINATION LETTER - PREAUTHORIZATION",
        "",
        f"Date:                {payer_time(now)}",
        f"Preauthorization:    {row['number']}",
        f"Member:              {member_name} ({row['member_id']})",
        f"Requesting provider: NPI {row['requesting_npi']}, TIN {row['tin']}",
        f"Servicing provider:  NPI {row['servicing_npi']}",
        f"Service:             {template.name}",
        f"Procedure codes:     {', '.join(row['procedure_codes'])}",
        f"Diagnosis codes:     {', '.join(row['diagnosis_codes'])}",
        f"Dates of service:    {row['start_date'].isoformat()} to {row['end_date'].isoformat()}",
        f"Requested:           {row['units']} {template.unit_label}",
        "",
        f"DECISION: {DECISION_WORDS[status]}",
    ]
    if status in (PreauthStatus.APPROVED, PreauthStatus.PARTIALLY_APPROVED):
        lines.append(f"Approved:            {row['approved_units']} {template.unit_label}")
    if reason:
        lines += ["", f"Reason: {DENIAL_REASONS.get(reason, reason)}"]
    note = row.get("information_requested") if status is PreauthStatus.PENDED else None
    note = note or row.get("decision_note") or ""
    if note:
        lines += ["", note]
    lines.append("")
    if status is PreauthStatus.PENDED:
        lines += [
            "Send the information asked for through the portal (attach files or modify the",
            "request). The review continues once it arrives.",
        ]
    elif status is PreauthStatus.APPROVED:
        lines += [
            "This approval is not a guarantee of payment: benefits, eligibility on the date of",
            "service and the plan's terms apply when the claim is processed.",
        ]
    else:
        lines += [
            "APPEAL RIGHTS",
            "The member, or the provider on the member's behalf, may appeal this decision within",
            "180 days of this letter. An expedited appeal is decided within 72 hours when a delay",
            "could seriously harm the member's health. The requesting provider may also ask for a",
            "peer-to-peer discussion with the reviewing clinician within 14 days.",
            "Send an appeal through the portal (Messages, topic: grievance and appeal).",
        ]
    return "\n".join(lines) + "\n"
