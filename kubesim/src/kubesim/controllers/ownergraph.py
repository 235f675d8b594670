"""The garbage collector's view of the cluster: every object by uid, with its owner references
and the reverse edges (upstream's ``GraphBuilder`` ``uidToNode``), built from watch events of
every kind the server serves, so no kind needs to be known in advance."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kubesim.clusterapi import JSON

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"


@dataclass(frozen=True)
class OwnerRef:
    uid: str
    api_version: str
    kind: str
    name: str
    block_owner_deletion: bool


@dataclass(frozen=True)
class Node:
    uid: str
    resource: str
    namespace: str | None
    name: str
    owners: tuple[OwnerRef, ...]
    being_deleted: bool
    finalizers: tuple[str, ...]

    @property
    def deleting_dependents(self) -> bool:
        """Foreground deletion: the object waits for its blocking dependents to go."""
        return self.being_deleted and FOREGROUND in self.finalizers

    @property
    def orphaning(self) -> bool:
        return self.being_deleted and ORPHAN in self.finalizers

    def owner(self, uid: str) -> OwnerRef | None:
        return next((ref for ref in self.owners if ref.uid == uid), None)


def owner_refs(obj: JSON) -> tuple[OwnerRef, ...]:
    return tuple(
        OwnerRef(
            str(ref.get("uid") or ""),
            str(ref.get("apiVersion") or ""),
            str(ref.get("kind") or ""),
            str(ref.get("name") or ""),
            bool(ref.get("blockOwnerDeletion")),
        )
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []
    )


def node_of(resource: str, obj: JSON) -> Node:
    meta = obj.get("metadata") or {}
    return Node(
        str(meta.get("uid") or ""),
        resource,
        meta.get("namespace") or None,
        str(meta.get("name") or ""),
        owner_refs(obj),
        bool(meta.get("deletionTimestamp")),
        tuple(meta.get("finalizers") or ()),
    )


class OwnerGraph:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._nodes: dict[str, Node] = {}
        self._dependents: dict[str, set[str]] = {}  # owner uid -> dependent uids

    def upsert(self, node: Node) -> Node | None:
        """Record ``node``; returns what was recorded for its uid before."""
        with self._lock:
            previous = self._nodes.get(node.uid)
            self._nodes[node.uid] = node
            old_owners = {ref.uid for ref in previous.owners} if previous else set()
            new_owners = {ref.uid for ref in node.owners}
            for uid in old_owners - new_owners:
                self._unlink(uid, node.uid)
            for uid in new_owners - old_owners:
                self._dependents.setdefault(uid, set()).add(node.uid)
            return previous

    def remove(self, uid: str) -> Node | None:
        with self._lock:
            node = self._nodes.pop(uid, None)
            if node is not None:
                for ref in node.owners:
                    self._unlink(ref.uid, uid)
            return node

    def get(self, uid: str) -> Node | None:
        with self._lock:
            return self._nodes.get(uid)

    def dependents(self, owner_uid: str) -> list[Node]:
        with self._lock:
            uids = self._dependents.get(owner_uid, set())
            return [self._nodes[uid] for uid in uids if uid in self._nodes]

    def _unlink(self, owner_uid: str, dependent_uid: str) -> None:
        uids = self._dependents.get(owner_uid)
        if uids is not None:
            uids.discard(dependent_uid)
            if not uids:
                del self._dependents[owner_uid]
