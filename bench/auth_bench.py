"""Cost of access control per RPC, in one run: the same server code with AUTH_MODE=none and
with AUTH_MODE=kubernetes (a ServiceAccount token, reviews against the embedded cluster's
TokenReview and SubjectAccessReview, warm caches), side by side; and Kubernetes API calls the
reviews make per 1,000 RPCs from one identity.

    .venv/bin/python bench/auth_bench.py [--calls 2000] [--rounds 3]

One process (cluster, two servers, client) on loopback: absolute figures include the shared
interpreter; the difference between the two servers is the figure that matters.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import kubernetes.client

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient
from jobscheduler.config import Settings
from jobscheduler.edge.auth.setup import build_access
from jobscheduler.edge.server import Server
from jobscheduler.kube import KubeGateway, Resource
from jobscheduler.logs import configure_logging
from jobscheduler.service import build_service
from kubesim.cluster import EmbeddedCluster

JSON = dict[str, Any]


class CountingReviewer:
    def __init__(self, gateway: KubeGateway) -> None:
        self._gateway = gateway
        self.calls = 0

    def create(self, resource: Resource, namespace: str | None, body: JSON) -> JSON:
        self.calls += 1
        return self._gateway.create(resource, namespace, body)


def start(cluster: EmbeddedCluster, reviewer: CountingReviewer | None, mode: str) -> Server:
    settings = Settings(
        in_cluster=False, grpc_host="127.0.0.1", auth_mode=mode, rate_limit_burst=10**6
    )
    service = build_service(settings, clock=cluster.clock, api_client=cluster.api_client())
    server = Server(
        service,
        host="127.0.0.1",
        port=0,
        metrics_port=None,
        access=build_access(settings, reviewer),
    )
    server.start()
    return server


def sa_token(cluster: EmbeddedCluster) -> str:
    client = cluster.api_client()
    core, rbac = (
        kubernetes.client.CoreV1Api(client),
        kubernetes.client.RbacAuthorizationV1Api(client),
    )
    core.create_namespaced_service_account("default", {"metadata": {"name": "bench"}})
    rbac.create_cluster_role_binding(
        {
            "metadata": {"name": "bench"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "bench", "namespace": "default"}],
        }
    )
    token = core.create_namespaced_service_account_token("bench", "default", {"spec": {}})
    return str(token.status.token)


def timed(call: Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    configure_logging("warn", "console")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with EmbeddedCluster(controllers=False, schema_validation="sample") as cluster:
        reviewer = CountingReviewer(KubeGateway(cluster.api_client(), Settings(in_cluster=False)))
        plain, guarded = start(cluster, None, "none"), start(cluster, reviewer, "kubernetes")
        token = sa_token(cluster)
        try:
            with (
                JobSchedulerClient(f"127.0.0.1:{plain.port}") as open_client,
                JobSchedulerClient(f"127.0.0.1:{guarded.port}", token=token) as auth_client,
            ):
                job_id = auth_client.schedule_job(
                    pb.ScheduleJobRequest(timer_job=pb.TimerJobConfig(duration_seconds=600))
                ).job_id
                for name, rpc in (
                    ("GetJobStatus", lambda c: c.get_job_status(job_id)),
                    ("ListJobs", lambda c: c.list_jobs(pb.ListJobsRequest(page_size=10))),
                    ("ListJobTypes", lambda c: c.list_job_types()),
                ):
                    rpc(auth_client)  # warm the caches
                    results: dict[str, list[float]] = {"none": [], "kubernetes": []}
                    calls_before = reviewer.calls
                    for _ in range(args.rounds):  # interleaved, so drift hits both alike
                        results["none"] += timed(
                            lambda rpc=rpc: rpc(open_client), args.calls // args.rounds
                        )
                        results["kubernetes"] += timed(
                            lambda rpc=rpc: rpc(auth_client), args.calls // args.rounds
                        )
                    per_thousand = (
                        (reviewer.calls - calls_before) * 1000 / len(results["kubernetes"])
                    )
                    none, kube = results["none"], results["kubernetes"]
                    print(
                        f"{name:13s} p50 {pct(none, 0.5):6.3f} -> {pct(kube, 0.5):6.3f} ms "
                        f"(+{pct(kube, 0.5) - pct(none, 0.5):.3f}), p99 {pct(none, 0.99):6.3f} -> "
                        f"{pct(kube, 0.99):6.3f} ms (+{pct(kube, 0.99) - pct(none, 0.99):.3f}); "
                        f"mean x{statistics.mean(kube) / statistics.mean(none):.2f}; "
                        f"review API calls per 1,000 RPCs (warm): {per_thousand:.2f}"
                    )
        finally:
            plain.stop(grace=0)
            guarded.stop(grace=0)


if __name__ == "__main__":
    main()
