"""A scripted stand-in for the service layer, to drive the gRPC edge through every code path.

Each RPC answers from ``responses`` or raises what ``errors`` names; ``gate`` makes an RPC block
until the test releases it (drain tests). It keeps the JobServiceContract the edge codes against.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from jobscheduler import requestctx
from jobscheduler.api import jobscheduler_pb2 as pb


class FakeJobService:
    def __init__(self) -> None:
        self.reachable = True
        self.reachability_error: Exception | None = None
        self.started = False
        self.stopped = False
        self.errors: dict[str, BaseException] = {}
        self.requests: list[tuple[str, Any]] = []
        # What the service layer saw of the request context: (request id, seconds left).
        self.contexts: list[tuple[str, float | None]] = []
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.events: list[pb.JobEvent] = []
        self.stream_until_inactive = False
        self.stream_ended = threading.Event()

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def kubernetes_reachable(self) -> bool:
        if self.reachability_error is not None:
            raise self.reachability_error
        return self.reachable

    # helpers ---------------------------------------------------------------------------------
    def _enter(self, name: str, request: Any) -> None:
        self.requests.append((name, request))
        self.contexts.append((requestctx.request_id.get(), requestctx.remaining_seconds()))
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(30)
        error = self.errors.get(name)
        if error is not None:
            raise error

    # unary -----------------------------------------------------------------------------------
    def schedule_job(self, req: pb.ScheduleJobRequest) -> pb.ScheduleJobResponse:
        self._enter("schedule_job", req)
        job_id = req.job_id or "job-fake0001"
        return pb.ScheduleJobResponse(
            job_id=job_id,
            status=pb.JOB_STATUS_PENDING,
            message="scheduled",
            k8s_job_name=job_id,
            job_info=_job(job_id, req.name),
        )

    def rerun_job(self, req: pb.RerunJobRequest) -> pb.RerunJobResponse:
        self._enter("rerun_job", req)
        job_id = req.new_job_id or "job-fake0002"
        return pb.RerunJobResponse(job_id=job_id, job_info=_job(job_id, "x"), rerun_of=req.job_id)

    def get_job_status(self, req: pb.GetJobStatusRequest) -> pb.GetJobStatusResponse:
        self._enter("get_job_status", req)
        return pb.GetJobStatusResponse(
            job_id=req.job_id,
            job_info=_job(req.job_id, "my-timer"),
            status=pb.JOB_STATUS_RUNNING,
        )

    def list_jobs(self, req: pb.ListJobsRequest) -> pb.ListJobsResponse:
        self._enter("list_jobs", req)
        jobs = [_job("job-a1", "first"), _job("job-b2", "second")]
        return pb.ListJobsResponse(jobs=jobs, total_count=len(jobs))

    def cancel_job(self, req: pb.CancelJobRequest) -> pb.CancelJobResponse:
        self._enter("cancel_job", req)
        return pb.CancelJobResponse(success=True, message="cancelled")

    def suspend_job(self, req: pb.SuspendJobRequest) -> pb.SuspendJobResponse:
        self._enter("suspend_job", req)
        return pb.SuspendJobResponse(job_info=_job(req.job_id, "x", pb.JOB_STATUS_SUSPENDED))

    def resume_job(self, req: pb.ResumeJobRequest) -> pb.ResumeJobResponse:
        self._enter("resume_job", req)
        return pb.ResumeJobResponse(job_info=_job(req.job_id, "x"))

    def delete_job(self, req: pb.DeleteJobRequest) -> pb.DeleteJobResponse:
        self._enter("delete_job", req)
        return pb.DeleteJobResponse(deleted=True)

    def list_job_types(self, req: pb.ListJobTypesRequest) -> pb.ListJobTypesResponse:
        self._enter("list_job_types", req)
        return pb.ListJobTypesResponse(
            job_types=[pb.JobTypeInfo(name="timer", request_field="timer_job")]
        )

    def list_schedules(self, req: pb.ListSchedulesRequest) -> pb.ListSchedulesResponse:
        self._enter("list_schedules", req)
        return pb.ListSchedulesResponse()

    # streams ---------------------------------------------------------------------------------
    def watch_job(
        self, req: pb.WatchJobRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.JobEvent]:
        self._enter("watch_job", req)
        return self._events(is_active)

    def watch_jobs(
        self, req: pb.WatchJobsRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.JobEvent]:
        self._enter("watch_jobs", req)
        return self._events(is_active)

    def _events(self, is_active: Callable[[], bool]) -> Iterator[pb.JobEvent]:
        try:
            yield from self.events
            if self.stream_until_inactive:
                while is_active():
                    threading.Event().wait(0.01)
        finally:
            # Also when closed at a yield: that is how a real watch gets released.
            self.stream_ended.set()

    def get_job_logs(
        self, req: pb.GetJobLogsRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.LogChunk]:
        self._enter("get_job_logs", req)
        yield pb.LogChunk(pod_name=f"{req.job_id}-pod", text="hello\n")
        failure = self.errors.get("get_job_logs_midstream")
        if failure is not None:
            raise failure
        yield pb.LogChunk(pod_name=f"{req.job_id}-pod", text="done\n")


def _job(job_id: str, name: str, status: int = pb.JOB_STATUS_RUNNING) -> pb.JobInfo:
    return pb.JobInfo(
        job_id=job_id,
        name=name,
        k8s_job_name=job_id,
        namespace="default",
        status=status,  # type: ignore[arg-type]
        job_type="timer",
        created_at=1_700_000_000,
    )
