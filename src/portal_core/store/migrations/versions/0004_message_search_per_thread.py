"""message search: one full-text document per thread (SQLite)

Migration 0002 indexed each subject and each post as its own FTS5 row, with the thread id as an
unindexed column: listing the threads a common word matches cost a lookup per matching row. Here
each thread is one FTS5 document whose rowid is the thread id, with two columns: the subject and
the thread's posts (appended by a trigger as they are written). The threads a query matches are
then the rowids FTS5 returns, which the inbox query can take directly (`store/messages.py`).

A query still matches when every term is in the subject or in a post; a quoted phrase could now
match across the end of one post and the start of the next, which the search accepts.

PostgreSQL keeps its GIN expression indexes from 0002: nothing changes there.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TOKENIZER = "tokenize = 'unicode61 remove_diacritics 2'"

_DROP_0002 = (
    "DROP TRIGGER IF EXISTS message_threads_text_insert",
    "DROP TRIGGER IF EXISTS message_threads_text_delete",
    "DROP TRIGGER IF EXISTS message_posts_text_insert",
    "DROP TABLE IF EXISTS message_text",
)

_UP = (
    f"CREATE VIRTUAL TABLE message_text USING fts5(subject, posts, {_TOKENIZER})",
    # Posts in the order they were written, one per line.
    "INSERT INTO message_text (rowid, subject, posts) "
    "SELECT t.id, t.subject, coalesce((SELECT group_concat(body, char(10)) FROM "
    "(SELECT body FROM message_posts p WHERE p.thread_id = t.id ORDER BY p.id)), '') "
    "FROM message_threads t ORDER BY t.id",
    "CREATE TRIGGER message_threads_text_insert AFTER INSERT ON message_threads BEGIN "
    "INSERT INTO message_text (rowid, subject, posts) VALUES (new.id, new.subject, ''); END",
    "CREATE TRIGGER message_threads_text_subject AFTER UPDATE OF subject ON message_threads "
    "BEGIN UPDATE message_text SET subject = new.subject WHERE rowid = new.id; END",
    "CREATE TRIGGER message_threads_text_delete AFTER DELETE ON message_threads BEGIN "
    "DELETE FROM message_text WHERE rowid = old.id; END",
    "CREATE TRIGGER message_posts_text_insert AFTER INSERT ON message_posts BEGIN "
    "UPDATE message_text SET posts = posts || char(10) || new.body WHERE rowid = new.thread_id; "
    "END",
)

_DOWN = (
    "DROP TRIGGER IF EXISTS message_threads_text_insert",
    "DROP TRIGGER IF EXISTS message_threads_text_subject",
    "DROP TRIGGER IF EXISTS message_threads_text_delete",
    "DROP TRIGGER IF EXISTS message_posts_text_insert",
    "DROP TABLE IF EXISTS message_text",
    # 0002's layout: a row per subject ('s') and per post ('p').
    "CREATE VIRTUAL TABLE message_text USING fts5("
    f"thread_id UNINDEXED, kind UNINDEXED, body, {_TOKENIZER})",
    "INSERT INTO message_text (thread_id, kind, body) "
    "SELECT id, 's', subject FROM message_threads ORDER BY id",
    "INSERT INTO message_text (thread_id, kind, body) "
    "SELECT thread_id, 'p', body FROM message_posts ORDER BY id",
    "CREATE TRIGGER message_threads_text_insert AFTER INSERT ON message_threads BEGIN "
    "INSERT INTO message_text (thread_id, kind, body) VALUES (new.id, 's', new.subject); END",
    "CREATE TRIGGER message_threads_text_delete AFTER DELETE ON message_threads BEGIN "
    "DELETE FROM message_text WHERE thread_id = old.id; END",
    "CREATE TRIGGER message_posts_text_insert AFTER INSERT ON message_posts BEGIN "
    "INSERT INTO message_text (thread_id, kind, body) VALUES (new.thread_id, 'p', new.body); END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in (*_DROP_0002, *_UP):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in _DOWN:
        op.execute(statement)
