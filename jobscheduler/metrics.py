"""Prometheus metrics. Label values are always bounded sets (never job names or ids).

RPC metrics follow go-grpc-prometheus naming, which is what existing dashboards expect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

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
