"""End to end: `portal` in a real terminal (tmux, 100x30), driven by keys as a user would.

Signs in with a demo account on a seeded database and reaches the user review worklist, reading the
screen with `tmux capture-pane`. Skips, saying why, where tmux is not installed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.store.engine import Database
from portal_core.store.schema import review_campaigns, review_items, users

TMUX = shutil.which("tmux")
PORTAL = Path(sys.executable).with_name("portal")
WAIT_LIMIT = 30.0
"""Seconds to wait for a screen before failing (a guard against hanging, not a timing check)."""

pytestmark = pytest.mark.slow


class Terminal:
    """One tmux server of our own (its own socket), one window running `portal`."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        done = subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "portal")

    def cursor_row(self) -> str:
        return self.tmux("display-message", "-p", "-t", "portal", "#{cursor_y}").strip()

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "portal", "-l", text)

    def press(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "portal", *keys)

    def wait_until(self, what: str, shown: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + WAIT_LIMIT
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if shown(screen):
                return screen
            if self.tmux("display-message", "-p", "-t", "portal", "#{pane_dead}").strip() == "1":
                pytest.fail(f"portal exited while waiting for {what}; the screen was:\n{screen}")
            time.sleep(0.1)
        pytest.fail(f"{what} never showed; the screen was:\n{screen}")

    def wait_for(self, text: str) -> str:
        return self.wait_until(repr(text), lambda screen: text in screen)


@pytest.fixture
def seeded_dir(tmp_path: Path) -> Path:
    if TMUX is None:
        reason = "tmux is not installed (apt-get install tmux); the end-to-end test needs it"
        print(f"SKIPPED: {reason}", file=sys.stderr)
        pytest.skip(reason)
    data = tmp_path / "portal-data"
    env = dict(os.environ, PORTAL_DATA_DIR=str(data))
    for args in (["db", "upgrade", "--quiet"], ["demo", "seed", "--scale", "small", "--quiet"]):
        subprocess.run([str(PORTAL), *args], env=env, check=True, timeout=120)
    return data


@pytest.fixture
def terminal(seeded_dir: Path, tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(f"portal-e2e-{uuid.uuid4().hex[:8]}")
    command = shlex.join(
        [
            "env",
            f"PORTAL_DATA_DIR={seeded_dir}",
            f"PORTAL_CONFIG={tmp_path / 'config.toml'}",
            "TERM=xterm-256color",
            str(PORTAL),
        ]
    )
    # remain-on-exit keeps the pane (and any last words of a crash) readable after portal exits.
    term.tmux("-f", "/dev/null", "new-session", "-d", "-s", "portal", "-x", "100", "-y", "30",
              command, ";", "set-option", "-t", "portal", "remain-on-exit", "on")  # fmt: skip
    try:
        yield term
    finally:
        subprocess.run([TMUX or "tmux", "-L", term.socket, "kill-server"], capture_output=True)


def _first_item_under_review(data_dir: Path) -> str:
    db = Database(f"sqlite:///{data_dir / 'portal.sqlite3'}")
    try:
        with db.read() as conn:
            return str(
                conn.execute(
                    select(users.c.username)
                    .join(review_items, review_items.c.user_id == users.c.id)
                    .join(review_campaigns, review_campaigns.c.id == review_items.c.campaign_id)
                    .where(review_campaigns.c.tin == MAIN_TIN)
                    .order_by(users.c.username_key)
                    .limit(1)
                ).scalar_one()
            )
    finally:
        db.dispose()


def test_sign_in_and_reach_the_review_worklist_by_keys(
    terminal: Terminal, seeded_dir: Path
) -> None:
    terminal.wait_for("Username")
    terminal.type("admin.lakeside")
    terminal.wait_for("admin.lakeside")  # typed into the focused field before moving on
    in_username = terminal.cursor_row()
    terminal.press("Enter")
    # The password field takes the focus (and the cursor) a moment later; keys sent before that
    # would land in the username.
    terminal.wait_until("the password field", lambda _: terminal.cursor_row() != in_username)
    terminal.type(DEMO_PASSWORD)
    terminal.wait_for("•" * len(DEMO_PASSWORD))
    terminal.press("Enter")
    home = terminal.wait_until(
        "the home screen", lambda screen: "Home" in screen and "Sign in" not in screen
    )
    assert DEMO_PASSWORD not in home

    # F3 lists the reviews with the list focused: enter opens the open campaign's worklist.
    terminal.press("F3")
    terminal.wait_for("User reviews")
    terminal.wait_for("46-1234567")  # the open campaign of the main TIN, its TIN with a dash
    terminal.press("Enter")
    first = _first_item_under_review(seeded_dir)
    worklist = terminal.wait_for(first)
    assert "Review of" in worklist
    assert "Traceback" not in worklist
    # Back on home, `r` jumps straight into the same worklist.
    terminal.press("Escape")
    terminal.wait_for("User reviews")
    terminal.press("1")
    terminal.wait_for("Needs action")
    terminal.press("r")
    terminal.wait_for(first)
