"""Server-side apply, reduced to what clients notice: who applied which field, and a 409
``FieldManagerConflict`` when another manager's applied field would change without ``force``
(reference CJ). Lists are owned whole; managedFields are not written into objects.
"""

from __future__ import annotations

import threading
from typing import Any

from kubesim.clusterapi import JSON, ApiError

Path = tuple[str, ...]
_METADATA_OWNED = ("labels", "annotations")


def applied_fields(config: JSON) -> dict[Path, Any]:
    """The leaf fields an apply configuration sets (identity fields excluded)."""
    leaves: dict[Path, Any] = {}

    def walk(value: Any, path: Path) -> None:
        if isinstance(value, dict) and value:
            for key, item in value.items():
                walk(item, (*path, key))
        else:
            leaves[path] = value

    for key, value in config.items():
        if key in ("apiVersion", "kind", "status"):
            continue
        if key == "metadata":
            for owned in _METADATA_OWNED:
                if isinstance(value, dict) and owned in value:
                    walk(value[owned], ("metadata", owned))
            continue
        walk(value, (key,))
    return leaves


def _value_at(obj: Any, path: Path) -> Any:
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _text(path: Path) -> str:
    return "." + ".".join(path)


class FieldOwners:
    """Which manager last applied each field, per object uid."""

    def __init__(self) -> None:
        self._owners: dict[str, dict[Path, str]] = {}
        self._lock = threading.Lock()

    def check(self, uid: str, manager: str, config: JSON, current: JSON) -> None:
        """Raise 409 if applying ``config`` would change fields another manager applied."""
        with self._lock:
            owners = dict(self._owners.get(uid, {}))
        conflicts = [
            (path, owners[path])
            for path, value in applied_fields(config).items()
            if owners.get(path, manager) != manager and _value_at(current, path) != value
        ]
        if not conflicts:
            return
        causes = [
            {
                "reason": "FieldManagerConflict",
                "message": f'conflict with "{owner}"',
                "field": _text(path),
            }
            for path, owner in conflicts
        ]
        if len(conflicts) == 1:
            path, owner = conflicts[0]
            message = f'Apply failed with 1 conflict: conflict with "{owner}": {_text(path)}'
        else:
            lines = "\n".join(
                f'- conflict with "{owner}": {_text(path)}' for path, owner in conflicts
            )
            message = f"Apply failed with {len(conflicts)} conflicts:\n{lines}"
        raise ApiError(409, "Conflict", message, {"causes": causes})

    def record(self, uid: str, manager: str, config: JSON) -> None:
        with self._lock:
            owners = self._owners.setdefault(uid, {})
            for path in applied_fields(config):
                owners[path] = manager

    def forget(self, uid: str) -> None:
        with self._lock:
            self._owners.pop(uid, None)
