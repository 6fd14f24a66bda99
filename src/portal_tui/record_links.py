"""Opening a record named by kind and id, wherever the link came from: a notification, a recent
item, a document's linked record.

Menus still being built (preauthorizations, admissions, referrals, provider profiles) are reached
lazily: when their screen module exists and offers `async def open_linked(app, record_id)`, that
opens the record; when the module exists without it, the menu opens; otherwise the user is told
the screen is not available yet.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from portal_tui.menus import MENUS_BY_MODE

if TYPE_CHECKING:
    from portal_tui.app import PortalApp

LATER_MENUS = {
    "preauth": "preauth",
    "admission": "admissions",
    "referral": "referrals",
    "provider": "providers",
    "profile_update": "providers",
}
"""Record kinds whose screens other work brings, and the menu (and module) of each."""

OPENERS = ("open_linked", "open_provider")
"""What a later menu's screen module may offer to open one of its records: `(app, record_id)`."""

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
    return kind is not None and (kind in KIND_LABELS or kind in LATER_MENUS)


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
    elif kind in LATER_MENUS:
        await _open_later(app, LATER_MENUS[kind], kind, record_id)
    else:
        app.notify(f"{kind_label(kind)} {record_id} cannot be opened here.")


async def _open_later(app: PortalApp, mode: str, kind: str, record_id: str) -> None:
    """A record of a menu other work is building: open it if that screen exists yet."""
    menu = MENUS_BY_MODE.get(mode)
    try:
        module = importlib.import_module(f"portal_tui.screens.{mode}")
    except ImportError:
        module = None
    if module is None or menu is None or menu.built_by is not None:
        app.notify(f"The {kind_label(kind).lower()} screen is not available yet ({record_id}).")
        return
    if kind == "profile_update" and record_id.isdigit():
        try:
            from portal_tui.screens.profile_updates import ProfileUpdateDetailScreen
        except ImportError:
            pass
        else:
            await app.action_menu(mode)
            await app.push_screen(ProfileUpdateDetailScreen(int(record_id)))
            return
    for name in OPENERS:
        opener = getattr(module, name, None)
        if callable(opener):
            await opener(app, record_id)
            return
    await app.action_menu(mode)
    app.notify(f"Find {record_id} in the list.")
