"""What each RPC costs the API server, counted with the gateway's own metrics: reads from the
watch cache cost nothing, a write one call, a ``fresh`` read what a direct read costs."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import REGISTRY

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.kube import PODS, Resource
from jobscheduler.service import JobService, release
from jobscheduler.service.readcache import POD_SAMPLE

from .conftest import make_service
from .support import container, wait_for, wait_status

pytestmark = pytest.mark.clock_speed(60)


def api_calls(action: Callable[[], Any]) -> Counter[tuple[str, str]]:
    """Kubernetes API calls made by ``action``, by (verb, resource)."""

    def snapshot() -> Counter[tuple[str, str]]:
        counts: Counter[tuple[str, str]] = Counter()
        for metric in REGISTRY.collect():
            if metric.name != "jobscheduler_kubernetes_api_calls":
                continue
            for sample in metric.samples:
                # The cache's own watches run beside every RPC, not because of one.
                if sample.name.endswith("_total") and sample.labels["verb"] != "watch":
                    key = (sample.labels["verb"], sample.labels["resource"])
                    counts[key] += int(sample.value)
        return counts

    before = snapshot()
    action()
    after = snapshot()
    after.subtract(before)
    return +after


def test_status_of_a_finished_job_costs_no_call(service: JobService) -> None:
    job_id = service.schedule_job(container()).job_id
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)
    request = pb.GetJobStatusRequest(job_id=job_id)
    assert api_calls(lambda: service.get_job_status(request)) == {}


def test_status_of_a_running_job_reads_its_pods_from_the_cache(service: JobService) -> None:
    job_id = service.schedule_job(container(sim={"run-seconds": 3600})).job_id
    info = wait_status(service, job_id, pb.JOB_STATUS_RUNNING)
    assert info.active == 1
    request = pb.GetJobStatusRequest(job_id=job_id)
    assert api_calls(lambda: service.get_job_status(request)) == {}


def test_a_fresh_status_reads_the_api_server(service: JobService) -> None:
    job_id = service.schedule_job(container(sim={"run-seconds": 3600})).job_id
    wait_status(service, job_id, pb.JOB_STATUS_RUNNING)
    request = pb.GetJobStatusRequest(job_id=job_id, fresh=True)
    assert api_calls(lambda: service.get_job_status(request)) == {
        ("get", "jobs"): 1,
        ("list", "pods"): 1,
    }


def test_status_of_a_schedule_costs_no_call(service: JobService) -> None:
    service.schedule_job(container(job_id="nightly", schedule=pb.Schedule(cron="@daily")))
    request = pb.GetJobStatusRequest(job_id="nightly")
    assert api_calls(lambda: service.get_job_status(request)) == {}


def test_schedule_job_is_one_create(service: JobService) -> None:
    assert api_calls(lambda: service.schedule_job(container())) == {("create", "jobs"): 1}


def test_schedule_job_with_a_chosen_id_is_one_create(service: JobService) -> None:
    # The id collision check (a schedule of the same name) is answered by the cache.
    request = container(job_id="chosen-one")
    assert api_calls(lambda: service.schedule_job(request)) == {("create", "jobs"): 1}


def test_a_page_of_jobs_costs_no_call(service: JobService) -> None:
    for _ in range(12):
        service.schedule_job(container(execution=pb.ExecutionOptions(start_suspended=True)))
    request = pb.ListJobsRequest(page_size=5)
    assert api_calls(lambda: service.list_jobs(request)) == {}


def test_without_the_cache_status_is_one_get_and_a_page_one_list(cluster: Any) -> None:
    service, client = make_service(cluster, cached=False)
    try:
        job_id = service.schedule_job(container()).job_id
        wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)
        request = pb.GetJobStatusRequest(job_id=job_id)
        assert api_calls(lambda: service.get_job_status(request)) == {("get", "jobs"): 1}
        listing = pb.ListJobsRequest(page_size=5)
        assert api_calls(lambda: service.list_jobs(listing)) == {("list", "jobs"): 1}
    finally:
        service.stop()
        client.close()


def test_a_fresh_status_of_a_wide_job_reads_a_bounded_number_of_pods(
    service: JobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch job can have thousands of pods; explaining a wait needs only a few of them.
    wide = container(
        sim={"run-seconds": 3600}, execution=pb.ExecutionOptions(parallelism=40, completions=40)
    )
    job_id = service.schedule_job(wide).job_id
    wait_for(
        service, job_id, lambda info: info.active == 40 and info.status == pb.JOB_STATUS_RUNNING
    )
    listed: list[int] = []
    list_ = service._gateway.list

    def counting_list(resource: Resource, *args: Any, **kwargs: Any) -> Any:
        page = list_(resource, *args, **kwargs)
        if resource == PODS:
            listed.append(len(page.get("items") or []))
        return page

    monkeypatch.setattr(service._gateway, "list", counting_list)
    request = pb.GetJobStatusRequest(job_id=job_id, fresh=True)
    info = service.get_job_status(request).job_info
    assert info.status == pb.JOB_STATUS_RUNNING
    assert info.active == 40
    assert listed and listed[0] <= POD_SAMPLE


def test_a_sweep_of_the_cached_namespace_lists_nothing(
    cluster: Any, service: JobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other namespaces are looked at once per interval: not within this test.
    monkeypatch.setattr(release, "UNCACHED_SWEEP_INTERVAL_SECONDS", 1e9)
    sweeper = service._sweeper
    sweeper.sweep()
    now = cluster.clock.now().timestamp()
    due = service.schedule_job(container(start_at=Timestamp(seconds=int(now) + 2))).job_id
    while cluster.clock.now().timestamp() <= now + 3:  # due, on the cluster's clock
        time.sleep(0.01)
    calls = api_calls(sweeper.sweep)
    assert not [call for call in calls if call[0] == "list"], calls
    # ... and still found the delayed job from the cache, and started it.
    assert calls[("patch", "jobs")] == 1
    wait_status(service, due, pb.JOB_STATUS_SUCCEEDED)
