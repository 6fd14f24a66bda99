"""Where the TUI's stylesheets and theme files are: inside the installed package
(`portal_tui/_assets/`, put there by the wheel's force-include) or, in a source checkout, the
top-level `screens/`, `themes/` and `docs/` directories."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_ASSETS = Path(__file__).parent / "_assets"
_CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def asset_dir(kind: str) -> Path:
    """The directory of one kind of asset (`screens`, `themes` or `docs`)."""
    installed = _PACKAGE_ASSETS / kind
    if installed.is_dir():
        return installed
    return _CHECKOUT_ROOT / kind


def stylesheet(screen_module: str) -> Path:
    """The stylesheet of a screen module, e.g. `stylesheet("login")` for `screens/login.tcss`."""
    return asset_dir("screens") / f"{screen_module}.tcss"


def guide_path(name: str) -> Path:
    """A user guide, e.g. `guide_path("users")` for `docs/users.md`."""
    return asset_dir("docs") / f"{name}.md"


def has_guide(name: str) -> bool:
    """Whether the guide `name` is there (checked on the event loop: one stat, no read)."""
    return guide_path(name).is_file()
