"""Stop signals as an exception: Ctrl-C (SIGINT), SIGTERM and SIGHUP end a command cleanly.

While :func:`stop_signals_raise` is active, each of the three signals raises
:class:`Interrupted` in the main thread, wherever it is, so the command can put its
records straight (a sweep returns its runs in flight to ``pending``, ``ifsim run`` marks
its run failed) and exit with the shell's code for a death by that signal, 128 + the
signal number: 130 (INT), 143 (TERM), 129 (HUP). Kept light: ``ifsim`` imports it first.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: The signals that stop a command cleanly (SIGKILL cannot be caught).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):
    """A stop signal arrived.

    A BaseException, like KeyboardInterrupt, so that code that catches ``Exception``
    (a run that raises is stored as failed and the sweep goes on) lets it through.
    """

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(f"interrupted by {signal.Signals(self.signum).name}")

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process the signal killed."""
        return 128 + self.signum


def as_interrupted(exc: BaseException) -> Interrupted:
    """An :class:`Interrupted` for ``exc`` (a KeyboardInterrupt is SIGINT)."""
    return exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT)


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`Interrupted` inside the block.

    Only the first signal raises: a second one while the command cleans up is ignored,
    so the clean-up (bounded: a few seconds at most) is not cut short. The previous
    handlers are restored on leaving. Outside the main thread (where Python cannot
    install handlers) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum: int, _frame: Any) -> None:
        if received:
            return
        received.append(signum)
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            if old is not None:
                signal.signal(signum, old)
