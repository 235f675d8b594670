"""Benchmark of the service against the embedded cluster, in one run:

* ScheduleJob latency (p50/p99) and throughput through the gRPC server, against direct
  ``BatchV1Api.create_namespaced_job`` calls creating the same manifests;
* GetJobStatus and ListJobs latency through the gRPC server with 10,000 jobs stored.

    .venv/bin/python bench/service_bench.py [--creates 1000] [--jobs 10000] [--clients 4]

Three processes, so no two parties share an interpreter lock: the embedded cluster (controllers
off, schema validation sampled, as in bench/embedded_cluster.py), the gRPC server with the
service, and the clients.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.embedded_cluster import TOKEN_VARIABLE
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.jobtypes import BuildContext, build_registry
from jobscheduler.jobtypes.manifest import build_manifest
from jobscheduler.service.ids import JobIdGenerator
from kubesim.cluster import EmbeddedCluster


def timer_request() -> pb.ScheduleJobRequest:
    """The README's grpcurl example."""
    return pb.ScheduleJobRequest(
        name="my-timer",
        timer_job=pb.TimerJobConfig(
            duration_seconds=300,
            timer_name="build-timeout",
            control_plane_endpoint="http://control-plane:50053",
        ),
    )


def manifest_template() -> dict[str, Any]:
    """The Job the service builds for ``timer_request``; direct clients send copies of it."""
    handler = build_registry().by_name("timer")
    assert handler is not None
    ctx = BuildContext(job_id="template", namespace="default", settings=Settings(in_cluster=False))
    return build_manifest(timer_request(), handler, ctx, request_hash="bench")


def renamed(template: dict[str, Any], job_id: str) -> dict[str, Any]:
    metadata = {**template["metadata"], "name": job_id}
    metadata["labels"] = {**metadata["labels"], "jobscheduler.io/job-id": job_id}
    return {**template, "metadata": metadata}


# ---- the server process ----------------------------------------------------------------------


def serve(cluster_url: str, ready: Any, stop: Any, batch_concurrency: int | None = None) -> None:
    import kubernetes.client  # noqa: PLC0415 - each process builds its own client

    from jobscheduler.edge.server import Server  # noqa: PLC0415
    from jobscheduler.logs import configure_logging  # noqa: PLC0415
    from jobscheduler.service import build_service  # noqa: PLC0415

    configure_logging("warn")  # one log line per RPC would measure the terminal
    configuration = kubernetes.client.Configuration()
    configuration.host = cluster_url
    configuration.api_key = {"authorization": "Bearer " + os.environ[TOKEN_VARIABLE]}
    overrides: dict[str, Any] = {}
    if batch_concurrency is not None:
        overrides["schedule_jobs_concurrency"] = batch_concurrency
        # One connection per ScheduleJobs worker, so its creates do not queue for a socket.
        configuration.connection_pool_maxsize = max(batch_concurrency, 10)
    settings = Settings(in_cluster=False, metrics_port=0, **overrides)
    service = build_service(settings, api_client=kubernetes.client.ApiClient(configuration))
    server = Server(service, host="127.0.0.1", port=0, metrics_port=None)
    server.start()
    ready.put(server.port)
    stop.wait()
    server.stop()


# ---- the client process ----------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": statistics.median(samples) * 1000,
        "p99_ms": percentile(samples, 0.99) * 1000,
    }


def timed(call: Callable[[], Any], count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)
    return latencies


def throughput(make_call: Callable[[], Callable[[], Any]], count: int, clients: int) -> float:
    """Calls per second with ``clients`` concurrent callers sharing ``count`` calls."""
    per_client = count // clients
    calls = [make_call() for _ in range(clients)]
    threads = [threading.Thread(target=timed, args=(call, per_client)) for call in calls]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_client * clients / (time.perf_counter() - started)


def measure_creates(cluster_url: str, grpc_port: int, options: Any, out: Any) -> None:
    import grpc  # noqa: PLC0415
    import kubernetes.client  # noqa: PLC0415

    from jobscheduler.api import jobscheduler_pb2_grpc  # noqa: PLC0415

    configuration = kubernetes.client.Configuration()
    configuration.host = cluster_url
    configuration.api_key = {"authorization": "Bearer " + os.environ[TOKEN_VARIABLE]}
    ids = JobIdGenerator()
    template = manifest_template()
    results: dict[str, Any] = {}

    with kubernetes.client.ApiClient(configuration) as api_client:
        batch = kubernetes.client.BatchV1Api(api_client)

        def direct() -> Callable[[], Any]:
            return lambda: batch.create_namespaced_job("default", renamed(template, ids(_now())))

        def through_service() -> Callable[[], Any]:
            channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
            stub = jobscheduler_pb2_grpc.JobSchedulerStub(channel)
            request = timer_request()
            return lambda: stub.ScheduleJob(request, timeout=10)

        modes = {"direct": direct, "service": through_service}
        callers = {name: make_call() for name, make_call in modes.items()}
        for call in callers.values():
            timed(call, 50)  # warm-up: connections, imports, caches
        # Alternate the two paths in rounds, so load from elsewhere on the machine drifts
        # over both alike instead of favouring whichever ran at a quiet moment.
        latencies: dict[str, list[float]] = {name: [] for name in modes}
        rates: dict[str, list[float]] = {name: [] for name in modes}
        per_round = max(1, options.creates // options.rounds)
        for _ in range(options.rounds):
            for name, make_call in modes.items():
                latencies[name] += timed(callers[name], per_round)
                rates[name].append(throughput(make_call, per_round, options.clients))
        for name in modes:
            results[name] = summary(latencies[name]) | {
                "sequential_per_s": len(latencies[name]) / sum(latencies[name]),
                "concurrent_per_s": statistics.median(rates[name]),
            }
    out.put(results)


def measure_reads(grpc_port: int, ids: list[str], options: Any, out: Any) -> None:
    import grpc  # noqa: PLC0415

    from jobscheduler.api import jobscheduler_pb2_grpc  # noqa: PLC0415

    stub = jobscheduler_pb2_grpc.JobSchedulerStub(grpc.insecure_channel(f"127.0.0.1:{grpc_port}"))
    picks = random.Random(1)
    results: dict[str, Any] = {}
    results["GetJobStatus"] = summary(
        timed(
            lambda: stub.GetJobStatus(pb.GetJobStatusRequest(job_id=picks.choice(ids)), timeout=10),
            options.reads,
        )
    )
    results["ListJobs first page (50)"] = summary(
        timed(lambda: stub.ListJobs(pb.ListJobsRequest(page_size=50), timeout=30), options.reads)
    )
    page_latencies = []
    token = ""
    pages = 0
    while True:
        started = time.perf_counter()
        page = stub.ListJobs(pb.ListJobsRequest(page_size=500, page_token=token), timeout=30)
        page_latencies.append(time.perf_counter() - started)
        pages += 1
        token = page.next_page_token
        if not token:
            break
    results[f"ListJobs all pages of 500 ({pages} pages)"] = summary(page_latencies)
    # Nothing matches: each call scans its maximum of Kubernetes pages (the worst case).
    no_match = pb.ListJobsRequest(page_size=50, status_filter=[pb.JOB_STATUS_FAILED])
    results["ListJobs status filter, no match"] = summary(
        timed(lambda: stub.ListJobs(no_match, timeout=30), max(10, options.reads // 20))
    )
    out.put(results)


def _now() -> Any:
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime.now(UTC)


def in_child(target: Any, *args: Any) -> Any:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get(timeout=1800)
    process.join(timeout=60)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=1000, help="ScheduleJob calls per mode")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (throughput)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per path")
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs stored for the reads")
    parser.add_argument("--reads", type=int, default=500, help="calls per read measurement")
    options = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    with EmbeddedCluster(controllers=False, schema_validation="sample") as cluster:
        os.environ[TOKEN_VARIABLE] = cluster.admin_token  # inherited by the child processes
        ready, stop = context.Queue(), context.Event()
        server = context.Process(target=serve, args=(cluster.url, ready, stop))
        server.start()
        try:
            port = ready.get(timeout=120)
            creates = in_child(measure_creates, cluster.url, port, options)

            ids = JobIdGenerator()
            template = manifest_template()
            while cluster.store.count("jobs") < options.jobs:
                cluster.server.create("jobs", "default", renamed(template, ids(_now())))
            stored = cluster.store.count("jobs")
            names = [obj["metadata"]["name"] for obj in cluster.store.all_objects("jobs")]
            sample = random.Random(2).sample(names, min(1000, len(names)))
            reads = in_child(measure_reads, port, sample, options)
        finally:
            stop.set()
            server.join(timeout=60)

    print(
        f"ScheduleJob vs direct create ({options.creates} sequential calls and "
        f"{options.creates} by {options.clients} concurrent clients per path, "
        f"alternating in {options.rounds} rounds):"
    )
    print("| path | p50 ms | p99 ms | sequential/s | concurrent/s |")
    print("|---|---|---|---|---|")
    for name, row in creates.items():
        label = "ScheduleJob via gRPC" if name == "service" else "BatchV1Api.create_namespaced_job"
        print(
            f"| {label} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{row['sequential_per_s']:.0f} | {row['concurrent_per_s']:.0f} |"
        )
    ratio = creates["service"]["concurrent_per_s"] / creates["direct"]["concurrent_per_s"]
    sequential_ratio = (
        creates["service"]["sequential_per_s"] / creates["direct"]["sequential_per_s"]
    )
    print(f"service/direct throughput: {sequential_ratio:.2f}x sequential, {ratio:.2f}x concurrent")
    print()
    print(f"Reads through gRPC with {stored:,} jobs stored:")
    print("| call | p50 ms | p99 ms |")
    print("|---|---|---|")
    for name, row in reads.items():
        print(f"| {name} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} |")


if __name__ == "__main__":
    main()
