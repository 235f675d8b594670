"""ScheduleJobs: many ScheduleJobRequests in one call, each scheduled as ScheduleJob would.

Every item goes through the same ``schedule_one`` (validate -> build -> submit -> read back) on
its own, so it succeeds or fails exactly as it would alone; violations get the item's path
(``requests[3].timer_job.image``). Items run on one shared pool of ``concurrency`` workers, so
the Kubernetes API sees a bounded number of creates however many batches arrive; each batch
keeps at most ``concurrency`` items queued, so concurrent batches take turns instead of one
waiting behind another's thousand.

The caller's deadline bounds the whole batch. A margin before it, no new item starts (those
answer DEADLINE_EXCEEDED without touching Kubernetes) and the items in flight have their
Kubernetes calls bounded by the same earlier instant, so the answer is sent while the caller
still waits for it. An item is never half-written: each is one create, and a create whose answer
was lost is found again by a retry with the same job_id (ScheduleJob's request-hash idempotency).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Sequence
from concurrent import futures

from jobscheduler import errors, requestctx
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation, InvalidArgument
from jobscheduler.service.dependencies import BatchOrder

MAX_BATCH_ITEMS = 1000
# Time kept back from the caller's deadline to serialise and send up to 1,000 results.
MAX_ANSWER_MARGIN_SECONDS = 1.0
ANSWER_MARGIN_FRACTION = 0.1
NOT_STARTED_MESSAGE = "not started: the deadline of the batch passed first"
STOPPING_MESSAGE = "not started: the server is shutting down"

# A created job, or what ScheduleJob would have raised for this item (any exception: the edge
# turns it into a status at its one translation point).
ItemOutcome = pb.ScheduleJobResponse | Exception
ScheduleOne = Callable[[pb.ScheduleJobRequest], pb.ScheduleJobResponse]


def batch_violations(requests: Sequence[pb.ScheduleJobRequest]) -> list[FieldViolation]:
    if not requests:
        return [FieldViolation("requests", "must contain at least one request")]
    if len(requests) > MAX_BATCH_ITEMS:
        return [
            FieldViolation(
                "requests", f"at most {MAX_BATCH_ITEMS} requests per call (got {len(requests)})"
            )
        ]
    return []


class BatchScheduler:
    def __init__(self, schedule_one: ScheduleOne, concurrency: int) -> None:
        self._schedule_one = schedule_one
        self._concurrency = concurrency
        self._pool = futures.ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="schedule-jobs"
        )
        self._stopped = threading.Event()

    def schedule_jobs(self, req: pb.ScheduleJobsRequest) -> list[ItemOutcome]:
        """One outcome per request, in request order."""
        if violations := batch_violations(req.requests):
            raise InvalidArgument(violations)
        items = list(req.requests)
        order = BatchOrder(items)  # a request starts after the batch requests it depends on
        outcomes: list[ItemOutcome | None] = [None] * len(items)
        answer_by = _answer_by()
        pending: dict[futures.Future[ItemOutcome], int] = {}
        while order.has_ready() or pending:
            while order.has_ready() and len(pending) < self._concurrency:
                if _passed(answer_by) or self._stopped.is_set():
                    break
                index = order.next_ready()
                assert index is not None
                if blocked := order.blocked_by(index):
                    outcomes[index] = errors.FailedPrecondition(blocked)
                    order.finished(index, False, items)
                    continue
                try:
                    future = self._submit(items[index], index, answer_by)
                except RuntimeError:  # the pool shut down (server stopping) since the check
                    break
                pending[future] = index
            if not pending:
                if _passed(answer_by) or self._stopped.is_set():
                    break  # what was not started is answered below
                continue  # only refusals so far; their dependents are ready now
            done, _ = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                outcome = (
                    errors.Unavailable(STOPPING_MESSAGE) if future.cancelled() else future.result()
                )
                outcomes[index] = outcome
                order.finished(index, not isinstance(outcome, Exception), items)
        return [outcome if outcome is not None else self._not_started() for outcome in outcomes]

    def _not_started(self) -> errors.JobSchedulerError:
        if self._stopped.is_set():
            return errors.Unavailable(STOPPING_MESSAGE)
        return errors.DeadlineExceeded(NOT_STARTED_MESSAGE)

    def _submit(
        self, item: pb.ScheduleJobRequest, index: int, answer_by: float | None
    ) -> futures.Future[ItemOutcome]:
        # Each item runs in a copy of the caller's context (request id for logs), with the
        # deadline moved up to ``answer_by`` so its Kubernetes calls end in time.
        context = contextvars.copy_context()
        return self._pool.submit(context.run, self._run_item, item, index, answer_by)

    def _run_item(
        self, item: pb.ScheduleJobRequest, index: int, answer_by: float | None
    ) -> ItemOutcome:
        if _passed(answer_by):
            return errors.DeadlineExceeded(NOT_STARTED_MESSAGE)
        requestctx.deadline.set(answer_by)
        try:
            return self._schedule_one(item)
        except InvalidArgument as exc:
            return _prefixed(exc, f"requests[{index}].")
        except Exception as exc:  # answered per item; the edge logs what is unexpected
            return exc

    def stop(self) -> None:
        """Start no new items; wait for the ones in flight (each is one bounded create)."""
        self._stopped.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _answer_by() -> float | None:
    """The monotonic instant after which no item starts and no item's call may run."""
    remaining = requestctx.remaining_seconds()
    if remaining is None:
        return None
    margin = min(MAX_ANSWER_MARGIN_SECONDS, remaining * ANSWER_MARGIN_FRACTION)
    return time.monotonic() + remaining - margin


def _passed(instant: float | None) -> bool:
    return instant is not None and time.monotonic() >= instant


def _prefixed(error: InvalidArgument, prefix: str) -> InvalidArgument:
    violations = [FieldViolation(prefix + v.field, v.description) for v in error.violations]
    # A message that only lists the violations lists them again with their new paths.
    listed = InvalidArgument(error.violations).message
    return InvalidArgument(violations, None if error.message == listed else error.message)
