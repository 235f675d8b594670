"""Environment variables shared by the job types: validation and stable ordering."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jobscheduler import kubesyntax as k8snames
from jobscheduler.errors import FieldViolation

MAX_ENV_VARS = 256
MAX_ENV_BYTES = 64 * 1024


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
        if problem := k8snames.env_var_name(name):
            violations.append(FieldViolation(field, f"variable name {problem}"))
        elif name in reserved_names:
            violations.append(
                FieldViolation(field, "is set by the job type and cannot be overridden")
            )
        if "\x00" in env[name]:
            violations.append(FieldViolation(field, "value must not contain NUL characters"))
    return violations


def env_list(env: Mapping[str, str]) -> list[dict[str, str]]:
    """Container env entries in name order, so equal requests build identical manifests."""
    return [{"name": name, "value": env[name]} for name in sorted(env)]
