"""(a) `portal` cold start to an interactive sign-in screen, on a real pseudo-terminal.

Uses `../shared/tools/first-frame`, which alternates `portal` with a bare Textual app (A B A B ...)
and reports the ratio pair by pair. It prints medians and ranges; with 15 rounds the p95 here is the
slowest round (nearest rank), so the p95 column is the max of its range.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from benchmarks.measure import Figure

ROOT = Path(__file__).resolve().parents[1]
FIRST_FRAME = ROOT / ".." / "shared" / "tools" / "first-frame"
ROUNDS = 15
_LINE = re.compile(
    r"^(?P<name>command|bare textual)\s+visible ms\s+(?P<median>[\d.]+) \(min (?P<min>[\d.]+), "
    r"max (?P<max>[\d.]+)\).*RSS MB\s+(?P<rss>[\d.]+) \(min [\d.]+, max (?P<rss_max>[\d.]+)\)"
)
_RATIO = re.compile(
    r"ratio command / bare textual: (?P<median>[\d.]+) \(min [\d.]+, max (?P<max>[\d.]+)\)"
)


def _figure(
    what: str, unit: str, budget: float | None, median: float, top: float, **kw: str
) -> Figure:
    # first-frame reports median and range only: keep both ends as the samples that matter.
    return Figure(what, unit, budget, samples=[median, median, top], **kw)  # type: ignore[arg-type]


def measure(data_dir: Path) -> list[Figure]:
    """Start-up time, the ratio to bare Textual, and resident memory at the sign-in screen."""
    what = "cold start to the sign-in screen (real terminal)"
    if not FIRST_FRAME.exists():
        note = f"{FIRST_FRAME} is missing"
        return [Figure(what, "ms", 350, skipped=note)]
    portal = Path(sys.executable).with_name("portal")
    env = dict(os.environ, PORTAL_DATA_DIR=str(data_dir), PORTAL_CONFIG=str(data_dir / "none.toml"))
    done = subprocess.run(
        [str(FIRST_FRAME), "--rounds", str(ROUNDS), "--size", "100x30",
         "--baseline", sys.executable, "Username", "--", str(portal)],
        capture_output=True, text=True, env=env, timeout=600, cwd=ROOT,
    )  # fmt: skip
    lines = {m["name"]: m for m in map(_LINE.match, done.stdout.splitlines()) if m}
    ratio = next((m for m in map(_RATIO.match, done.stdout.splitlines()) if m), None)
    if "command" not in lines or "bare textual" not in lines or ratio is None:
        return [Figure(what, "ms", 350, skipped=f"first-frame said: {done.stdout or done.stderr}")]
    ours, bare = lines["command"], lines["bare textual"]
    rounds = f"{ROUNDS} rounds; p95 = slowest round"
    return [
        _figure(what, "ms", 350, float(ours["median"]), float(ours["max"]), note=rounds),
        _figure("bare Textual app, same run", "ms", None, float(bare["median"]),
                float(bare["max"])),
        _figure("cold start / bare Textual (pairwise ratio)", "x", 1.75, float(ratio["median"]),
                float(ratio["max"]), judged_on="median", note="judged on the median ratio"),
        _figure("resident memory at the sign-in screen", "MB", 60, float(ours["rss"]),
                float(ours["rss_max"])),
    ]  # fmt: skip
