"""The simulated kubelet's HTTPS log endpoint, driven through ``RestClusterAPI`` as against a
real control plane, and fetched directly as kube-apiserver's proxy does (TLS, no verification).
"""

from __future__ import annotations

import http.client
import re
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import kubernetes.client as k8s
import pytest

from jobscheduler.clock import FakeClock
from kubesim.cluster import EmbeddedCluster
from kubesim.clusterapi import ApiError
from kubesim.clusterapi.rest import RestClusterAPI
from kubesim.controllers import ControllerManager, KubeletServing
from kubesim.controllers.logs import PodLogStore
from kubesim.controllers.node import NodeEndpoint, node_status
from kubesim.controllers.simpod import timed_lines

from .kubelet_reach import REAL_CLUSTER_ENV, require_pod_logs
from .lifecycle import job_manifest, wait_for

pytestmark = pytest.mark.embedded_only
LINES = ["starting", "halfway", "done"]


class Kubelet:
    def __init__(self, cluster: EmbeddedCluster, manager: ControllerManager) -> None:
        self.cluster = cluster
        assert manager.kubelet_endpoint is not None
        self.endpoint = manager.kubelet_endpoint

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        """GET over TLS without verifying the certificate, as kube-apiserver does by default."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            self.endpoint.address, self.endpoint.port, context=context, timeout=60
        )
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode(), dict(response.getheaders())
        finally:
            connection.close()


@pytest.fixture
def kubelet() -> Iterator[Kubelet]:
    """The embedded API server without controllers, and the kubelet and Job controller over
    HTTP with the kubelet API served on a free loopback port (the clock runs 10x)."""
    with EmbeddedCluster(controllers=False, clock_speed=10) as cluster:
        client = cluster.api_client()
        manager = ControllerManager(
            RestClusterAPI(client),
            cluster.clock,
            cronjob=False,
            ttl=False,
            kubelet_serving=KubeletServing(),
        )
        manager.start()
        try:
            yield Kubelet(cluster, manager)
        finally:
            manager.stop()
            client.close()


def _run_job(kubelet: Kubelet, name: str, run_seconds: int, phases: tuple[str, ...]) -> Any:
    client = kubelet.cluster.api_client()
    try:
        annotations = {
            "sim.jobscheduler.io/logs": "\n".join(LINES),
            "sim.jobscheduler.io/run-seconds": str(run_seconds),
        }
        k8s.BatchV1Api(client).create_namespaced_job(
            "default", job_manifest(name, annotations=annotations)
        )
        core = k8s.CoreV1Api(client)
        return wait_for(
            lambda: core.list_namespaced_pod("default", label_selector=f"job-name={name}").items,
            lambda pods: len(pods) == 1 and pods[0].status.phase in phases,
            f"the pod of {name}",
        )[0]
    finally:
        client.close()


def test_finished_pod_logs_come_from_the_kubelet_endpoint(kubelet: Kubelet) -> None:
    pod = _run_job(kubelet, "talk", 3, ("Succeeded",))
    base = f"/containerLogs/default/{pod.metadata.name}/main"

    status, text, headers = kubelet.get(base)
    assert (status, text) == (200, "starting\nhalfway\ndone\n")
    assert headers["Transfer-Encoding"] == "chunked"
    assert kubelet.get(f"{base}?tailLines=1")[1] == "done\n"
    assert kubelet.get(f"{base}?limitBytes=5")[1] == "start"
    assert kubelet.get(f"{base}?sinceSeconds=36000")[1] == text
    stamped = kubelet.get(f"{base}?timestamps=true")[1].splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == LINES
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", stamped[0].split(" ")[0])
    later = datetime.fromisoformat(stamped[1].split(" ")[0][:26] + "+00:00")
    since_time = later.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert kubelet.get(f"{base}?sinceTime={since_time}")[1] == "halfway\ndone\n"


def test_following_a_running_pod_streams_until_the_container_ends(kubelet: Kubelet) -> None:
    pod = _run_job(kubelet, "follow", 60, ("Running",))
    status, text, _ = kubelet.get(f"/containerLogs/default/{pod.metadata.name}/main?follow=true")
    assert (status, text.splitlines()) == (200, LINES)
    # The stream ended because the container did; the kubelet's status write saying so may
    # land just after it, so the phase is waited for, not read at once.
    client = kubelet.cluster.api_client()
    try:
        core = k8s.CoreV1Api(client)
        wait_for(
            lambda: core.read_namespaced_pod(pod.metadata.name, "default").status.phase,
            lambda phase: phase != "Running",
            "the pod to finish",
        )
        finished = core.read_namespaced_pod(pod.metadata.name, "default")
    finally:
        client.close()
    assert finished.status.phase == "Succeeded"


def test_kubelet_endpoint_errors_are_the_kubelets(kubelet: Kubelet) -> None:
    pod = _run_job(kubelet, "errs", 3, ("Succeeded",))
    name = pod.metadata.name
    assert kubelet.get(f"/containerLogs/default/{name}/nope")[:2] == (
        404,
        f'container "nope" not found in pod "{name}"',
    )
    assert kubelet.get("/containerLogs/default/ghost/main")[:2] == (
        404,
        'pod "ghost" does not exist',
    )
    invalid = (422, '{"message": "Invalid request."}')
    assert kubelet.get(f"/containerLogs/default/{name}/main?tailLines=-1")[:2] == invalid
    assert kubelet.get(f"/containerLogs/default/{name}/main?limitBytes=0")[:2] == invalid
    undecodable = (400, '{"message": "Unable to decode query."}')
    assert kubelet.get(f"/containerLogs/default/{name}/main?follow=maybe")[:2] == undecodable
    assert kubelet.get(f"/containerLogs/default/{name}/main?previous=true")[:2] == (
        400,
        f'previous terminated container "main" in pod "{name}" not found',
    )
    assert kubelet.get("/healthz")[:2] == (200, "ok")
    assert kubelet.get("/pods")[0] == 404


def test_the_certificate_names_the_advertised_address(kubelet: Kubelet) -> None:
    endpoint = kubelet.endpoint
    pem = ssl.get_server_certificate((endpoint.address, endpoint.port))
    context = ssl.create_default_context(cadata=pem)  # check_hostname stays on
    connection = http.client.HTTPSConnection(endpoint.address, endpoint.port, context=context)
    try:
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() == b"ok"
    finally:
        connection.close()


def test_the_node_advertises_the_kubelet_endpoint() -> None:
    status = node_status(
        FakeClock(datetime(2026, 1, 1, tzinfo=UTC)), NodeEndpoint("10.1.2.3", 4321)
    )
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 4321}}
    # Whatever --kubelet-preferred-address-types says, kube-apiserver dials the reachable one.
    assert {entry["address"] for entry in status["addresses"]} == {"10.1.2.3"}
    assert "daemonEndpoints" not in node_status(FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))


def test_previous_reads_the_run_before_the_restart() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = FakeClock(start)
    store = PodLogStore(clock)
    store.register("default", "p", ["main"])
    store.start("default", "p", "main", timed_lines(["first run"], start, 1.0))
    clock.advance(5)
    store.finish("default", "p", "main", clock.now())
    store.start("default", "p", "main", timed_lines(["second run"], clock.now(), 1.0))
    clock.advance(5)
    assert "".join(store.read("default", "p", "main")) == "second run\n"
    assert "".join(store.read("default", "p", "main", previous=True)) == "first run\n"
    # The kubelet looks for the last terminated run before anything else.
    fresh = PodLogStore(clock)
    fresh.register("default", "q", ["main"])
    with pytest.raises(ApiError, match='previous terminated container "main" in pod "q"'):
        fresh.read("default", "q", "main", previous=True)


class _UnreachableNodeProxy:
    def connect_get_node_proxy_with_path(self, node: str, path: str) -> str:
        raise k8s.ApiException(status=503, reason="Service Unavailable")


class _ReachableNodeProxy:
    def connect_get_node_proxy_with_path(self, node: str, path: str) -> str:
        return "ok"


def test_pod_log_tests_on_a_real_cluster_skip_naming_an_unreachable_kubelet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pod = k8s.V1Pod(spec=k8s.V1PodSpec(containers=[], node_name="far-node"))
    monkeypatch.setenv(REAL_CLUSTER_ENV, "/nonexistent/kubeconfig")
    require_pod_logs(_ReachableNodeProxy(), pod)  # type: ignore[arg-type]  # no skip
    with pytest.raises(pytest.skip.Exception, match="cannot reach the kubelet of node far-node"):
        require_pod_logs(_UnreachableNodeProxy(), pod)  # type: ignore[arg-type]
    monkeypatch.delenv(REAL_CLUSTER_ENV)
    require_pod_logs(_UnreachableNodeProxy(), pod)  # type: ignore[arg-type]  # embedded: no check
