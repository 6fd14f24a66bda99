"""Identity routes: sign-in and the session, registration, recovery, the user's own account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.api.spec import Route

if TYPE_CHECKING:
    from fastapi import APIRouter

ROUTES = (
    Route("sign_in", "POST", "/session", "identity", session=False),
    Route("sign_out", "DELETE", "/session", "identity"),
    Route("register", "POST", "/registrations", "identity", session=False, status=201),
    Route("forgot_username", "POST", "/recovery/username", "identity", session=False),
    Route("request_password_reset", "POST", "/recovery/password-reset", "identity", session=False),
    Route(
        "confirm_registration_email",
        "POST",
        "/registrations/email-confirmation",
        "email_proofs",
        session=False,
    ),
    Route("reset_password", "POST", "/recovery/password", "identity", session=False),
    Route("migrate_legacy_account", "POST", "/legacy-migrations", "identity", session=False),
    Route("account", "GET", "/account", "identity"),
    Route("verify_password", "POST", "/account/password/verification", "identity"),
    Route("change_password", "PUT", "/account/password", "identity"),
    Route("begin_totp_enrollment", "POST", "/account/totp/enrollment", "identity"),
    Route("confirm_totp_enrollment", "POST", "/account/totp/confirmation", "identity"),
    Route("remove_totp", "POST", "/account/totp/removal", "identity"),
    Route("regenerate_recovery_codes", "POST", "/account/totp/recovery-codes", "identity"),
    Route("request_email_change", "POST", "/account/email-change", "email_proofs"),
    Route("confirm_email_change", "POST", "/account/email-change/confirmation", "email_proofs"),
    Route("update_settings", "PATCH", "/account/settings", "identity"),
    Route("set_active_tin", "PUT", "/account/active-tin", "identity"),
    Route("register_additional_tin", "POST", "/account/tins", "identity", status=201),
    Route("consolidate_account", "POST", "/account/consolidation", "identity"),
    Route("start_break_glass", "POST", "/account/break-glass", "identity"),
    Route("administrators_of", "GET", "/tins/{tin}/administrators", "handovers"),
    Route("offer_admin_handover", "POST", "/handovers", "handovers", status=201),
    Route("pending_handovers", "GET", "/handovers", "handovers"),
    Route("answer_admin_handover", "POST", "/handovers/{handover_id}/answer", "handovers"),
    Route("notifications", "GET", "/notifications", "notifications"),
    Route("mark_notifications_read", "POST", "/notifications/read", "notifications"),
    Route("outbox", "GET", "/outbox", "notifications"),
)
"""The identity use cases."""


def router() -> APIRouter:
    """The identity router."""
    from portal_core.api.routing import build_router

    return build_router("identity", ROUTES)
