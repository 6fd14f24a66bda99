"""Choosing the backend: a `RemoteClient` when a server is configured, else a `LocalClient` over the
embedded database (migrated on first use, so a fresh install works without `portal db upgrade`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_core.client.base import PortalClient
from portal_core.config import Settings

if TYPE_CHECKING:
    from portal_core.store.engine import Database


def open_client(settings: Settings) -> PortalClient:
    """The client the settings ask for. Slow parts (imports, opening the database) happen here,
    so callers run it off the event loop."""
    server = settings.resolved_server()
    if server:
        from portal_core.client.remote import RemoteClient

        return RemoteClient.connect(server, settings)
    from portal_core.client.local import LocalClient
    from portal_core.services import Services
    from portal_core.store.engine import Database

    db = Database(settings.resolved_database_url())
    if not has_schema(db):
        db.upgrade()
    return LocalClient(Services(db, mail=settings.mail))


def has_schema(db: Database) -> bool:
    """True when the database has been migrated at least once (cheap: no Alembic import)."""
    from sqlalchemy import inspect

    with db.engine.connect() as conn:
        return inspect(conn).has_table("alembic_version")
