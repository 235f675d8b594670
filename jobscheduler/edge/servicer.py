"""The JobScheduler servicer: one line per RPC, delegating to the service layer.

It never aborts by itself: the service raises domain errors and ``interceptors`` turns them into
gRPC statuses at one place. Streaming RPCs get an ``is_active`` that turns false when the client
goes away or when the server starts draining, so watches end cleanly on shutdown instead of
holding the drain open until the grace period runs out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc as pb_grpc
from jobscheduler.edge.batchresults import batch_response
from jobscheduler.edge.contract import IsActive, JobServiceContract


class JobSchedulerServicer(pb_grpc.JobSchedulerServicer):
    # Method names are the RPC names, as gRPC looks them up (hence the noqa: N802).
    def __init__(self, service: JobServiceContract, draining: threading.Event) -> None:
        self._service = service
        self._draining = draining

    def _is_active(self, context: grpc.ServicerContext) -> IsActive:
        def is_active() -> bool:
            return bool(context.is_active()) and not self._draining.is_set()

        return is_active

    def ScheduleJob(  # noqa: N802
        self, request: pb.ScheduleJobRequest, context: grpc.ServicerContext
    ) -> pb.ScheduleJobResponse:
        return self._service.schedule_job(request)

    def ScheduleJobs(  # noqa: N802
        self, request: pb.ScheduleJobsRequest, context: grpc.ServicerContext
    ) -> pb.ScheduleJobsResponse:
        return batch_response(self._service.schedule_jobs(request))

    def RerunJob(  # noqa: N802
        self, request: pb.RerunJobRequest, context: grpc.ServicerContext
    ) -> pb.RerunJobResponse:
        return self._service.rerun_job(request)

    def GetJobStatus(  # noqa: N802
        self, request: pb.GetJobStatusRequest, context: grpc.ServicerContext
    ) -> pb.GetJobStatusResponse:
        return self._service.get_job_status(request)

    def ListJobs(  # noqa: N802
        self, request: pb.ListJobsRequest, context: grpc.ServicerContext
    ) -> pb.ListJobsResponse:
        return self._service.list_jobs(request)

    def CancelJob(  # noqa: N802
        self, request: pb.CancelJobRequest, context: grpc.ServicerContext
    ) -> pb.CancelJobResponse:
        return self._service.cancel_job(request)

    def WatchJob(  # noqa: N802
        self, request: pb.WatchJobRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.JobEvent]:
        return self._service.watch_job(request, self._is_active(context))

    def WatchJobs(  # noqa: N802
        self, request: pb.WatchJobsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.JobEvent]:
        return self._service.watch_jobs(request, self._is_active(context))

    def GetJobLogs(  # noqa: N802
        self, request: pb.GetJobLogsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.LogChunk]:
        return self._service.get_job_logs(request, self._is_active(context))

    def SuspendJob(  # noqa: N802
        self, request: pb.SuspendJobRequest, context: grpc.ServicerContext
    ) -> pb.SuspendJobResponse:
        return self._service.suspend_job(request)

    def ResumeJob(  # noqa: N802
        self, request: pb.ResumeJobRequest, context: grpc.ServicerContext
    ) -> pb.ResumeJobResponse:
        return self._service.resume_job(request)

    def DeleteJob(  # noqa: N802
        self, request: pb.DeleteJobRequest, context: grpc.ServicerContext
    ) -> pb.DeleteJobResponse:
        return self._service.delete_job(request)

    def ListJobTypes(  # noqa: N802
        self, request: pb.ListJobTypesRequest, context: grpc.ServicerContext
    ) -> pb.ListJobTypesResponse:
        return self._service.list_job_types(request)

    def ListSchedules(  # noqa: N802
        self, request: pb.ListSchedulesRequest, context: grpc.ServicerContext
    ) -> pb.ListSchedulesResponse:
        return self._service.list_schedules(request)

    def CreateJobTemplate(  # noqa: N802
        self, request: pb.CreateJobTemplateRequest, context: grpc.ServicerContext
    ) -> pb.JobTemplate:
        return self._service.create_job_template(request)

    def GetJobTemplate(  # noqa: N802
        self, request: pb.GetJobTemplateRequest, context: grpc.ServicerContext
    ) -> pb.JobTemplate:
        return self._service.get_job_template(request)

    def ListJobTemplates(  # noqa: N802
        self, request: pb.ListJobTemplatesRequest, context: grpc.ServicerContext
    ) -> pb.ListJobTemplatesResponse:
        return self._service.list_job_templates(request)

    def DeleteJobTemplate(  # noqa: N802
        self, request: pb.DeleteJobTemplateRequest, context: grpc.ServicerContext
    ) -> pb.DeleteJobTemplateResponse:
        return self._service.delete_job_template(request)


def add_to_server(servicer: JobSchedulerServicer, server: grpc.Server) -> None:
    pb_grpc.add_JobSchedulerServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
