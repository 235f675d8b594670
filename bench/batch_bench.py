"""Benchmark of ScheduleJobs: one batch of N requests against N sequential ScheduleJob calls.

    .venv/bin/python -m bench.batch_bench [--items 1000] [--rounds 5] [--concurrency 8]

Three processes, as in bench/service_bench.py: the embedded cluster (controllers off, schema
validation sampled), the gRPC server with the service, and the client. The two paths alternate
in rounds so load from elsewhere on the machine drifts over both alike; each round's ratio is
reported, with the median and range over the rounds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from typing import Any

from bench.embedded_cluster import TOKEN_VARIABLE
from bench.service_bench import in_child, serve, timer_request
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from kubesim.cluster import EmbeddedCluster


def measure(grpc_port: int, options: Any, out: Any) -> None:
    import grpc  # noqa: PLC0415

    from jobscheduler.api import jobscheduler_pb2_grpc  # noqa: PLC0415

    channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
    stub = jobscheduler_pb2_grpc.JobSchedulerStub(channel)
    request = timer_request()
    batch = pb.ScheduleJobsRequest(requests=[request] * options.items)

    def sequential() -> None:
        for _ in range(options.items):
            stub.ScheduleJob(request, timeout=10)

    def batched() -> None:
        reply = stub.ScheduleJobs(batch, timeout=120)
        failed = [r for r in reply.results if r.HasField("error")]
        assert not failed, failed[0].error

    for _ in range(50):  # warm-up: connections, imports, caches
        stub.ScheduleJob(request, timeout=10)
    stub.ScheduleJobs(pb.ScheduleJobsRequest(requests=[request] * 50), timeout=60)
    rates: dict[str, list[float]] = {"sequential": [], "batch": []}
    for _ in range(options.rounds):
        for name, run in (("sequential", sequential), ("batch", batched)):
            started = time.perf_counter()
            run()
            rates[name].append(options.items / (time.perf_counter() - started))
    out.put(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000, help="jobs per path per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--concurrency", type=int, default=Settings().schedule_jobs_concurrency)
    options = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    with EmbeddedCluster(controllers=False, schema_validation="sample") as cluster:
        os.environ[TOKEN_VARIABLE] = cluster.admin_token  # inherited by the server process
        ready, stop = context.Queue(), context.Event()
        server = context.Process(
            target=serve,
            args=(cluster.url, ready, stop),
            kwargs={"batch_concurrency": options.concurrency},
        )
        server.start()
        try:
            rates = in_child(measure, ready.get(timeout=120), options)
        finally:
            stop.set()
            server.join(timeout=60)

    ratios = [b / s for b, s in zip(rates["batch"], rates["sequential"], strict=True)]
    print(
        f"ScheduleJobs of {options.items} vs {options.items} sequential ScheduleJob "
        f"({options.rounds} alternating rounds, SCHEDULE_JOBS_CONCURRENCY={options.concurrency}):"
    )
    print("| path | jobs/s median | range |")
    print("|---|---|---|")
    for name, label in (
        ("sequential", "ScheduleJob, one after another"),
        ("batch", "ScheduleJobs"),
    ):
        values = rates[name]
        print(
            f"| {label} | {statistics.median(values):.0f} | {min(values):.0f}-{max(values):.0f} |"
        )
    print(
        f"batch/sequential: {statistics.median(ratios):.2f}x median "
        f"({min(ratios):.2f}-{max(ratios):.2f}x over the rounds)"
    )


if __name__ == "__main__":
    main()
