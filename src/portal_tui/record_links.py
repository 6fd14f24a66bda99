"""Opening a record named by kind and id, wherever the link came from: a notification, a recent
item, a document's linked record. Screen modules are imported on first use, not at start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal_tui.app import PortalApp

KIND_LABELS = {
    "message_thread": "Message",
    "claim": "Claim",
    "member": "Member",
    "payment": "EOP",
    "document": "Document",
    "review_campaign": "User review",
    "preauth": "Preauth",
    "admission": "Admission",
    "referral": "Referral",
    "provider": "Provider",
    "user": "User",
    "handover": "Admin handover",
    "profile_update": "Profile update",
}
"""How each kind of record is named on screen."""


def kind_label(kind: str) -> str:
    """`claim` → `Claim`; an unknown kind in plain words."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def can_open(kind: str | None) -> bool:
    """Whether a link of this kind leads anywhere."""
    return kind is not None and kind in KIND_LABELS


async def open_record(app: PortalApp, kind: str | None, record_id: str | None) -> None:
    """Show the record in its menu, or say why it cannot be shown."""
    if not kind or record_id is None:
        app.notify("This has no record to open.")
        return
    if kind == "claim":
        await app.open_claim(record_id)
    elif kind == "member":
        await app.open_member(record_id)
    elif kind == "review_campaign":
        await app.open_review()
    elif kind == "message_thread":
        from portal_tui.screens.message_thread import ThreadScreen

        await app.action_menu("messages")
        await app.push_screen(ThreadScreen(record_id))
    elif kind == "payment":
        from portal_tui.screens.payments import PaymentDetailScreen

        await app.action_menu("payments")
        await app.push_screen(PaymentDetailScreen(record_id))
    elif kind == "document":
        from portal_tui.screens.documents import DocumentViewerScreen

        if not record_id.isdigit():
            app.notify("This has no record to open.")
            return
        await app.action_menu("documents")
        await app.push_screen(DocumentViewerScreen(int(record_id)))
    elif kind in ("user", "handover"):
        await app.action_menu("users" if kind == "user" else "settings")
    elif kind == "preauth":
        from portal_tui.screens import preauth

        await preauth.open_linked(app, record_id)
    elif kind == "admission":
        from portal_tui.screens import admissions

        await admissions.open_linked(app, record_id)
    elif kind == "referral":
        from portal_tui.screens import referrals

        await referrals.open_linked(app, record_id)
    elif kind == "provider":
        from portal_tui.screens.providers import open_provider

        await open_provider(app, record_id)
    elif kind == "profile_update" and record_id.isdigit():
        from portal_tui.screens.profile_updates import ProfileUpdateDetailScreen

        await app.action_menu("providers")
        await app.push_screen(ProfileUpdateDetailScreen(int(record_id)))
    else:
        app.notify(f"{kind_label(kind)} {record_id} cannot be opened here.")
