"""Proven email addresses: an address counts for an account only once a code mailed to it is
entered by the account's owner.

Rules:

- A new address (the user's own change, an administrator's change of a user's contact details,
  registration, migration from the old portal) is first a *pending* address: a random 8-digit
  code is mailed to it, kept as a keyed digest (`keys.keyed_digest`), valid 30 minutes, single
  use, at most `MAX_ATTEMPTS` wrong tries. The address on file changes only when the owner enters
  the code while signed in; a registrant may enter the code of the address they registered with
  right after registering, without a session.
- The address on file is told when a change is asked for and when it is made.
- Recovery mail (password reset, username reminder) goes only to a proven address
  (`users.email_verified_at`); so does a user's own view of their mail (`mail_outbox.user_id`).
- Mail to an address not yet proven names no account: only the operator sees it
  (`portal mail outbox`), never a user through the portal.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from portal_core.errors import ValidationFailed
from portal_core.keys import keyed_digest
from portal_core.models.identity import Principal, UserStatus
from portal_core.rules.identifiers import parse_email, username_key
from portal_core.services import throttles
from portal_core.services.identity_area import IdentityArea, user_row
from portal_core.store import accounts
from portal_core.store.schema import email_proofs, password_resets, users

PROOF_VALID = timedelta(minutes=30)
"""How long a mailed address code works."""

MAX_ATTEMPTS = 5
"""Wrong codes after which the pending address is dropped (a new code must be asked for)."""

RESEND_AFTER = timedelta(seconds=60)
"""The shortest time between two codes for the same account (no mail bombing of an address)."""

CODE_DIGITS = 8
"""The length of a mailed code."""

NOT_RIGHT = "That code is not right or has expired. Ask for a new one."
"""The one answer for a wrong, used, expired or unknown code."""

_PURPOSE = "email.proof"


def _digest(user_id: int, address: str, code: str) -> str:
    return keyed_digest(_PURPOSE, f"{user_id}\n{address.casefold()}\n{code.strip()}")


def masked(address: str) -> str:
    """An address as told to the old one: `j***@example.org` (never the whole new address)."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def pending_address(conn: Connection, user_id: int, now: datetime) -> str | None:
    """The address waiting for the user's proof, if a live code exists."""
    row = conn.execute(
        select(email_proofs.c.address, email_proofs.c.expires_at).where(
            email_proofs.c.user_id == user_id
        )
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return str(row.address)


def start_proof(
    conn: Connection,
    user: RowMapping,
    address: str,
    requested_by: RowMapping,
    now: datetime,
) -> None:
    """Replace the user's pending address with `address`, mail it a code and tell the old address
    (caller's transaction). `requested_by` is the user themself or the administrator asking."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    conn.execute(delete(email_proofs).where(email_proofs.c.user_id == user["id"]))
    conn.execute(
        insert(email_proofs).values(
            user_id=user["id"],
            address=address,
            code_hash=_digest(int(user["id"]), address, code),
            requested_by=requested_by["id"],
            created_at=now,
            expires_at=now + PROOF_VALID,
            attempts=0,
        )
    )
    by_self = requested_by["id"] == user["id"]
    asked = (
        "You asked"
        if by_self
        else f"{requested_by['full_name']} ({requested_by['username']}), an administrator, asked"
    )
    # The code goes to the address being proven, which names no account until it is proven.
    accounts.queue_mail(
        conn,
        address,
        "Confirm your provider portal email address",
        f"Hello {user['full_name']},\n\n{asked} to use this address for the portal user "
        f"{user['username']}.\nYour confirmation code is:\n\n    {code}\n\n"
        "Enter it in the portal within 30 minutes: on the registration or migration screen you "
        "came from, or in Settings > Email signed in as that user. It works once.\n"
        "If you did not expect this, ignore this mail: the address is not used "
        "until the code is entered.\n",
        now,
    )
    old = str(user["email"])
    if old and old.casefold() != address.casefold():
        accounts.mail_user(
            conn,
            user,
            "A change of your provider portal email address was asked for",
            f"Hello {user['full_name']},\n\n{asked} to change the email address of the portal "
            f"user {user['username']} to {masked(address)}.\nIt takes effect only when the code "
            "mailed to the new address is entered by you, signed in.\nIf this was not you, "
            "call the provider service line.\n",
            now,
        )


class EmailProofService(IdentityArea):
    """Asking for and confirming a change of the signed-in user's email address."""

    def request_email_change(self, principal: Principal, email: str) -> None:
        """Mail a code to `email` (a new address, or the unproven one on file) and tell the old
        address; the address on file changes only when the code is entered."""
        address = parse_email(email)
        now = self.clock.now()
        with self.db.write() as conn:
            user = user_row(conn, principal.user_id)
            same = str(user["email"]).casefold() == address.casefold()
            if same and user["email_verified_at"] is not None:
                raise ValidationFailed("That is already your confirmed address.", field="email")
            last = conn.execute(
                select(email_proofs.c.created_at).where(email_proofs.c.user_id == user["id"])
            ).scalar_one_or_none()
            if last is not None and now - last < RESEND_AFTER:
                raise ValidationFailed(
                    "A code was mailed less than a minute ago. Wait a minute and ask again.",
                    field="email",
                )
            start_proof(conn, user, address, user, now)
            self._audit(
                conn,
                "identity.request_email_change",
                principal=principal,
                record_kind="user",
                record_id=principal.user_id,
                detail={"same_address": same},
            )

    def confirm_email_change(self, principal: Principal, code: str) -> None:
        """Make the pending address the account's proven address (the code mailed to it)."""
        self._confirm(int(principal.user_id), code, principal=principal)

    def confirm_registration_email(self, username: str, code: str) -> None:
        """A registrant proves the address they registered with, before signing in.

        Only a code the user asked for themself, for the address on file, works here: a change
        an administrator asked for needs the owner signed in.
        """
        action = "identity.confirm_email"
        self._begin_throttled([(throttles.EMAIL_CODE_ADDRESS, throttles.caller().address)], action)
        with self.db.read() as conn:
            key = username_key(username)
            user = (
                conn.execute(select(users).where(users.c.username_key == key)).mappings().first()
                if key
                else None
            )
            proof = (
                conn.execute(select(email_proofs).where(email_proofs.c.user_id == user["id"]))
                .mappings()
                .first()
                if user is not None
                else None
            )
        own_registration = (
            user is not None
            and proof is not None
            and proof["requested_by"] == user["id"]
            and user["email_verified_at"] is None
            and str(proof["address"]).casefold() == str(user["email"]).casefold()
            and user["status"] in (UserStatus.ACTIVE.value, UserStatus.PENDING.value)
        )
        if not own_registration or user is None:
            _digest(0, "", code)  # the same work as a real check
            raise self._refuse(
                ValidationFailed(NOT_RIGHT, field="code"),
                action,
                user=user,
                outcome="failed",
                detail={"reason": "no_pending_registration"}
                | ({} if user is not None else {"name_digest": throttles.name_digest(key)}),
            )
        self._confirm(int(user["id"]), code, principal=None)

    def _confirm(self, user_id: int, code: str, *, principal: Principal | None) -> str:
        action = "identity.confirm_email"
        now = self.clock.now()
        with self.db.read() as conn:
            user = user_row(conn, user_id)
            proof = (
                conn.execute(select(email_proofs).where(email_proofs.c.user_id == user_id))
                .mappings()
                .first()
            )
        if proof is None or proof["expires_at"] <= now:
            raise self._refuse(
                ValidationFailed(NOT_RIGHT, field="code"),
                action,
                principal=principal,
                user=None if principal else user,
                record_kind="user",
                record_id=user_id,
                outcome="failed",
                detail={"reason": "no_pending_address"},
            )
        expected = _digest(user_id, proof["address"], code)
        if not hmac.compare_digest(expected, proof["code_hash"]):
            with self.db.write() as conn:
                attempts = int(proof["attempts"]) + 1
                if attempts >= MAX_ATTEMPTS:
                    conn.execute(delete(email_proofs).where(email_proofs.c.user_id == user_id))
                else:
                    conn.execute(
                        update(email_proofs)
                        .where(email_proofs.c.user_id == user_id)
                        .values(attempts=attempts)
                    )
                self._audit(
                    conn,
                    action,
                    outcome="failed",
                    principal=principal,
                    user=None if principal else user,
                    record_kind="user",
                    record_id=user_id,
                    detail={"reason": "wrong_code", "attempts": attempts},
                )
            left = MAX_ATTEMPTS - attempts
            message = (
                f"That code is not right ({left} tr{'y' if left == 1 else 'ies'} left)."
                if left > 0
                else "That code is not right. Ask for a new one."
            )
            raise ValidationFailed(message, field="code")
        with self.db.write() as conn:
            # Claim the code inside the write, so two uses racing cannot both succeed.
            claimed = conn.execute(
                delete(email_proofs).where(
                    email_proofs.c.user_id == user_id,
                    email_proofs.c.code_hash == proof["code_hash"],
                )
            ).rowcount
            if not claimed:
                raise ValidationFailed(NOT_RIGHT, field="code")
            fresh = user_row(conn, user_id)
            old = str(fresh["email"])
            address = str(proof["address"])
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(email=address, email_verified_at=now)
            )
            changed = old.casefold() != address.casefold()
            if changed:
                # A reset code mailed to the old address stops working.
                conn.execute(
                    update(password_resets)
                    .where(
                        password_resets.c.user_id == user_id, password_resets.c.used_at.is_(None)
                    )
                    .values(used_at=now)
                )
                accounts.mail_user(
                    conn,
                    fresh,
                    "Your provider portal email address was changed",
                    f"Hello {fresh['full_name']},\n\nThe email address of the portal user "
                    f"{fresh['username']} is now {masked(address)}. Mail from the portal no "
                    "longer comes here.\nIf this was not you, call the provider service line.\n",
                    now,
                )
            self._audit(
                conn,
                action,
                principal=principal,
                user=None if principal else fresh,
                record_kind="user",
                record_id=user_id,
                detail={
                    "before": {"email": old, "verified": fresh["email_verified_at"] is not None},
                    "after": {"email": address, "verified": True},
                },
            )
        return address
