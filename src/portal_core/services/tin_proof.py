"""Proof of a relationship to a TIN, asked at registration and for an additional TIN.

Either the TIN's registration code (kept as an Argon2id hash on `tins`), or a claim paid to the
TIN within the last 24 months together with its paid amount, to the cent. A registration code
carries at least 60 random bits (the demo's: 16 symbols of `CODE_ALPHABET`, 80 bits), far past
guessing within the proof throttles (`services/throttles.py`: per address, per TIN, per account).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from portal_core.errors import ValidationFailed
from portal_core.models.identity import RegistrationProof
from portal_core.rules.identifiers import parse_claim_number
from portal_core.rules.money import parse_amount
from portal_core.rules.passwords import verify_password
from portal_core.store.schema import claims, payments, tins

CLAIM_PROOF_WINDOW = timedelta(days=730)
"""How far back a paid claim still proves the relationship (24 months)."""

NOT_PROVEN = "We could not confirm your relationship to that Tax ID with what you entered."
"""The one answer for an unknown TIN, a wrong code or a claim that does not match."""


CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""The symbols of a code's random part (Crockford's base 32: no I, L, O or U to misread)."""

MIN_CODE_BITS = 60
"""The fewest random bits a registration code may carry."""


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
    # A malformed number or amount proves nothing; the answer stays the same one as for a mismatch.
    try:
        number = parse_claim_number(proof.claim_number or "")
        cents = parse_amount(proof.paid_amount or "", "paid_amount")
    except ValidationFailed:
        return False
    row = conn.execute(
        select(claims.c.paid_cents, payments.c.payment_date)
        .join(payments, payments.c.id == claims.c.payment_id)
        .where(claims.c.claim_number == number, claims.c.tin == tin)
    ).first()
    if row is None or row.paid_cents <= 0:
        return False
    recent: bool = row.payment_date >= (now - CLAIM_PROOF_WINDOW).date()
    return recent and int(row.paid_cents) == cents
