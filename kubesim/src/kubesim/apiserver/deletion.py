"""Deletion as kube-apiserver's registry does it: preconditions, graceful deletion, finalizers.

``Orphan`` and ``Foreground`` deletions put a finalizer (``orphan`` / ``foregroundDeletion``) on
the object and return it with a ``deletionTimestamp``; ``Background`` removes it at once. An
object being deleted is removed when its last finalizer goes. Acting on the dependents (found
through ``ownerReferences``) is the garbage collector's work, and emptying a terminating
namespace the namespace controller's (``kubesim.controllers``), as in kube-controller-manager.
A batch/v1 Job deleted without a policy orphans its pods (the legacy default, reference 84).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from kubesim.apiserver.objects import rfc3339
from kubesim.apiserver.registry import ResourceType, resource_type
from kubesim.apiserver.selectors import combine, field_predicate, label_predicate
from kubesim.clusterapi import JSON, ApiError
from kubesim.store import clone

if TYPE_CHECKING:
    from kubesim.apiserver.apply import FieldOwners
    from kubesim.clock import Clock
    from kubesim.store import Store


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
# Strategies whose DELETE answers with the deleted object instead of a Status (pods do).
_RETURNS_DELETED_OBJECT = {"pods", "events"}


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

    def _remove(self, rt: ResourceType, obj: JSON) -> JSON:
        """Remove for good; the caller holds the store lock."""
        removed = self.store.remove(rt.plural, obj)
        self.field_owners.forget(removed["metadata"]["uid"])
        return removed

    @staticmethod
    def _deletion_complete(rt: ResourceType, obj: JSON) -> bool:
        """Whether an object being deleted has nothing left holding it (a namespace also waits
        for the namespace controller to drop ``spec.finalizers``)."""
        meta = obj["metadata"]
        if not meta.get("deletionTimestamp") or meta.get("finalizers"):
            return False
        return rt.plural != "namespaces" or not (obj.get("spec") or {}).get("finalizers")

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
                return self.store.put(rt.plural, deleting)
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
        if self._deletion_complete(rt, terminating):
            return self._deleted_answer(rt, self._remove(rt, clone(current)))
        return self.store.put(rt.plural, terminating)

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
