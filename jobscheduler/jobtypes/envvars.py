"""Environment variables shared by the job types: validation and stable ordering.

Names are C identifiers: Kubernetes before 1.32 refuses most others ('.', '..x'), and shells
cannot export them. A deny-list (README, "Security model") refuses names that change what the
container loads or where it finds Kubernetes:

- dynamic-loader variables, ``LD_*`` (glibc, musl: LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT...) and
  ``DYLD_*``: they inject code into every process of the image, the project's timer runner too;
- the names Kubernetes injects for services: ``KUBERNETES_SERVICE_HOST``,
  ``KUBERNETES_SERVICE_PORT*`` and ``KUBERNETES_PORT*`` (always injected: in-cluster clients find
  the API server by them), and the docker-link forms of any other service that are unambiguous:
  ``*_SERVICE_HOST``, ``*_SERVICE_PORT``, ``*_SERVICE_PORT_*`` and ``*_PORT_<n>_<TCP|UDP|SCTP>*``.
  Our pods run with service links off, so those are never the cluster's own values: set by a
  request they would only spoof service discovery. A bare ``*_PORT`` (APP_PORT, HTTP_PORT) is an
  ordinary setting far more often than a link, so it stays allowed.

Each job type adds its own contract (``reserved``): the names its runner reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from jobscheduler.errors import FieldViolation

MAX_ENV_VARS = 256
MAX_ENV_BYTES = 64 * 1024

_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DENIED = (
    (re.compile(r"(LD|DYLD)_.*"), "the dynamic loader reads it"),
    (
        re.compile(r"KUBERNETES_(SERVICE_HOST|SERVICE_PORT(_.*)?|PORT(_.*)?)"),
        "Kubernetes sets it to the API server's address",
    ),
    (
        re.compile(r".+_(SERVICE_HOST|SERVICE_PORT(_.+)?|PORT_[0-9]+_(TCP|UDP|SCTP)(_.*)?)"),
        "Kubernetes service discovery uses this name",
    ),
)


def env_name_problem(name: str) -> str | None:
    """Why a request may not set the variable ``name``, or None when it may."""
    if not _C_IDENTIFIER.fullmatch(name):
        return (
            "variable name must be a C identifier: letters, digits and '_', "
            "not starting with a digit"
        )
    for pattern, reason in _DENIED:
        if pattern.fullmatch(name):
            return f"is reserved: {reason}"
    return None


def validate_env(
    env: Mapping[str, str], path: str, reserved: Iterable[str] = ()
) -> list[FieldViolation]:
    violations = []
    reserved_names = set(reserved)
    if len(env) > MAX_ENV_VARS:
        violations.append(FieldViolation(path, f"at most {MAX_ENV_VARS} variables"))
    if sum(len(k) + len(v) for k, v in env.items()) > MAX_ENV_BYTES:
        violations.append(FieldViolation(path, f"at most {MAX_ENV_BYTES} bytes in total"))
    for name in sorted(env):
        field = f'{path}["{name}"]'
        if problem := env_name_problem(name):
            violations.append(FieldViolation(field, problem))
        elif name in reserved_names:
            violations.append(
                FieldViolation(field, "is part of this job type's contract and cannot be set here")
            )
        if "\x00" in env[name]:
            violations.append(FieldViolation(field, "value must not contain NUL characters"))
    return violations


def env_list(env: Mapping[str, str]) -> list[dict[str, str]]:
    """Container env entries in name order, so equal requests build identical manifests."""
    return [{"name": name, "value": env[name]} for name in sorted(env)]
