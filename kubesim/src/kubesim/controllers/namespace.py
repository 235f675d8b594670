"""The namespace controller: empties a terminating namespace, then removes its ``kubernetes``
finalizer (``spec.finalizers``), which lets the API server remove the namespace.

It deletes every object of every namespaced kind the server serves (found by discovery) and is
woken again by the deletion of each object in a terminating namespace, so an object held by a
finalizer holds the namespace until it goes, as upstream.
"""

from __future__ import annotations

from collections.abc import Mapping

from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ApiError, ClusterAPI
from kubesim.controllers.informer import Handler, Informer
from kubesim.controllers.rewrite import get_live, rewrite
from kubesim.controllers.runner import QueueWorker
from kubesim.controllers.workqueue import WorkQueue

NAMESPACE_FINALIZER = "kubernetes"


class NamespaceController:
    def __init__(
        self,
        api: ClusterAPI,
        clock: Clock,
        namespaces: Informer,
        contents: Mapping[str, Informer],
        resources: list[JSON],
    ) -> None:
        """``contents``: informers of the namespaced kinds, whose deletions wake a terminating
        namespace; ``resources``: the discovered kinds to empty it of."""
        self._api = api
        self._namespaces = namespaces
        self._resources = [
            str(entry["name"])
            for entry in resources
            if entry.get("namespaced") and {"list", "delete"} <= set(entry.get("verbs") or ())
        ]
        self._queue = WorkQueue(clock)
        self._worker = QueueWorker("namespace-controller", self._queue, self.sync)
        namespaces.add_handler(self._on_namespace)
        for informer in contents.values():
            informer.add_handler(self._content_handler())

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()

    def join(self, timeout: float) -> None:
        self._worker.join(timeout)

    def _on_namespace(self, old: JSON | None, new: JSON | None) -> None:
        if new is not None and new["metadata"].get("deletionTimestamp"):
            self._queue.add(new["metadata"]["name"])

    def _content_handler(self) -> Handler:
        def on_change(old: JSON | None, new: JSON | None) -> None:
            if new is not None or old is None:
                return
            name = old["metadata"].get("namespace")
            namespace = self._namespaces.get(f"/{name}") if name else None
            if namespace is not None and namespace["metadata"].get("deletionTimestamp"):
                self._queue.add(name)

        return on_change

    def sync(self, name: str) -> None:
        namespace = self._terminating(name)
        if namespace is None:
            return
        remaining = 0
        for resource in self._resources:
            for item in self._api.list(resource, name).get("items") or []:
                remaining += 1
                if not item["metadata"].get("deletionTimestamp"):
                    self._delete(resource, name, item)
        if remaining == 0:
            self._finalize(name)

    def _terminating(self, name: str) -> JSON | None:
        namespace = get_live(self._api, "namespaces", None, name)
        return namespace if namespace and namespace["metadata"].get("deletionTimestamp") else None

    def _delete(self, resource: str, namespace: str, item: JSON) -> None:
        meta = item["metadata"]
        try:
            self._api.delete(
                resource,
                namespace,
                meta["name"],
                propagation_policy="Background",
                preconditions={"uid": meta.get("uid")},
            )
        except ApiError as error:
            if error.code not in (404, 409):
                raise

    def _finalize(self, name: str) -> None:
        """Drop the ``kubernetes`` finalizer: the API server then removes the namespace."""

        def edit(namespace: JSON) -> bool:
            spec = namespace.setdefault("spec", {})
            finalizers = spec.get("finalizers") or []
            if not namespace["metadata"].get("deletionTimestamp"):
                return False
            spec["finalizers"] = [item for item in finalizers if item != NAMESPACE_FINALIZER]
            return True

        rewrite(self._api, "namespaces", None, name, edit)
