"""The shipped migrations build exactly the schema `store/schema.py` declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal_core.store.engine import Database
from portal_core.store.migrations.env_filters import include_name
from portal_core.store.schema import metadata


def test_migrations_match_the_declared_schema(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        differences = compare_metadata(context, metadata)
    assert differences == [], "store/schema.py changed without a migration: " + repr(differences)
