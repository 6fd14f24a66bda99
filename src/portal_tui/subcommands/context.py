"""What every subcommand shares: the settings, the database, the services, and a signed-in client.

Everything loads on first use, so `portal --version` imports nothing heavy. Commands that act for a
user sign in with `PORTAL_USERNAME` and `PORTAL_PASSWORD` (never flags: flags end up in shell
history and process lists) and sign out when done.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from portal_core.errors import ValidationFailed

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.config import Settings
    from portal_core.services import Services
    from portal_core.store.engine import Database

T = TypeVar("T")

MISSING_CREDENTIALS = (
    "This command acts for a portal user. Set PORTAL_USERNAME and PORTAL_PASSWORD in the "
    "environment (they are never taken as flags), or with a server, run `portal login` first."
)


@dataclass
class CliContext:
    """The global options and what is built from them, each once."""

    server: str | None = None
    profile: str | None = None
    database_url: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _database: Database | None = field(default=None, repr=False)
    _services: Services | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        """Flags > PORTAL_* environment > config file > defaults."""
        if self._settings is None:
            from portal_core.config import load_settings

            self._settings = load_settings(
                server=self.server, profile=self.profile, database_url=self.database_url
            )
        return self._settings

    def database(self, *, migrate: bool = False) -> Database:
        """The embedded database; `migrate` brings a never-migrated one to the newest schema."""
        if self._database is None:
            from portal_core.store.engine import Database

            self._database = Database(self.settings().resolved_database_url())
        if migrate:
            from portal_core.client.factory import has_schema

            if not has_schema(self._database):
                self._database.upgrade()
        return self._database

    def services(self) -> Services:
        """Every service over the (migrated) database, with the real clock."""
        if self._services is None:
            from portal_core.services import Services

            self._services = Services(self.database(migrate=True), mail=self.settings().mail)
        return self._services

    def close(self) -> None:
        """Release the database."""
        if self._database is not None:
            self._database.dispose()

    def as_user(self, work: Callable[[PortalClient], Awaitable[T]]) -> T:
        """Sign in from the environment, run `work` with the client, always sign out."""
        username = os.environ.get("PORTAL_USERNAME", "").strip()
        password = os.environ.get("PORTAL_PASSWORD", "")
        totp_code = os.environ.get("PORTAL_TOTP_CODE") or None
        if not (username and password) and not self.settings().resolved_server():
            raise ValidationFailed(MISSING_CREDENTIALS)

        async def session() -> T:
            client = self._client()
            try:
                if not (username and password) and client.token is not None:
                    # A session kept by `portal login` (or PORTAL_TOKEN): use it, keep it.
                    return await work(client)
                if not username or not password:
                    raise ValidationFailed(MISSING_CREDENTIALS)
                await client.sign_in(username, password, totp_code)
                try:
                    return await work(client)
                finally:
                    await client.sign_out()
            finally:
                await client.close()

        return asyncio.run(session())

    def _client(self) -> PortalClient:
        if self.settings().resolved_server():
            from portal_core.client.factory import open_client

            return open_client(self.settings())
        from portal_core.client.local import LocalClient

        return LocalClient(self.services())
