"""Every filesystem path the portal uses, in one place.

`PORTAL_DATA_DIR` moves the data directory and `PORTAL_CONFIG` the config file; otherwise the
platform's directories (platformdirs). Directories are created 0700; files the portal writes 0600.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "portal"


def data_dir() -> Path:
    """The directory holding the embedded database and the documents the user saves by default."""
    override = os.environ.get("PORTAL_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_file() -> Path:
    """The TOML config file (it need not exist)."""
    override = os.environ.get("PORTAL_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def database_file() -> Path:
    """The embedded SQLite database."""
    return data_dir() / "portal.sqlite3"


def token_file() -> Path:
    """Where the remote session token is kept when the user asks for a plaintext file."""
    return data_dir() / "token"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) 0700 if it is missing; an existing directory is left as it is."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700)
        os.chmod(path, 0o700)  # mkdir's mode is narrowed by the umask, never widened
    return path


def write_private_file(path: Path, content: bytes) -> Path:
    """Write `content` to `path` with mode 0600, creating the parent directory 0700."""
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, content)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)
    return path
