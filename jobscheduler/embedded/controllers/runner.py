"""Worker threads draining a work queue into a controller's ``sync``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from jobscheduler.embedded.controllers.workqueue import WorkQueue

log = logging.getLogger(__name__)


class QueueWorker:
    def __init__(self, name: str, queue: WorkQueue, sync: Callable[[str], None]) -> None:
        self._name = name
        self._queue = queue
        self._sync = sync
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._queue.shutdown()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            key = self._queue.get()
            if key is None:
                return
            try:
                self._sync(key)
            except Exception:
                # A bug or an API outage must not kill the controller: retry later.
                log.exception("%s: sync of %s failed", self._name, key)
                self._queue.add_after(key, 1.0)
            finally:
                self._queue.done(key)
