"""JobService: the transport-free implementation of every JobScheduler RPC."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.clock import Clock, SystemClock
from jobscheduler.config import Settings

if TYPE_CHECKING:
    import kubernetes.client


class JobService:
    """Interface committed first so the gRPC edge can code against it; bodies land next."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock

    def schedule_job(self, req: pb.ScheduleJobRequest) -> pb.ScheduleJobResponse:
        raise NotImplementedError

    def get_job_status(self, req: pb.GetJobStatusRequest) -> pb.GetJobStatusResponse:
        raise NotImplementedError

    def list_jobs(self, req: pb.ListJobsRequest) -> pb.ListJobsResponse:
        raise NotImplementedError

    def cancel_job(self, req: pb.CancelJobRequest) -> pb.CancelJobResponse:
        raise NotImplementedError

    def watch_job(
        self, req: pb.WatchJobRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.JobEvent]:
        raise NotImplementedError

    def watch_jobs(
        self, req: pb.WatchJobsRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.JobEvent]:
        raise NotImplementedError

    def get_job_logs(
        self, req: pb.GetJobLogsRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.LogChunk]:
        raise NotImplementedError

    def suspend_job(self, req: pb.SuspendJobRequest) -> pb.SuspendJobResponse:
        raise NotImplementedError

    def resume_job(self, req: pb.ResumeJobRequest) -> pb.ResumeJobResponse:
        raise NotImplementedError

    def delete_job(self, req: pb.DeleteJobRequest) -> pb.DeleteJobResponse:
        raise NotImplementedError

    def list_job_types(self, req: pb.ListJobTypesRequest) -> pb.ListJobTypesResponse:
        raise NotImplementedError

    def list_schedules(self, req: pb.ListSchedulesRequest) -> pb.ListSchedulesResponse:
        raise NotImplementedError

    def kubernetes_reachable(self) -> bool:
        """Cheap (cached for a few seconds) check used by gRPC health."""
        raise NotImplementedError

    def start(self) -> None:
        """Start background work (releasing delayed ``start_at`` jobs)."""

    def stop(self) -> None:
        """Stop background work and wait for it."""


def build_service(
    settings: Settings,
    *,
    clock: Clock | None = None,
    api_client: kubernetes.client.ApiClient | None = None,
) -> JobService:
    """Wire a JobService: handler registry, Kubernetes gateway (in-cluster, KUBECONFIG or the
    given ``api_client``) and clock."""
    return JobService(settings, clock or SystemClock())
