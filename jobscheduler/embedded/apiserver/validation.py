"""Field validation with upstream's field paths, reasons and wording.

Each check appends a ``FieldError``; ``raise_invalid`` turns the list into the 422 ``Invalid``
Status kube-apiserver sends (``Job.batch "x" is invalid: <field>: <detail>``), so a client
sees every problem at once, exactly as with a real cluster.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobscheduler.embedded.api import JSON, ApiError
from jobscheduler.embedded.apiserver.cronspec import schedule_error


@dataclass(frozen=True)
class FieldError:
    reason: str  # FieldValueInvalid | FieldValueRequired | FieldValueNotSupported | ...
    field: str
    message: str

    @classmethod
    def invalid(cls, field: str, value: Any, detail: str) -> FieldError:
        return cls("FieldValueInvalid", field, f"Invalid value: {_go_value(value)}: {detail}")

    @classmethod
    def required(cls, field: str, detail: str = "") -> FieldError:
        message = f"Required value: {detail}" if detail else "Required value"
        return cls("FieldValueRequired", field, message)

    @classmethod
    def not_supported(cls, field: str, value: Any, supported: list[str]) -> FieldError:
        choices = ", ".join(f'"{choice}"' for choice in supported)
        return cls(
            "FieldValueNotSupported",
            field,
            f"Unsupported value: {_go_value(value)}: supported values: {choices}",
        )

    @classmethod
    def forbidden(cls, field: str, detail: str) -> FieldError:
        return cls("FieldValueForbidden", field, f"Forbidden: {detail}")

    @classmethod
    def duplicate(cls, field: str, value: Any) -> FieldError:
        return cls("FieldValueDuplicate", field, f"Duplicate value: {_go_value(value)}")


def _go_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def raise_invalid(kind: str, group: str, name: str, errors: list[FieldError]) -> None:
    if not errors:
        return
    qualified = f"{kind}.{group}" if group else kind
    parts = [f"{error.field}: {error.message}" for error in errors]
    summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details: JSON = {"name": name} if name else {}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [
        {"reason": error.reason, "message": error.message, "field": error.field} for error in errors
    ]
    raise ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {summary}', details)


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

DNS_SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_QUALIFIED_NAME_MESSAGE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_LABEL_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def dns_subdomain_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not _DNS_SUBDOMAIN.match(value):
        errors.append(DNS_SUBDOMAIN_MESSAGE)
    return errors


def dns_label_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _DNS_LABEL.match(value):
        errors.append(DNS_LABEL_MESSAGE)
    return errors


def label_key_errors(key: str) -> list[str]:
    errors: list[str] = []
    prefix, _, name = key.rpartition("/")
    if "/" in key:
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + error for error in dns_subdomain_errors(prefix))
    if not name:
        errors.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errors.append("name part must be no more than 63 characters")
        if not _QUALIFIED_NAME.match(name):
            errors.append(_QUALIFIED_NAME_MESSAGE)
    return errors


def label_value_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        errors.append(_LABEL_VALUE_MESSAGE)
    return errors


def validate_labels(labels: Any, field: str, errors: list[FieldError]) -> None:
    for key, value in (labels or {}).items():
        errors.extend(FieldError.invalid(field, key, detail) for detail in label_key_errors(key))
        errors.extend(
            FieldError.invalid(field, value, detail) for detail in label_value_errors(str(value))
        )


def validate_annotations(annotations: Any, field: str, errors: list[FieldError]) -> None:
    for key in annotations or {}:
        errors.extend(FieldError.invalid(field, key, detail) for detail in label_key_errors(key))


def validate_object_meta(
    meta: JSON, errors: list[FieldError], *, name_check: str = "subdomain", path: str = "metadata"
) -> None:
    name = meta.get("name") or ""
    if not name:
        errors.append(FieldError.required(f"{path}.name", "name or generateName is required"))
    else:
        check = dns_label_errors if name_check == "label" else dns_subdomain_errors
        errors.extend(FieldError.invalid(f"{path}.name", name, detail) for detail in check(name))
    validate_labels(meta.get("labels"), f"{path}.labels", errors)
    validate_annotations(meta.get("annotations"), f"{path}.annotations", errors)


# Quantities: the canonical Kubernetes serialisation regex. A string that does not match is a
# decoding error (400), as with kube-apiserver; a negative amount is a validation error (422).
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_SUFFIXES = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
QUANTITY_SYNTAX_MESSAGE = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def parse_quantity(value: Any) -> Decimal | None:
    """The amount a quantity stands for, or None when it is not a quantity at all."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if match is None:
        return None
    number, suffix = match.groups()
    try:
        amount = Decimal(number)
    except InvalidOperation:
        return None
    if suffix in _SUFFIXES:
        return amount * _SUFFIXES[suffix]
    exponent = re.fullmatch(r"[eE]([-+]?[0-9]+)", suffix)
    if exponent is None:
        return None
    return amount * (Decimal(10) ** int(exponent.group(1)))


def quantity_syntax_errors(obj: JSON, template_spec: JSON | None) -> str | None:
    """Checks every container resource quantity; returns the 400 message for the first bad one."""
    if template_spec is None:
        return None
    for container in _all_containers(template_spec):
        resources = container.get("resources") or {}
        for section in ("limits", "requests"):
            for amount in (resources.get(section) or {}).values():
                if parse_quantity(amount) is None:
                    return QUANTITY_SYNTAX_MESSAGE
    return None


def _all_containers(pod_spec: JSON) -> list[JSON]:
    return list(pod_spec.get("initContainers") or []) + list(pod_spec.get("containers") or [])


_RESTART_POLICIES = ["Always", "OnFailure", "Never"]


def validate_pod_spec(
    spec: JSON, path: str, errors: list[FieldError], *, job_template: bool = False
) -> None:
    containers = spec.get("containers") or []
    if not containers:
        errors.append(FieldError.required(f"{path}.containers"))
    seen: set[str] = set()
    for section in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(section) or []):
            where = f"{path}.{section}[{index}]"
            name = container.get("name") or ""
            if not name:
                errors.append(FieldError.required(f"{where}.name"))
            else:
                errors.extend(
                    FieldError.invalid(f"{where}.name", name, detail)
                    for detail in dns_label_errors(name)
                )
                if name in seen:
                    errors.append(FieldError.duplicate(f"{where}.name", name))
                seen.add(name)
            if not (container.get("image") or "").strip():
                errors.append(FieldError.required(f"{where}.image"))
            _validate_resources(container.get("resources") or {}, f"{where}.resources", errors)
    policy = spec.get("restartPolicy")
    if job_template:
        if policy not in ("OnFailure", "Never"):
            errors.append(
                FieldError.required(f"{path}.restartPolicy", 'valid values: "OnFailure", "Never"')
            )
    elif policy not in _RESTART_POLICIES:
        errors.append(FieldError.not_supported(f"{path}.restartPolicy", policy, _RESTART_POLICIES))
    for field in ("activeDeadlineSeconds",):
        value = spec.get(field)
        if value is not None and value <= 0:
            errors.append(
                FieldError.invalid(
                    f"{path}.{field}", value, "must be between 1 and 2147483647, inclusive"
                )
            )


def _validate_resources(resources: JSON, path: str, errors: list[FieldError]) -> None:
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    for section, values in (("limits", limits), ("requests", requests)):
        for resource_name, raw in values.items():
            amount = parse_quantity(raw)
            if amount is not None and amount < 0:
                errors.append(
                    FieldError.invalid(
                        f"{path}.{section}[{resource_name}]",
                        str(raw),
                        "must be greater than or equal to 0",
                    )
                )
    for resource_name, raw in requests.items():
        if resource_name in limits:
            request, limit = parse_quantity(raw), parse_quantity(limits[resource_name])
            if request is not None and limit is not None and request > limit:
                errors.append(
                    FieldError.invalid(
                        f"{path}.requests[{resource_name}]",
                        str(raw),
                        f"must be less than or equal to {resource_name} limit of "
                        f"{limits[resource_name]}",
                    )
                )


def validate_pod_template(template: JSON, path: str, errors: list[FieldError]) -> None:
    meta = template.get("metadata") or {}
    validate_labels(meta.get("labels"), f"{path}.labels", errors)
    validate_annotations(meta.get("annotations"), f"{path}.annotations", errors)
    validate_pod_spec(template.get("spec") or {}, f"{path}.spec", errors, job_template=True)


def _non_negative(spec: JSON, field: str, path: str, errors: list[FieldError]) -> None:
    value = spec.get(field)
    if value is not None and value < 0:
        errors.append(
            FieldError.invalid(f"{path}.{field}", value, "must be greater than or equal to 0")
        )


def validate_job_spec(spec: JSON, path: str, errors: list[FieldError]) -> None:
    for field in ("parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished"):
        _non_negative(spec, field, path, errors)
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and deadline <= 0:
        errors.append(
            FieldError.invalid(
                f"{path}.activeDeadlineSeconds", deadline, "must be greater than or equal to 1"
            )
        )
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        errors.append(
            FieldError.not_supported(f"{path}.completionMode", mode, ["NonIndexed", "Indexed"])
        )
    if mode == "Indexed" and spec.get("completions") is None:
        errors.append(FieldError.required(f"{path}.completions", "when completion mode is Indexed"))
    template = spec.get("template") or {}
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    template_labels = (template.get("metadata") or {}).get("labels") or {}
    if selector and any(template_labels.get(key) != value for key, value in selector.items()):
        errors.append(
            FieldError.invalid(
                f"{path}.template.metadata.labels",
                template_labels,
                "`selector` does not match template `labels`",
            )
        )
    validate_pod_template(template, f"{path}.template", errors)


def validate_job(job: JSON) -> list[FieldError]:
    errors: list[FieldError] = []
    validate_object_meta(job.get("metadata") or {}, errors)
    validate_job_spec(job.get("spec") or {}, "spec", errors)
    return errors


def validate_cronjob(cronjob: JSON) -> list[FieldError]:
    errors: list[FieldError] = []
    meta = cronjob.get("metadata") or {}
    validate_object_meta(meta, errors)
    name = meta.get("name") or ""
    if len(name) > 52:
        errors.append(
            FieldError.invalid("metadata.name", name, "must be no more than 52 characters")
        )
    spec = cronjob.get("spec") or {}
    schedule = spec.get("schedule")
    if not schedule:
        errors.append(FieldError.required("spec.schedule"))
    else:
        problem = schedule_error(schedule)
        if problem:
            errors.append(FieldError.invalid("spec.schedule", schedule, problem))
    time_zone = spec.get("timeZone")
    if time_zone is not None and not _known_time_zone(time_zone):
        errors.append(
            FieldError.invalid("spec.timeZone", time_zone, "unknown time zone " + time_zone)
        )
    policy = spec.get("concurrencyPolicy")
    if policy not in ("Allow", "Forbid", "Replace"):
        errors.append(
            FieldError.not_supported(
                "spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]
            )
        )
    for field in (
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ):
        _non_negative(spec, field, "spec", errors)
    job_template = spec.get("jobTemplate") or {}
    template_meta = job_template.get("metadata") or {}
    validate_labels(template_meta.get("labels"), "spec.jobTemplate.metadata.labels", errors)
    validate_job_spec(job_template.get("spec") or {}, "spec.jobTemplate.spec", errors)
    return errors


def _known_time_zone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or "\\" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def validate_pod(pod: JSON) -> list[FieldError]:
    errors: list[FieldError] = []
    validate_object_meta(pod.get("metadata") or {}, errors)
    validate_pod_spec(pod.get("spec") or {}, "spec", errors)
    return errors


def validate_namespace(namespace: JSON) -> list[FieldError]:
    errors: list[FieldError] = []
    validate_object_meta(namespace.get("metadata") or {}, errors, name_check="label")
    return errors


def validate_event(event: JSON) -> list[FieldError]:
    errors: list[FieldError] = []
    validate_object_meta(event.get("metadata") or {}, errors)
    involved = event.get("involvedObject") or {}
    namespace = (event.get("metadata") or {}).get("namespace")
    if involved.get("namespace") and involved.get("namespace") != namespace:
        errors.append(
            FieldError.invalid(
                "involvedObject.namespace",
                involved.get("namespace"),
                "does not match event.namespace",
            )
        )
    return errors
