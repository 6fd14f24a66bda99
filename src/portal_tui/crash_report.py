"""What the terminal shows when the app crashes: where it failed, never what it was holding.

Textual's own crash report is a Rich traceback with `show_locals=True`: every frame's local
variables, so a crash while saving a document printed the document's content, and one in a
sign-in worker could print the password, the session token or a reset code. The portal's report
shows the exception types and the frames (file, line, function, source line) only: no locals, and
no exception messages, which repeat data too (`invalid literal for int(): 'Jane Doe'`).
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.traceback import Trace, Traceback

LEFT_OUT = "(the message is left out: it may hold patient data or a secret)"
"""What stands in for an exception's message."""


def _scrub(trace: Trace) -> None:
    for stack in trace.stacks:
        stack.exc_value = LEFT_OUT if stack.exc_value else ""
        stack.notes = []
        if stack.syntax_error is not None:
            stack.syntax_error.msg = LEFT_OUT
        for frame in stack.frames:
            frame.locals = None
        for nested in stack.exceptions:
            _scrub(nested)


def crash_report(
    exc_type: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> Traceback:
    """The crash report of `error`: types and frames, no locals, no messages."""
    import rich
    from rich.traceback import Traceback

    trace = Traceback.extract(exc_type, error, traceback, show_locals=False)
    _scrub(trace)
    return Traceback(trace, width=None, show_locals=False, suppress=[rich])
