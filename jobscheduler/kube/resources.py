"""The Kubernetes resource kinds the gateway speaks to, as data: one row per kind.

Every gateway verb takes one of these, so a new kind (ConfigMap, Lease, TokenReview, ...) is
one more row here, not another copy of each verb. The RBAC table in ``kube.gateway`` still
lists what the service may do with each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    group: str  # "" for the core API group
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str = "", subresource: str = "") -> str:
        """The REST path of the collection (all namespaces when ``namespace`` is None), or
        of one object and optionally one of its subresources."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{namespace}"
        path = f"{base}/{self.plural}"
        if name:
            path += f"/{name}"
            if subresource:
                path += f"/{subresource}"
        return path


JOBS = Resource("batch", "v1", "jobs", "Job")
CRONJOBS = Resource("batch", "v1", "cronjobs", "CronJob")
PODS = Resource("", "v1", "pods", "Pod")
# Reviews are only ever created, cluster-scoped, and answered in place (their ``status``): how
# the service asks Kubernetes who a caller is and what RBAC lets them do.
TOKENREVIEWS = Resource("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", False)
SUBJECTACCESSREVIEWS = Resource(
    "authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", False
)
# Read by the dashboard's job page: what Kubernetes said about a job and its pods.
EVENTS = Resource("", "v1", "events", "Event")
# Job templates are ConfigMaps labelled jobscheduler.io/template (``service.templates``).
CONFIGMAPS = Resource("", "v1", "configmaps", "ConfigMap")
