"""Ctrl-C during a run, in three phases: while cases run it stops the run; while the run deletes what
it created it stops the deleting (what is left is reported); while the reports are written it is
held until they are (a report is never half a run's).

Python turns SIGINT into KeyboardInterrupt in the main thread only, so worker threads are told by
the `stop` event instead. Nothing is changed when SIGINT is ignored (a background job) or when the
run is not on the main thread: then there is no Ctrl-C to handle.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


class Interrupts:
    """Installed for the length of a run (a context manager); `count` is the Ctrl-Cs received."""

    def __init__(self) -> None:
        self.count = 0
        self.stop = threading.Event()  # set at the first Ctrl-C: worker threads start no further step
        self._held = False
        self._previous = None

    def __enter__(self) -> "Interrupts":
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _on_sigint(self, signum, frame) -> None:
        self.count += 1
        self.stop.set()
        if not self._held:
            raise KeyboardInterrupt

    def interrupted(self) -> None:
        """Note a KeyboardInterrupt that did not come through the handler (e.g. raised by a test)."""
        self.count = max(self.count, 1)
        self.stop.set()

    @contextmanager
    def held(self):
        """Ctrl-C inside the block is counted, not raised: the block always completes."""
        before, self._held = self._held, True
        try:
            yield
        finally:
            self._held = before
