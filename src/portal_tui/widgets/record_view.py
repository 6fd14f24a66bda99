"""`RecordView`: the record a lookup found (an eligibility answer, a member, a provider, a thread),
never a stale one.

A failed lookup used to leave the previous answer on screen under the error: the last member's
"COVERED" read as the answer about the member just typed. `look_up` is the one way a screen fills
the view: it clears what is shown the moment the lookup starts, then shows the new answer, or the
error in its place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from textual.widgets import Static

from portal_core.errors import PortalError, SessionExpired
from portal_tui.display_text import printable

FoundT = TypeVar("FoundT")


class RecordView(Static):
    """A record as text (escaped: it holds what people typed), or why there is none."""

    DEFAULT_CSS = "RecordView.-error { color: $error; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.shown = False
        """Whether a record is shown (not a wait, an error or nothing)."""

    def start(self, waiting: str = "") -> None:
        """A lookup starts: nothing of the record before it stays."""
        self._put(waiting, shown=False, error=False)

    def show(self, text: str) -> None:
        """The answer."""
        self._put(text, shown=True, error=False)

    def fail(self, message: str) -> None:
        """The error, in the record's place."""
        self._put(message, shown=False, error=True)

    def _put(self, text: str, *, shown: bool, error: bool) -> None:
        self.shown = shown
        self.set_class(error, "-error")
        self.update(printable(text))

    async def look_up(
        self,
        fetch: Callable[[], Awaitable[FoundT]],
        render: Callable[[FoundT], str],
        *,
        report: Callable[[PortalError], None],
        waiting: str = "",
        explain: Callable[[PortalError], str] | None = None,
    ) -> FoundT | None:
        """Clear the view, fetch, and show the answer (`render`ed) or the error (`explain`ed, by
        default its message); None on an error. An ended session also goes to `report`
        (back to sign-in)."""
        self.start(waiting)
        try:
            found = await fetch()
        except PortalError as error:
            self.fail(explain(error) if explain is not None else error.message)
            if isinstance(error, SessionExpired):
                report(error)
            return None
        self.show(render(found))
        return found
