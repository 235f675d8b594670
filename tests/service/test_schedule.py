"""ScheduleJob: ids, idempotent retries, the shared id space, validation errors."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.service import JobService

from .conftest import make_service
from .support import container, timer


def test_generated_ids_are_valid_kubernetes_names(service: JobService) -> None:
    ids = [service.schedule_job(timer()).job_id for _ in range(5)]
    assert len(set(ids)) == 5
    for job_id in ids:
        assert re.fullmatch(r"job-[0-9a-z]{9}-[0-9a-z]{5}", job_id)


def test_a_retry_with_the_same_id_and_request_returns_the_existing_job(
    service: JobService,
) -> None:
    first = service.schedule_job(timer(job_id="job-abc123"))
    retry = service.schedule_job(timer(job_id="job-abc123"))
    assert retry.job_id == first.job_id == "job-abc123"
    assert retry.message == "already scheduled by an identical request"
    assert retry.job_info.create_time == first.job_info.create_time
    # The namespace spelled out is the same request as the default one.
    namespace = first.job_info.namespace
    service.schedule_job(timer(job_id="job-abc123", namespace=namespace))


def test_a_different_request_under_an_existing_id_is_already_exists(service: JobService) -> None:
    service.schedule_job(timer(job_id="job-abc123"))
    with pytest.raises(errors.AlreadyExists, match="different request"):
        service.schedule_job(timer(duration=61, job_id="job-abc123"))


def test_jobs_and_schedules_share_the_id_space(service: JobService) -> None:
    service.schedule_job(timer(job_id="shared-id"))
    with pytest.raises(errors.AlreadyExists, match="a job with id 'shared-id'"):
        service.schedule_job(timer(job_id="shared-id", schedule=pb.Schedule(cron="@hourly")))
    service.schedule_job(container(job_id="nightly", schedule=pb.Schedule(cron="@daily")))
    with pytest.raises(errors.AlreadyExists, match="a schedule with id 'nightly'"):
        service.schedule_job(container(job_id="nightly"))


def test_invalid_requests_report_every_violation_and_create_nothing(service: JobService) -> None:
    bad = timer(duration=0, job_id="Bad_Id", labels={"bad key": "x"})
    bad.resources.requests.cpu = "lots"
    with pytest.raises(errors.InvalidArgument) as error:
        service.schedule_job(bad)
    assert [v.field for v in error.value.violations] == [
        "job_id",
        "timer_job.duration_seconds",
        'labels["bad key"]',
        "resources.requests.cpu",
    ]
    assert service.list_jobs(pb.ListJobsRequest()).jobs == []


def test_a_request_without_a_job_type_is_invalid(service: JobService) -> None:
    with pytest.raises(errors.InvalidArgument) as error:
        service.schedule_job(pb.ScheduleJobRequest(name="nothing"))
    assert [v.field for v in error.value.violations] == ["job_config"]


def test_a_missing_namespace_is_not_found(service: JobService) -> None:
    with pytest.raises(errors.NotFound, match="namespace 'no-such-namespace' not found"):
        service.schedule_job(timer(namespace="no-such-namespace"))


def test_list_job_types_describes_the_registry(service: JobService) -> None:
    types = {t.name: t for t in service.list_job_types(pb.ListJobTypesRequest()).job_types}
    assert set(types) == {"timer", "container", "health-check", "webhook"}
    timer_type = types["timer"]
    assert timer_type.request_field == "timer_job"
    assert timer_type.config_message == "jobscheduler.TimerJobConfig"
    assert timer_type.default_image == "timer-service:latest"
    fields = {f.name: f for f in timer_type.fields}
    assert fields["duration_seconds"].type == "int64"
    assert fields["duration_seconds"].required
    assert fields["env"].type == "map<string, string>"
    assert not fields["env"].required
    assert all(f.description for f in timer_type.fields)
    container_fields = {f.name: f for f in types["container"].fields}
    assert container_fields["command"].type == "repeated string"
    assert container_fields["image"].required
    assert types["container"].default_image == ""


def test_kubernetes_reachable_is_cached_and_turns_false_when_the_api_is_gone(
    embedded_cluster: Any,
) -> None:
    service, client = make_service(embedded_cluster)
    try:
        assert service.kubernetes_reachable()
        embedded_cluster.stop()
        assert service.kubernetes_reachable()  # cached answer
        fresh, fresh_client = make_service(embedded_cluster, cached=False)
        assert not fresh.kubernetes_reachable()
        fresh_client.close()
    finally:
        service.stop()
        client.close()


def test_a_schedule_retried_with_the_same_request_is_idempotent(service: JobService) -> None:
    request = container(job_id="hourly", schedule=pb.Schedule(cron="@hourly"))
    first = service.schedule_job(request)
    again = service.schedule_job(request)
    assert again.message == "already scheduled by an identical request"
    assert again.job_info.k8s_kind == first.job_info.k8s_kind == "CronJob"
    changed = container(job_id="hourly", schedule=pb.Schedule(cron="@daily"))
    with pytest.raises(errors.AlreadyExists):
        service.schedule_job(changed)


def test_watch_jobs_validates_its_filters(service: JobService) -> None:
    request = pb.WatchJobsRequest(
        namespace="Bad NS", job_types=["nope"], status_filter=[pb.JOB_STATUS_UNSPECIFIED]
    )
    with pytest.raises(errors.InvalidArgument) as error:
        service.watch_jobs(request, lambda: True)
    assert [v.field for v in error.value.violations] == [
        "namespace",
        "job_types[0]",
        "status_filter[0]",
    ]


def test_concurrent_identical_requests_create_one_job_and_all_succeed(
    service: JobService,
) -> None:
    # A client that fires its retry before the first attempt answered: one create wins, the
    # others find the same request under that id and answer with the same job.
    request = timer(job_id="job-raced")
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: service.schedule_job(request), range(6)))
    assert {r.job_id for r in responses} == {"job-raced"}
    assert {r.job_info.create_time.seconds for r in responses} == {
        responses[0].job_info.create_time.seconds
    }
    messages = sorted(r.message for r in responses)
    assert messages == ["already scheduled by an identical request"] * 5 + ["job scheduled"]
    listed = service.list_jobs(pb.ListJobsRequest()).jobs
    assert [info.job_id for info in listed] == ["job-raced"]


def test_a_request_whose_annotations_kubernetes_would_refuse_is_invalid(
    service: JobService,
) -> None:
    # Each part is within its own limit, but the job's configuration is kept in an annotation
    # too, and Kubernetes refuses more than 256 KiB of annotations on one object.
    request = container(annotations={"note": "n" * 120_000}, job_id="job-big")
    request.container_job.args.extend(["a" * 60_000, "b" * 60_000])
    request.container_job.env.update({"BLOB": "c" * 30_000})
    with pytest.raises(errors.InvalidArgument) as error:
        service.schedule_job(request)
    # Shortening any one of these (by the excess) would make the object fit.
    assert [v.field for v in error.value.violations] == [
        "container_job.args",
        "annotations",
        "container_job.env",
    ]
    assert "256 KiB" in error.value.violations[0].description
    with pytest.raises(errors.NotFound):
        service.get_job_status(pb.GetJobStatusRequest(job_id="job-big"))


def test_a_retry_that_spells_out_empty_options_is_the_same_request(service: JobService) -> None:
    # Clients differ in whether they send an empty message for options left at their
    # defaults; both mean the same job.
    service.schedule_job(timer(job_id="job-spelled"))
    spelled = timer(job_id="job-spelled")
    spelled.execution.SetInParent()
    spelled.resources.requests.SetInParent()
    again = service.schedule_job(spelled)
    assert again.message == "already scheduled by an identical request"
