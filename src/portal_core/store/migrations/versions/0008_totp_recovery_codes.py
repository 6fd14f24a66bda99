"""totp recovery codes: single-use stand-ins for a code from the authenticator app

`totp_recovery_codes` holds the keyed digests of the ten codes handed out when two-step sign-in
is turned on (or the set is made anew), each with the time it was used.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "totp_recovery_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_totp_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_totp_recovery_codes")),
    )
    op.create_index("ix_totp_recovery_codes_user", "totp_recovery_codes", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_totp_recovery_codes_user", table_name="totp_recovery_codes")
    op.drop_table("totp_recovery_codes")
