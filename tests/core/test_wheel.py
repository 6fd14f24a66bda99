"""The wheel carries the stylesheets and themes the app loads (a few seconds: it builds one)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_screens_themes_and_guides(tmp_path: Path) -> None:
    # No build isolation: hatchling is already in the dev environment, and CI needs no network.
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("portal_tui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    stylesheets = {n for n in names if n.startswith("portal_tui/_assets/screens/")}
    themes = {n for n in names if n.startswith("portal_tui/_assets/themes/")}
    expected_sheets = {
        f"portal_tui/_assets/screens/{p.name}" for p in (ROOT / "screens").glob("*.tcss")
    }
    expected_themes = {
        f"portal_tui/_assets/themes/{p.name}" for p in (ROOT / "themes").glob("*.toml")
    }
    docs = {n for n in names if n.startswith("portal_tui/_assets/docs/")}
    expected_docs = {f"portal_tui/_assets/docs/{p.name}" for p in (ROOT / "docs").glob("*.md")}
    assert expected_sheets, "the checkout has no stylesheets to ship"
    assert expected_docs, "the checkout has no user guides to ship"
    assert expected_themes, "the checkout has no themes to ship"
    assert expected_sheets <= stylesheets
    assert expected_themes <= themes
    assert expected_docs <= docs, "the help screen reads these guides"
    assert "portal_core/data/common-passwords.txt" in names
    assert "portal_core/store/migrations/env.py" in names
    assert "portal_tui/cli.py" in names
