"""Fault injection for reliability tests of clients of the embedded cluster.

Rules match HTTP requests by verb (get, list, watch, create, update, patch, delete,
deletecollection) and resource plural (``None`` matches any); each rule applies to its next
``count`` matching requests. Only HTTP requests are affected: the in-process controllers keep
working, as the control plane of a real cluster would while its API front end misbehaves.

    cluster.faults.fail_next(2, verb="create", resource="jobs", status=429, retry_after=1)
    cluster.faults.drop_next(verb="list", resource="jobs")
    cluster.faults.add_latency(0.2, resource="jobs")
    cluster.faults.expire_watches("jobs")
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from kubesim.clusterapi import ApiError

_REASONS = {
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected fault"),
    503: ("ServiceUnavailable", "The server is currently unable to handle the request"),
    504: ("Timeout", "Timeout: request did not complete within the allowed duration"),
}


@dataclass
class Fault:
    """What happens to one matching request."""

    action: str  # "status" | "hang" | "drop" | "latency"
    error: ApiError | None = None
    seconds: float = 0.0


@dataclass
class _Rule:
    verb: str | None
    resource: str | None
    remaining: int  # < 0: no limit
    fault: Fault

    def matches(self, verb: str, resource: str | None) -> bool:
        return (self.verb is None or self.verb == verb) and (
            self.resource is None or self.resource == resource
        )


class FaultInjector:
    def __init__(self, expire: Callable[[str | None], None] | None = None) -> None:
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._expire = expire
        self.injected = 0  # how many requests a fault was applied to
        self.released = threading.Event()  # set on cluster stop: hung requests give up

    def _add(self, verb: str | None, resource: str | None, count: int, fault: Fault) -> None:
        with self._lock:
            self._rules.append(_Rule(verb, resource, count, fault))

    def fail_next(
        self,
        count: int = 1,
        *,
        verb: str | None = None,
        resource: str | None = None,
        status: int = 500,
        retry_after: int | None = None,
        message: str | None = None,
    ) -> None:
        """The next ``count`` matching requests get this HTTP status as a Status body."""
        reason, default_message = _REASONS.get(status, ("InternalError", "injected fault"))
        details: dict[str, object] = {}
        headers: dict[str, str] = {}
        if retry_after is not None:
            details["retryAfterSeconds"] = retry_after
            headers["Retry-After"] = str(retry_after)
        error = ApiError(status, reason, message or default_message, details or None, headers)
        self._add(verb, resource, count, Fault("status", error=error))

    def hang_next(
        self,
        count: int = 1,
        *,
        verb: str | None = None,
        resource: str | None = None,
        seconds: float = 30.0,
    ) -> None:
        """The next matching requests get no answer for ``seconds``; then the connection is
        closed (a client with a shorter timeout sees a timeout)."""
        self._add(verb, resource, count, Fault("hang", seconds=seconds))

    def drop_next(
        self, count: int = 1, *, verb: str | None = None, resource: str | None = None
    ) -> None:
        """The next matching requests have their connection closed without an answer."""
        self._add(verb, resource, count, Fault("drop"))

    def add_latency(
        self,
        seconds: float,
        *,
        verb: str | None = None,
        resource: str | None = None,
        count: int = -1,
    ) -> None:
        """Delay matching requests (all of them unless ``count`` is given)."""
        self._add(verb, resource, count, Fault("latency", seconds=seconds))

    def expire_watches(self, resource: str | None = None) -> None:
        """Compact the history of ``resource`` (all when None): open watches end, and resuming
        from any older resourceVersion gets 410 Expired, as after an etcd compaction."""
        if self._expire is None:
            raise RuntimeError("this injector is not attached to a cluster")
        self._expire(resource)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, verb: str, resource: str | None) -> list[Fault]:
        """The faults for this request (latency first, then at most one failure)."""
        chosen: list[Fault] = []
        with self._lock:
            if not self._rules:
                return chosen
            failure_taken = False
            for rule in list(self._rules):
                if not rule.matches(verb, resource):
                    continue
                if rule.fault.action != "latency":
                    if failure_taken:
                        continue
                    failure_taken = True
                chosen.append(rule.fault)
                if rule.remaining > 0:
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
            if chosen:
                self.injected += 1
        chosen.sort(key=lambda fault: fault.action != "latency")
        return chosen
