"""Cross-TIN edits: the administrator of one Tax ID changes the contact details of a user who also
works for another Tax ID, then recovers that user's password and reads the other TIN's records.

Before: any shared TIN was enough to edit a user's email, the new address took effect at once and
the old address heard nothing. Now contact details are edited only by someone who administers
every TIN of the user, and a new address waits for the owner's code while the old one is told.
"""

from __future__ import annotations

import httpx
from sqlalchemy import select

from in_process_api import remote_client
from portal_core.demo import DEMO_PASSWORD
from portal_core.errors import PermissionDenied
from portal_core.models.users import ContactUpdate
from portal_core.services import Services
from portal_core.store.schema import mail_outbox, users

ATTACKER = "admin.riverbend"
"""Administrator of TIN 521234567 only."""

TARGET = "billing.acme"
"""Billing at the main TIN (461234567) and at 521234567."""

TARGET_ADDRESS = "billing.acme@example.org"

ATTACKER_ADDRESS = "grace.private@example.org"


def _user(world: Services, username: str) -> dict[str, object]:
    with world.db.read() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).mappings().one()
        return dict(row)


def _subjects_to(world: Services, address: str) -> list[str]:
    with world.db.read() as conn:
        return list(
            conn.execute(
                select(mail_outbox.c.subject).where(mail_outbox.c.to_address == address)
            ).scalars()
        )


async def test_an_admin_of_one_tin_cannot_change_the_email_of_a_user_of_another(
    world: Services, http: httpx.AsyncClient
) -> None:
    """Attack: the administrator of TIN B sets the email of a user who also belongs to TIN A to
    its own address, resets that user's password and reads TIN A's claims."""
    signed_in = await http.post("/session", json={"username": ATTACKER, "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    target_id = _user(world, TARGET)["id"]
    before = _user(world, TARGET)
    edit = await http.patch(
        f"/users/{target_id}/contact", json={"email": ATTACKER_ADDRESS}, headers=headers
    )
    assert edit.status_code == 403, edit.text
    for field in ({"full_name": "Someone Else"}, {"phone": "555-0000"}):
        refused = await http.patch(f"/users/{target_id}/contact", json=field, headers=headers)
        assert refused.status_code == 403
    after = _user(world, TARGET)
    assert {k: after[k] for k in ("email", "full_name", "phone")} == {
        k: before[k] for k in ("email", "full_name", "phone")
    }
    # The reset the attacker can still ask for goes to the user's own address, not to it.
    reset = await http.post(f"/users/{target_id}/password-reset", headers=headers)
    assert reset.status_code == 204
    assert _subjects_to(world, ATTACKER_ADDRESS) == []
    assert "Reset your provider portal password" in _subjects_to(world, TARGET_ADDRESS)


async def test_a_change_by_an_admin_of_every_tin_waits_for_the_owner_and_tells_the_old_address(
    world: Services,
) -> None:
    """Attack (RemoteClient): an administrator who may edit the user changes the email to an
    address it reads; the change must not take effect without the owner, and the old address
    must hear of it."""
    admin = remote_client(world)
    try:
        await admin.sign_in("admin.lakeside", DEMO_PASSWORD)
        target_id = int(str(_user(world, "staff.lakeside")["id"]))
        detail = await admin.update_user_contact(target_id, ContactUpdate(email=ATTACKER_ADDRESS))
        assert detail.email == "staff.lakeside@example.org"
        assert detail.pending_email == ATTACKER_ADDRESS
        assert _user(world, "staff.lakeside")["email"] == "staff.lakeside@example.org"
        assert "A change of your provider portal email address was asked for" in _subjects_to(
            world, "staff.lakeside@example.org"
        )
        # The practice maintenance user of the same TIN may not edit an administrator at all.
        await admin.sign_out()
        await admin.sign_in("maint.lakeside", DEMO_PASSWORD)
        try:
            await admin.update_user_contact(
                int(str(_user(world, "admin.lakeside")["id"])), ContactUpdate(email="x@y.org")
            )
            raise AssertionError("practice maintenance edited an administrator")
        except PermissionDenied:
            pass
    finally:
        await admin.close()
