"""Prometheus metrics. Label values are always bounded sets (never job names or ids).

RPC metrics follow go-grpc-prometheus naming, which is what existing dashboards expect.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from threading import Lock

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily

from jobscheduler.api import jobscheduler_pb2 as pb

# ``*_created`` series double the series count and no dashboard or alert here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

GRPC_SERVER_STARTED = Counter(
    "grpc_server_started_total",
    "RPCs started on the server.",
    ["grpc_type", "grpc_service", "grpc_method"],
)
GRPC_SERVER_HANDLED = Counter(
    "grpc_server_handled_total",
    "RPCs completed on the server, regardless of success or failure.",
    ["grpc_type", "grpc_service", "grpc_method", "grpc_code"],
)
GRPC_SERVER_HANDLING_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Time from receiving an RPC to sending its last response.",
    ["grpc_type", "grpc_service", "grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
JOBS_SCHEDULED = Counter(
    "jobscheduler_jobs_scheduled_total",
    "Jobs (and schedules) created in Kubernetes, by job type.",
    ["job_type"],
)
KUBERNETES_API_CALLS = Counter(
    "jobscheduler_kubernetes_api_calls_total",
    "Calls to the Kubernetes API by verb, resource and HTTP status code "
    "(code 0: no response, e.g. connection refused or timeout).",
    ["verb", "resource", "code"],
)
KUBERNETES_API_SECONDS = Histogram(
    "jobscheduler_kubernetes_api_call_seconds",
    "Latency of Kubernetes API calls.",
    ["verb", "resource"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
GRPC_SERVER_MSG_SENT = Counter(
    "grpc_server_msg_sent_total",
    "Messages sent by the server (one per unary response; one per event/chunk of a stream).",
    ["grpc_type", "grpc_service", "grpc_method"],
)
CACHE_OBJECTS = Gauge(
    "jobscheduler_cache_objects",
    "Objects in the watch cache, by kind and namespace ('*': all namespaces).",
    ["kind", "namespace"],
)
CACHE_RELISTS = Counter(
    "jobscheduler_cache_relists_total",
    "Full lists after the first, because a watch or a continue token expired (410).",
    ["kind"],
)
CACHE_WATCH_RESTARTS = Counter(
    "jobscheduler_cache_watch_restarts_total",
    "Watches of the cache opened again: the server ended one on time (timeout) or it failed.",
    ["kind", "reason"],
)
CACHE_EVENT_LAG_SECONDS = Histogram(
    "jobscheduler_cache_event_lag_seconds",
    "From a write's answer to this replica's cache seeing it (the watch delay).",
    ["kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CACHE_WRITE_WAIT_TIMEOUTS = Counter(
    "jobscheduler_cache_write_wait_timeouts_total",
    "Writes whose change the cache did not see in time: reads of it go to the API server.",
    ["kind"],
)
WATCH_STREAM_COALESCED = Counter(
    "jobscheduler_watch_stream_coalesced_total",
    "Events merged into a newer state of the same job because a stream's reader was slow.",
)
KEPT_LOGS = Counter(
    "jobscheduler_kept_logs_total",
    "Attempts to keep a job's pod logs in a ConfigMap, by why and how it ended "
    "(kept, already_kept, nothing_new, failed, dropped).",
    ["reason", "outcome"],
)


class _JobsGauge:
    """``jobscheduler_jobs{job_type,state}``, read from the watch cache at scrape time (the
    cache's indexes count them; nothing is kept twice). No cache: no samples."""

    def __init__(self) -> None:
        self.source: Callable[[], dict[tuple[str, str], int]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "jobscheduler_jobs",
            "Jobs this service manages in the cached namespaces, by job type and state.",
            labels=["job_type", "state"],
        )
        source = self.source
        for (job_type, state), count in sorted((source() if source else {}).items()):
            family.add_metric([job_type, state], count)
        yield family


JOBS_GAUGE = _JobsGauge()
REGISTRY.register(JOBS_GAUGE)
BATCH_ITEMS_HANDLED = Counter(
    "jobscheduler_batch_items_handled_total",
    "Items of batch RPCs (ScheduleJobs) answered, by the status code of each item.",
    ["grpc_method", "grpc_code"],
)
BUILD_INFO = Gauge(
    "jobscheduler_build_info",
    "Always 1; the labels say which build is running.",
    ["version", "git_commit", "python_version"],
)
# Jobs take from seconds to days to start and to run.
_JOB_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 12 * 3600, 86400)
JOB_SCHEDULE_TO_START_SECONDS = Histogram(
    "jobscheduler_job_schedule_to_start_seconds",
    "Time from a job's creation (or its requested start_at) to its first pod starting.",
    ["job_type"],
    buckets=_JOB_BUCKETS,
)
JOB_RUN_SECONDS = Histogram(
    "jobscheduler_job_run_duration_seconds",
    "Time from a job's start to its completion, by job type and final state.",
    ["job_type", "state"],
    buckets=_JOB_BUCKETS,
)


def record_build_info(version: str, git_commit: str, python_version: str) -> None:
    BUILD_INFO.clear()
    BUILD_INFO.labels(version, git_commit, python_version).set(1)


@dataclass(frozen=True)
class JobTimings:
    """What one observation of a job says about how long it waited and ran (None: not yet)."""

    schedule_to_start: float | None
    run: float | None
    final_state: str


_FINAL = {pb.JOB_STATUS_SUCCEEDED: "succeeded", pb.JOB_STATUS_FAILED: "failed"}


def job_timings(info: pb.JobInfo) -> JobTimings:
    """The waits a job's info shows: pure, so it is the same wherever the job is observed."""
    created = info.create_time.ToSeconds() if info.HasField("create_time") else None
    if info.HasField("start_at"):
        created = max(created or 0, info.start_at.ToSeconds())  # it was asked to wait until then
    started = info.start_time.ToSeconds() if info.HasField("start_time") else None
    finished = info.completion_time.ToSeconds() if info.HasField("completion_time") else None
    final = _FINAL.get(info.status, "")
    wait = max(0.0, started - created) if started is not None and created is not None else None
    run = max(0.0, finished - started) if final and started is not None and finished else None
    return JobTimings(wait, run, final)


class JobTimingsRecorder:
    """Observes each job's wait and run once per process, however often it is seen.

    Remembers the last ``capacity`` jobs (by namespace, id and creation time, so a job
    re-created under the same id counts again); a job forgotten and seen again would count
    twice, which at that capacity means an extraordinary churn.
    """

    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[tuple[str, str, int], tuple[bool, bool]] = OrderedDict()
        self._lock = Lock()

    def observe(self, info: pb.JobInfo) -> None:
        if info.k8s_kind == "CronJob" or not info.job_type:
            return  # a schedule never runs itself; its runs are jobs of their own
        timings = job_timings(info)
        key = (info.namespace, info.job_id, info.create_time.seconds)
        with self._lock:
            started_seen, finished_seen = self._seen.pop(key, (False, False))
            if timings.schedule_to_start is not None and not started_seen:
                JOB_SCHEDULE_TO_START_SECONDS.labels(info.job_type).observe(
                    timings.schedule_to_start
                )
                started_seen = True
            if timings.run is not None and not finished_seen:
                JOB_RUN_SECONDS.labels(info.job_type, timings.final_state).observe(timings.run)
                finished_seen = True
            self._seen[key] = (started_seen, finished_seen)
            while len(self._seen) > self._capacity:
                self._seen.popitem(last=False)


JOB_TIMINGS = JobTimingsRecorder()
