"""Callers made of the cluster's own objects: namespaces, ServiceAccounts, Roles, RoleBindings
and TokenRequest tokens, on the embedded cluster (which serves RBAC) or a real one. Everything
made is deleted at ``close``."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import kubernetes.client

RBAC = "rbac.authorization.k8s.io"
JSON = dict[str, Any]


def rule(verbs: list[str], resources: list[str], group: str = "batch", **extra: Any) -> JSON:
    return {"apiGroups": [group], "resources": resources, "verbs": verbs, **extra}


class ClusterAccess:
    def __init__(self, cluster: Any) -> None:
        self.client = cluster.api_client()
        self.core = kubernetes.client.CoreV1Api(self.client)
        self.rbac = kubernetes.client.RbacAuthorizationV1Api(self.client)
        self.suffix = uuid.uuid4().hex[:6]
        self.namespaces: list[str] = []

    def namespace(self, name: str) -> str:
        full = f"{name}-{self.suffix}"
        self.core.create_namespace({"metadata": {"name": full}})
        self.namespaces.append(full)
        return full

    def account(self, namespace: str, name: str) -> str:
        """A ServiceAccount; its Kubernetes user name."""
        self.core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
        return f"system:serviceaccount:{namespace}:{name}"

    def grant(self, namespace: str, account: tuple[str, str], rules: list[JSON]) -> None:
        """A Role in ``namespace`` with ``rules``, bound to ``account`` (its namespace, name)."""
        name = f"{account[1]}-{uuid.uuid4().hex[:6]}"
        self.rbac.create_namespaced_role(namespace, {"metadata": {"name": name}, "rules": rules})
        self.rbac.create_namespaced_role_binding(
            namespace,
            {
                "metadata": {"name": name},
                "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": name},
                "subjects": [
                    {"kind": "ServiceAccount", "namespace": account[0], "name": account[1]}
                ],
            },
        )

    def token(self, namespace: str, account: str) -> str:
        answer = self.core.create_namespaced_service_account_token(
            account, namespace, {"spec": {"expirationSeconds": 3600}}
        )
        return str(answer.status.token)

    def secret(self, namespace: str, name: str, data: dict[str, str]) -> None:
        """A Secret where the cluster stores them (the embedded one does not: there no Secret
        ever exists, which access reviews do not look at anyway)."""
        encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
        try:
            self.core.create_namespaced_secret(
                namespace, {"metadata": {"name": name}, "data": encoded}
            )
        except kubernetes.client.ApiException as error:
            if error.status != 404:  # 404: this API server serves no Secrets
                raise

    def close(self) -> None:
        for name in self.namespaces:
            self.core.delete_namespace(name, propagation_policy="Background")
        self.client.close()
