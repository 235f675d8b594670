"""The default ClusterRoles and ClusterRoleBindings kube-apiserver creates at start (a subset of
its bootstrap policy): enough for admins, discovery, health checks, self-reviews and
delegated authentication. The aggregated ``admin``/``edit``/``view`` roles are not created."""

from __future__ import annotations

from typing import Any

from kubesim.auth.identity import AUTHENTICATED, MASTERS, UNAUTHENTICATED
from kubesim.auth.objects import RBAC_GROUP

_BOOTSTRAP_META: dict[str, Any] = {
    "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
    "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
}
_GET = ["get"]

ROLES: dict[str, list[dict[str, Any]]] = {
    "cluster-admin": [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"nonResourceURLs": ["*"], "verbs": ["*"]},
    ],
    "system:discovery": [
        {
            "nonResourceURLs": [
                "/api",
                "/api/*",
                "/apis",
                "/apis/*",
                "/healthz",
                "/livez",
                "/openapi",
                "/openapi/*",
                "/readyz",
                "/version",
                "/version/",
            ],
            "verbs": _GET,
        }
    ],
    "system:public-info-viewer": [
        {
            "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"],
            "verbs": _GET,
        }
    ],
    "system:basic-user": [
        {
            "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
            "verbs": ["create"],
        },
        {
            "apiGroups": ["authentication.k8s.io"],
            "resources": ["selfsubjectreviews"],
            "verbs": ["create"],
        },
    ],
    "system:auth-delegator": [
        {
            "apiGroups": ["authentication.k8s.io"],
            "resources": ["tokenreviews"],
            "verbs": ["create"],
        },
        {
            "apiGroups": ["authorization.k8s.io"],
            "resources": ["subjectaccessreviews"],
            "verbs": ["create"],
        },
    ],
}
# binding (named after its ClusterRole) -> groups bound
BINDINGS: dict[str, list[str]] = {
    "cluster-admin": [MASTERS],
    "system:discovery": [AUTHENTICATED],
    "system:public-info-viewer": [AUTHENTICATED, UNAUTHENTICATED],
    "system:basic-user": [AUTHENTICATED],
}


def bootstrap_objects() -> list[tuple[str, dict[str, Any]]]:
    """(plural, body) of every default object, in creation order."""
    objects: list[tuple[str, dict[str, Any]]] = []
    for name, rules in ROLES.items():
        meta = {"name": name, **_BOOTSTRAP_META}
        objects.append(("clusterroles", {"metadata": meta, "rules": rules}))
    for name, groups in BINDINGS.items():
        meta = {"name": name, **_BOOTSTRAP_META}
        subjects = [{"kind": "Group", "apiGroup": RBAC_GROUP, "name": group} for group in groups]
        role_ref = {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": name}
        objects.append(
            ("clusterrolebindings", {"metadata": meta, "roleRef": role_ref, "subjects": subjects})
        )
    return objects
