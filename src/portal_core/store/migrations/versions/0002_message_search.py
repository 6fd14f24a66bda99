"""message free-text search

The full-text index over thread subjects and posts, which autogeneration cannot express: on
SQLite an FTS5 table kept by triggers, on PostgreSQL GIN indexes over `to_tsvector('simple', …)`
(the expressions `store/messages.py` searches with). Both tokenize without stemming, so a search
matches the same threads on either backend.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SQLITE_UP = (
    # One row per subject (kind 's') and per post (kind 'p'): thread_id says which thread matched.
    "CREATE VIRTUAL TABLE message_text USING fts5("
    "thread_id UNINDEXED, kind UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER message_threads_text_insert AFTER INSERT ON message_threads BEGIN "
    "INSERT INTO message_text (thread_id, kind, body) VALUES (new.id, 's', new.subject); END",
    "CREATE TRIGGER message_threads_text_delete AFTER DELETE ON message_threads BEGIN "
    "DELETE FROM message_text WHERE thread_id = old.id; END",
    "CREATE TRIGGER message_posts_text_insert AFTER INSERT ON message_posts BEGIN "
    "INSERT INTO message_text (thread_id, kind, body) VALUES (new.thread_id, 'p', new.body); END",
)

_POSTGRESQL_UP = (
    "CREATE INDEX ix_message_threads_subject_text ON message_threads "
    "USING gin (to_tsvector('simple', subject))",
    "CREATE INDEX ix_message_posts_body_text ON message_posts "
    "USING gin (to_tsvector('simple', body))",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = _SQLITE_UP if dialect == "sqlite" else _POSTGRESQL_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS message_posts_text_insert")
        op.execute("DROP TRIGGER IF EXISTS message_threads_text_delete")
        op.execute("DROP TRIGGER IF EXISTS message_threads_text_insert")
        op.execute("DROP TABLE IF EXISTS message_text")
    else:
        op.execute("DROP INDEX IF EXISTS ix_message_posts_body_text")
        op.execute("DROP INDEX IF EXISTS ix_message_threads_subject_text")
