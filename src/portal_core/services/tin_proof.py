"""Proof of a relationship to a TIN, asked at registration and for an additional TIN.

Either the TIN's registration code (kept as an Argon2id hash on `tins`), or a claim paid to the
TIN within the last 24 months together with its paid amount, to the cent. The claim proof needs the
claims table; until the schema has one, it is refused with a message pointing to the registration
code.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Column, Connection, Table, select

from portal_core.errors import ValidationFailed
from portal_core.models.identity import RegistrationProof
from portal_core.rules.passwords import verify_password
from portal_core.store.schema import metadata, tins

CLAIM_PROOF_WINDOW = timedelta(days=730)
"""How far back a paid claim still proves the relationship (24 months)."""

NOT_PROVEN = "We could not confirm your relationship to that Tax ID with what you entered."
"""The one answer for an unknown TIN, a wrong code or a claim that does not match."""

_CLAIM_NUMBER_COLUMNS = ("claim_number",)
_CLAIM_TIN_COLUMNS = ("tin", "billing_tin", "payee_tin")
_CLAIM_PAID_COLUMNS = ("paid_amount", "total_paid", "paid")
_CLAIM_DATE_COLUMNS = ("paid_date", "paid_at", "payment_date", "adjudicated_at", "received_date")


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


def _claims_table() -> Table | None:
    return metadata.tables.get("claims")


def _column(table: Table, names: tuple[str, ...]) -> Column[Any] | None:
    for name in names:
        if name in table.c:
            return table.c[name]
    return None


def _claim_proves(conn: Connection, tin: str, proof: RegistrationProof, now: datetime) -> bool:
    table = _claims_table()
    columns = None
    if table is not None:
        columns = (
            _column(table, _CLAIM_NUMBER_COLUMNS),
            _column(table, _CLAIM_TIN_COLUMNS),
            _column(table, _CLAIM_PAID_COLUMNS),
            _column(table, _CLAIM_DATE_COLUMNS),
        )
    if columns is None or any(column is None for column in columns):
        raise ValidationFailed(
            "Claim proof is not available yet; use the TIN's registration code.",
            field="claim_number",
        )
    number_col, tin_col, paid_col, date_col = columns
    assert number_col is not None and tin_col is not None
    assert paid_col is not None and date_col is not None
    try:
        typed_amount = Decimal((proof.paid_amount or "").strip().replace(",", "").lstrip("$"))
    except InvalidOperation:
        typed_amount = Decimal("NaN")
    if not typed_amount.is_finite():
        raise ValidationFailed("Enter the paid amount like 123.45.", field="paid_amount")
    row = conn.execute(
        select(paid_col, date_col).where(
            number_col == (proof.claim_number or "").strip().upper(), tin_col == tin
        )
    ).first()
    if row is None or row[0] is None or row[1] is None:
        return False
    paid = Decimal(str(row[0]))
    when = row[1]
    when_date = when.date() if isinstance(when, datetime) else when
    if not isinstance(when_date, date) or when_date < (now - CLAIM_PROOF_WINDOW).date():
        return False
    return paid.quantize(Decimal("0.01")) == typed_amount.quantize(Decimal("0.01")) and paid > 0
