"""Benchmark of reads from the watch cache against the embedded cluster, in one run:

* Kubernetes API calls per 1,000 GetJobStatus and per 1,000 ListJobs (the service's metrics);
* GetJobStatus p50/p99 over gRPC with 10k and with 100k jobs stored;
* a ListJobs page of 100 with a state filter out of 100k jobs;
* 1,000 concurrent WatchJobs streams: Kubernetes watches opened, and the delay from a status
  change in the API server to every stream;
* service RSS with the jobs cached, and start to SERVING;
* ScheduleJob against direct ``create_namespaced_job`` (``bench/service_bench.py``'s rounds)
  and the API calls per ScheduleJob.

    .venv/bin/python bench/cache_bench.py [--jobs 100000] [--streams 1000] [--creates 400]

Three processes: the embedded cluster (this one; controllers off), the gRPC server with the
service, and the clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import time
import urllib.request
from typing import Any

from bench.embedded_cluster import TOKEN_VARIABLE
from bench.service_bench import (
    _now,
    in_child,
    manifest_template,
    measure_creates,
    renamed,
    summary,
    timed,
)
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.service.ids import JobIdGenerator
from kubesim.cluster import EmbeddedCluster


def serve(cluster_url: str, streams: int, ready: Any, stop: Any) -> None:
    import kubernetes.client  # noqa: PLC0415 - each process builds its own client

    from jobscheduler.edge.server import Server  # noqa: PLC0415
    from jobscheduler.logs import configure_logging  # noqa: PLC0415
    from jobscheduler.service import build_service  # noqa: PLC0415

    configure_logging("warn")
    started = time.perf_counter()
    configuration = kubernetes.client.Configuration()
    configuration.host = cluster_url
    configuration.api_key = {"authorization": "Bearer " + os.environ[TOKEN_VARIABLE]}
    settings = Settings(in_cluster=False, metrics_port=0)
    service = build_service(settings, api_client=kubernetes.client.ApiClient(configuration))
    # Every open stream holds a worker thread: room for the streams and the unary calls.
    server = Server(
        service,
        host="127.0.0.1",
        port=0,
        metrics_host="127.0.0.1",
        metrics_port=0,
        health_poll_seconds=0.1,
        max_workers=streams + 64,
    )
    server.start()
    while not server.ready:
        time.sleep(0.01)
    ready.put((server.port, server.metrics_port, time.perf_counter() - started))
    stop.wait()
    server.stop(grace=1)


def api_calls(metrics_port: int) -> dict[tuple[str, str], float]:
    """jobscheduler_kubernetes_api_calls_total of the server, by (verb, resource)."""
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    counts: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        if not line.startswith("jobscheduler_kubernetes_api_calls_total{"):
            continue
        labels, value = line.rsplit(" ", 1)
        fields = dict(part.split("=", 1) for part in labels[labels.index("{") + 1 : -1].split(","))
        key = (fields["verb"].strip('"'), fields["resource"].strip('"'))
        counts[key] = counts.get(key, 0.0) + float(value)
    return counts


def _delta(before: dict[Any, float], after: dict[Any, float], skip_watch: bool = True) -> float:
    return sum(
        v - before.get(k, 0.0) for k, v in after.items() if not (skip_watch and k[0] == "watch")
    )


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure_reads(port: int, metrics_port: int, ids: list[str], reads: int, out: Any) -> None:
    import grpc  # noqa: PLC0415

    from jobscheduler.api import jobscheduler_pb2_grpc  # noqa: PLC0415

    stub = jobscheduler_pb2_grpc.JobSchedulerStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    picks = random.Random(1)
    results: dict[str, Any] = {}
    before = api_calls(metrics_port)
    status = timed(
        lambda: stub.GetJobStatus(pb.GetJobStatusRequest(job_id=picks.choice(ids)), timeout=10),
        reads,
    )
    middle = api_calls(metrics_port)
    results["GetJobStatus"] = summary(status)
    results["calls per 1000 GetJobStatus"] = _delta(before, middle) * 1000 / reads
    filtered = pb.ListJobsRequest(page_size=100, status_filter=[pb.JOB_STATUS_SUSPENDED])
    listing = timed(lambda: stub.ListJobs(filtered, timeout=30), reads)
    results["ListJobs page of 100, state filter"] = summary(listing)
    results["calls per 1000 ListJobs"] = _delta(middle, api_calls(metrics_port)) * 1000 / reads
    page = stub.ListJobs(filtered, timeout=30)
    results["total_size"] = page.total_size
    out.put(results)


def measure_streams(port: int, metrics_port: int, plan: dict[str, Any], out: Any) -> None:
    """Open ``plan["streams"]`` WatchJobs streams, change ``plan["ids"]`` in the API server,
    and time each change to its arrival on every stream. The streams are read in one asyncio
    loop: a thread per stream made the client, on the same 2 cores, the slowest part."""
    out.put(asyncio.run(_streams(port, metrics_port, plan)))


async def _streams(port: int, metrics_port: int, plan: dict[str, Any]) -> dict[str, Any]:
    ids, streams, cluster_url = plan["ids"], plan["streams"], plan["cluster_url"]
    import grpc  # noqa: PLC0415
    import kubernetes.client  # noqa: PLC0415

    from jobscheduler.api import jobscheduler_pb2_grpc  # noqa: PLC0415

    watches_before = {k: v for k, v in api_calls(metrics_port).items() if k[0] == "watch"}
    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for _ in range(8)]
    changed_at: dict[str, float] = {}
    delays: list[float] = []
    targets = set(ids)
    calls: list[Any] = []
    subscribed = [0]
    all_subscribed = asyncio.Event()

    async def read(index: int) -> None:
        stub = jobscheduler_pb2_grpc.JobSchedulerStub(channels[index % len(channels)])
        # Only the changed jobs' type: INITIAL events of 100k jobs per stream would measure
        # the snapshot, not the fan-out.
        request = pb.WatchJobsRequest(label_selector={"bench-target": "yes"})
        call = stub.WatchJobs(request)
        calls.append(call)
        initial = 0
        try:
            async for event in call:
                job_id = event.job.job_id
                if event.type == pb.JobEvent.TYPE_INITIAL:
                    initial += 1
                    if initial == len(targets):  # subscribed: its snapshot has come
                        subscribed[0] += 1
                        if subscribed[0] == streams:
                            all_subscribed.set()
                elif event.type == pb.JobEvent.TYPE_CHANGED and job_id in changed_at:
                    delays.append(time.perf_counter() - changed_at[job_id])
        except (grpc.RpcError, asyncio.CancelledError):
            return

    opening = time.perf_counter()
    readers = [asyncio.create_task(read(i)) for i in range(streams)]
    # Changes start once every stream has had its INITIAL events, so it is subscribed: a
    # stream still opening would get a change as its INITIAL state and count it as lost.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_subscribed.wait(), 120)
    opened_seconds = time.perf_counter() - opening

    def change_jobs() -> None:
        configuration = kubernetes.client.Configuration()
        configuration.host = cluster_url
        configuration.api_key = {"authorization": "Bearer " + os.environ[TOKEN_VARIABLE]}
        with kubernetes.client.ApiClient(configuration) as client:
            batch = kubernetes.client.BatchV1Api(client)
            for job_id in targets:
                changed_at[job_id] = time.perf_counter()
                batch.patch_namespaced_job(job_id, "default", {"spec": {"suspend": False}})
                time.sleep(0.2)

    await asyncio.to_thread(change_jobs)  # the loop goes on reading meanwhile
    deadline = time.monotonic() + 30
    while len(delays) < streams * len(targets) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    watches = {
        k: v - watches_before.get(k, 0.0)
        for k, v in api_calls(metrics_port).items()
        if k[0] == "watch"
    }
    for call in calls:
        call.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    for channel in channels:
        await channel.close()
    ordered = sorted(delays)
    return {
        "delivered": len(delays),
        "expected": streams * len(targets),
        "p50_ms": ordered[len(ordered) // 2] * 1000 if ordered else float("nan"),
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else float("nan"),
        "watches_opened_meanwhile": watches,
        "opened": subscribed[0],
        "opened_seconds": opened_seconds,
    }


def seed(
    cluster: EmbeddedCluster, count: int, ids: JobIdGenerator, template: dict[str, Any]
) -> None:
    # Suspended, as delayed jobs wait: the state filter then matches every one of them.
    suspended = {**template, "spec": {**template["spec"], "suspend": True}}
    while cluster.store.count("jobs") < count:
        cluster.server.create("jobs", "default", renamed(suspended, ids(_now())))


def start_server(cluster_url: str, streams: int) -> tuple[Any, Any, int, int, float]:
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    process = context.Process(target=serve, args=(cluster_url, streams, ready, stop))
    process.start()
    port, metrics_port, to_serving = ready.get(timeout=600)
    return process, stop, port, metrics_port, to_serving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000, help="jobs stored at the end")
    parser.add_argument("--small", type=int, default=10_000, help="jobs stored first")
    parser.add_argument("--reads", type=int, default=1000, help="calls per read measurement")
    parser.add_argument("--streams", type=int, default=1000, help="concurrent WatchJobs")
    parser.add_argument("--changes", type=int, default=5, help="jobs changed under the streams")
    parser.add_argument("--creates", type=int, default=400, help="ScheduleJob calls per mode")
    parser.add_argument("--clients", type=int, default=8, help="concurrent ScheduleJob clients")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per path")
    options = parser.parse_args()

    ids = JobIdGenerator()
    template = manifest_template()
    rows: list[tuple[str, str]] = []
    rss_at: dict[int, float] = {}
    with EmbeddedCluster(controllers=False, schema_validation="sample") as cluster:
        os.environ[TOKEN_VARIABLE] = cluster.admin_token  # inherited by the child processes
        for stored in (options.small, options.jobs):
            seed(cluster, stored, ids, template)
            names = [obj["metadata"]["name"] for obj in cluster.store.all_objects("jobs")]
            sample = random.Random(2).sample(names, min(1000, len(names)))
            server = start_server(cluster.url, options.streams)
            process, stop, port, metrics_port, to_serving = server
            try:
                time.sleep(1.0)
                rss = rss_mb(process.pid or 0)
                rows.append((f"start to SERVING, {stored:,} jobs", f"{to_serving:.2f} s"))
                rows.append((f"service RSS, {stored:,} jobs cached", f"{rss:.0f} MB"))
                rss_at[stored] = rss
                if len(rss_at) == 2:
                    grown = (rss - rss_at[options.small]) / (stored - options.small) * 10_000
                    rows.append(("RSS growth per 10k jobs cached", f"{grown:.1f} MB"))
                reads = in_child(measure_reads, port, metrics_port, sample, options.reads)
                rows += read_rows(reads, f"{stored:,} jobs")
                if stored == options.jobs:
                    rows += stream_rows(cluster, port, metrics_port, names, options)
                    rows += create_rows(cluster.url, port, metrics_port, options)
            finally:
                stop.set()
                process.join(timeout=60)
    print("| measurement | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def read_rows(reads: dict[str, Any], label: str) -> list[tuple[str, str]]:
    status = reads["GetJobStatus"]
    listing = reads["ListJobs page of 100, state filter"]
    return [
        (f"GetJobStatus p50/p99, {label}", f"{status['p50_ms']:.2f} / {status['p99_ms']:.2f} ms"),
        (
            f"ListJobs 100 with a state filter p50/p99, {label} "
            f"(total_size {reads['total_size']:,})",
            f"{listing['p50_ms']:.2f} / {listing['p99_ms']:.2f} ms",
        ),
        (
            f"API calls per 1,000 GetJobStatus, {label}",
            f"{reads['calls per 1000 GetJobStatus']:.1f}",
        ),
        (f"API calls per 1,000 ListJobs, {label}", f"{reads['calls per 1000 ListJobs']:.1f}"),
    ]


def stream_rows(
    cluster: EmbeddedCluster, port: int, metrics_port: int, names: list[str], options: Any
) -> list[tuple[str, str]]:
    targets = random.Random(3).sample(names, options.changes)
    label = {"metadata": {"labels": {"bench-target": "yes"}}}
    for name in targets:
        cluster.server.patch("jobs", "default", name, label, "application/merge-patch+json")
    time.sleep(1.0)
    plan = {"ids": targets, "streams": options.streams, "cluster_url": cluster.url}
    streams = in_child(measure_streams, port, metrics_port, plan)
    return [
        (
            f"WatchJobs: {options.streams} streams subscribed (INITIAL events received)",
            f"{streams['opened']} in {streams['opened_seconds']:.1f} s",
        ),
        (
            f"WatchJobs: {options.streams} streams, events delivered",
            f"{streams['delivered']}/{streams['expected']}",
        ),
        (
            "WatchJobs: change in the API server to every stream p50/p99",
            f"{streams['p50_ms']:.0f} / {streams['p99_ms']:.0f} ms",
        ),
        (
            "WatchJobs: Kubernetes watches opened while the streams ran",
            str(streams["watches_opened_meanwhile"] or "none"),
        ),
    ]


def create_rows(
    cluster_url: str, port: int, metrics_port: int, options: Any
) -> list[tuple[str, str]]:
    before = api_calls(metrics_port)
    creates = in_child(measure_creates, cluster_url, port, options)
    made = _delta(before, api_calls(metrics_port))
    rows = [("API calls per ScheduleJob", f"{made / _schedule_calls(options):.2f}")]
    for name, row in creates.items():
        label = "ScheduleJob via gRPC" if name == "service" else "create_namespaced_job"
        rows.append(
            (
                f"{label}: p50/p99, sequential/s, {options.clients} clients/s",
                f"{row['p50_ms']:.2f} / {row['p99_ms']:.2f} ms, "
                f"{row['sequential_per_s']:.0f}, {row['concurrent_per_s']:.0f}",
            )
        )
    service, direct = creates["service"], creates["direct"]
    sequential = service["sequential_per_s"] / direct["sequential_per_s"]
    concurrent = service["concurrent_per_s"] / direct["concurrent_per_s"]
    rows.append(
        (
            "ScheduleJob/direct throughput",
            f"{sequential:.2f}x sequential, {concurrent:.2f}x with {options.clients} clients",
        )
    )
    return rows


def _schedule_calls(options: Any) -> int:
    """ScheduleJob calls ``measure_creates`` makes: 50 warm-up, then per round a sequential
    and a concurrent batch."""
    per_round = max(1, options.creates // options.rounds)
    concurrent = per_round // options.clients * options.clients
    return 50 + options.rounds * (per_round + concurrent)


if __name__ == "__main__":
    main()
