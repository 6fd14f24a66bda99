"""Where a remote session token is kept (DESIGN.md, "Credentials").

In order: `PORTAL_TOKEN` from the environment; else the system keyring when a test write to it
succeeds; else memory, for this run only. A plaintext file (`paths.token_file()`, 0600) only when
the settings say `token_storage = "file"`, with a warning. Never a password: only the server's
opaque session token, which the server can revoke.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from portal_core import paths
from portal_core.config import Settings

KEYRING_SERVICE = "portal-tui"
"""The keyring service name; the account name is the server URL."""

_PROBE_ACCOUNT = "__portal_probe__"

FILE_WARNING = (
    "warning: the portal session token is kept in a plaintext file ({path}) because "
    'token_storage = "file"; anyone who can read that file can act as you until you sign out.'
)


class TokenStore(ABC):
    """Keeps one server's session token."""

    where: str = "memory"
    """Where the token is kept, in words (`portal login` says it)."""

    @abstractmethod
    def load(self) -> str | None:
        """The kept token, if any."""

    @abstractmethod
    def save(self, token: str) -> None:
        """Keep `token`, replacing any other."""

    @abstractmethod
    def clear(self) -> None:
        """Forget the token."""


class MemoryTokenStore(TokenStore):
    """The token for this run only."""

    def __init__(self, token: str | None = None, where: str = "memory (this run only)") -> None:
        self._token = token
        self.where = where

    def load(self) -> str | None:
        return self._token

    def save(self, token: str) -> None:
        self._token = token

    def clear(self) -> None:
        self._token = None


class KeyringTokenStore(TokenStore):
    """The token in the system keyring, under the server's URL."""

    where = "the system keyring"

    def __init__(self, server: str, keyring: Any) -> None:
        self.server = server
        """The account name in the keyring."""
        self._keyring = keyring

    @classmethod
    def probe(cls, server: str) -> KeyringTokenStore | None:
        """A store when a test write to the keyring succeeds, else None."""
        try:
            import keyring

            keyring.set_password(KEYRING_SERVICE, _PROBE_ACCOUNT, "ok")
            works = keyring.get_password(KEYRING_SERVICE, _PROBE_ACCOUNT) == "ok"
            keyring.delete_password(KEYRING_SERVICE, _PROBE_ACCOUNT)
        except Exception:  # no backend, a locked or broken one: all mean "not usable"
            return None
        return cls(server, keyring) if works else None

    def load(self) -> str | None:
        try:
            token = self._keyring.get_password(KEYRING_SERVICE, self.server)
        except Exception:
            return None
        return str(token) if token else None

    def save(self, token: str) -> None:
        # A keyring that fails now leaves the session working for this run.
        with contextlib.suppress(Exception):
            self._keyring.set_password(KEYRING_SERVICE, self.server, token)

    def clear(self) -> None:
        # Nothing kept, or the keyring went away: nothing to forget.
        with contextlib.suppress(Exception):
            self._keyring.delete_password(KEYRING_SERVICE, self.server)


class FileTokenStore(TokenStore):
    """Tokens by server URL in a plaintext JSON file, mode 0600 (only when asked for)."""

    def __init__(self, path: Path, server: str) -> None:
        self.path = path
        """The file."""
        self.server = server
        """The server whose token this store keeps."""
        self.where = f"the file {path}"

    def _all(self) -> dict[str, str]:
        try:
            found = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    def _write(self, tokens: dict[str, str]) -> None:
        paths.write_private_file(self.path, json.dumps(tokens).encode())

    def load(self) -> str | None:
        return self._all().get(self.server)

    def save(self, token: str) -> None:
        self._write({**self._all(), self.server: token})

    def clear(self) -> None:
        tokens = self._all()
        if tokens.pop(self.server, None) is not None:
            self._write(tokens)


def open_token_store(settings: Settings, server: str) -> TokenStore:
    """The store the environment and settings call for (see the module docstring)."""
    from_environment = os.environ.get("PORTAL_TOKEN", "").strip()
    if from_environment:
        return MemoryTokenStore(from_environment, where="PORTAL_TOKEN")
    if settings.token_storage == "file":
        path = paths.token_file()
        print(FILE_WARNING.format(path=path), file=sys.stderr)
        return FileTokenStore(path, server)
    return KeyringTokenStore.probe(server) or MemoryTokenStore()
