"""The per-item answers of ScheduleJobs, translated where every other error is.

The service answers each item with its response or the error ScheduleJob would have raised;
here each error becomes the google.rpc.Status the interceptor would send for that request alone
(same code, message and BadRequest details), and an unexpected one is logged with its traceback
and answered INTERNAL with the fixed message.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.rpc import code_pb2

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.edge.interceptors import INTERNAL_MESSAGE, rich_status
from jobscheduler.logs import get_logger

log = get_logger("jobscheduler.edge")


def batch_response(
    outcomes: Sequence[pb.ScheduleJobResponse | Exception],
) -> pb.ScheduleJobsResponse:
    return pb.ScheduleJobsResponse(
        results=[_result(index, outcome) for index, outcome in enumerate(outcomes)]
    )


def _result(index: int, outcome: pb.ScheduleJobResponse | Exception) -> pb.ScheduleJobResult:
    if isinstance(outcome, pb.ScheduleJobResponse):
        return pb.ScheduleJobResult(job=outcome)
    if not isinstance(outcome, errors.JobSchedulerError):
        log.error("unexpected error", exc_info=outcome, item=f"requests[{index}]")
        return pb.ScheduleJobResult(error=rich_status(errors.Internal(INTERNAL_MESSAGE)))
    status = rich_status(outcome)
    if status.code == code_pb2.INTERNAL:
        log.error("internal error", exc_info=outcome, item=f"requests[{index}]")
    return pb.ScheduleJobResult(error=status)
