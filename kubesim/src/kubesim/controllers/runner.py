"""Worker threads draining a work queue into a controller's ``sync``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kubesim.controllers.workqueue import WorkQueue

log = logging.getLogger(__name__)

# Clock seconds before a failed sync is retried: doubling per consecutive failure of the key.
_RETRY_BASE_SECONDS = 0.5
_RETRY_MAX_SECONDS = 60.0


class QueueWorker:
    def __init__(self, name: str, queue: WorkQueue, sync: Callable[[str], None]) -> None:
        self._name = name
        self._queue = queue
        self._sync = sync
        self._thread: threading.Thread | None = None
        self._failures: dict[str, int] = {}

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
                self._failures.pop(key, None)
            except Exception:
                # A bug or an API outage must not kill the controller: retry later, slower
                # each time so a persistent failure does not spin.
                failures = self._failures.get(key, 0) + 1
                self._failures[key] = failures
                delay = min(_RETRY_MAX_SECONDS, _RETRY_BASE_SECONDS * 2 ** (failures - 1))
                log.exception("%s: sync of %s failed (retry in %ss)", self._name, key, delay)
                self._queue.add_after(key, delay)
            finally:
                self._queue.done(key)
