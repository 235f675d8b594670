"""The garbage collector during a first sync.

A first sync makes millions of objects (every page's parsed Jobs) and frees them by reference
counting alone: it makes no reference cycles. Python's cyclic collector still runs every few
hundred allocations, and its full collections traverse every object that survived so far, so
they grow with the store: 100k Jobs took 23 s to sync with it running, 13 s without. It is
paused while any informer makes its first sync (the service does not serve before that), and
runs as before once the last one has synced.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator


class _Pause:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._syncing = 0
        self._was_enabled = True

    @contextlib.contextmanager
    def during(self) -> Iterator[None]:
        with self._lock:
            if self._syncing == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._syncing += 1
        try:
            yield
        finally:
            with self._lock:
                self._syncing -= 1
                if self._syncing == 0 and self._was_enabled:
                    gc.enable()


paused_for_first_sync = _Pause().during
