"""The read side the service depends on: every read it makes, and only reads.

``KubeGateway`` implements it with direct API calls; a watch-fed cache can replace it without
touching the service, which sends its writes to the gateway and reads only through this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from jobscheduler.kube.resources import Resource

JSON = dict[str, Any]


class JobReader(Protocol):
    def get(self, resource: Resource, namespace: str | None, name: str) -> JSON:
        """The object as JSON; raises ``errors.NotFound``."""
        ...

    def list(
        self,
        resource: Resource,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
    ) -> JSON:
        """A list page: ``items`` and ``metadata`` (``resourceVersion``, ``continue``)."""
        ...

    def watch(
        self,
        resource: Resource,
        namespace: str | None,
        *,
        resource_version: str,
        label_selector: str = "",
        field_selector: str = "",
        timeout_seconds: int,
        on_open: Callable[[Callable[[], None]], None] | None = None,
    ) -> Iterator[JSON]:
        """Watch events from ``resource_version``; raises ``ResourceExpired`` when it is gone.
        ``on_open`` receives a function that ends the stream from another thread."""
        ...

    def stream_pod_log(
        self,
        namespace: str,
        pod: str,
        *,
        container: str | None,
        follow: bool,
        tail_lines: int | None,
        since_seconds: int | None,
        limit_bytes: int | None,
        read_timeout_seconds: float,
        keep_going: Callable[[], bool] = ...,
    ) -> Iterator[bytes]:
        """A pod's log bytes as they arrive."""
        ...
