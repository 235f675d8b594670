"""Prometheus metrics. Label values are always bounded sets (never job names or ids).

RPC metrics follow go-grpc-prometheus naming, which is what existing dashboards expect.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
BATCH_ITEMS_HANDLED = Counter(
    "jobscheduler_batch_items_handled_total",
    "Items of batch RPCs (ScheduleJobs) answered, by the status code of each item.",
    ["grpc_method", "grpc_code"],
)
