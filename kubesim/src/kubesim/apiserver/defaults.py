"""Defaulting on create, as kube-apiserver's defaulters and admission plugins do it.

Each function fills in what a real cluster fills in, so an object read back from the embedded
cluster has the shape a client would see from a real one (reference captures 10, 42, A0).
"""

from __future__ import annotations

from kubesim.apiserver.leases import default_lease
from kubesim.apiserver.objects import generate_name
from kubesim.apiserver.qos import default_requests_from_limits, qos_class
from kubesim.clusterapi import JSON

CONTROLLER_UID = "controller-uid"
JOB_NAME = "job-name"
BATCH_CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
BATCH_JOB_NAME = "batch.kubernetes.io/job-name"


def _image_pull_policy(image: str) -> str:
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def default_container(container: JSON) -> None:
    container.setdefault("resources", {})
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("imagePullPolicy", _image_pull_policy(container.get("image") or ""))
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for variable in container.get("env") or []:
        field_ref = (variable.get("valueFrom") or {}).get("fieldRef")
        if field_ref is not None:
            field_ref.setdefault("apiVersion", "v1")


def default_pod_spec(spec: JSON) -> None:
    for section in ("initContainers", "containers"):
        for container in spec.get(section) or []:
            default_container(container)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")


def default_pod_template(template: JSON) -> None:
    # Current servers write no ``creationTimestamp: null`` into template metadata (v1.36 B1).
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))


def default_job(job: JSON) -> None:
    meta = job["metadata"]
    spec = job.setdefault("spec", {})
    uid = meta["uid"]
    name = meta["name"]
    template = spec.setdefault("template", {})
    default_pod_template(template)
    spec.setdefault("manualSelector", False)  # written out since 1.30 or so (v1.36 B1)
    if not spec.get("manualSelector"):
        template_labels = template["metadata"].setdefault("labels", {})
        template_labels.update(
            {
                BATCH_CONTROLLER_UID: uid,
                BATCH_JOB_NAME: name,
                CONTROLLER_UID: uid,
                JOB_NAME: name,
            }
        )
        spec.setdefault("selector", {"matchLabels": {BATCH_CONTROLLER_UID: uid}})
    spec.setdefault("completionMode", "NonIndexed")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("backoffLimit") is None:
        # Indexed Jobs with a per-index limit have no global limit (2147483647) upstream.
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    spec.setdefault("suspend", False)
    spec.setdefault(
        "podReplacementPolicy",
        "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed",
    )
    job.setdefault("status", {})


def label_unlabelled_job(job: JSON) -> None:
    """A Job created without labels gets its pod template's labels. Upstream does this after
    validation: a 64-character name fails on ``spec.template.labels`` only (reference 15)."""
    meta = job["metadata"]
    if not meta.get("labels"):
        template_labels = ((job.get("spec") or {}).get("template") or {}).get("metadata") or {}
        if template_labels.get("labels"):
            meta["labels"] = dict(template_labels["labels"])


def default_cronjob(cronjob: JSON) -> None:
    spec = cronjob.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_template = spec.setdefault("jobTemplate", {})
    job_template.setdefault("metadata", {})
    default_pod_template(job_template.setdefault("spec", {}).setdefault("template", {}))
    cronjob.setdefault("status", {})


_DEFAULT_TOLERATIONS = [
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
]


def default_pod(pod: JSON) -> None:
    spec = pod.setdefault("spec", {})
    default_pod_spec(spec)
    default_requests_from_limits(spec)
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    tolerations = spec.setdefault("tolerations", [])
    present = {toleration.get("key") for toleration in tolerations}
    tolerations.extend(
        dict(toleration) for toleration in _DEFAULT_TOLERATIONS if toleration["key"] not in present
    )
    spec.setdefault("priority", 0)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    _mount_service_account_token(spec)
    status = pod.setdefault("status", {})
    status.setdefault("phase", "Pending")
    # Set once, at creation: a pods/status write may not change it (reference v1.36 A5).
    status.setdefault("qosClass", qos_class(spec))


def default_pod_status(pod: JSON) -> None:
    """A pods/status write reads back with Go's zero values for the fields that are never
    omitted: a condition's ``lastProbeTime``, a container status's ``lastState`` (v1.36 A6)."""
    status = pod.get("status") or {}
    for condition in status.get("conditions") or []:
        condition.setdefault("lastProbeTime", None)
        condition.setdefault("lastTransitionTime", None)
    for section in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for container in status.get(section) or []:
            container.setdefault("state", {})
            container.setdefault("lastState", {})
            container.setdefault("ready", False)
            container.setdefault("restartCount", 0)
            container.setdefault("image", "")
            container.setdefault("imageID", "")


_TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def _mount_service_account_token(spec: JSON) -> None:
    """What the ServiceAccount admission plugin adds to every pod (reference 42): a projected
    ``kube-api-access-<random>`` volume (token, cluster CA, namespace) mounted read-only into
    each container, unless the pod opts out or already mounts the path itself."""
    if spec.get("automountServiceAccountToken") is False:
        return
    containers = [*spec.get("initContainers", []), *spec.get("containers", [])]
    mounted = any(
        mount.get("mountPath") == _TOKEN_MOUNT_PATH
        for container in containers
        for mount in container.get("volumeMounts", [])
    )
    if mounted:
        return
    name = generate_name("kube-api-access-")
    spec.setdefault("volumes", []).append(
        {
            "name": name,
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {
                        "configMap": {
                            "name": "kube-root-ca.crt",
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "path": "namespace",
                                    "fieldRef": {
                                        "apiVersion": "v1",
                                        "fieldPath": "metadata.namespace",
                                    },
                                }
                            ]
                        }
                    },
                ],
                "defaultMode": 420,
            },
        }
    )
    for container in containers:
        container.setdefault("volumeMounts", []).append(
            {"name": name, "readOnly": True, "mountPath": _TOKEN_MOUNT_PATH}
        )


def default_namespace(namespace: JSON) -> None:
    meta = namespace["metadata"]
    labels = meta.setdefault("labels", {})
    labels.setdefault("kubernetes.io/metadata.name", meta["name"])
    namespace.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    namespace.setdefault("status", {}).setdefault("phase", "Active")


def default_event(event: JSON) -> None:
    event.setdefault("reportingComponent", "")
    event.setdefault("reportingInstance", "")
    event.setdefault("eventTime", None)
    if event.get("count") is None:
        event["count"] = 1
    event.setdefault("source", {})


DEFAULTERS = {
    "jobs": default_job,
    "cronjobs": default_cronjob,
    "pods": default_pod,
    "namespaces": default_namespace,
    "events": default_event,
    "configmaps": lambda configmap: None,
    "leases": default_lease,
}
