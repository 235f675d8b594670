"""Validation of the served kinds (Job, CronJob, Pod, Namespace, Event), with upstream's
field paths and messages."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobscheduler.kubesyntax import cron_schedule_error
from kubesim.apiserver.validation import (
    FieldError,
    dns_label_errors,
    parse_quantity,
    validate_annotations,
    validate_labels,
    validate_object_meta,
)
from kubesim.clusterapi import JSON

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
        problem = cron_schedule_error(schedule)
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
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a name longer than a file name can be ("File name too long") is no zone.
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
