"""What importing a package drags in, checked in a fresh interpreter.

The core never loads Textual or Rich (it runs inside `portal serve` and scripts); the `portal` entry
point loads nothing heavy, so the sign-in screen paints before SQLAlchemy, pydantic or httpx load.
"""

from __future__ import annotations

import json
import subprocess
import sys

CORE_ALL = """
import importlib, pkgutil, portal_core
for found in pkgutil.walk_packages(portal_core.__path__, "portal_core."):
    if ".migrations" in found.name:  # Alembic scripts run only under Alembic
        continue
    importlib.import_module(found.name)
"""


def _modules_after(code: str) -> set[str]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _top_level(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


def test_the_core_and_all_its_modules_never_load_textual_or_rich() -> None:
    loaded = _modules_after(CORE_ALL)
    assert "portal_core.services.reviews" in loaded, "the walk imported too little to mean much"
    assert not _top_level(loaded) & {"textual", "rich", "portal_tui"}


def test_the_portal_entry_point_loads_nothing_heavy() -> None:
    loaded = _top_level(_modules_after("import portal_tui.cli"))
    assert not loaded & {"sqlalchemy", "httpx", "pydantic", "textual", "click", "alembic"}


def test_the_app_module_paints_without_the_backend() -> None:
    loaded = _top_level(_modules_after("import portal_tui.app"))
    assert "textual" in loaded
    assert not loaded & {"sqlalchemy", "httpx", "alembic", "argon2"}
