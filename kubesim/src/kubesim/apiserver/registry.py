"""The resources the embedded API server serves, with what discovery and routing need."""

from __future__ import annotations

from dataclasses import dataclass

from kubesim.clusterapi import ApiError

_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceType:
    plural: str
    singular: str
    kind: str
    group: str  # "" for the core group
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = tuple(_VERBS)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def qualified(self) -> str:
        """``jobs.batch`` / ``pods``: how messages name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def not_found(self, name: str) -> ApiError:
        return ApiError(404, "NotFound", f'{self.qualified} "{name}" not found', self.details(name))

    def details(self, name: str) -> dict[str, str]:
        details = {"name": name}
        if self.group:
            details["group"] = self.group
        details["kind"] = self.plural
        return details


RESOURCES: dict[str, ResourceType] = {
    resource.plural: resource
    for resource in (
        ResourceType(
            "jobs",
            "job",
            "Job",
            "batch",
            "v1",
            True,
            categories=("all",),
            subresources=("status",),
        ),
        ResourceType(
            "cronjobs",
            "cronjob",
            "CronJob",
            "batch",
            "v1",
            True,
            short_names=("cj",),
            categories=("all",),
            subresources=("status",),
        ),
        ResourceType(
            "pods",
            "pod",
            "Pod",
            "",
            "v1",
            True,
            short_names=("po",),
            categories=("all",),
            subresources=("status", "log"),
        ),
        ResourceType("events", "event", "Event", "", "v1", True, short_names=("ev",)),
        ResourceType(
            "namespaces",
            "namespace",
            "Namespace",
            "",
            "v1",
            False,
            short_names=("ns",),
            subresources=("status",),
            verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
        ),
        ResourceType("configmaps", "configmap", "ConfigMap", "", "v1", True, short_names=("cm",)),
        ResourceType("leases", "lease", "Lease", "coordination.k8s.io", "v1", True),
        # Identities and RBAC (served with the authenticator and authorizer of ``auth``).
        ResourceType(
            "serviceaccounts",
            "serviceaccount",
            "ServiceAccount",
            "",
            "v1",
            True,
            short_names=("sa",),
            subresources=("token",),
        ),
        *(
            ResourceType(plural, plural[:-1], kind, "rbac.authorization.k8s.io", "v1", namespaced)
            for plural, kind, namespaced in (
                ("roles", "Role", True),
                ("rolebindings", "RoleBinding", True),
                ("clusterroles", "ClusterRole", False),
                ("clusterrolebindings", "ClusterRoleBinding", False),
            )
        ),
    )
}


# Other groups' views of stored resources: served by routing and discovery, stored as the
# resource of the same plural in RESOURCES (events.k8s.io/v1 Events are core v1 Events).
VIEWS: tuple[ResourceType, ...] = (
    ResourceType("events", "event", "Event", "events.k8s.io", "v1", True, verbs=("get", "list")),
)


# Create-only resources that are answered, never stored: authentication and authorization
# reviews (``auth.reviews``).
REVIEWS: tuple[ResourceType, ...] = tuple(
    ResourceType(plural, plural[:-1], kind, group, "v1", namespaced, verbs=("create",))
    for plural, kind, group, namespaced in (
        ("tokenreviews", "TokenReview", "authentication.k8s.io", False),
        ("selfsubjectreviews", "SelfSubjectReview", "authentication.k8s.io", False),
        ("subjectaccessreviews", "SubjectAccessReview", "authorization.k8s.io", False),
        ("selfsubjectaccessreviews", "SelfSubjectAccessReview", "authorization.k8s.io", False),
        ("selfsubjectrulesreviews", "SelfSubjectRulesReview", "authorization.k8s.io", False),
        ("localsubjectaccessreviews", "LocalSubjectAccessReview", "authorization.k8s.io", True),
    )
)


def served() -> list[ResourceType]:
    """Everything discovery lists: the stored resources, the views and the reviews."""
    return [*RESOURCES.values(), *VIEWS, *REVIEWS]


def resource_type(plural: str) -> ResourceType:
    try:
        return RESOURCES[plural]
    except KeyError:
        raise ApiError(
            404, "NotFound", "the server could not find the requested resource", {}
        ) from None


def resources_in(group: str, version: str) -> list[ResourceType]:
    return [r for r in served() if r.group == group and r.version == version]
