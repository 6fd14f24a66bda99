"""Settings: defaults < the TOML config file < `PORTAL_*` environment variables < flags.

The config file is `paths.config_file()` (`PORTAL_CONFIG` moves it). Example:

```toml
theme = "monochrome"

[keys]
help = "f1"            # binding id = keys, comma separated

[profiles.callcenter]
server = "https://portal.example.org:8765"

[mail]
smtp_host = "smtp.example.org"
```
"""

from __future__ import annotations

import tomllib
from typing import Any

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from portal_core import paths


class MailSettings(BaseModel):
    """How the mail outbox is delivered. Without `smtp_host`, mail stays in the outbox."""

    smtp_host: str | None = None
    """SMTP server; unset keeps mail in the outbox (the demo shows it there)."""
    smtp_port: int = 587
    """SMTP port."""
    smtp_starttls: bool = True
    """Upgrade the connection with STARTTLS."""
    smtp_username: str | None = None
    """SMTP user, when the server asks for one."""
    smtp_password: str | None = None
    """SMTP password (better in `PORTAL_MAIL__SMTP_PASSWORD` than in the file)."""
    sender: str = "portal@example.org"
    """The From address."""


class Profile(BaseModel):
    """A named backend, chosen with `portal --profile NAME`."""

    server: str | None = None
    """URL of a `portal serve` endpoint; unset means the embedded database."""
    database_url: str | None = None
    """SQLAlchemy URL for the embedded backend."""


class Settings(BaseSettings):
    """Everything a user or an operator can set."""

    model_config = SettingsConfigDict(
        env_prefix="PORTAL_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str | None = None
    """SQLAlchemy URL; unset means the SQLite file in the data directory."""
    server: str | None = None
    """URL of a `portal serve` endpoint; set, the client works remotely."""
    profile: str | None = None
    """Name of a profile in `[profiles]` to use."""
    profiles: dict[str, Profile] = Field(default_factory=dict)
    """Named backends."""
    theme: str = "dark"
    """Theme name: dark, light, high-contrast, monochrome (or a file in the themes directory)."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Key remapping: binding id to keys."""
    idle_lock_minutes: int | None = None
    """Lock the screen after this many idle minutes; unset follows the organization's timeout."""
    token_storage: str = "keyring"
    """Where a remote token is kept: `keyring` (memory if none works) or `file` (plaintext)."""
    mail: MailSettings = Field(default_factory=MailSettings)
    """Mail delivery."""
    max_body_mb: int = Field(default=30, ge=1, le=1024)
    """`portal serve`: the largest request body in MB (413 past it); file uploads may carry the
    upload rules' largest submission (5 files of 25 MB, about 167 MB as base64) whatever this
    says."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    def resolved_database_url(self) -> str:
        """The database URL after the chosen profile, falling back to the embedded SQLite file."""
        profile = self.profiles.get(self.profile or "")
        if profile and profile.database_url:
            return profile.database_url
        if self.database_url:
            return self.database_url
        return f"sqlite:///{paths.database_file()}"

    def resolved_server(self) -> str | None:
        """The remote server after the chosen profile, or None for the embedded backend."""
        profile = self.profiles.get(self.profile or "")
        if profile and profile.server:
            return profile.server
        return self.server


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the config file; a missing file gives nothing, a broken one a clear error."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = paths.config_file()
        if not path.exists():
            return {}
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            from portal_core.errors import ValidationFailed

            raise ValidationFailed(f"The config file {path} cannot be read: {error}") from error


def load_settings(**overrides: Any) -> Settings:
    """Settings from all sources; `overrides` (command-line flags) win."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
