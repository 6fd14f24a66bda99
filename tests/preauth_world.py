"""The preauthorization rows of the permission matrix and the demo records they act on.

Kept beside `test_permission_matrix.py` (which splices them in) so the preauth work edits its own
file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select

from portal_core.client.base import PortalClient
from portal_core.demo.catalog import MAIN_TIN
from portal_core.models.claims import UploadFile
from portal_core.models.preauth import (
    DecisionOutcome,
    PreauthChange,
    PreauthCheckQuery,
    PreauthDecision,
    PreauthDraft,
    PreauthQuery,
    PreauthTemplate,
)
from portal_core.rules.permissions import Action
from portal_core.store.schema import preauth_requests

Call = Callable[[PortalClient, dict[str, Any]], Awaitable[Any]]


def preauth_world(conn: Connection, npi: str) -> dict[str, Any]:
    """A pended demo request at the main TIN, asked for by the clinician whose NPI is `npi`."""
    number = conn.execute(
        select(preauth_requests.c.number)
        .where(
            preauth_requests.c.tin == MAIN_TIN,
            preauth_requests.c.requesting_npi == npi,
            preauth_requests.c.status == "pended",
        )
        .order_by(preauth_requests.c.id)
    ).scalar()
    assert number, "the demo has no pended request of this clinician"
    return {"preauth": number}


def _draft(w: dict[str, Any]) -> PreauthDraft:
    return PreauthDraft(
        member_id=w["member_id"],
        tin=MAIN_TIN,
        requesting_npi=w["npi"],
        servicing_npi=w["npi"],
        template_id="sleep-study-psg",
        procedure_codes=["95810"],
        start_date=w["now"].date() + timedelta(days=7),
        end_date=w["now"].date() + timedelta(days=37),
    )


PREAUTH_METHOD_ACTIONS: dict[str, tuple[Action, bool, Call]] = {
    "preauth_templates": (
        Action.READ_PREAUTH_TEMPLATES,
        False,
        lambda c, w: c.preauth_templates("sleep"),
    ),
    "get_preauth_template": (
        Action.READ_PREAUTH_TEMPLATES,
        False,
        lambda c, w: c.get_preauth_template("sleep-study-psg"),
    ),
    "save_preauth_template": (
        Action.MANAGE_PREAUTH_TEMPLATES,
        False,
        lambda c, w: c.save_preauth_template(
            PreauthTemplate(
                id="matrix-template",
                name="Matrix template",
                category="other",
                procedure_codes=["99499"],
            )
        ),
    ),
    "set_preauth_template_active": (
        Action.MANAGE_PREAUTH_TEMPLATES,
        False,
        lambda c, w: c.set_preauth_template_active("sleep-study-psg", False),
    ),
    "check_preauth": (
        Action.CHECK_ELIGIBILITY,
        False,
        lambda c, w: c.check_preauth(
            PreauthCheckQuery(
                member_id=w["member_id"], procedure_code="95810", service_date=w["now"].date()
            )
        ),
    ),
    "save_preauth_draft": (
        Action.REQUEST_PREAUTH,
        True,
        lambda c, w: c.save_preauth_draft(_draft(w)),
    ),
    "submit_preauth": (Action.REQUEST_PREAUTH, True, lambda c, w: c.submit_preauth(w["preauth"])),
    "modify_preauth": (
        Action.REQUEST_PREAUTH,
        True,
        lambda c, w: c.modify_preauth(w["preauth"], PreauthChange(note="Notes attached.")),
    ),
    "cancel_preauth": (
        Action.REQUEST_PREAUTH,
        True,
        lambda c, w: c.cancel_preauth(w["preauth"], "entered twice"),
    ),
    "withdraw_preauth": (
        Action.REQUEST_PREAUTH,
        True,
        lambda c, w: c.withdraw_preauth(w["preauth"], "service not needed"),
    ),
    "attach_preauth_files": (
        Action.REQUEST_PREAUTH,
        True,
        lambda c, w: c.attach_preauth_files(
            w["preauth"], [UploadFile(file_name="notes.txt", content=b"sleep questionnaire")]
        ),
    ),
    "get_preauth": (Action.READ_PREAUTH, True, lambda c, w: c.get_preauth(w["preauth"])),
    "list_preauths": (
        Action.READ_PREAUTH,
        False,
        lambda c, w: c.list_preauths(PreauthQuery()),
    ),
    "preauth_queue": (Action.DECIDE_PREAUTH, False, lambda c, w: c.preauth_queue()),
    "decide_preauth": (
        Action.DECIDE_PREAUTH,
        False,
        lambda c, w: c.decide_preauth(
            w["preauth"], PreauthDecision(outcome=DecisionOutcome.APPROVE, note="meets criteria")
        ),
    ),
}
"""Which permission each preauth method needs, and how the matrix calls it."""
