"""audit log: chain positions, checkpoints, and triggers that refuse UPDATE and DELETE

Each audit row gets `seq`, its position in the chain (1, 2, 3, ...; numbered here in id order for
the rows already written). From this revision on `services/audit.py` keys the chain with an HMAC
and hashes `seq` with the row; the rows already written keep their plain SHA-256 hashes. This
migration marks where they end: when the log holds rows it writes an unsigned boundary checkpoint
(`legacy_through` = their count), which the first signed checkpoint the portal writes copies and
so seals (see the module docstring of `services/audit.py`).

`audit_checkpoints` holds the signed checkpoints (they are also appended to a file outside the
database). Both tables refuse UPDATE and DELETE by triggers, on SQLite and PostgreSQL (where a
statement trigger refuses TRUNCATE too, which row triggers do not see). Someone who owns the
database can still drop a trigger; the keyed chain and the checkpoints outside the database are
what show that afterwards.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_log", "audit_checkpoints")
"""The tables the triggers guard."""

_MESSAGE = "the audit log is append-only"

_NUMBER_ROWS = (
    "UPDATE audit_log SET seq = numbered.n FROM "
    "(SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_log) AS numbered "
    "WHERE audit_log.id = numbered.id"
)


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
        for verb in ("UPDATE", "DELETE")
    ]


_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'restrict_violation'; END $$"
)


def _pg_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("audit_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.execute(_NUMBER_ROWS)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
    checkpoints = op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("legacy_through", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    head = (
        op.get_bind()
        .execute(sa.text("SELECT id, seq, hash FROM audit_log ORDER BY id DESC LIMIT 1"))
        .first()
    )
    if head is not None:
        now = datetime.now(UTC)
        op.bulk_insert(
            checkpoints,
            [
                {
                    "at": now.replace(tzinfo=None) if dialect == "sqlite" else now,
                    "seq": head.seq,
                    "last_id": head.id,
                    "head_hash": head.hash,
                    "legacy_through": head.seq,
                    "signature": None,
                }
            ],
        )
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in APPEND_ONLY:
            for statement in _pg_triggers(table):
                op.execute(statement)
    else:
        for table in APPEND_ONLY:
            for statement in _sqlite_triggers(table):
                op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("seq")
