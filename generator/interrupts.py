"""Ctrl-C around a point of no return: before it, Ctrl-C cancels and nothing is left; after it, the work finishes.

`scaffold new` renders and commits the repo out of sight, then puts it in place. A Ctrl-C before that
cancels the command (exit 130, nothing written). Once the repo starts moving into place, stopping
half-way would leave a partial repo, and stopping after it would lose the summary that says what
was made: from there a Ctrl-C is only noted, the command finishes, prints its summary and exits 0.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType


@dataclass
class Guard:
    """Where a guarded command stands: past its point of no return, and whether Ctrl-C came after it."""

    committed: bool = False
    interrupted: bool = False


_active: Guard | None = None


@contextmanager
def guarded() -> Iterator[Guard]:
    """Run a command with a point of no return: Ctrl-C raises KeyboardInterrupt before it, and is noted after it.

    Signal handlers belong to the main thread: elsewhere (a test runner's worker) Ctrl-C keeps its usual meaning.
    """
    global _active
    guard = Guard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if not guard.committed:
            raise KeyboardInterrupt
        guard.interrupted = True

    previous = signal.signal(signal.SIGINT, on_interrupt)
    _active = guard
    try:
        yield guard
    finally:
        _active = None
        signal.signal(signal.SIGINT, previous)


def point_of_no_return() -> None:
    """Say the work is now being put in place: from here a Ctrl-C lets it finish instead of cancelling it."""
    if _active is not None:
        _active.committed = True
