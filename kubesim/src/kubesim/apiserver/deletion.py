"""Deletion: preconditions, finalizers, propagation policies and the garbage collector.

As in Kubernetes, ``Orphan`` and ``Foreground`` deletions put a finalizer (``orphan`` /
``foregroundDeletion``) on the owner and return it with a ``deletionTimestamp``; the garbage
collector then orphans or deletes the dependents (found through ``ownerReferences``) and
removes the finalizer, which deletes the owner. ``Background`` deletes the owner at once and
the collector deletes dependents that have no live owner left. A batch/v1 Job deleted without
a policy orphans its pods (the legacy default, reference 84).
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from kubesim.apiserver.objects import owner_uids, rfc3339
from kubesim.apiserver.registry import RESOURCES, ResourceType, resource_type
from kubesim.apiserver.selectors import combine, field_predicate, label_predicate
from kubesim.clusterapi import JSON, ApiError
from kubesim.store import clone

if TYPE_CHECKING:
    from kubesim.apiserver.apply import FieldOwners
    from kubesim.clock import Clock
    from kubesim.store import Store

log = logging.getLogger(__name__)


def _grace_period(rt: ResourceType, obj: JSON, requested: int | None) -> int:
    """Seconds a pod gets to terminate: only a pod a node is running is deleted gracefully
    (its kubelet confirms the deletion); an unscheduled or finished pod goes at once."""
    if rt.plural != "pods":
        return 0
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
        return 0
    if requested is None:
        requested = int(spec.get("terminationGracePeriodSeconds") or 30)
    return max(0, requested)


ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
_PLURAL_OF_KIND = {rt.kind: rt.plural for rt in RESOURCES.values()}
# Strategies whose DELETE answers with the deleted object instead of a Status (pods do).
_RETURNS_DELETED_OBJECT = {"pods", "events"}
Location = tuple[str, str | None, str]


class DeletionMixin:
    store: Store
    clock: Clock
    field_owners: FieldOwners

    if TYPE_CHECKING:
        # Provided by ApiServer, which this mixin is part of.
        def now(self) -> str: ...

        def _write_update(
            self,
            rt: ResourceType,
            current: JSON,
            body: JSON,
            *,
            subresource: str | None = None,
            dry_run: bool = False,
            field_validation: str = "",
        ) -> JSON: ...

    def __init__(self) -> None:
        self._uids: dict[str, Location] = {}
        self._dependents: dict[str, set[Location]] = {}
        self._gc_queue: queue.SimpleQueue[tuple[str, str] | None] = queue.SimpleQueue()
        self._gc_thread: threading.Thread | None = None

    # -- indexes (maintained under the store lock) ----------------------------------------
    @staticmethod
    def _location(obj: JSON) -> Location:
        meta = obj["metadata"]
        return _PLURAL_OF_KIND[obj["kind"]], meta.get("namespace"), meta["name"]

    def _track(self, new: JSON, old: JSON | None) -> None:
        location = self._location(new)
        self._uids[new["metadata"]["uid"]] = location
        old_owners = set(owner_uids(old)) if old else set()
        new_owners = set(owner_uids(new))
        for uid in old_owners - new_owners:
            self._dependents.get(uid, set()).discard(location)
        for uid in new_owners - old_owners:
            self._dependents.setdefault(uid, set()).add(location)

    def _untrack(self, obj: JSON) -> None:
        location = self._location(obj)
        self._uids.pop(obj["metadata"]["uid"], None)
        self.field_owners.forget(obj["metadata"]["uid"])
        for uid in owner_uids(obj):
            self._dependents.get(uid, set()).discard(location)

    def _remove(self, rt: ResourceType, obj: JSON) -> JSON:
        """Remove for good; the caller holds the store lock."""
        removed = self.store.remove(rt.plural, obj)
        self._untrack(removed)
        uid = removed["metadata"]["uid"]
        self._enqueue("owner", uid)  # dependents may have lost their last owner
        for owner in owner_uids(removed):
            self._enqueue("owner", owner)  # a foreground-deleting owner may now go
        namespace = removed["metadata"].get("namespace")
        if namespace:
            ns = self.store.get("namespaces", None, namespace)
            if ns is not None and ns["metadata"].get("deletionTimestamp"):
                self._enqueue("namespace", namespace)
        return removed

    def _finalizers_changed(self, rt: ResourceType, obj: JSON) -> None:
        self._enqueue("owner", obj["metadata"]["uid"])

    # -- delete ---------------------------------------------------------------------------
    def delete(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        *,
        propagation_policy: str | None = None,
        preconditions: JSON | None = None,
        grace_period_seconds: int | None = None,
        dry_run: bool = False,
    ) -> JSON:
        rt = resource_type(resource)
        if propagation_policy not in (None, "", "Orphan", "Background", "Foreground"):
            raise ApiError(
                422,
                "Invalid",
                f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
                f'"{propagation_policy}": supported values: "Foreground", "Background", "Orphan", '
                '"nil"',
            )
        with self.store.lock:
            current = self.store.get(rt.plural, namespace if rt.namespaced else None, name)
            if current is None:
                raise rt.not_found(name)
            self._check_preconditions(rt, current, preconditions or {})
            meta = current["metadata"]
            grace = _grace_period(rt, current, grace_period_seconds)
            if meta.get("deletionTimestamp"):
                return self._redelete(rt, current, grace, dry_run)
            policy = propagation_policy or ("Orphan" if rt.plural == "jobs" else "Background")
            finalizers = list(meta.get("finalizers") or [])
            if policy == "Orphan" and ORPHAN not in finalizers:
                finalizers.append(ORPHAN)
            if policy == "Foreground" and FOREGROUND not in finalizers:
                finalizers.append(FOREGROUND)
            if rt.plural == "namespaces":
                return self._terminate_namespace(rt, current, dry_run)
            if finalizers or grace > 0:
                deleting = clone(current)
                deleting_meta = deleting["metadata"]
                deleting_meta["deletionTimestamp"] = rfc3339(
                    self.clock.now() + timedelta(seconds=grace)
                )
                deleting_meta["deletionGracePeriodSeconds"] = grace
                if finalizers:
                    deleting_meta["finalizers"] = finalizers
                if "generation" in deleting_meta:
                    deleting_meta["generation"] = int(deleting_meta["generation"]) + 1
                if dry_run:
                    return deleting
                stored = self.store.put(rt.plural, deleting)
                self._enqueue("owner", meta["uid"])
                return stored
            if dry_run:
                return self._deleted_answer(rt, current)
            removed = self._remove(rt, clone(current))
            return self._deleted_answer(rt, removed)

    def _redelete(self, rt: ResourceType, current: JSON, grace: int, dry_run: bool) -> JSON:
        """DELETE of an object already being deleted: only a shorter grace period matters
        (the kubelet confirms a pod's graceful deletion with grace 0)."""
        meta = current["metadata"]
        if grace >= int(meta.get("deletionGracePeriodSeconds") or 0) or dry_run:
            return current
        if not meta.get("finalizers"):
            return self._deleted_answer(rt, self._remove(rt, clone(current)))
        shortened = clone(current)
        shortened["metadata"]["deletionGracePeriodSeconds"] = grace
        shortened["metadata"]["deletionTimestamp"] = self.now()
        return self.store.put(rt.plural, shortened)

    @staticmethod
    def _deleted_answer(rt: ResourceType, obj: JSON) -> JSON:
        if rt.plural in _RETURNS_DELETED_OBJECT:
            return obj
        details = rt.details(obj["metadata"]["name"])
        details["uid"] = obj["metadata"]["uid"]
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": details,
        }

    @staticmethod
    def _check_preconditions(rt: ResourceType, current: JSON, preconditions: JSON) -> None:
        meta = current["metadata"]
        qualified = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
        details = {"name": meta["name"], "kind": rt.kind}
        if rt.group:
            details = {"name": meta["name"], "group": rt.group, "kind": rt.kind}
        uid = preconditions.get("uid")
        if uid and uid != meta["uid"]:
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {qualified} "{meta["name"]}": the UID in the '
                f"precondition ({uid}) does not match the UID in record ({meta['uid']}). The "
                "object might have been deleted and then recreated",
                details,
            )
        version = preconditions.get("resourceVersion")
        if version and version != meta["resourceVersion"]:
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {qualified} "{meta["name"]}": the '
                f"ResourceVersion in the precondition ({version}) does not match the "
                f"ResourceVersion in record ({meta['resourceVersion']}). The object might have "
                "been modified",
                details,
            )

    def _terminate_namespace(self, rt: ResourceType, current: JSON, dry_run: bool) -> JSON:
        terminating = clone(current)
        terminating["metadata"]["deletionTimestamp"] = self.now()
        terminating["metadata"]["deletionGracePeriodSeconds"] = 0
        terminating.setdefault("status", {})["phase"] = "Terminating"
        if dry_run:
            return terminating
        stored = self.store.put(rt.plural, terminating)
        self._enqueue("namespace", current["metadata"]["name"])
        return stored

    def delete_collection(
        self,
        resource: str,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        propagation_policy: str | None = None,
        dry_run: bool = False,
    ) -> JSON:
        rt = resource_type(resource)
        predicate = combine(
            label_predicate(label_selector), field_predicate(field_selector, rt.plural, rt.kind)
        )
        items, _, _ = self.store.scan(
            rt.plural, namespace if rt.namespaced else None, predicate=predicate
        )
        deleted: list[JSON] = []
        for item in items:
            meta = item["metadata"]
            try:
                answer = self.delete(
                    resource,
                    meta.get("namespace"),
                    meta["name"],
                    propagation_policy=propagation_policy,
                    dry_run=dry_run,
                )
            except ApiError as error:
                if error.code != 404:
                    raise
                continue
            deleted.append(answer if answer.get("kind") == rt.kind else item)
        return {
            "kind": rt.list_kind,
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(self.store.resource_version)},
            "items": [
                {key: value for key, value in obj.items() if key not in ("kind", "apiVersion")}
                for obj in deleted
            ],
        }

    # -- garbage collector ----------------------------------------------------------------
    def _enqueue(self, kind: str, key: str) -> None:
        self._gc_queue.put((kind, key))

    def start_garbage_collector(self) -> None:
        self._gc_thread = threading.Thread(
            target=self._gc_loop, name="embedded-garbage-collector", daemon=True
        )
        self._gc_thread.start()

    def stop_garbage_collector(self) -> None:
        if self._gc_thread is not None:
            self._gc_queue.put(None)
            self._gc_thread.join(timeout=10)
            self._gc_thread = None

    def _gc_loop(self) -> None:
        while True:
            item = self._gc_queue.get()
            if item is None:
                return
            kind, key = item
            try:
                if kind == "owner":
                    self._collect_owner(key)
                else:
                    self._collect_namespace(key)
            except Exception:  # the collector must survive one bad object
                log.exception("garbage collection of %s %s failed", kind, key)

    def _object_at(self, location: Location) -> JSON | None:
        resource, namespace, name = location
        return self.store.get(resource, namespace, name)

    def _collect_owner(self, uid: str) -> None:
        with self.store.lock:
            location = self._uids.get(uid)
            owner = self._object_at(location) if location else None
            dependents = [
                dependent
                for dependent in (
                    self._object_at(place) for place in self._dependents.get(uid, set())
                )
                if dependent is not None
            ]
            if owner is None:
                for dependent in dependents:
                    self._drop_dependent(uid, dependent)
                return
            finalizers = owner["metadata"].get("finalizers") or []
            if not owner["metadata"].get("deletionTimestamp"):
                return
            if ORPHAN in finalizers:
                for dependent in dependents:
                    self._strip_owner(uid, dependent)
                self._remove_finalizer(owner, ORPHAN)
            elif FOREGROUND in finalizers:
                blocking = False
                for dependent in dependents:
                    if not dependent["metadata"].get("deletionTimestamp"):
                        self._delete_quietly(dependent, "Background")
                    if self._object_at(self._location(dependent)) is not None:
                        blocking = True
                if not blocking:
                    self._remove_finalizer(owner, FOREGROUND)

    def _drop_dependent(self, owner_uid: str, dependent: JSON) -> None:
        """The owner is gone: delete the dependent unless another live owner keeps it."""
        others = [uid for uid in owner_uids(dependent) if uid != owner_uid]
        if any(uid in self._uids for uid in others):
            self._strip_owner(owner_uid, dependent)
        elif not dependent["metadata"].get("deletionTimestamp"):
            self._delete_quietly(dependent, "Background")

    def _strip_owner(self, owner_uid: str, dependent: JSON) -> None:
        rt = resource_type(self._location(dependent)[0])
        updated = clone(dependent)
        references = [
            ref
            for ref in updated["metadata"].get("ownerReferences") or []
            if ref.get("uid") != owner_uid
        ]
        if references:
            updated["metadata"]["ownerReferences"] = references
        else:
            updated["metadata"].pop("ownerReferences", None)
        self._write_update(rt, dependent, updated)

    def _remove_finalizer(self, owner: JSON, finalizer: str) -> None:
        rt = resource_type(self._location(owner)[0])
        updated = clone(owner)
        updated["metadata"]["finalizers"] = [
            item for item in owner["metadata"].get("finalizers") or [] if item != finalizer
        ]
        if not updated["metadata"]["finalizers"]:
            del updated["metadata"]["finalizers"]
        self._write_update(rt, owner, updated)

    def _delete_quietly(self, obj: JSON, policy: str) -> None:
        resource, namespace, name = self._location(obj)
        try:
            self.delete(resource, namespace, name, propagation_policy=policy)
        except ApiError as error:
            if error.code != 404:
                raise

    def _collect_namespace(self, name: str) -> None:
        with self.store.lock:
            namespace = self.store.get("namespaces", None, name)
            if namespace is None or not namespace["metadata"].get("deletionTimestamp"):
                return
            remaining = 0
            for rt in RESOURCES.values():
                if not rt.namespaced:
                    continue
                items, _, _ = self.store.scan(rt.plural, name)
                for item in items:
                    remaining += 1
                    if not item["metadata"].get("deletionTimestamp"):
                        self._delete_quietly(item, "Background")
                remaining -= sum(
                    1 for item in items if self._object_at(self._location(item)) is None
                )
            if remaining == 0 and self.store.get("namespaces", None, name) is not None:
                self._remove(resource_type("namespaces"), clone(namespace))
