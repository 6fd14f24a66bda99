"""Deterministic demo data at any scale: `seed(db, scale, clock)`.

The cast (Tax IDs, registration codes, demo sign-ins) is in `catalog`; the README prints it.
"""

from portal_core.demo.catalog import DEMO_PASSWORD, DEMO_SIGN_INS, LARGE_SIGN_IN
from portal_core.demo.seed import Scale, SeedReport, is_empty, seed

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_SIGN_INS",
    "LARGE_SIGN_IN",
    "Scale",
    "SeedReport",
    "is_empty",
    "seed",
]
