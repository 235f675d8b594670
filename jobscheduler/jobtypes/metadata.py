"""Label and annotation keys the service writes, and the prefixes users may not set."""

from __future__ import annotations

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "jobscheduler"
JOB_ID_LABEL = "jobscheduler.io/job-id"
JOB_TYPE_LABEL = "jobscheduler.io/job-type"
SCHEDULE_ID_LABEL = "jobscheduler.io/schedule-id"
# Present (value: unix seconds) while a delayed job waits for its start time; the release
# loop selects on it and removes it when it starts the job.
START_AT_LABEL = "jobscheduler.io/start-at"
# "true" on a cancelled job or schedule: `kubectl get jobs -L jobscheduler.io/cancelled`.
CANCELLED_LABEL = "jobscheduler.io/cancelled"
# The request's name as a label value (see ``name_label_value``), so
# `kubectl get jobs -l jobscheduler.io/name=nightly-build` finds a job by the name people gave it.
NAME_LABEL = "jobscheduler.io/name"
# On a job made by RerunJob: the job_id of the job it reran.
RERUN_OF_LABEL = "jobscheduler.io/rerun-of"

NAME_ANNOTATION = "jobscheduler.io/name"
CREATED_BY_ANNOTATION = "jobscheduler.io/created-by"
REQUEST_HASH_ANNOTATION = "jobscheduler.io/request-hash"
EXECUTION_ANNOTATION = "jobscheduler.io/execution"
SCHEDULE_ANNOTATION = "jobscheduler.io/schedule"
START_AT_ANNOTATION = "jobscheduler.io/start-at"
CANCELLED_AT_ANNOTATION = "jobscheduler.io/cancelled-at"

# Label set by the Kubernetes job controller on a Job's pods (since 1.27; "job-name" before).
POD_JOB_NAME_LABEL = "batch.kubernetes.io/job-name"

# Users may not set keys under our own prefix (read-back depends on them) nor in the domains
# Kubernetes reserves for its components (kubernetes.io, k8s.io and their subdomains)...
_OWN_PREFIX = "jobscheduler.io"
_KUBERNETES_DOMAINS = ("kubernetes.io", "k8s.io")
# ...except the recommended application labels, which are meant for users.
_USER_ALLOWED_PREFIXES = ("app.kubernetes.io/",)
_RESERVED_KEYS = frozenset({MANAGED_BY_LABEL, "controller-uid", "job-name"})
# Annotations container runtimes read from the pod (CRI-O: devices, user namespaces, cgroups;
# Kata: hypervisor settings): a request must not grant its pods such privileges.
_RUNTIME_KEY_PREFIXES = ("io.kubernetes.", "io.katacontainers.")


_LABEL_VALUE_MAX = 63


def name_label_value(name: str) -> str:
    """``name`` as a valid label value: characters a label value may not hold become '-',
    at most 63 characters, starting and ending with a letter or digit ("" when none is left).
    The exact name stays in the name annotation; the label is for selecting."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in name)
    cleaned = cleaned[:_LABEL_VALUE_MAX]
    return cleaned.strip("-_.")


def is_reserved_key(key: str) -> bool:
    """True for label/annotation keys the service or Kubernetes owns. Other subdomains of
    jobscheduler.io stay open (the embedded cluster's ``sim.jobscheduler.io/`` controls)."""
    if key in _RESERVED_KEYS or key.startswith(_RUNTIME_KEY_PREFIXES):
        return True
    if key.startswith(_USER_ALLOWED_PREFIXES):
        return False
    prefix, slash, _ = key.rpartition("/")
    if not slash:
        return False
    return prefix == _OWN_PREFIX or any(
        prefix == domain or prefix.endswith("." + domain) for domain in _KUBERNETES_DOMAINS
    )


def user_items(items: dict[str, str] | None) -> dict[str, str]:
    """The labels or annotations a user set (everything not reserved)."""
    return {k: v for k, v in (items or {}).items() if not is_reserved_key(k)}
