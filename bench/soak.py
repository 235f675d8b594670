"""Soak benchmark: mixed RPCs and watch streams for a long time, reporting per minute the
server's RSS, threads and open file descriptors, and the p99 latency of its unary calls.

    .venv/bin/python bench/soak.py [--minutes 30] [--workers 3] [--pace 0.5]

Three processes, started through the CLI as a deployment would run them: the embedded cluster
(``jobscheduler cluster``, simulated clock x20 so jobs finish quickly), the server
(``jobscheduler serve``) and this client. Everything listens on loopback. Each worker runs a
bounded cycle — ScheduleJob, GetJobStatus, WatchJob until the job ends (or CancelJob for every
fourth job), GetJobLogs, ListJobs, DeleteJob — then sleeps ``--pace`` seconds; one more thread
keeps a WatchJobs stream open and reopens it every minute. The run stops by itself after
``--minutes`` and stops both child processes.

A flat service shows RSS, threads and fds within noise from minute 2 on (minute 1 includes
imports, connection pools and caches warming up). The errors column counts calls that did not
end OK, by code; a few FAILED_PRECONDITION are expected: a CancelJob that lost the race with its
job finishing (jobs here take a fraction of a second).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc

STARTUP_TIMEOUT_SECONDS = 120
CALL_TIMEOUT_SECONDS = 30
WATCH_TIMEOUT_SECONDS = 60
TERMINAL = {pb.JOB_STATUS_SUCCEEDED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED}


@dataclass
class Minute:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    cycles: int = 0


class Recorder:
    """Latencies and error codes, bucketed by the minute of the run they happened in."""

    def __init__(self, started: float) -> None:
        self._started = started
        self._lock = threading.Lock()
        self.minutes: dict[int, Minute] = {}

    def _bucket(self) -> Minute:
        index = int((time.monotonic() - self._started) // 60)
        return self.minutes.setdefault(index, Minute())

    def call(self, method: Callable[..., Any], request: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(request, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            self.error(error)
            return None
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self._bucket().latencies.append(elapsed)

    def error(self, error: grpc.RpcError) -> None:
        code = error.code().name if isinstance(error, grpc.Call) else "UNKNOWN"
        with self._lock:
            bucket = self._bucket()
            bucket.errors[code] = bucket.errors.get(code, 0) + 1

    def cycle_done(self) -> None:
        with self._lock:
            self._bucket().cycles += 1


def _start(
    command: list[str], pattern: str, env: dict[str, str]
) -> tuple[subprocess.Popen[str], str]:
    """Start a CLI process and wait for the line announcing where it listens."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(pattern, line)
        if match:
            # Keep draining its output so the child never blocks on a full pipe.
            threading.Thread(target=_drain, args=(process,), daemon=True).start()
            return process, match.group(1)
        if time.monotonic() > deadline:
            break
    process.kill()
    raise RuntimeError(f"{command[3]} did not start: exit {process.wait()}")


def free_port() -> int:
    """A loopback port free right now (GRPC_PORT must be a real port, not 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for _ in process.stdout:
        pass


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def process_stats(pid: int) -> dict[str, float]:
    """RSS (MiB), thread count and open fds of a running process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kib = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return {
        "rss_mib": rss_kib / 1024,
        "threads": threads,
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def container_request(index: int) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        name=f"soak-{index % 100}",
        labels={"soak": "yes"},
        container_job=pb.ContainerJobConfig(
            image="busybox:1.36", command=["sh", "-c", "echo soak working done"]
        ),
        execution=pb.ExecutionOptions(ttl_seconds_after_finished=600),
    )


def worker(stub: Any, recorder: Recorder, until: float, pace: float, first: int) -> None:
    index = first
    while time.monotonic() < until:
        index += 1
        created = recorder.call(stub.ScheduleJob, container_request(index))
        if created is not None:
            job = created.job_id
            recorder.call(stub.GetJobStatus, pb.GetJobStatusRequest(job_id=job))
            if index % 4 == 0:
                recorder.call(stub.CancelJob, pb.CancelJobRequest(job_id=job))
            else:
                _watch_until_done(stub, recorder, job)
                _read_logs(stub, recorder, job)
            recorder.call(
                stub.ListJobs, pb.ListJobsRequest(page_size=20, label_selector={"soak": "yes"})
            )
            recorder.call(stub.DeleteJob, pb.DeleteJobRequest(job_id=job))
        recorder.cycle_done()
        time.sleep(pace)


def _watch_until_done(stub: Any, recorder: Recorder, job: str) -> None:
    stream = stub.WatchJob(pb.WatchJobRequest(job_id=job), timeout=WATCH_TIMEOUT_SECONDS)
    try:
        for event in stream:
            if event.job.status in TERMINAL:
                break
    except grpc.RpcError as error:
        recorder.error(error)
    finally:
        stream.cancel()


def _read_logs(stub: Any, recorder: Recorder, job: str) -> None:
    try:
        for _ in stub.GetJobLogs(pb.GetJobLogsRequest(job_id=job), timeout=CALL_TIMEOUT_SECONDS):
            pass
    except grpc.RpcError as error:
        recorder.error(error)


def watcher(stub: Any, recorder: Recorder, until: float) -> None:
    """A WatchJobs stream over all soak jobs, reopened every minute until the end."""
    while time.monotonic() < until:
        stream = stub.WatchJobs(pb.WatchJobsRequest(label_selector={"soak": "yes"}))
        closer = threading.Timer(min(60.0, max(0.0, until - time.monotonic())), stream.cancel)
        closer.start()
        try:
            for _ in stream:
                pass
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:  # our own cancel
                recorder.error(error)
        finally:
            closer.cancel()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def sampler(pid: int, until: float, started: float, out: list[dict[str, float]]) -> None:
    """Once a minute, at the minute's end, the server process's figures."""
    minute = 1
    while True:
        wake = started + 60 * minute
        if wake > until + 1:
            return
        time.sleep(max(0.0, wake - time.monotonic()))
        out.append({"minute": minute} | process_stats(pid))
        minute += 1


def run(minutes: float, workers: int, pace: float) -> Iterator[str]:
    env = dict(os.environ)
    python = sys.executable
    with tempfile.TemporaryDirectory() as scratch:
        kubeconfig = Path(scratch) / "kubeconfig"
        cluster, _ = _start(
            [
                python,
                "-m",
                "jobscheduler",
                "cluster",
                "--kubeconfig",
                str(kubeconfig),
                "--clock-speed",
                "20",
            ],
            r"Embedded Kubernetes API at (\S+)",
            env,
        )
        try:
            server, port = _start(
                [
                    python,
                    "-m",
                    "jobscheduler",
                    "serve",
                    "--kubeconfig",
                    str(kubeconfig),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(free_port()),
                    "--metrics-port",
                    "0",
                    "--log-level",
                    "warn",
                    # Loopback only: the soak measures the server, not TokenReviews.
                    "--auth-mode",
                    "none",
                ],
                r"serving gRPC on \S+:(\d+)",
                env,
            )
            try:
                yield from _drive(int(port), server.pid, minutes, workers, pace)
            finally:
                _stop(server)
                yield f"server exit code: {server.returncode}"
        finally:
            _stop(cluster)


def _drive(port: int, pid: int, minutes: float, workers: int, pace: float) -> Iterator[str]:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=STARTUP_TIMEOUT_SECONDS)
    stub = jobscheduler_pb2_grpc.JobSchedulerStub(channel)
    started = time.monotonic()
    until = started + minutes * 60
    recorder = Recorder(started)
    samples: list[dict[str, float]] = [{"minute": 0} | process_stats(pid)]
    threads = [
        threading.Thread(target=worker, args=(stub, recorder, until, pace, n * 1_000_000))
        for n in range(workers)
    ]
    threads.append(threading.Thread(target=watcher, args=(stub, recorder, until)))
    threads.append(threading.Thread(target=sampler, args=(pid, until, started, samples)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    channel.close()
    yield (
        f"soak: {minutes:g} min, {workers} workers pacing {pace:g} s, "
        f"load average at the end {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    yield (
        "| minute | server RSS MiB | threads | open fds | unary calls | p50 ms | p99 ms "
        "| cycles | errors |"
    )
    yield "|---|---|---|---|---|---|---|---|---|"
    for sample in samples:
        minute = int(sample["minute"])
        bucket = recorder.minutes.get(minute - 1, Minute()) if minute else Minute()
        errors = ", ".join(f"{code} {count}" for code, count in sorted(bucket.errors.items()))
        yield (
            f"| {minute} | {sample['rss_mib']:.1f} | {sample['threads']:.0f} | {sample['fds']:.0f} "
            f"| {len(bucket.latencies)} | {percentile(bucket.latencies, 0.5) * 1000:.1f} "
            f"| {percentile(bucket.latencies, 0.99) * 1000:.1f} | {bucket.cycles} "
            f"| {errors or '-'} |"
        )
    calls = sum(len(bucket.latencies) for bucket in recorder.minutes.values())
    refused_by_code: dict[str, int] = {}
    for bucket in recorder.minutes.values():
        for code, count in bucket.errors.items():
            if code != "FAILED_PRECONDITION":  # a CancelJob that lost the race with its job ending
                refused_by_code[code] = refused_by_code.get(code, 0) + count
    refused = sum(refused_by_code.values())
    if refused > calls / 100:
        # A soak whose calls mostly fail measures the error path, not the server.
        codes = ", ".join(f"{code} {count}" for code, count in sorted(refused_by_code.items()))
        raise SystemExit(f"soak invalid: {refused} failed calls ({codes}) beside {calls} answered")
    later = [s for s in samples if s["minute"] >= 2]
    if later:
        for key in ("rss_mib", "threads", "fds"):
            values = [s[key] for s in later]
            yield f"{key} from minute 2: {min(values):.1f} to {max(values):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30, help="how long to run (default 30)")
    parser.add_argument("--workers", type=int, default=3, help="client threads running cycles")
    parser.add_argument("--pace", type=float, default=0.5, help="seconds between a worker's cycles")
    options = parser.parse_args()
    for line in run(options.minutes, options.workers, options.pace):
        print(line, flush=True)


if __name__ == "__main__":
    main()
