"""Proof of a relationship to a TIN, asked at registration and for an additional TIN.

Either the TIN's registration code (kept as an Argon2id hash on `tins`), or a claim paid to the
TIN within the last 24 months together with its paid amount, to the cent. The claim proof needs the
claims table; until the schema has one, it is refused with a message pointing to the registration
code.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from portal_core.errors import ValidationFailed
from portal_core.models.identity import RegistrationProof
from portal_core.rules.passwords import verify_password
from portal_core.store.schema import tins

CLAIM_PROOF_WINDOW = timedelta(days=730)
"""How far back a paid claim still proves the relationship (24 months)."""

NOT_PROVEN = "We could not confirm your relationship to that Tax ID with what you entered."
"""The one answer for an unknown TIN, a wrong code or a claim that does not match."""


def proof_kind(proof: RegistrationProof) -> str:
    """`registration_code` or `claim`, or `ValidationFailed` when neither is given."""
    if proof.registration_code and proof.registration_code.strip():
        return "registration_code"
    if proof.claim_number and proof.claim_number.strip():
        return "claim"
    raise ValidationFailed(
        "Give the Tax ID's registration code, or a claim number paid to it and its paid amount.",
        field="registration_code",
    )


def proves_tin(conn: Connection, tin: str, proof: RegistrationProof, now: datetime) -> bool:
    """True when `proof` shows a relationship to `tin` (False for an unknown TIN)."""
    kind = proof_kind(proof)
    if kind == "registration_code":
        code_hash = conn.execute(
            select(tins.c.registration_code_hash).where(tins.c.tin == tin)
        ).scalar_one_or_none()
        # Verify even without a hash, so an unknown TIN costs the same time as a wrong code.
        return verify_password(code_hash, (proof.registration_code or "").strip())
    return _claim_proves(conn, tin, proof, now)


def _claim_proves(conn: Connection, tin: str, proof: RegistrationProof, now: datetime) -> bool:
    # Claims arrive with the members-and-claims issue; this check is written against their table
    # then. Until then the registration code is the one proof.
    raise ValidationFailed(
        "Claim proof is not available yet; use the TIN's registration code.",
        field="claim_number",
    )
