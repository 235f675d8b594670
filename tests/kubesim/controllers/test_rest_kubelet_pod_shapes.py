"""Every pod shape the service produces runs to completion when the simulated kubelet drives it
over HTTP (RestClusterAPI), against an API server validating pod status writes as a real one.

A real v1.36 API server sets ``status.qosClass`` when it creates a pod and refuses any change
through pods/status (reference v1.36 A5); a kubelet that wrote the class kept every pod with
requests Pending there. The embedded server applies the same rule, so these runs would fail
the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import kubernetes.client as k8s
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.jobtypes import BuildContext, build_registry
from jobscheduler.jobtypes.manifest import build_manifest
from jobscheduler.jobtypes.registry import REQUEST_ONEOF
from kubesim.cluster import EmbeddedCluster
from kubesim.clusterapi.rest import RestClusterAPI
from kubesim.controllers import ControllerManager

from .lifecycle import finished, job_pods, wait_for

NS = "default"
REGISTRY = build_registry()
LIMITED = pb.ResourceRequirements(limits=pb.ResourceList(cpu="200m", memory="128Mi"))
EQUAL = pb.ResourceRequirements(
    requests=pb.ResourceList(cpu="200m", memory="128Mi"),
    limits=pb.ResourceList(cpu="200m", memory="128Mi"),
)


def _timer(**fields: Any) -> pb.ScheduleJobRequest:
    config = pb.TimerJobConfig(duration_seconds=2, timer_name="t")
    return pb.ScheduleJobRequest(name="timer", timer_job=config, **fields)


def _container(**fields: Any) -> pb.ScheduleJobRequest:
    config = pb.ContainerJobConfig(image="busybox:1.36", command=["sh", "-c", "echo hi"])
    return pb.ScheduleJobRequest(name="container", container_job=config, **fields)


# (job id, request, the pods' expected QoS class)
SHAPES = [
    ("job-timer", _timer(), "Burstable"),  # the service's default requests, no limits
    ("job-container", _container(), "Burstable"),
    (
        "job-indexed",
        _container(execution=pb.ExecutionOptions(parallelism=2, completions=3, indexed=True)),
        "Burstable",
    ),
    ("job-limited", _container(resources=LIMITED), "Burstable"),  # default requests < limits
    ("job-guaranteed", _container(resources=EQUAL), "Guaranteed"),
]


def _manifest(job_id: str, request: pb.ScheduleJobRequest) -> Any:
    handler = REGISTRY.by_request_field(request.WhichOneof(REQUEST_ONEOF) or "")
    assert handler is not None
    context = BuildContext(job_id=job_id, namespace=NS, settings=Settings(in_cluster=False))
    return build_manifest(request, handler, context, request_hash="hash")


@pytest.fixture
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(clock_speed=20, controllers=False) as embedded:
        yield embedded


@pytest.fixture
def client(cluster: EmbeddedCluster) -> Iterator[k8s.ApiClient]:
    api_client = cluster.api_client()
    manager = ControllerManager(RestClusterAPI(api_client), cluster.clock)
    manager.start()
    try:
        yield api_client
    finally:
        manager.stop()
        api_client.close()


@pytest.mark.parametrize(("job_id", "request_", "qos"), SHAPES, ids=[s[0] for s in SHAPES])
def test_the_services_pods_run_and_succeed_over_rest(
    client: k8s.ApiClient, job_id: str, request_: pb.ScheduleJobRequest, qos: str
) -> None:
    batch, core = k8s.BatchV1Api(client), k8s.CoreV1Api(client)
    manifest = _manifest(job_id, request_)
    before = core.list_namespaced_pod(NS).metadata.resource_version
    batch.create_namespaced_job(NS, manifest)

    job = wait_for(lambda: batch.read_namespaced_job(job_id, NS), finished, "the job to finish")
    # Every state the pods went through, from the watch history: a 1 s run on the 20x clock is
    # over too soon for polling to be sure of seeing it Running.
    running = [pod for pod in _pod_states(core, job_id, before) if pod["phase"] == "Running"]
    assert running, "no pod was ever Running"

    assert [c.type for c in job.status.conditions if c.status == "True"] == [
        "SuccessCriteriaMet",
        "Complete",
    ]
    # Counted, so the job controller lets go of them (just after its status write); they stay
    # until the Job goes.
    pods = wait_for(
        lambda: job_pods(core, NS, job_id),
        lambda pods: all(not pod.metadata.finalizers for pod in pods),
        "the tracking finalizers to go",
    )
    completions = manifest["spec"].get("completions", 1)
    assert [pod.status.phase for pod in pods] == ["Succeeded"] * completions
    assert {pod["qosClass"] for pod in running} | {pod.status.qos_class for pod in pods} == {qos}


def _pod_states(core: k8s.CoreV1Api, job_id: str, since: str) -> list[dict[str, Any]]:
    """The status of every pod write of the Job since resourceVersion ``since``."""
    response = core.list_namespaced_pod(
        NS,
        label_selector=f"batch.kubernetes.io/job-name={job_id}",
        watch=True,
        resource_version=since,
        timeout_seconds=1,
        _preload_content=False,
    )
    try:
        events = [json.loads(line) for line in response.data.splitlines() if line.strip()]
    finally:
        response.release_conn()
    return [event["object"]["status"] for event in events if event["type"] != "BOOKMARK"]
