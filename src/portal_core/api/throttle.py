"""The caller's address for the services' throttles (`services/throttles.py`).

Every request's service call runs on behalf of its client address, so the services count failed
sign-ins, proofs, reset codes and requests per address in the database, where every `portal serve`
worker counts the same attempts. The API only says who is calling and how many failed sign-ins
one address may make (`create_app(address_limit=..., address_window=...)`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from portal_core.services.throttles import ADDRESS_LIMIT, ADDRESS_WINDOW, Caller, calling_from

__all__ = ["ADDRESS_LIMIT", "ADDRESS_WINDOW", "AddressThrottle"]


class AddressThrottle:
    """Runs service calls on behalf of a client address, under a per-address sign-in limit."""

    def __init__(self, limit: int = ADDRESS_LIMIT, window: timedelta = ADDRESS_WINDOW) -> None:
        self.limit = limit
        """Failed sign-ins allowed per window and address."""
        self.window = window
        """The window's length."""

    @contextmanager
    def calling(self, address: str) -> Iterator[None]:
        """Run the calls inside on behalf of `address`."""
        with calling_from(Caller(address, self.limit, self.window)):
            yield
