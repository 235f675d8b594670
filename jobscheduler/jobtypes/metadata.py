"""Label and annotation keys the service writes, and the prefixes users may not set."""

from __future__ import annotations

from collections.abc import Mapping

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
# On the ConfigMaps that hold job templates (value: the template's name); one without it is
# not a template, whatever it holds.
TEMPLATE_LABEL = "jobscheduler.io/template"
# On the ConfigMap that keeps a Job's pod logs (value: the Job's name), so
# `kubectl get configmaps -l jobscheduler.io/kept-logs` lists them (``service.keptlogs``).
KEPT_LOGS_LABEL = "jobscheduler.io/kept-logs"
# On a Job (a schedule's runs get it from the job template): seconds its pods may stay unable
# to start before the sweep ends it FAILED (service.startup). No label: no deadline.
STARTUP_DEADLINE_LABEL = "jobscheduler.io/startup-deadline-seconds"

NAME_ANNOTATION = "jobscheduler.io/name"
CREATED_BY_ANNOTATION = "jobscheduler.io/created-by"
REQUEST_HASH_ANNOTATION = "jobscheduler.io/request-hash"
EXECUTION_ANNOTATION = "jobscheduler.io/execution"
SCHEDULE_ANNOTATION = "jobscheduler.io/schedule"
START_AT_ANNOTATION = "jobscheduler.io/start-at"
CANCELLED_AT_ANNOTATION = "jobscheduler.io/cancelled-at"
# When the Job first started, kept by the service when it suspends or cancels a started Job:
# Kubernetes removes status.startTime from a suspended Job and sets a new one on resume.
FIRST_STARTED_AT_ANNOTATION = "jobscheduler.io/first-started-at"
# On a job made from a template: its name and the ConfigMap resourceVersion it was made from.
TEMPLATE_ANNOTATION = "jobscheduler.io/template"
TEMPLATE_VERSION_ANNOTATION = "jobscheduler.io/template-version"
# On a kept-logs ConfigMap: which pods it holds, in creation order, and how each was kept.
KEPT_PODS_ANNOTATION = "jobscheduler.io/kept-pods"

# Label set by the Kubernetes job controller on a Job's pods (since 1.27; "job-name" before).
POD_JOB_NAME_LABEL = "batch.kubernetes.io/job-name"

# Users may not set keys under our own prefix (read-back depends on them, and the server's pods
# are selected by jobscheduler.io/component) nor in the domains Kubernetes reserves
# (kubernetes.io, k8s.io and their subdomains). That includes app.kubernetes.io/: the
# deployment manifests label the service's own workloads with its name, instance, component,
# part-of and managed-by keys, so a job's pods carrying them would be taken for the server by
# Services, NetworkPolicies and PodDisruptionBudgets. No exception keeps the rule one line.
_OWN_PREFIX = "jobscheduler.io"
_KUBERNETES_DOMAINS = ("kubernetes.io", "k8s.io")
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
    prefix, slash, _ = key.rpartition("/")
    if not slash:
        return False
    return prefix == _OWN_PREFIX or any(
        prefix == domain or prefix.endswith("." + domain) for domain in _KUBERNETES_DOMAINS
    )


def user_items(items: dict[str, str] | None) -> dict[str, str]:
    """The labels or annotations a user set (everything not reserved)."""
    return {k: v for k, v in (items or {}).items() if not is_reserved_key(k)}


# Annotations whose only effect is on pods: sidecar, proxy and secret injectors, and the embedded
# cluster's simulated kubelet. Set on the Job alone they would do nothing, so a request naming one
# the operator has not allowed for pods is refused instead of quietly kept off the pods.
# (AppArmor and seccomp annotations are under kubernetes.io, reserved above.)
SIMULATION_PREFIX = "sim.jobscheduler.io/"
INJECTOR_PREFIXES = (
    "sidecar.istio.io/",
    "traffic.sidecar.istio.io/",
    "proxy.istio.io/",
    "istio.io/",
    "linkerd.io/",
    "config.linkerd.io/",
    "config.alpha.linkerd.io/",
    "vault.hashicorp.com/",
    "agent.vault.hashicorp.com/",
)
_POD_CONTROL_PREFIXES = (*INJECTOR_PREFIXES, SIMULATION_PREFIX)
POD_ANNOTATIONS_SETTING = "POD_ANNOTATION_ALLOWED_PREFIXES"


def reaches_pods(key: str, allowed_prefixes: tuple[str, ...]) -> bool:
    """Whether the user annotation ``key`` is copied to the pods. It must start with an allowed
    prefix; under a pod-control prefix, that allowed prefix must name the control prefix itself
    (or something under it), so a broad entry such as "io/" never lets an injector through."""
    controls = [prefix for prefix in _POD_CONTROL_PREFIXES if key.startswith(prefix)]
    return any(
        key.startswith(allowed) and all(allowed.startswith(control) for control in controls)
        for allowed in allowed_prefixes
    )


def pod_annotation_problem(key: str, allowed_prefixes: tuple[str, ...]) -> str | None:
    """Why the user annotation ``key`` is refused, or None: a pod control that would not reach
    the pods. Other annotations not allowed for pods stay on the Job only."""
    if reaches_pods(key, allowed_prefixes) or not key.startswith(_POD_CONTROL_PREFIXES):
        return None
    return (
        "acts on pods, and this server copies it to pods only when its operator allows the "
        f"prefix in {POD_ANNOTATIONS_SETTING}"
    )


def pod_annotations(
    annotations: Mapping[str, str], allowed_prefixes: tuple[str, ...]
) -> dict[str, str]:
    """The user annotations the pods get."""
    return {k: v for k, v in annotations.items() if reaches_pods(k, allowed_prefixes)}
