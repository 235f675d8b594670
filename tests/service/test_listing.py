"""ListJobs and ListSchedules: filters, newest-first order and exact pagination."""

from __future__ import annotations

import time
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.service import JobService

from .conftest import make_service
from .support import container, timer, wait_status

SUSPENDED = pb.ExecutionOptions(start_suspended=True)


def _all_pages(service: JobService, **fields: Any) -> tuple[list[str], int]:
    ids: list[str] = []
    pages = 0
    token = ""
    while True:
        page = service.list_jobs(pb.ListJobsRequest(page_token=token, **fields))
        pages += 1
        assert page.total_count == len(page.jobs)
        ids += [job.job_id for job in page.jobs]
        token = page.next_page_token
        if not token:
            return ids, pages


def test_pagination_over_1000_jobs_returns_each_exactly_once(service: JobService) -> None:
    # Suspended, so the cluster starts no pods: this test is about listing.
    created = {service.schedule_job(timer(execution=SUSPENDED)).job_id for _ in range(1000)}
    ids, pages = _all_pages(service, page_size=37)
    assert len(ids) == len(set(ids)) == 1000
    assert set(ids) == created
    assert pages == 28  # 27 full pages of 37 and one of 1


def test_pages_split_by_a_client_side_filter_still_return_each_job_once(
    service: JobService,
) -> None:
    suspended = {service.schedule_job(timer(execution=SUSPENDED)).job_id for _ in range(30)}
    cancelled = set()
    for _ in range(20):
        job_id = service.schedule_job(timer(execution=SUSPENDED)).job_id
        service.cancel_job(pb.CancelJobRequest(job_id=job_id))
        cancelled.add(job_id)
    ids, _ = _all_pages(service, page_size=7, status_filter=[pb.JOB_STATUS_CANCELLED])
    assert sorted(ids) == sorted(cancelled)
    ids, _ = _all_pages(service, page_size=4, status_filter=[pb.JOB_STATUS_SUSPENDED])
    assert sorted(ids) == sorted(suspended)


def test_jobs_created_while_paging_do_not_repeat_earlier_ones(service: JobService) -> None:
    first = {service.schedule_job(timer(execution=SUSPENDED)).job_id for _ in range(20)}
    page = service.list_jobs(pb.ListJobsRequest(page_size=5))
    seen = [job.job_id for job in page.jobs]
    for _ in range(10):
        service.schedule_job(timer(execution=SUSPENDED))
    token = page.next_page_token
    while token:
        page = service.list_jobs(pb.ListJobsRequest(page_size=5, page_token=token))
        seen += [job.job_id for job in page.jobs]
        token = page.next_page_token
    assert len(seen) == len(set(seen))
    assert first <= set(seen)


def test_newest_jobs_come_first(service: JobService) -> None:
    ids = []
    for _ in range(5):
        ids.append(service.schedule_job(timer(execution=SUSPENDED)).job_id)
        time.sleep(0.002)  # distinct milliseconds in the generated ids
    listed = [job.job_id for job in service.list_jobs(pb.ListJobsRequest()).jobs]
    assert listed == list(reversed(ids))
    assert [j.job_id for j in service.list_jobs(pb.ListJobsRequest(page_size=2)).jobs] == [
        ids[4],
        ids[3],
    ]


def test_filters_by_type_labels_state_and_creation_time(service: JobService) -> None:
    timer_id = service.schedule_job(timer(labels={"team": "a"}, execution=SUSPENDED)).job_id
    container_id = service.schedule_job(container(labels={"team": "b"})).job_id
    wait_status(service, container_id, pb.JOB_STATUS_SUCCEEDED)

    def listed(**fields: Any) -> list[str]:
        return [j.job_id for j in service.list_jobs(pb.ListJobsRequest(**fields)).jobs]

    assert listed(job_types=["timer"]) == [timer_id]
    assert listed(job_types=["container"]) == [container_id]
    assert sorted(listed(job_types=["container", "timer"])) == sorted([timer_id, container_id])
    assert listed(label_selector={"team": "b"}) == [container_id]
    assert listed(status_filter=[pb.JOB_STATUS_SUCCEEDED]) == [container_id]
    assert listed(status_filter=[pb.JOB_STATUS_SUSPENDED]) == [timer_id]
    created = service.get_job_status(pb.GetJobStatusRequest(job_id=timer_id)).job_info.create_time
    later = Timestamp(seconds=created.seconds + 3600)
    assert listed(created_after=later) == []
    assert sorted(listed(created_before=later)) == sorted([timer_id, container_id])
    assert listed(namespace="kube-system") == []


def test_a_page_token_only_works_with_the_filters_it_was_issued_for(
    service: JobService,
) -> None:
    for _ in range(3):
        service.schedule_job(timer(execution=SUSPENDED))
    token = service.list_jobs(pb.ListJobsRequest(page_size=1)).next_page_token
    assert token
    with pytest.raises(errors.InvalidArgument) as error:
        service.list_jobs(pb.ListJobsRequest(page_size=1, page_token=token, job_types=["timer"]))
    assert [v.field for v in error.value.violations] == ["page_token"]
    with pytest.raises(errors.InvalidArgument) as error:
        service.list_jobs(pb.ListJobsRequest(page_token="not-a-token"))
    assert [v.field for v in error.value.violations] == ["page_token"]


def test_invalid_list_requests_report_every_violation(service: JobService) -> None:
    req = pb.ListJobsRequest(
        namespace="Bad NS",
        label_selector={"bad key": "v"},
        page_size=-1,
        job_types=["timer", "nope"],
        schedule_id="Bad_Id",
        status_filter=[pb.JOB_STATUS_UNSPECIFIED],
        created_after=Timestamp(seconds=2000),
        created_before=Timestamp(seconds=1000),
    )
    with pytest.raises(errors.InvalidArgument) as error:
        service.list_jobs(req)
    assert [v.field for v in error.value.violations] == [
        "namespace",
        'label_selector["bad key"]',
        "page_size",
        "job_types[1]",
        "schedule_id",
        "status_filter[0]",
        "created_after",
    ]


def test_list_schedules_pages_through_schedules(service: JobService) -> None:
    names = {f"sched-{index}" for index in range(5)}
    for name in names:
        service.schedule_job(container(job_id=name, schedule=pb.Schedule(cron="@daily")))
    service.schedule_job(timer(execution=SUSPENDED))  # a job, not a schedule
    seen: list[str] = []
    token = ""
    while True:
        page = service.list_schedules(pb.ListSchedulesRequest(page_size=2, page_token=token))
        assert all(s.k8s_kind == "CronJob" for s in page.schedules)
        seen += [s.job_id for s in page.schedules]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(names)
    with pytest.raises(errors.InvalidArgument) as error:
        service.list_schedules(pb.ListSchedulesRequest(page_size=-3, namespace="X"))
    assert [v.field for v in error.value.violations] == ["namespace", "page_size"]


def test_cached_pages_are_newest_first_across_pages_with_an_exact_total(
    service: JobService,
) -> None:
    # Client-chosen ids sort by creation time too, not by name, and a job created while paging
    # neither repeats one already returned nor pushes one onto the next page twice.
    chosen = [f"zz-{i}" if i % 2 else f"aa-{i}" for i in range(9)]
    for job_id in chosen:
        service.schedule_job(timer(job_id=job_id, execution=SUSPENDED))
        time.sleep(1.05)  # creation times are whole seconds
    first = service.list_jobs(pb.ListJobsRequest(page_size=4))
    assert first.total_size == 9
    service.schedule_job(timer(job_id="mm-new", execution=SUSPENDED))
    ids = [job.job_id for job in first.jobs]
    token = first.next_page_token
    while token:
        page = service.list_jobs(pb.ListJobsRequest(page_size=4, page_token=token))
        ids += [job.job_id for job in page.jobs]
        token = page.next_page_token
    assert ids == list(reversed(chosen))
    again = service.list_jobs(pb.ListJobsRequest(page_size=4))
    assert again.total_size == 10
    assert again.jobs[0].job_id == "mm-new"


@pytest.mark.clock_speed(60)
@pytest.mark.parametrize("cached", [True, False], ids=["cache", "api-server"])
def test_a_failed_job_lists_with_its_containers_reason(cluster: Any, cached: bool) -> None:
    """ "Reason: detail" in a failed container's termination message (what the probe and
    webhook runners write) is the job's reason in lists too, as in GetJobStatus."""
    service, client = make_service(cluster, cached=cached)
    try:
        request = container(
            execution=pb.ExecutionOptions(max_retries=0),
            sim={"exit-code": 1, "termination-message": "ProbeFailed: HTTP 503"},
        )
        job_id = service.schedule_job(request).job_id
        wait_status(service, job_id, pb.JOB_STATUS_FAILED)
        listed = service.list_jobs(pb.ListJobsRequest(status_filter=[pb.JOB_STATUS_FAILED]))
        assert [(job.job_id, job.reason, job.message) for job in listed.jobs] == [
            (job_id, "ProbeFailed", "ProbeFailed: HTTP 503")
        ]
    finally:
        service.stop()
        client.close()
