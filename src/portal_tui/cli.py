"""The `portal` command.

`portal` alone (or with only `--server`, `--profile`, `--database-url`) starts the terminal app;
that path is handled here before Click is imported, and imports Textual first and the backend only
inside the app, so the sign-in screen paints before SQLAlchemy, httpx or the models load. Every
subcommand goes through Click (`portal_tui.subcommands`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.config import Settings

_TUI_OPTIONS = ("--server", "--profile", "--database-url")
"""Global options that may come with a bare `portal` (each takes one value)."""


def tui_options(args: Sequence[str]) -> dict[str, str] | None:
    """The options of a bare `portal` invocation, or None when `args` need the full parser."""
    options: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        name, equals, value = arg.partition("=")
        if name not in _TUI_OPTIONS:
            return None
        if not equals:
            if index + 1 >= len(args) or args[index + 1].startswith("-"):
                return None  # let Click say what is missing
            value = args[index + 1]
            index += 1
        options[name.removeprefix("--").replace("-", "_")] = value
        index += 1
    return options


@dataclass
class EarlySettings:
    """What the app reads before its first paint (theme, key map, idle lock), from the config file
    and the environment without pydantic: loading `Settings` costs ~75 ms of imports, a third of the
    start-up budget. The full `Settings` replaces it on the app when the backend opens."""

    theme: str = "dark"
    keys: dict[str, str] = field(default_factory=dict)
    idle_lock_minutes: int | None = None

    @classmethod
    def load(cls) -> EarlySettings:
        """Defaults < config file < `PORTAL_*` environment; anything unreadable is left to the full
        load, which reports it."""
        import os
        import tomllib

        from portal_core import paths

        found: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            found = tomllib.loads(paths.config_file().read_text(encoding="utf-8"))
        early = cls()
        theme = os.environ.get("PORTAL_THEME", found.get("theme"))
        if isinstance(theme, str) and theme:
            early.theme = theme
        keys = found.get("keys")
        if isinstance(keys, dict):
            early.keys = {str(k): str(v) for k, v in keys.items()}
        idle = os.environ.get("PORTAL_IDLE_LOCK_MINUTES", found.get("idle_lock_minutes"))
        with contextlib.suppress(TypeError, ValueError):
            early.idle_lock_minutes = None if idle is None else int(idle)
        return early


def launch_tui(
    server: str | None = None, profile: str | None = None, database_url: str | None = None
) -> int:
    """Run the terminal app; returns its exit code."""
    from portal_tui.app import PortalApp

    def client_factory() -> PortalClient:
        # The app calls this from a worker, behind the sign-in screen: the heavy imports (pydantic,
        # SQLAlchemy or httpx) and opening the database happen here.
        from portal_core.client.factory import open_client
        from portal_core.config import load_settings

        settings = load_settings(server=server, profile=profile, database_url=database_url)
        app.settings = settings
        return open_client(settings)

    app = PortalApp(client_factory=client_factory, settings=cast("Settings", EarlySettings.load()))
    app.run()
    return int(app.return_code or 0)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    options = tui_options(args)
    if options is not None:
        sys.exit(launch_tui(**options))
    from portal_tui.subcommands import portal

    portal.main(args=args, prog_name="portal")


if __name__ == "__main__":
    main()
