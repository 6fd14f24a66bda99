"""What an attacker with write access to the database does first to change the audit log: drop the
triggers that refuse UPDATE and DELETE on it (migration 0007). Tests that tamper call this, and
`portal audit verify` must still catch what they do next."""

from __future__ import annotations

from sqlalchemy import Connection

APPEND_ONLY = ("audit_log", "audit_checkpoints")
"""The tables the triggers guard."""


def drop_audit_triggers(conn: Connection) -> None:
    """Drop the append-only triggers of the audit tables, on SQLite or PostgreSQL."""
    for table in APPEND_ONLY:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_update")
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_delete")
