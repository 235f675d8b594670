"""Checks objects against the upstream OpenAPI schema that ``kubernetes-validate`` ships.

kubernetes-validate re-reads and re-compiles the schema on every call (~7 ms); we compile one
validator per kind once and reuse it, which makes a check cost well under a millisecond.

Modes: ``"all"`` checks every write (tests), ``"sample"`` every 100th write (benchmarks),
``"off"`` none. Unknown fields are dropped with a warning, as kube-apiserver's default
``fieldValidation=Warn`` does; anything else the schema rejects is a 400, like a decoding error.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import itertools
import logging
import threading
from typing import Any

from kubesim.clusterapi import JSON, ApiError

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1.32.0"
_VALIDATOR_MODULES = ("jsonschema", "referencing", "kubernetes_validate")
MODES = ("all", "sample", "off")
SAMPLE_EVERY = 100


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # an import hook may refuse the module outright
        return False


@functools.cache
def _validator(api_version: str, kind: str) -> Any:
    # Imported lazily: they load the schema files, which only validating needs.
    jsonschema = importlib.import_module("jsonschema")
    referencing = importlib.import_module("referencing")
    schema_contents = importlib.import_module("kubernetes_validate.utils").schema_contents
    registry_type, resource_type = referencing.Registry, referencing.Resource
    group_version = api_version.replace("/", "-").split(".", 1)[0]
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        group_version = f"{group.split('.', 1)[0]}-{version}"
    directory = f"kubernetes-json-schema/v{SCHEMA_VERSION}-local-strict"
    schema = schema_contents(f"{directory}/{kind.lower()}-{group_version}.json", SCHEMA_VERSION)
    definitions = schema_contents(f"{directory}/_definitions.json", SCHEMA_VERSION)
    registry: Any = resource_type.from_contents(schema) @ registry_type()
    registry = resource_type.from_contents(definitions) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class SchemaChecker:
    def __init__(self, mode: str = "all") -> None:
        if mode not in MODES:
            raise ValueError(f"schema_validation must be one of {MODES}, not {mode!r}")
        self.mode = mode
        missing = [name for name in _VALIDATOR_MODULES if not _installed(name)]
        if mode != "off" and missing:
            # kubernetes-validate is a development dependency: an installation without it (the
            # container image) still runs the embedded cluster, only without this check.
            log.warning(
                "schema validation of the embedded cluster is off: %s not installed",
                ", ".join(missing),
            )
            self.mode = "off"
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def _due(self) -> bool:
        if self.mode == "all":
            return True
        if self.mode == "off":
            return False
        with self._lock:
            return next(self._counter) % SAMPLE_EVERY == 0

    def check(self, obj: JSON) -> list[str]:
        """Validate (and prune unknown fields from) ``obj`` in place; returns warnings."""
        if not self._due():
            return []
        validator = _validator(obj["apiVersion"], obj["kind"])
        warnings: list[str] = []
        for _ in range(20):
            errors = list(validator.iter_errors(obj))
            if not errors:
                return warnings
            unknown = [error for error in errors if error.validator == "additionalProperties"]
            if not unknown:
                error = min(errors, key=lambda item: len(item.absolute_path))
                raise ApiError(
                    400,
                    "BadRequest",
                    f'{obj["kind"]} in version "{obj["apiVersion"].rsplit("/", 1)[-1]}" cannot '
                    f"be handled as a {obj['kind']}: {_path(error.absolute_path) or 'object'}: "
                    f"{error.message}",
                )
            for error in unknown:
                container = error.instance
                allowed = set(error.schema.get("properties", {}))
                for key in [key for key in container if key not in allowed]:
                    warnings.append(f'unknown field "{_path([*error.absolute_path, key])}"')
                    del container[key]
        return warnings
