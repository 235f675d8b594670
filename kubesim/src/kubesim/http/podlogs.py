"""``GET pods/{name}/log``: the API server's checks, then the simulated kubelet's text.

Like kube-apiserver: 404 for a missing pod, 400 for a wrong or missing ``container``, and
204 No Content (empty body) for a pod that no node has taken yet (reference B0).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from kubesim.apiserver.server import ApiServer
from kubesim.clusterapi import ApiError, PodLogSource


def _int(query: dict[str, list[str]], key: str) -> int | None:
    values = query.get(key)
    if not values or not values[0]:
        return None
    try:
        return int(values[0])
    except ValueError:
        raise ApiError(400, "BadRequest", f'invalid {key}: "{values[0]}"') from None


def _flag(query: dict[str, list[str]], key: str) -> bool:
    return (query.get(key) or [""])[0] in {"1", "t", "T", "TRUE", "true", "True"}


def serve_logs(
    api: ApiServer,
    source: PodLogSource | None,
    namespace: str,
    name: str,
    query: dict[str, list[str]],
) -> tuple[Iterator[str] | None, bool]:
    """(chunks or None for 204, follow). Raises ApiError before any byte is sent."""
    pod = api.get("pods", namespace, name)
    containers = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    init_containers = [
        c.get("name", "") for c in (pod.get("spec") or {}).get("initContainers") or []
    ]
    container = (query.get("container") or [""])[0]
    if not container:
        if len(containers) != 1:
            raise ApiError(
                400,
                "BadRequest",
                f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(containers)}]",
            )
        container = containers[0]
    elif container not in containers + init_containers:
        raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
    follow = _flag(query, "follow")
    node = (pod.get("spec") or {}).get("nodeName")
    if not node:
        return None, follow  # never scheduled: nothing to proxy to (B0, B2)
    if source is None or not source.serves_node(node):
        # kube-apiserver looks the Node up to reach its kubelet and reports the failed lookup
        # against the pods resource (B4).
        raise ApiError(404, "NotFound", f'pods "{node}" not found', {"name": node, "kind": "pods"})
    chunks = source.read(
        namespace,
        name,
        container,
        follow=follow,
        tail_lines=_int(query, "tailLines"),
        since_seconds=_int(query, "sinceSeconds"),
        limit_bytes=_int(query, "limitBytes"),
        timestamps=_flag(query, "timestamps"),
    )
    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return iter(()), follow
    return itertools.chain([first], iterator), follow
