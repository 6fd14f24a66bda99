"""What every benchmark reports: samples summarized as median and p95, checked against a budget."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path


def fresh_copy(database: Path, copy: Path) -> None:
    """Copy the benchmark database to `copy` and flush it to disk, first removing a WAL and
    shared-memory file a killed run may have left there (SQLite would replay a stale WAL onto the
    new copy and corrupt it)."""
    for leftover in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(database, copy)
    # Flush the copy to disk now: otherwise the first WAL checkpoint's fsync writes the whole
    # freshly copied file (a gigabyte on the large demo) inside the measured requests.
    with copy.open("rb") as copied:
        os.fsync(copied.fileno())


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(samples)
    rank = max(1, -(-int(fraction * 100) * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Figure:
    """One measured figure."""

    what: str
    """What was measured, in the words of DESIGN.md's budget table."""
    unit: str
    """`ms`, `MB` or `x` (a ratio)."""
    budget: float | None
    """The most it may be; None for figures shown for context."""
    samples: list[float] = field(default_factory=list)
    judged_on: str = "p95"
    """Which statistic the budget applies to: `p95` or `median`."""
    note: str = ""
    skipped: str = ""
    """Why it was not measured, when it was not."""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95)

    @property
    def verdict(self) -> str:
        if self.skipped or not self.samples:
            return "not measured"
        if self.budget is None:
            return "-"
        value = self.p95 if self.judged_on == "p95" else self.median
        return "pass" if value <= self.budget else "MISS"


def machine() -> dict[str, str]:
    """The machine the figures come from."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpus": str(os.cpu_count()),
        "cpu model": model,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
