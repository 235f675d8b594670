"""What the simulated containers printed, served as pod logs (the kubelet's side of ``/log``).

The kubelet registers each pod's containers and, when a container starts, the lines it will
print with the clock time of each line. Reading returns the lines whose time has come; ``follow``
waits for the next line until the container terminates. The run before a restart is kept for
``previous``, as the kubelet keeps the last terminated container.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ApiError
from kubesim.controllers.node import NODE_NAME
from kubesim.controllers.timeutil import format_time_nano, seconds_between

# Longest single wait of a follower, in clock seconds: it re-checks the clock at least this often.
_FOLLOW_POLL_SECONDS = 30.0


@dataclass
class ContainerLog:
    """One run of one container: planned lines, and whether it has started or ended."""

    waiting_reason: str = "ContainerCreating"
    waiting_message: str = ""
    lines: list[tuple[datetime, str]] = field(default_factory=list)
    started: bool = False
    finished_at: datetime | None = None
    ended: threading.Event = field(default_factory=threading.Event)

    def printed(self, now: datetime) -> list[tuple[datetime, str]]:
        horizon = now if self.finished_at is None else min(now, self.finished_at)
        return [(moment, text) for moment, text in self.lines if moment <= horizon]


@dataclass
class _PodLogs:
    containers: dict[str, ContainerLog]
    previous: dict[str, ContainerLog] = field(default_factory=dict)


class PodLogStore:
    def __init__(self, clock: Clock, pod_lookup: Callable[[str, str], JSON] | None = None) -> None:
        self._clock = clock
        # Tells a pod the kubelet has not seen apart from a missing one (404 vs empty log).
        self._pod_lookup = pod_lookup
        self._lock = threading.Lock()
        self._pods: dict[tuple[str, str], _PodLogs] = {}
        self._closed = threading.Event()

    # --- the kubelet's side -------------------------------------------------------------

    def register(self, namespace: str, pod: str, containers: list[str]) -> None:
        with self._lock:
            if (namespace, pod) not in self._pods:
                self._pods[(namespace, pod)] = _PodLogs(
                    {name: ContainerLog() for name in containers}
                )

    def set_waiting(
        self, namespace: str, pod: str, container: str, reason: str, message: str
    ) -> None:
        with self._lock:
            entry = self._container(namespace, pod, container)
            if entry is not None and not entry.started:
                entry.waiting_reason, entry.waiting_message = reason, message

    def start(
        self, namespace: str, pod: str, container: str, lines: list[tuple[datetime, str]]
    ) -> None:
        """A (new run of the) container starts and will print ``lines`` at their times."""
        with self._lock:
            logs = self._pods.get((namespace, pod))
            if logs is None:
                return
            previous = logs.containers.get(container)
            if previous is not None:
                previous.ended.set()
                if previous.started:
                    logs.previous[container] = previous
            logs.containers[container] = ContainerLog(lines=list(lines), started=True)

    def finish(self, namespace: str, pod: str, container: str, at: datetime) -> None:
        with self._lock:
            entry = self._container(namespace, pod, container)
            if entry is not None and entry.finished_at is None:
                entry.finished_at = at
                entry.started = True
                entry.ended.set()

    def forget(self, namespace: str, pod: str) -> None:
        with self._lock:
            logs = self._pods.pop((namespace, pod), None)
        if logs is not None:
            for entry in logs.containers.values():
                entry.ended.set()

    def close(self) -> None:
        """End every follower (the kubelet is stopping)."""
        self._closed.set()
        with self._lock:
            for logs in self._pods.values():
                for entry in logs.containers.values():
                    entry.ended.set()

    def containers_of(self, namespace: str, pod: str) -> list[str] | None:
        """The containers of a pod this kubelet runs, or None for a pod it does not run."""
        with self._lock:
            logs = self._pods.get((namespace, pod))
            return None if logs is None else list(logs.containers)

    # --- PodLogSource -------------------------------------------------------------------
    def serves_node(self, node: str) -> bool:
        return node == NODE_NAME

    def read(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        *,
        follow: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        limit_bytes: int | None = None,
        timestamps: bool = False,
        since_time: datetime | None = None,
        previous: bool = False,
    ) -> Iterator[str]:
        """``since_time`` (aware) is the kubelet's ``sinceTime``; ``previous`` reads the run
        before the last restart (a 400 when there is none, like the kubelet)."""
        entry = self._resolve(namespace, pod, container, previous=previous)
        if entry is None:
            return iter(())
        now = self._clock.now()
        since = now - timedelta(seconds=since_seconds) if since_seconds is not None else since_time
        printed = entry.printed(now)
        initial = [line for line in printed if since is None or line[0] >= since]
        if tail_lines is not None:
            initial = initial[-tail_lines:] if tail_lines > 0 else []
        return self._stream(
            entry,
            initial,
            sent=len(printed),
            follow=follow,
            limit_bytes=limit_bytes,
            timestamps=timestamps,
        )

    def _stream(
        self,
        entry: ContainerLog,
        initial: list[tuple[datetime, str]],
        *,
        sent: int,
        follow: bool,
        limit_bytes: int | None,
        timestamps: bool,
    ) -> Iterator[str]:
        budget = limit_bytes if limit_bytes is not None and limit_bytes > 0 else None
        pending = list(initial)
        while True:
            for moment, text in pending:
                chunk = f"{format_time_nano(moment)} {text}\n" if timestamps else f"{text}\n"
                if budget is not None:
                    data = chunk.encode()
                    if len(data) >= budget:
                        yield data[:budget].decode(errors="ignore")
                        return
                    budget -= len(data)
                yield chunk
            if not follow or self._closed.is_set():
                return
            pending, sent = self._wait_for_more(entry, sent)
            if not pending and entry.ended.is_set():
                return

    def _wait_for_more(
        self, entry: ContainerLog, sent: int
    ) -> tuple[list[tuple[datetime, str]], int]:
        now = self._clock.now()
        printed = entry.printed(now)
        if len(printed) > sent or entry.ended.is_set():
            return printed[sent:], len(printed)
        upcoming = [moment for moment, _ in entry.lines[sent:]]
        wait = _FOLLOW_POLL_SECONDS
        if upcoming:
            wait = min(wait, max(0.0, seconds_between(now, upcoming[0])))
        self._clock.wait(entry.ended, wait)
        printed = entry.printed(self._clock.now())
        return printed[sent:], len(printed)

    def _resolve(
        self, namespace: str, pod: str, container: str | None, *, previous: bool = False
    ) -> ContainerLog | None:
        with self._lock:
            logs = self._pods.get((namespace, pod))
        if logs is None:
            return self._unknown_pod(namespace, pod, container)
        names = list(logs.containers)
        if container is None:
            if len(names) != 1:
                raise ApiError(
                    400,
                    "BadRequest",
                    f"a container name must be specified for pod {pod}, "
                    f"choose one of: [{' '.join(names)}]",
                )
            container = names[0]
        entry = logs.containers.get(container)
        if entry is None:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {pod}")
        if previous:
            earlier = logs.previous.get(container)
            if earlier is None:
                raise ApiError(
                    400,
                    "BadRequest",
                    f'previous terminated container "{container}" in pod "{pod}" not found',
                )
            return earlier
        if not entry.started:
            detail = entry.waiting_message or entry.waiting_reason
            raise ApiError(
                400,
                "BadRequest",
                f'container "{container}" in pod "{pod}" is waiting to start: {detail}',
            )
        return entry

    def _unknown_pod(self, namespace: str, pod: str, container: str | None) -> ContainerLog | None:
        if self._pod_lookup is None:
            raise ApiError(
                404, "NotFound", f'pods "{pod}" not found', {"name": pod, "kind": "pods"}
            )
        found = self._pod_lookup(namespace, pod)  # raises 404 for a missing pod
        names = [item.get("name") for item in (found.get("spec") or {}).get("containers") or []]
        if container is not None and container not in names:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {pod}")
        # A pod no kubelet has picked up has printed nothing (upstream answers 204 No Content).
        return None

    def _container(self, namespace: str, pod: str, container: str) -> ContainerLog | None:
        logs = self._pods.get((namespace, pod))
        return None if logs is None else logs.containers.get(container)
