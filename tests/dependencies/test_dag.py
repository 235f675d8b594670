"""A 20-job diamond-shaped DAG with a failing branch, on the embedded cluster with two service
replicas sweeping at once: every job's final state, and the order Kubernetes saw things in."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes import watch

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.service import JobService
from tests.service.support import WAIT_SECONDS, container, wait_for

from .conftest import make_service

pytestmark = pytest.mark.clock_speed(60)

FAILED = pb.JobDependency.CONDITION_FAILED
FINISHED = pb.JobDependency.CONDITION_FINISHED
# job: its dependencies as (job, condition); the default condition is SUCCEEDED.
DAG: dict[str, list[tuple[str, int]]] = {
    "root": [],
    "a1": [("root", 0)],
    "a2": [("root", 0)],
    "a3": [("root", 0)],
    "a4": [("root", 0)],  # fails
    "b1": [("a1", 0), ("a2", 0)],
    "b2": [("a2", 0), ("a3", 0)],
    "b3": [("a3", 0), ("a4", 0)],  # a4 failed: cancelled
    "b4": [("a4", FAILED)],  # the clean-up branch: runs because a4 failed
    "c1": [("b1", 0), ("b2", 0)],
    "c2": [("b2", 0), ("b3", 0)],  # b3 cancelled: cancelled
    "c3": [("b4", 0)],
    "c4": [("a4", FINISHED)],
    "d1": [("c1", 0)],
    "d2": [("c2", 0)],  # cancelled
    "d3": [("c1", 0), ("c3", 0)],
    "d4": [("c4", 0), ("b1", 0)],
    "sink": [("d1", 0), ("d3", 0), ("d4", 0)],
    "e1": [("d2", 0)],  # cancelled, four levels below the failure
    "e2": [("sink", 0), ("d1", 0)],
}
CANCELLED_BY = {"b3": "a4", "c2": "b3", "d2": "c2", "e1": "d2"}
_FINAL = (pb.JOB_STATUS_SUCCEEDED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED)


def _request(job_id: str) -> pb.ScheduleJobRequest:
    sim = {"fail-attempts": 99} if job_id == "a4" else {"run-seconds": 2}
    return container(
        job_id=job_id,
        sim=sim,
        execution=pb.ExecutionOptions(max_retries=0),
        depends_on=[pb.JobDependency(job_id=d, condition=c) for d, c in DAG[job_id]],  # type: ignore[misc]
    )


class _KubernetesTimeline:
    """Every change of the namespace's Jobs in the order the API server made them."""

    def __init__(self, cluster: Any, namespace: str) -> None:
        self._client = cluster.api_client()
        self._watch = watch.Watch()
        self.order: list[tuple[str, str]] = []  # ("released" | "finished", job name)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(namespace,), daemon=True)

    def _run(self, namespace: str) -> None:
        try:
            self._follow(namespace)
        except Exception:
            if not self._stopping.is_set():
                raise  # a stopped watch may end with its connection cut

    def _follow(self, namespace: str) -> None:
        batch = k8s.BatchV1Api(self._client)
        suspended: dict[str, bool] = {}
        finished: set[str] = set()
        for event in self._watch.stream(batch.list_namespaced_job, namespace, timeout_seconds=120):
            job = event["object"]
            name = job.metadata.name
            was = suspended.get(name)
            suspended[name] = bool(job.spec.suspend)
            if was and not job.spec.suspend:
                self.order.append(("released", name))
            conditions = {c.type for c in job.status.conditions or [] if c.status == "True"}
            if name not in finished and conditions & {"Complete", "Failed"}:
                finished.add(name)
                self.order.append(("finished", name))

    def __enter__(self) -> _KubernetesTimeline:
        self._thread.start()
        return self

    def wait_for_finishes(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while sum(what == "finished" for what, _ in self.order) < count:
            assert time.monotonic() < deadline, f"the watch saw only {self.order}"
            time.sleep(0.05)

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._watch.stop()
        self._client.close()


@pytest.fixture
def two_replicas(cluster: Any) -> Iterator[tuple[JobService, JobService]]:
    (first, first_client), (second, second_client) = make_service(cluster), make_service(cluster)
    try:
        yield first, second
    finally:
        for svc in (first, second):
            svc.stop()
        first_client.close()
        second_client.close()


def test_a_diamond_dag_with_a_failing_branch(
    cluster: Any, two_replicas: tuple[JobService, JobService]
) -> None:
    first, second = two_replicas
    namespace = getattr(cluster, "namespace", "default")
    with _KubernetesTimeline(cluster, namespace) as timeline:
        # Shuffled: the batch itself creates each job after the ones it depends on.
        order = sorted(DAG, key=lambda job_id: hash(job_id) % 7)
        batch = first.schedule_jobs(pb.ScheduleJobsRequest(requests=[_request(j) for j in order]))
        assert [r.job_id for r in batch if isinstance(r, pb.ScheduleJobResponse)] == order
        waiting = {r.job_id: r.job_info for r in batch if isinstance(r, pb.ScheduleJobResponse)}
        assert waiting["b1"].status == pb.JOB_STATUS_SCHEDULED
        assert waiting["b1"].reason == "WaitingForDependencies"
        assert sorted(waiting["b1"].waiting_for) == ["a1", "a2"]
        first.start()
        second.start()
        final = {
            job_id: wait_for(first, job_id, lambda info: info.status in _FINAL) for job_id in DAG
        }
        timeline.wait_for_finishes(len(DAG) - len(CANCELLED_BY))
    expected = {job_id: pb.JOB_STATUS_SUCCEEDED for job_id in DAG}
    expected |= {"a4": pb.JOB_STATUS_FAILED} | {j: pb.JOB_STATUS_CANCELLED for j in CANCELLED_BY}
    assert {j: pb.JobStatus.Name(i.status) for j, i in final.items()} == {
        j: pb.JobStatus.Name(s) for j, s in expected.items()
    }
    for job_id, cause in CANCELLED_BY.items():
        assert final[job_id].reason == "DependencyFailed"
        assert repr(cause) in final[job_id].message
        assert final[job_id].attempts == 0
    assert final["b4"].depends_on == [pb.JobDependency(job_id="a4", condition=FAILED)]

    # Every dependent released exactly once (two replicas sweeping), and only after each of
    # its dependencies finished.
    released = [name for what, name in timeline.order if what == "released"]
    dependents = {j for j, deps in DAG.items() if deps and j not in CANCELLED_BY}
    assert sorted(released) == sorted(dependents)
    position = {event: index for index, event in enumerate(timeline.order)}
    for job_id in dependents:
        for dependency, _ in DAG[job_id]:
            assert position[("finished", dependency)] < position[("released", job_id)], job_id
