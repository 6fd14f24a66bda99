"""Themes from TOML files in the themes directory, turned into Textual `Theme`s.

A theme file holds the fields of `textual.theme.Theme` at the top level (`primary`, `background`,
`dark`, ...) and an optional `[variables]` table; `name` defaults to the file's stem.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

from textual.theme import Theme

from portal_tui.assets import asset_dir

DEFAULT_THEME = "dark"
"""The theme used when the chosen one is unknown."""

_THEME_FIELDS = {field.name for field in fields(Theme)}


def load_theme(path: Path) -> Theme:
    """One theme file; raises `ValueError` when it is not a usable theme."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"The theme file {path.name} cannot be read: {error}") from error
    data.setdefault("name", path.stem)
    unknown = set(data) - _THEME_FIELDS
    if unknown:
        raise ValueError(
            f"The theme file {path.name} has unknown keys: {', '.join(sorted(unknown))}"
        )
    if "primary" not in data:
        raise ValueError(f"The theme file {path.name} needs a primary color.")
    return Theme(**data)


def load_themes(directory: Path | None = None) -> tuple[list[Theme], list[str]]:
    """Every theme in the directory, and the problems with the files that could not be loaded."""
    directory = directory or asset_dir("themes")
    themes: list[Theme] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            themes.append(load_theme(path))
        except ValueError as error:
            problems.append(str(error))
    return themes, problems
