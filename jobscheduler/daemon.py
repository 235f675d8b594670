"""One stoppable daemon thread, as the watch cache's packer, the background sweeper, the log
keeper and the health poller each run: started once, told to stop through an event its loop
waits on, and joined with a bound, so a loop stuck in a call never holds up a shutdown (the
thread is a daemon: the process exits without it)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class DaemonThread:
    def __init__(self, name: str, run: Callable[[], None], *, stop_wait_seconds: float) -> None:
        self.name = name
        self._run = run
        self._stop_wait = stop_wait_seconds
        # Set by ``stop``; the loop waits on it between rounds and ends once it is set.
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self.stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self._stop_wait)
            self._thread = None
