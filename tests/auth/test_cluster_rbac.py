"""The RPC x user x namespace matrix against the cluster's own authentication and RBAC: real
ServiceAccount tokens (TokenRequest), Roles, ClusterRoles and bindings, and the service's
answer compared with the cluster's SubjectAccessReview for the mapped verb (what
``kubectl auth can-i`` reports). Runs on the embedded cluster, or on a real one through
JOBSCHEDULER_TEST_KUBECONFIG."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import kubernetes.client
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.edge.auth.rules import RULES
from jobscheduler.kube import KubeGateway

from .conftest import auth_server
from .test_access import _code, _matrix_calls, _timer, connect, needed_on_jobs

JOB_VERBS = ["create", "get", "list", "watch", "patch", "delete"]
RBAC = "rbac.authorization.k8s.io"


def _rule(verbs: list[str], resources: list[str], group: str = "batch") -> dict[str, Any]:
    return {"apiGroups": [group], "resources": resources, "verbs": verbs}


class Tenants:
    """Three namespaces, three ServiceAccounts with different grants, and an admin account."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self.client = cluster.api_client()
        self.core = kubernetes.client.CoreV1Api(self.client)
        self.rbac = kubernetes.client.RbacAuthorizationV1Api(self.client)
        self.authz = kubernetes.client.AuthorizationV1Api(self.client)
        suffix = uuid.uuid4().hex[:6]
        self.home = getattr(cluster, "namespace", "default")
        self.namespaces = [f"jsauth-{suffix}-{n}" for n in "abc"]
        self.cluster_objects: list[tuple[str, str]] = []
        self.suffix = suffix

    def create(self) -> None:
        for name in self.namespaces:
            self.core.create_namespace({"metadata": {"name": name}})
        a, b, c = self.namespaces
        for account in ("ci", "dev", "auditor", "boss"):
            self.core.create_namespaced_service_account(a, {"metadata": {"name": account}})
        self._role(a, "ci", [_rule(["create", "get", "list", "watch"], ["jobs"]),
                             _rule(["get"], ["pods/log"], "")])  # fmt: skip
        self._role(b, "dev", [_rule(JOB_VERBS, ["jobs", "cronjobs"]),
                              _rule(["get"], ["pods/log"], "")])  # fmt: skip
        self._role(c, "dev", [_rule(["get", "list"], ["jobs"])])
        self._cluster_role("auditor", [_rule(["get", "list", "watch"], ["jobs", "cronjobs"])])
        self._cluster_role("boss", [_rule(JOB_VERBS, ["jobs", "cronjobs"]),
                                    _rule(["get", "list"], ["pods", "pods/log"], "")])  # fmt: skip

    def _subject(self, account: str) -> list[dict[str, str]]:
        return [{"kind": "ServiceAccount", "name": account, "namespace": self.namespaces[0]}]

    def _role(self, namespace: str, account: str, rules: list[dict[str, Any]]) -> None:
        name = f"jsauth-{account}"
        self.rbac.create_namespaced_role(namespace, {"metadata": {"name": name}, "rules": rules})
        self.rbac.create_namespaced_role_binding(
            namespace,
            {
                "metadata": {"name": name},
                "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": name},
                "subjects": self._subject(account),
            },
        )

    def _cluster_role(self, account: str, rules: list[dict[str, Any]]) -> None:
        name = f"jsauth-{self.suffix}-{account}"
        self.rbac.create_cluster_role({"metadata": {"name": name}, "rules": rules})
        self.rbac.create_cluster_role_binding(
            {
                "metadata": {"name": name},
                "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": name},
                "subjects": self._subject(account),
            }
        )
        self.cluster_objects.append(("role", name))

    def token(self, account: str, audiences: list[str] | None = None) -> str:
        spec: dict[str, Any] = {"expirationSeconds": 3600}
        if audiences:
            spec["audiences"] = audiences
        answer = self.core.create_namespaced_service_account_token(
            account, self.namespaces[0], {"spec": spec}
        )
        return str(answer.status.token)

    def can(self, account: str, namespace: str, verb: str, resource: str) -> bool:
        """The cluster's own answer (``kubectl auth can-i --as``)."""
        plural, _, sub = resource.partition("/")
        group = "" if plural == "pods" else "batch"
        review = self.authz.create_subject_access_review(
            {
                "spec": {
                    "user": f"system:serviceaccount:{self.namespaces[0]}:{account}",
                    "groups": [
                        "system:serviceaccounts",
                        f"system:serviceaccounts:{self.namespaces[0]}",
                        "system:authenticated",
                    ],
                    "resourceAttributes": {
                        "namespace": namespace, "verb": verb, "group": group,
                        "resource": plural, "subresource": sub,
                    },
                }
            }
        )  # fmt: skip
        return bool(review.status.allowed)

    def delete(self) -> None:
        for _, name in self.cluster_objects:
            self.rbac.delete_cluster_role_binding(name)
            self.rbac.delete_cluster_role(name)
        for name in self.namespaces:
            self.core.delete_namespace(name, propagation_policy="Background")
        self.client.close()


@pytest.fixture
def tenants(cluster: Any) -> Iterator[Tenants]:
    made = Tenants(cluster)
    made.create()
    try:
        yield made
    finally:
        made.delete()


@pytest.fixture
def server(cluster: Any, tenants: Tenants) -> Iterator[Any]:
    client = cluster.api_client()
    reviewer = KubeGateway(client, Settings(in_cluster=False))
    try:
        with auth_server(cluster, reviewer, rate_limit_burst=5000) as srv:
            yield srv
    finally:
        client.close()


def test_every_rpc_for_every_account_and_namespace_matches_cluster_rbac(
    server: Any, tenants: Tenants
) -> None:
    refused = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND}
    checked = 0
    outcomes: set[bool] = set()
    with connect(server, tenants.token("boss")) as admin:
        probes = {ns: admin.schedule_job(_timer(namespace=ns)).job_id for ns in tenants.namespaces}
        for account in ("ci", "dev", "auditor"):
            with connect(server, tenants.token(account)) as caller:
                for namespace in tenants.namespaces:
                    calls = _matrix_calls(caller, admin, namespace, probes[namespace], 0)
                    assert set(calls) == set(RULES)
                    for rpc, call in calls.items():
                        permission = needed_on_jobs(RULES[rpc])
                        expected = all(
                            tenants.can(
                                account,
                                namespace,
                                p.verb,
                                p.resource + (f"/{p.subresource}" if p.subresource else ""),
                            )
                            for p in permission
                        )
                        code = _code(call)
                        assert (code not in refused) == expected, (account, namespace, rpc, code)
                        outcomes.add(expected)
                        checked += 1
    assert checked == 3 * 3 * len(RULES)
    assert outcomes == {True, False}  # the grants allow some and refuse some


def test_cluster_tokens_unknown_or_for_another_audience_are_unauthenticated(
    server: Any, tenants: Tenants
) -> None:
    for token in (tenants.token("ci", audiences=["https://vault.example"]), "garbage", None):
        with connect(server, token) as caller:
            assert _code(caller.list_job_types) is grpc.StatusCode.UNAUTHENTICATED
    with connect(server, tenants.token("ci")) as caller:
        assert _code(caller.list_job_types) is grpc.StatusCode.OK
        reply = caller.schedule_job(_timer(namespace=tenants.namespaces[0]))
        assert reply.job_info.created_by == f"system:serviceaccount:{tenants.namespaces[0]}:ci"
        listed = caller.list_jobs(pb.ListJobsRequest(namespace=tenants.namespaces[0]))
        assert reply.job_id in {j.job_id for j in listed.jobs}
