"""The garbage collector, as kube-controller-manager runs it: it watches every kind the server
serves (found by discovery), keeps an ownership graph by uid, and

* deletes an object whose owners are all gone (Background deletion of the owner),
* deletes the dependents of an owner being deleted in the foreground, then removes the owner's
  ``foregroundDeletion`` finalizer once no dependent with ``blockOwnerDeletion`` is left,
* removes the owner reference from the dependents of an owner being orphaned, then its
  ``orphan`` finalizer.

The API server only sets those finalizers (``apiserver.deletion``); the work is done here, through
``ClusterAPI``, with the decisions of upstream's ``attemptToDeleteItem`` (an owner is "dangling"
only after a live GET says so, never because a watch has not caught up).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ApiError, ClusterAPI
from kubesim.controllers.informer import Handler, Informer
from kubesim.controllers.ownergraph import FOREGROUND, ORPHAN, Node, OwnerGraph, OwnerRef, node_of
from kubesim.controllers.rewrite import get_live, rewrite
from kubesim.controllers.runner import QueueWorker
from kubesim.controllers.workqueue import WorkQueue

# What a kind must allow for the collector to watch it (upstream's GetDeletableResources).
GC_VERBS = frozenset({"delete", "list", "watch"})
_DELETE, _ORPHAN = "delete", "orphan"


def collectable(resources: list[JSON]) -> list[JSON]:
    """The discovered resources the collector watches."""
    return [entry for entry in resources if set(entry.get("verbs") or ()) >= GC_VERBS]


def _group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


class GarbageCollector:
    def __init__(
        self,
        api: ClusterAPI,
        clock: Clock,
        informers: Mapping[str, Informer],
        resources: list[JSON],
    ) -> None:
        self._api = api
        self._graph = OwnerGraph()
        self._kinds = {
            (str(entry.get("group") or ""), str(entry["kind"])): entry for entry in resources
        }
        self._queue = WorkQueue(clock)
        self._worker = QueueWorker("garbage-collector", self._queue, self.sync)
        for resource, informer in informers.items():
            informer.add_handler(self._handler(resource))

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()

    def join(self, timeout: float) -> None:
        self._worker.join(timeout)

    # -- graph changes (upstream's processGraphChanges) -----------------------------------
    def _handler(self, resource: str) -> Handler:
        def on_change(old: JSON | None, new: JSON | None) -> None:
            if new is None:
                if old is not None:
                    self._on_delete(node_of(resource, old))
            else:
                self._on_upsert(node_of(resource, new))

        return on_change

    def _on_upsert(self, node: Node) -> None:
        previous = self._graph.upsert(node)
        owners = [self._graph.get(ref.uid) for ref in node.owners]
        if any(owner is None for owner in owners):
            self._add(_DELETE, node.uid)  # an owner never seen: check it is there
        elif previous is None and any(owner and owner.deleting_dependents for owner in owners):
            self._add(_DELETE, node.uid)  # seen after its owner's foreground deletion began
        if node.orphaning and not (previous and previous.orphaning):
            self._add(_ORPHAN, node.uid)
        if node.deleting_dependents and not (previous and previous.deleting_dependents):
            self._add(_DELETE, node.uid)
            for dependent in self._graph.dependents(node.uid):
                self._add(_DELETE, dependent.uid)
        if previous is not None and previous.owners != node.owners:
            # A dependent let go of (or stopped blocking) an owner that may be waiting for it.
            for ref in {*previous.owners, *node.owners}:
                self._wake_waiting_owner(ref.uid)

    def _on_delete(self, node: Node) -> None:
        self._graph.remove(node.uid)
        for dependent in self._graph.dependents(node.uid):
            self._add(_DELETE, dependent.uid)
        for ref in node.owners:
            self._wake_waiting_owner(ref.uid)

    def _wake_waiting_owner(self, uid: str) -> None:
        owner = self._graph.get(uid)
        if owner is not None and owner.deleting_dependents:
            self._add(_DELETE, uid)

    def _add(self, action: str, uid: str) -> None:
        self._queue.add(f"{action}:{uid}")

    # -- work ------------------------------------------------------------------------------
    def sync(self, key: str) -> None:
        action, _, uid = key.partition(":")
        node = self._graph.get(uid)
        if node is None:
            return
        if action == _ORPHAN:
            self._orphan_dependents(node)
        else:
            self._attempt_to_delete(node)

    def _attempt_to_delete(self, node: Node) -> None:
        if node.being_deleted and not node.deleting_dependents:
            return  # on its way out; its dependents are handled when it is gone
        latest = self._live(node)
        if latest is None:
            return
        current = node_of(node.resource, latest)
        if current.deleting_dependents:
            self._process_deleting_dependents(current)
            return
        if not current.owners:
            return
        solid, dangling, waiting = self._classify(current)
        if solid:
            if dangling or waiting:
                self._drop_owner_references(current, {ref.uid for ref in (*dangling, *waiting)})
        elif waiting and self._graph.dependents(current.uid):
            # Its own dependents must go first, so the waiting owner's wait is complete.
            self._delete(current, "Foreground")
        elif ORPHAN in current.finalizers:
            self._delete(current, "Orphan")
        elif FOREGROUND in current.finalizers:
            self._delete(current, "Foreground")
        else:
            self._delete(current, "Background")

    def _classify(self, node: Node) -> tuple[list[OwnerRef], list[OwnerRef], list[OwnerRef]]:
        solid: list[OwnerRef] = []
        dangling: list[OwnerRef] = []
        waiting: list[OwnerRef] = []
        for ref in node.owners:
            owner = self._owner(ref, node.namespace)
            if owner is None:
                dangling.append(ref)
            elif node_of("", owner).deleting_dependents:
                waiting.append(ref)
            else:
                solid.append(ref)
        return solid, dangling, waiting

    def _owner(self, ref: OwnerRef, namespace: str | None) -> JSON | None:
        """The live owner, or None when it is absent or another object now has its name."""
        entry = self._kinds.get((_group_of(ref.api_version), ref.kind))
        if entry is None:
            # Upstream retries until the kind can be resolved; so does the queue.
            raise LookupError(f"owner kind {ref.api_version} {ref.kind} is not served")
        try:
            owner = self._api.get(
                entry["name"], namespace if entry["namespaced"] else None, ref.name
            )
        except ApiError as error:
            if error.code == 404:
                return None
            raise
        return owner if owner["metadata"].get("uid") == ref.uid else None

    def _process_deleting_dependents(self, owner: Node) -> None:
        blocking = [
            dependent
            for dependent in self._dependents(owner)
            if (ref := dependent.owner(owner.uid)) is not None and ref.block_owner_deletion
        ]
        if not blocking:
            self._remove_finalizer(owner, FOREGROUND)
            return
        for dependent in blocking:
            if not dependent.deleting_dependents:
                self._add(_DELETE, dependent.uid)

    def _orphan_dependents(self, owner: Node) -> None:
        for dependent in self._dependents(owner):
            self._drop_owner_references(dependent, {owner.uid})
        self._remove_finalizer(owner, ORPHAN)

    def _dependents(self, owner: Node) -> list[Node]:
        """The graph's dependents and the API server's: each kind has its own informer, so an
        owner's orphaning or foreground deletion can arrive before a dependent created just
        before it. Missed, that dependent would keep a reference to a deleted owner and be
        collected instead of orphaned, or its owner would go first (upstream has the same
        window; a simulation that tests run against should not)."""
        found = {dependent.uid: dependent for dependent in self._graph.dependents(owner.uid)}
        for entry in self._kinds.values():
            if owner.namespace is not None and not entry.get("namespaced"):
                continue  # a cluster-scoped object cannot depend on a namespaced owner
            listed = self._api.list(str(entry["name"]), owner.namespace)
            for item in listed.get("items") or ():
                node = node_of(str(entry["name"]), item)
                if node.owner(owner.uid) is not None:
                    found.setdefault(node.uid, node)
        return list(found.values())

    # -- writes ----------------------------------------------------------------------------
    def _live(self, node: Node) -> JSON | None:
        latest = get_live(self._api, node.resource, node.namespace, node.name)
        return latest if latest and latest["metadata"].get("uid") == node.uid else None

    def _rewrite(self, node: Node, edit: Callable[[JSON], bool]) -> None:
        rewrite(self._api, node.resource, node.namespace, node.name, edit, uid=node.uid)

    def _drop_owner_references(self, node: Node, owner_uids: set[str]) -> None:
        def edit(obj: JSON) -> bool:
            meta = obj["metadata"]
            references = meta.get("ownerReferences") or []
            kept = [ref for ref in references if ref.get("uid") not in owner_uids]
            if len(kept) == len(references):
                return False
            if kept:
                meta["ownerReferences"] = kept
            else:
                meta.pop("ownerReferences", None)
            return True

        self._rewrite(node, edit)

    def _remove_finalizer(self, node: Node, finalizer: str) -> None:
        def edit(obj: JSON) -> bool:
            meta = obj["metadata"]
            finalizers = meta.get("finalizers") or []
            if finalizer not in finalizers:
                return False
            meta["finalizers"] = [item for item in finalizers if item != finalizer]
            return True

        self._rewrite(node, edit)

    def _delete(self, node: Node, policy: str) -> None:
        try:
            self._api.delete(
                node.resource,
                node.namespace,
                node.name,
                propagation_policy=policy,
                preconditions={"uid": node.uid},
            )
        except ApiError as error:
            if error.code not in (404, 409):
                raise
