"""throttle counters: failed attempts at every guessable secret, keyed by digests

`throttle_counters` replaces `sign_in_address_failures`: one row per (kind, key digest) counts the
failed attempts at a password, a registration or reset code, a username reminder or a TOTP code,
per account, per client address and per target, and the sign-in attempts in flight (so that
right passwords checked at the same moment never count against each other). Keys are keyed digests, so the table holds no
client address, username or email address in clear (the old table kept addresses as typed).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle_counters",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("in_flight", sa.Integer(), server_default="0", nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proven_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", "key_digest", name=op.f("pk_throttle_counters")),
    )
    op.create_index(
        op.f("ix_throttle_counters_subject"), "throttle_counters", ["subject"], unique=False
    )
    # The old counts were per address in clear; they are dropped, not carried over (15 minutes).
    op.drop_table("sign_in_address_failures")


def downgrade() -> None:
    op.create_table(
        "sign_in_address_failures",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_sign_in_address_failures")),
    )
    op.drop_index(op.f("ix_throttle_counters_subject"), table_name="throttle_counters")
    op.drop_table("throttle_counters")
