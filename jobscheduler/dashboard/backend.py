"""What the dashboard reads from the service: the gRPC contract's reads, plus job events.

A Protocol, as ``edge.contract`` is: ``jobscheduler.service.JobService`` provides it, and the
dashboard goes through the same calls (and so the same watch cache) as the gRPC API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from jobscheduler.api import jobscheduler_pb2 as pb

IsActive = Callable[[], bool]


class DashboardBackend(Protocol):
    def get_job_status(self, req: pb.GetJobStatusRequest) -> pb.GetJobStatusResponse: ...
    def list_jobs(self, req: pb.ListJobsRequest) -> pb.ListJobsResponse: ...
    def list_schedules(self, req: pb.ListSchedulesRequest) -> pb.ListSchedulesResponse: ...
    def list_job_types(self, req: pb.ListJobTypesRequest) -> pb.ListJobTypesResponse: ...
    def job_events(self, job_id: str, namespace: str) -> list[dict[str, Any]]: ...
    def watch_job(self, req: pb.WatchJobRequest, is_active: IsActive) -> Iterator[pb.JobEvent]: ...
    def watch_jobs(
        self, req: pb.WatchJobsRequest, is_active: IsActive
    ) -> Iterator[pb.JobEvent]: ...
    def get_job_logs(
        self, req: pb.GetJobLogsRequest, is_active: IsActive
    ) -> Iterator[pb.LogChunk]: ...
