"""SIGTERM in the middle of load on a real server process: every call ends OK or UNAVAILABLE.

UNAVAILABLE is what clients, their retry policies and Envoy retry on another replica; CANCELLED
(what gRPC's own shutdown gives calls it had queued) is retried by none of them. The server is
``jobscheduler serve --embedded-cluster`` in a subprocess, as a pod runs it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc

UNARY_CLIENTS = 32
WATCHERS = 4
GRACE_SECONDS = 10
READY_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobscheduler",
            "serve",
            "--embedded-cluster",
            "--embedded-kubeconfig",
            str(tmp_path / "kubeconfig"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--metrics-port",
            "0",
            "--log-level",
            "warn",
            "--shutdown-grace",
            str(GRACE_SECONDS),
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "server.log", "wb"),  # noqa: SIM115 - closed with the process
        # Every client here shares one peer address (loopback), which the per-caller rate limit
        # keys on without authentication: lift it, or a slow machine's drain sees the limiter's
        # RESOURCE_EXHAUSTED instead of what the drain itself answers.
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "RATE_LIMIT_PER_SECOND": "100000",
            "RATE_LIMIT_BURST": "100000",
        },
    )
    target = f"127.0.0.1:{port}"
    try:
        with grpc.insecure_channel(target) as channel:
            grpc.channel_ready_future(channel).result(timeout=READY_TIMEOUT)
        yield process, target
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)


class Outcomes:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: Counter[str] = Counter()
        self.last_ok = 0.0
        self.last_answer = 0.0

    def record(self, code: grpc.StatusCode) -> None:
        with self.lock:
            self.codes[code.name] += 1
            self.last_answer = max(self.last_answer, time.monotonic())
            if code is grpc.StatusCode.OK:
                self.last_ok = max(self.last_ok, time.monotonic())


_CODES_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def _ok(_: object) -> list[grpc.StatusCode]:
    return [grpc.StatusCode.OK]


def _batch_item_codes(response: pb.ScheduleJobsResponse) -> list[grpc.StatusCode]:
    """A ScheduleJobs call the drain admitted ends every item, not only the call, OK."""
    return [
        _CODES_BY_NUMBER[result.error.code] if result.HasField("error") else grpc.StatusCode.OK
        for result in response.results
    ]


def _unary_client(target: str, index: int, outcomes: Outcomes, exited: threading.Event) -> None:
    """Calls back to back until told UNAVAILABLE, then goes elsewhere (stops), as a retrying
    client behind a load balancer does; stops anyway once the server process has gone."""
    with grpc.insecure_channel(target) as channel:
        stub = jobscheduler_pb2_grpc.JobSchedulerStub(channel)

        def container(name: str) -> pb.ScheduleJobRequest:
            return pb.ScheduleJobRequest(
                name=name,
                container_job=pb.ContainerJobConfig(image="busybox:1.36", command=["true"]),
            )

        batch = pb.ScheduleJobsRequest(requests=[container(f"batch-{index}-{n}") for n in range(3)])
        # Each call answers the codes it ended with: one per call, one per item of a batch.
        calls: list[Callable[[], list[grpc.StatusCode]]] = [
            lambda: _ok(stub.ListJobs(pb.ListJobsRequest(page_size=5), timeout=30)),
            lambda: _ok(stub.ListJobTypes(pb.ListJobTypesRequest(), timeout=30)),
            lambda: _ok(stub.ScheduleJob(container(f"load-{index}"), timeout=30)),
            lambda: _batch_item_codes(stub.ScheduleJobs(batch, timeout=30)),
        ]
        turn = 0
        while True:
            done = exited.is_set()
            try:
                for code in calls[turn % len(calls)]():
                    outcomes.record(code)
            except grpc.RpcError as error:
                outcomes.record(error.code())
                if error.code() is grpc.StatusCode.UNAVAILABLE:
                    return
            turn += 1
            if done:
                return


def _watcher(target: str, outcomes: Outcomes) -> None:
    with grpc.insecure_channel(target) as channel:
        stub = jobscheduler_pb2_grpc.JobSchedulerStub(channel)
        try:
            for _ in stub.WatchJobs(pb.WatchJobsRequest(), timeout=120):
                pass
            outcomes.record(grpc.StatusCode.OK)
        except grpc.RpcError as error:
            outcomes.record(error.code())


def test_sigterm_under_load_ends_every_call_ok_or_unavailable_and_exits_0(
    serving: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, target = serving
    outcomes = Outcomes()
    exited = threading.Event()
    threads = [
        threading.Thread(target=_unary_client, args=(target, n, outcomes, exited))
        for n in range(UNARY_CLIENTS)
    ] + [threading.Thread(target=_watcher, args=(target, outcomes)) for _ in range(WATCHERS)]
    for thread in threads:
        thread.start()
    # Under way: calls have been answered before the signal.
    deadline = time.monotonic() + 60
    while sum(outcomes.codes.values()) < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    answered_before = outcomes.codes["OK"]
    signalled_at = time.monotonic()
    process.send_signal(signal.SIGTERM)
    exit_code = process.wait(GRACE_SECONDS + 30)
    exited_at = time.monotonic()
    exited.set()
    for thread in threads:
        thread.join(60)

    print(
        f"\noutcomes {dict(outcomes.codes)}; OK before SIGTERM {answered_before}; "
        f"last OK call to exit {exited_at - outcomes.last_ok:.2f} s, "
        f"last answer to exit {exited_at - outcomes.last_answer:.2f} s, "
        f"SIGTERM to exit {exited_at - signalled_at:.2f} s"
    )
    assert answered_before > 0
    assert exit_code == 0
    assert set(outcomes.codes) <= {"OK", "UNAVAILABLE"}, dict(outcomes.codes)
    # The watchers' streams ended cleanly with the drain, not cut off.
    assert outcomes.codes["OK"] > answered_before
