"""``meta.k8s.io/v1`` Table output, what ``kubectl get`` asks for (references CE, CF, CG).

Columns follow the current kube-apiserver table printers; each row carries the object as
PartialObjectMetadata (kubectl's default) or in full (``includeObject=Object``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kubesim.apiserver.objects import parse_rfc3339
from kubesim.apiserver.registry import ResourceType
from kubesim.clusterapi import JSON


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    total = int(seconds)
    minutes, hours, days = total // 60, total // 3600, total // 86400
    if total < 120:
        return f"{total}s"
    if minutes < 10:
        rest = total % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if years < 8:
        return f"{years}y{days % 365}d"
    return f"{years}y"


def _since(timestamp: str | None, now: datetime) -> str:
    if not timestamp:
        return "<unknown>"
    return human_duration((now - parse_rfc3339(timestamp)).total_seconds())


def _column(
    name: str, description: str, *, kind: str = "string", fmt: str = "", priority: int = 0
) -> JSON:
    return {
        "name": name,
        "type": kind,
        "format": fmt,
        "description": description,
        "priority": priority,
    }


_NAME = _column("Name", "Name must be unique within a namespace.", fmt="name")
_AGE = _column(
    "Age",
    "CreationTimestamp is a timestamp representing the server time when this object was created.",
)


def _selector_text(selector: JSON | None) -> str:
    if not selector:
        return "<none>"
    parts = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        values = ",".join(expression.get("values") or [])
        parts.append(f"{expression['key']} {expression['operator'].lower()} ({values})")
    return ",".join(parts) or "<none>"


def _containers(pod_spec: JSON) -> tuple[str, str]:
    containers = pod_spec.get("containers") or []
    return (
        ",".join(container.get("name", "") for container in containers),
        ",".join(container.get("image", "") for container in containers),
    )


def _job_status(job: JSON) -> str:
    conditions = {
        c.get("type"): c.get("status") for c in (job.get("status") or {}).get("conditions") or []
    }
    if conditions.get("Complete") == "True":
        return "Complete"
    if conditions.get("Failed") == "True":
        return "Failed"
    if job["metadata"].get("deletionTimestamp"):
        return "Terminating"
    if conditions.get("SuccessCriteriaMet") == "True" or conditions.get("FailureTarget") == "True":
        return "Terminating"
    if conditions.get("Suspended") == "True":
        return "Suspended"
    return "Running"


def _job_row(job: JSON, now: datetime) -> list[Any]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    completions = spec.get("completions")
    succeeded = status.get("succeeded", 0)
    if completions is not None:
        completion_text = f"{succeeded}/{completions}"
    else:
        parallelism = spec.get("parallelism", 0)
        completion_text = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    start, end = status.get("startTime"), status.get("completionTime")
    if not start:
        duration = ""
    elif end:
        duration = human_duration((parse_rfc3339(end) - parse_rfc3339(start)).total_seconds())
    else:
        duration = _since(start, now)
    names, images = _containers(((spec.get("template") or {}).get("spec")) or {})
    return [
        job["metadata"]["name"],
        _job_status(job),
        completion_text,
        duration,
        _since(job["metadata"].get("creationTimestamp"), now),
        names,
        images,
        _selector_text(spec.get("selector")),
    ]


_JOB_COLUMNS = [
    _NAME,
    _column("Status", "Status of the job."),
    _column("Completions", "The number of pods which reached phase Succeeded."),
    _column("Duration", "Time required to complete the job."),
    _AGE,
    _column("Containers", "Names of each container in the template.", priority=1),
    _column("Images", "Images referenced by each container in the template.", priority=1),
    _column("Selector", "A label query over pods that should match the pod count.", priority=1),
]


def _cronjob_row(cronjob: JSON, now: datetime) -> list[Any]:
    spec, status = cronjob.get("spec") or {}, cronjob.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = _containers((job_spec.get("template") or {}).get("spec") or {})
    last = status.get("lastScheduleTime")
    return [
        cronjob["metadata"]["name"],
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        "True" if spec.get("suspend") else "False",
        len(status.get("active") or []),
        _since(last, now) if last else "<none>",
        _since(cronjob["metadata"].get("creationTimestamp"), now),
        names,
        images,
        _selector_text(job_spec.get("selector")),
    ]


_CRONJOB_COLUMNS = [
    _NAME,
    _column("Schedule", "The schedule in Cron format."),
    _column("Timezone", "The time zone name for the given schedule."),
    _column("Suspend", "Whether subsequent executions are suspended.", kind="boolean"),
    _column("Active", "A list of pointers to currently running jobs.", kind="integer"),
    _column(
        "Last Schedule", "Information when was the last time the job was successfully scheduled."
    ),
    _AGE,
    _column("Containers", "Names of each container in the template.", priority=1),
    _column("Images", "Images referenced by each container in the template.", priority=1),
    _column("Selector", "A label query over pods that should match the pod count.", priority=1),
]


def _pod_status_text(pod: JSON) -> str:
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated"):
            terminated = state["terminated"]
            reason = terminated.get("reason") or (
                f"Signal:{terminated['signal']}"
                if terminated.get("signal")
                else f"ExitCode:{terminated.get('exitCode', 0)}"
            )
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return str(reason)


def _pod_row(pod: JSON, now: datetime) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for container in statuses if container.get("ready"))
    restarts = sum(int(container.get("restartCount", 0)) for container in statuses)
    return [
        pod["metadata"]["name"],
        f"{ready}/{len(spec.get('containers') or [])}",
        _pod_status_text(pod),
        str(restarts),
        _since(pod["metadata"].get("creationTimestamp"), now),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        "<none>",
    ]


_POD_COLUMNS = [
    _NAME,
    _column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _column("Status", "The aggregate status of the containers in this pod."),
    _column("Restarts", "The number of times the containers in this pod have been restarted."),
    _AGE,
    _column("IP", "IP address allocated to the pod.", priority=1),
    _column("Node", "Name of the node this pod is running on.", priority=1),
    _column("Nominated Node", "Name of the node this pod is nominated to run on.", priority=1),
    _column("Readiness Gates", "Readiness gates of the pod.", priority=1),
]


def _event_row(event: JSON, now: datetime) -> list[Any]:
    involved = event.get("involvedObject") or {}
    last = (
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event["metadata"].get("creationTimestamp")
    )
    return [
        _since(last, now),
        event.get("type", ""),
        event.get("reason", ""),
        f"{(involved.get('kind') or '').lower()}/{involved.get('name', '')}",
        event.get("message", ""),
    ]


_EVENT_COLUMNS = [
    _column("Last Seen", "Time since the event was last seen."),
    _column("Type", "Type of this event."),
    _column("Reason", "Why the action was taken."),
    _column("Object", "The object this event is about."),
    _column("Message", "A human-readable description of the status of this operation."),
]


def _namespace_row(namespace: JSON, now: datetime) -> list[Any]:
    return [
        namespace["metadata"]["name"],
        (namespace.get("status") or {}).get("phase", ""),
        _since(namespace["metadata"].get("creationTimestamp"), now),
    ]


_NAMESPACE_COLUMNS = [_NAME, _column("Status", "The status of the namespace."), _AGE]


def _configmap_row(configmap: JSON, now: datetime) -> list[Any]:
    entries = len(configmap.get("data") or {}) + len(configmap.get("binaryData") or {})
    return [
        configmap["metadata"]["name"],
        entries,
        _since(configmap["metadata"].get("creationTimestamp"), now),
    ]


def _lease_row(lease: JSON, now: datetime) -> list[Any]:
    holder = (lease.get("spec") or {}).get("holderIdentity") or ""
    return [
        lease["metadata"]["name"],
        holder,
        _since(lease["metadata"].get("creationTimestamp"), now),
    ]


_CONFIGMAP_COLUMNS = [
    _NAME,
    _column(
        "Data",
        "Data contains the configuration data. Each key must consist of alphanumeric characters, "
        "'-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The "
        "keys stored in Data must not overlap with the keys in the BinaryData field, this is "
        "enforced during validation process.",
    ),
    _AGE,
]
_LEASE_COLUMNS = [
    _NAME,
    _column("Holder", "holderIdentity contains the identity of the holder of a current lease."),
    _AGE,
]

_PRINTERS: dict[str, tuple[list[JSON], Callable[[JSON, datetime], list[Any]]]] = {
    "jobs": (_JOB_COLUMNS, _job_row),
    "cronjobs": (_CRONJOB_COLUMNS, _cronjob_row),
    "pods": (_POD_COLUMNS, _pod_row),
    "events": (_EVENT_COLUMNS, _event_row),
    "namespaces": (_NAMESPACE_COLUMNS, _namespace_row),
    "configmaps": (_CONFIGMAP_COLUMNS, _configmap_row),
    "leases": (_LEASE_COLUMNS, _lease_row),
}


# ServiceAccounts and RBAC: the columns kube-apiserver's printers give them.
def _account_row(account: JSON, now: datetime) -> list[Any]:
    meta = account["metadata"]
    return [
        meta["name"],
        len(account.get("secrets") or []),
        _since(meta.get("creationTimestamp"), now),
    ]


def _role_row(role: JSON, now: datetime) -> list[Any]:
    return [role["metadata"]["name"], role["metadata"].get("creationTimestamp", "")]


def _binding_row(binding: JSON, now: datetime) -> list[Any]:
    ref = binding.get("roleRef") or {}
    subjects = binding.get("subjects") or []

    def names(kind: str) -> str:
        shown = [
            (f"{s.get('namespace', '')}/{s['name']}" if kind == "ServiceAccount" else s["name"])
            for s in subjects
            if s.get("kind") == kind
        ]
        return ", ".join(shown)

    meta = binding["metadata"]
    return [
        meta["name"],
        f"{ref.get('kind')}/{ref.get('name')}",
        _since(meta.get("creationTimestamp"), now),
        names("User"),
        names("Group"),
        names("ServiceAccount"),
    ]


_CREATED_AT = _column("Created At", "Creation timestamp", kind="date")
_BINDING_COLUMNS = [
    _NAME,
    _column("Role", "Role"),
    _AGE,
    _column("Users", "Users in the binding", priority=1),
    _column("Groups", "Groups in the binding", priority=1),
    _column("ServiceAccounts", "ServiceAccounts in the binding", priority=1),
]
_PRINTERS.update(
    {
        "serviceaccounts": (
            [_NAME, _column("Secrets", "Secrets", kind="integer"), _AGE],
            _account_row,
        ),
        "roles": ([_NAME, _CREATED_AT], _role_row),
        "clusterroles": ([_NAME, _CREATED_AT], _role_row),
        "rolebindings": (_BINDING_COLUMNS, _binding_row),
        "clusterrolebindings": (_BINDING_COLUMNS, _binding_row),
    }
)


def _row_object(obj: JSON, include: str) -> JSON | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }


def to_table(
    rt: ResourceType, items: list[JSON], list_meta: JSON, now: datetime, include: str = "Metadata"
) -> JSON:
    columns, row = _PRINTERS[rt.plural]
    rows = []
    for item in items:
        full = item if "kind" in item else {"kind": rt.kind, "apiVersion": rt.api_version, **item}
        entry: JSON = {"cells": row(full, now)}
        shown = _row_object(full, include)
        if shown is not None:
            entry["object"] = shown
        rows.append(entry)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": columns,
        "rows": rows,
    }
