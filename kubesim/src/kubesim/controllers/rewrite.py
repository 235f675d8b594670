"""Read-modify-write of one object with optimistic concurrency, as controllers do it: GET,
change, PUT with the read resourceVersion, and again on a 409 Conflict."""

from __future__ import annotations

from collections.abc import Callable

from kubesim.clusterapi import JSON, ApiError, ClusterAPI

# Attempts before a conflicting update is left to the work queue's retry.
_ATTEMPTS = 5


def get_live(api: ClusterAPI, resource: str, namespace: str | None, name: str) -> JSON | None:
    """The object, or None when it is gone."""
    try:
        return api.get(resource, namespace, name)
    except ApiError as error:
        if error.code == 404:
            return None
        raise


def rewrite(
    api: ClusterAPI,
    resource: str,
    namespace: str | None,
    name: str,
    edit: Callable[[JSON], bool],
    *,
    uid: str | None = None,
) -> None:
    """``edit`` changes the object in place and returns False when there is nothing to change;
    nothing happens once the object is gone (or, with ``uid``, replaced by a namesake)."""
    for _ in range(_ATTEMPTS):
        latest = get_live(api, resource, namespace, name)
        if latest is None or (uid is not None and latest["metadata"].get("uid") != uid):
            return
        if not edit(latest):
            return
        try:
            api.update(resource, namespace, name, latest)
            return
        except ApiError as error:
            if error.code == 404:
                return
            if error.code != 409:
                raise
    raise RuntimeError(f"updating {resource} {name}: kept conflicting")
