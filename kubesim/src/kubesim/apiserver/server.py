"""The API server's request semantics, in process: ``ClusterAPI`` over the store.

Every write goes through the same pipeline as in kube-apiserver: decode checks, server-set
metadata, defaulting, validation (422 with causes), schema check, optimistic concurrency,
storage, watch fan-out. Returned objects are the stored ones (never mutated afterwards);
``InProcessAPI`` hands out copies to in-process callers.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from typing import Any

from kubesim.apiserver.apply import FieldOwners
from kubesim.apiserver.configmaps import validate_configmap
from kubesim.apiserver.defaults import DEFAULTERS, default_pod_status, label_unlabelled_job
from kubesim.apiserver.deletion import DeletionMixin
from kubesim.apiserver.leases import validate_lease
from kubesim.apiserver.objects import generate_name, rfc3339
from kubesim.apiserver.patching import APPLY_PATCH, apply_patch
from kubesim.apiserver.reads import ReadMixin
from kubesim.apiserver.registry import ResourceType, resource_type
from kubesim.apiserver.schema import SchemaChecker
from kubesim.apiserver.updates import check_update, merge_for_update
from kubesim.apiserver.validation import (
    QUANTITY_SYNTAX_MESSAGE,
    FieldError,
    quantity_syntax_errors,
    raise_invalid,
)
from kubesim.apiserver.workloads import (
    validate_cronjob,
    validate_event,
    validate_job,
    validate_namespace,
    validate_pod,
)
from kubesim.auth import objects as auth_objects
from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ApiError
from kubesim.store import Store, clone

# Warnings for the current request (unknown fields dropped), sent as ``Warning`` headers.
request_warnings: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "request_warnings", default=None
)

_VALIDATORS: dict[str, Callable[[JSON], list[FieldError]]] = {
    "jobs": validate_job,
    "cronjobs": validate_cronjob,
    "pods": validate_pod,
    "namespaces": validate_namespace,
    "events": validate_event,
    "configmaps": validate_configmap,
    "leases": validate_lease,
}
# Resources whose create resets the status a client sent (PrepareForCreate upstream).
_STATUS_RESET_ON_CREATE = {"jobs", "cronjobs"}
# Pods too since 1.33 (metadata.generation 1 on create, v1.36 A1-A4).
_HAS_GENERATION = {"jobs", "cronjobs", "pods"}
# ServiceAccounts and the RBAC kinds: defaulted and validated beside the authorizer.
_VALIDATORS.update(auth_objects.VALIDATORS)
DEFAULTERS.update(auth_objects.DEFAULTERS)


def _template_spec(resource: str, obj: JSON) -> JSON | None:
    spec: JSON = obj.get("spec") or {}
    if resource == "jobs":
        spec = (spec.get("template") or {}).get("spec") or {}
    elif resource == "cronjobs":
        job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
        spec = (job_spec.get("template") or {}).get("spec") or {}
    elif resource != "pods":
        return None
    return spec


def _spec_changed(resource: str, current: JSON, new: JSON) -> bool:
    """Whether an update moves the generation; binding a pod to a node does not (upstream
    binds through the bindings subresource, which leaves it alone)."""
    old_spec, new_spec = current.get("spec") or {}, new.get("spec") or {}
    if resource == "pods":
        old_spec = {key: value for key, value in old_spec.items() if key != "nodeName"}
        new_spec = {key: value for key, value in new_spec.items() if key != "nodeName"}
    return bool(old_spec != new_spec)


class ApiServer(ReadMixin, DeletionMixin):
    def __init__(self, store: Store, clock: Clock, schema: SchemaChecker) -> None:
        self.store = store
        self.clock = clock
        self.schema = schema
        self.field_owners = FieldOwners()
        super().__init__()

    # -- helpers -------------------------------------------------------------------------
    def now(self) -> str:
        return rfc3339(self.clock.now())

    def _warn(self, messages: list[str]) -> None:
        sink = request_warnings.get()
        if sink is not None:
            sink.extend(messages)

    def _decode_check(self, rt: ResourceType, body: Any, *, owned: bool = False) -> JSON:
        """Type checks; the result is the server's own copy (``owned``: body already is)."""
        if not isinstance(body, dict):
            raise ApiError(
                400,
                "BadRequest",
                f"the object provided is unrecognized (must be of type {rt.kind}): "
                "couldn't get version/kind; json parse error",
            )
        kind = body.get("kind") or rt.kind
        api_version = body.get("apiVersion") or rt.api_version
        if kind != rt.kind or api_version != rt.api_version:
            version = api_version.rsplit("/", 1)[-1]
            raise ApiError(
                400,
                "BadRequest",
                f'{kind} in version "{version}" cannot be handled as a {rt.kind}: converting '
                f"({api_version.replace('/', '.')}.{kind}) to ({rt.group or 'core'}.{rt.kind}): "
                "unknown conversion",
            )
        copied: JSON = body if owned else clone(body)
        copied.pop("kind", None)
        copied.pop("apiVersion", None)
        obj: JSON = {"kind": rt.kind, "apiVersion": rt.api_version, **copied}
        obj["metadata"] = obj.get("metadata") or {}
        return obj

    def _validate(self, rt: ResourceType, obj: JSON, field_validation: str = "") -> None:
        bad_quantity = quantity_syntax_errors(obj, _template_spec(rt.plural, obj))
        if bad_quantity:
            version = rt.version
            raise ApiError(
                400,
                "BadRequest",
                f'{rt.kind} in version "{version}" cannot be handled as a {rt.kind}: '
                f"{QUANTITY_SYNTAX_MESSAGE}",
            )
        errors = _VALIDATORS[rt.plural](obj)
        raise_invalid(rt.kind, rt.group, obj["metadata"].get("name", ""), errors)
        warnings = self.schema.check(obj)
        if warnings and field_validation == "Strict":
            raise ApiError(400, "BadRequest", "strict decoding error: " + ", ".join(warnings))
        if warnings and field_validation != "Ignore":
            self._warn(warnings)

    def _require_namespace(self, namespace: str) -> None:
        ns = self.store.get("namespaces", None, namespace)
        if ns is None:
            raise ApiError(
                404,
                "NotFound",
                f'namespaces "{namespace}" not found',
                {"name": namespace, "kind": "namespaces"},
            )
        if ns["metadata"].get("deletionTimestamp"):
            raise ApiError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {namespace} because it is being "
                "terminated",
                {"name": namespace, "kind": "namespaces"},
            )

    # -- create --------------------------------------------------------------------------
    def create(
        self,
        resource: str,
        namespace: str | None,
        body: JSON,
        *,
        dry_run: bool = False,
        field_validation: str = "",
        body_is_owned: bool = False,
    ) -> JSON:
        """``body_is_owned``: the caller hands the body over (freshly decoded JSON), so it
        need not be copied before the server fills it in."""
        rt = resource_type(resource)
        obj = self._decode_check(rt, body, owned=body_is_owned)
        meta = obj["metadata"]
        namespace = self._scope(rt, namespace)
        if rt.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise ApiError(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on "
                    "the request",
                )
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise ApiError(
                400, "BadRequest", "resourceVersion should not be set on objects to be created"
            )
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = generate_name(meta["generateName"])
        for server_field in ("deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"):
            meta.pop(server_field, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = self.now()
        if rt.plural in _HAS_GENERATION:
            meta["generation"] = 1
        if rt.plural in _STATUS_RESET_ON_CREATE or rt.plural == "pods":
            obj["status"] = {}
        if meta.get("name"):
            DEFAULTERS[rt.plural](obj)
        self._validate(rt, obj, field_validation)
        if rt.plural == "jobs":
            label_unlabelled_job(obj)
        with self.store.lock:
            if rt.namespaced:
                self._require_namespace(meta["namespace"])
            if self.store.get(rt.plural, namespace if rt.namespaced else None, meta["name"]):
                raise ApiError(
                    409,
                    "AlreadyExists",
                    f'{rt.qualified} "{meta["name"]}" already exists',
                    rt.details(meta["name"]),
                )
            if dry_run:
                return obj
            return self.store.put(rt.plural, obj)

    # -- read ----------------------------------------------------------------------------
    def update(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        body: JSON,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        field_validation: str = "",
    ) -> JSON:
        rt = resource_type(resource)
        obj = self._decode_check(rt, body)
        body_name = obj["metadata"].get("name")
        if body_name and body_name != name:
            raise ApiError(
                400,
                "BadRequest",
                f"the name of the object ({body_name}) does not match the name on the URL ({name})",
            )
        body_namespace = obj["metadata"].get("namespace")
        if rt.namespaced and body_namespace and body_namespace != namespace:
            raise ApiError(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the "
                "request",
            )
        with self.store.lock:
            current = self._current(rt, namespace, name)
            wanted_rv = obj["metadata"].get("resourceVersion")
            if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
                raise self._conflict(rt, name)
            return self._write_update(
                rt,
                current,
                obj,
                subresource=subresource,
                dry_run=dry_run,
                field_validation=field_validation,
            )

    def _conflict(self, rt: ResourceType, name: str) -> ApiError:
        return ApiError(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {rt.qualified} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
            rt.details(name),
        )

    def _write_update(
        self,
        rt: ResourceType,
        current: JSON,
        body: JSON,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        field_validation: str = "",
    ) -> JSON:
        """The update pipeline; the caller holds the store lock."""
        new = merge_for_update(rt.plural, current, body, subresource)
        if new["metadata"].get("finalizers") == []:
            del new["metadata"]["finalizers"]  # omitempty: removing the last one drops the list
        if rt.plural in _HAS_GENERATION and _spec_changed(rt.plural, current, new):
            new["metadata"]["generation"] = int(current["metadata"].get("generation", 1)) + 1
        if subresource != "status":
            DEFAULTERS[rt.plural](new)
        elif rt.plural == "pods":
            default_pod_status(new)
        raise_invalid(
            rt.kind, rt.group, current["metadata"]["name"], check_update(rt.plural, current, new)
        )
        self._validate(rt, new, field_validation)
        new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if new == current:
            return current  # a no-op write does not bump the resourceVersion
        if dry_run:
            return new
        if self._deletion_complete(rt, new):
            # Like etcd's delete, the DELETED event carries the last stored state, which still
            # lists the finalizer whose removal ended the deletion (reference 73).
            return self._remove(rt, clone(current))
        return self.store.put(rt.plural, new)

    def patch(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        patch: Any,
        patch_type: str,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        field_manager: str = "",
        field_validation: str = "",
        force: bool = False,
    ) -> JSON:
        """``force``: an apply patch takes over fields other managers applied."""
        rt = resource_type(resource)
        is_apply = patch_type.split(";", 1)[0].strip() == APPLY_PATCH
        if is_apply and not field_manager:
            raise ApiError(
                422,
                "Invalid",
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                "required for apply patch",
                {
                    "group": "meta.k8s.io",
                    "kind": "PatchOptions",
                    "causes": [
                        {
                            "reason": "FieldValueRequired",
                            "message": "Required value: is required for apply patch",
                            "field": "fieldManager",
                        }
                    ],
                },
            )
        with self.store.lock:
            current = self.store.get(rt.plural, self._scope(rt, namespace), name)
            if current is None:
                if is_apply and isinstance(patch, dict):
                    body = dict(patch)
                    body.setdefault("metadata", {})["name"] = name
                    created = self.create(resource, namespace, body, dry_run=dry_run)
                    if not dry_run:
                        self.field_owners.record(created["metadata"]["uid"], field_manager, patch)
                    created_marker = request_created.get()
                    if created_marker is not None:
                        created_marker.append(True)
                    return created
                raise rt.not_found(name)
            uid = current["metadata"]["uid"]
            if is_apply and isinstance(patch, dict) and not force:
                self.field_owners.check(uid, field_manager, patch, current)
            patched = apply_patch(current, patch, patch_type)
            wanted_rv = (patched.get("metadata") or {}).get("resourceVersion")
            if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
                raise self._conflict(rt, name)
            if (patched.get("metadata") or {}).get("name", name) != name:
                raise ApiError(400, "BadRequest", "the name of the object does not match the URL")
            patched = self._decode_check(rt, patched, owned=True)
            result = self._write_update(
                rt,
                current,
                patched,
                subresource=subresource,
                dry_run=dry_run,
                field_validation=field_validation,
            )
            if is_apply and isinstance(patch, dict) and not dry_run:
                self.field_owners.record(uid, field_manager, patch)
            return result


# Set by the HTTP layer: apply-patch appends True here when it created the object (201).
request_created: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "request_created", default=None
)
