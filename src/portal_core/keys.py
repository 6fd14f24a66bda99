"""The server's secret key, kept outside the database, and the keyed digests made with it.

The key is `PORTAL_SECRET_KEY` (any string of at least 32 characters) when it is set, which is
how several `portal serve` nodes over one PostgreSQL share it; otherwise a random 32-byte key in
`secret.key` beside the embedded database (created 0600 on first use). Each use takes its own
subkey (`subkey(purpose)`), so a digest made for one purpose says nothing about another.
Whoever can read the database alone cannot recompute a keyed digest.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from portal_core import paths
from portal_core.errors import ValidationFailed

ENV_NAME = "PORTAL_SECRET_KEY"
"""The environment variable that carries the key."""

MIN_ENV_LENGTH = 32
"""The shortest key accepted from the environment."""

_cache: dict[tuple[str | None, Path], bytes] = {}


def key_file() -> Path:
    """Where the embedded set-up keeps its key."""
    return paths.data_dir() / "secret.key"


def master_key() -> bytes:
    """The secret key (read once per environment value and file)."""
    from_env = os.environ.get(ENV_NAME)
    where = key_file()
    cached = _cache.get((from_env, where))
    if cached is not None:
        return cached
    if from_env is not None:
        if len(from_env) < MIN_ENV_LENGTH:
            raise ValidationFailed(
                f"{ENV_NAME} must hold at least {MIN_ENV_LENGTH} characters.", field=ENV_NAME
            )
        key = hashlib.sha256(from_env.encode()).digest()
    else:
        key = _file_key(where)
    _cache[(from_env, where)] = key
    return key


def _file_key(where: Path) -> bytes:
    try:
        return bytes.fromhex(where.read_text().strip())
    except FileNotFoundError:
        pass
    paths.ensure_private_dir(where.parent)
    fresh = secrets.token_bytes(32)
    try:
        # O_EXCL: when two processes start at once, one writes and both read the same key.
        fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(where.read_text().strip())
    with os.fdopen(fd, "w") as handle:
        handle.write(fresh.hex())
    return fresh


def subkey(purpose: str) -> bytes:
    """The key for one purpose (`audit.chain`, `throttle.username`, ...)."""
    return hmac.new(master_key(), purpose.encode(), hashlib.sha256).digest()


def keyed_digest(purpose: str, text: str) -> str:
    """A hex HMAC-SHA256 of `text` under the purpose's subkey."""
    return hmac.new(subkey(purpose), text.encode(), hashlib.sha256).hexdigest()
