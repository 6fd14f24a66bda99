"""proven email addresses: verification time, pending changes, outbox rows owned by an account

- `users.email_verified_at`: when the address on file was proven by a code mailed to it. Addresses
  already on file count as proven from the account's creation (they are what the office has been
  using), except for old-portal (legacy) accounts, whose address is proven during migration.
- `email_proofs`: one address waiting for proof per user, its code kept as a keyed digest.
- `mail_outbox.user_id`: the account whose proven address a mail went to (a user's own mail is
  found by account, never by matching the address).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE users SET email_verified_at = created_at WHERE status <> 'legacy'")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_mail_outbox_user_id_users"), "users", ["user_id"], ["id"]
        )
        batch_op.create_index("ix_mail_outbox_user", ["user_id", "id"], unique=False)
    op.create_table(
        "email_proofs",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_email_proofs_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_email_proofs_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_proofs")),
    )


def downgrade() -> None:
    op.drop_table("email_proofs")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_outbox_user")
        batch_op.drop_constraint(op.f("fk_mail_outbox_user_id_users"), type_="foreignkey")
        batch_op.drop_column("user_id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_verified_at")
