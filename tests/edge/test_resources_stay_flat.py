"""Many RPCs against a cluster in its own process: the server keeps one Kubernetes API client
with one connection pool, and its threads do not grow with the number of calls.

Counts, not timings or RSS: on a shared machine those are noise. ``bench/soak.py`` measures
RSS, threads and fds over half an hour.
"""

from __future__ import annotations

import gc
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import kubernetes.client
import pytest
import urllib3

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc
from jobscheduler.config import Settings
from jobscheduler.edge.server import Server
from jobscheduler.service import build_service

pytestmark = pytest.mark.slow
CLIENTS = 4
WARM_UP_CYCLES = 25  # per client; each cycle is five RPCs
MEASURED_CYCLES = 100  # per client: 2,000 RPCs in all, 16 times the warm-up


@pytest.fixture
def cluster_kubeconfig(tmp_path: Path) -> Iterator[Path]:
    """``jobscheduler cluster`` in a subprocess, as a real API server would be."""
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [sys.executable, "-m", "jobscheduler", "cluster", "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if re.search(r"Embedded Kubernetes API at", line):
                break
        else:
            pytest.fail(f"the cluster did not start (exit {process.wait()})")
        yield kubeconfig
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture
def server(cluster_kubeconfig: Path) -> Iterator[Server]:
    settings = Settings(in_cluster=False, kubeconfig=str(cluster_kubeconfig))
    srv = Server(build_service(settings), host="127.0.0.1", port=0, metrics_port=None)
    srv.start()
    yield srv
    srv.stop(grace=0)


def _cycles(port: int, first: int, count: int, failures: list[str]) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = jobscheduler_pb2_grpc.JobSchedulerStub(channel)
        for index in range(first, first + count):
            try:
                created = stub.ScheduleJob(
                    pb.ScheduleJobRequest(
                        name=f"flat-{index}",
                        container_job=pb.ContainerJobConfig(image="busybox:1.36"),
                        execution=pb.ExecutionOptions(start_suspended=True),
                    ),
                    timeout=30,
                )
                job_id = created.job_id
                stub.GetJobStatus(pb.GetJobStatusRequest(job_id=job_id), timeout=30)
                stub.ListJobs(pb.ListJobsRequest(page_size=10), timeout=30)
                stub.CancelJob(pb.CancelJobRequest(job_id=job_id), timeout=30)
                stub.DeleteJob(pb.DeleteJobRequest(job_id=job_id), timeout=30)
            except grpc.RpcError as error:
                failures.append(f"{error.code().name}: {error.details()}")


def _load(port: int, cycles: int, offset: int) -> None:
    failures: list[str] = []
    clients = [
        threading.Thread(target=_cycles, args=(port, offset + n * 1_000_000, cycles, failures))
        for n in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join(600)
    assert failures == []


def _of_type(kind: type) -> list[object]:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, kind)]


def _pools() -> list[urllib3.HTTPConnectionPool]:
    return [
        p for p in _of_type(urllib3.HTTPConnectionPool) if isinstance(p, urllib3.HTTPConnectionPool)
    ]


def test_many_rpcs_use_one_api_client_and_no_new_threads(server: Server) -> None:
    _load(server.port, WARM_UP_CYCLES, 0)
    threads_warm = threading.active_count()
    (pool,) = _pools()
    connections_warm = pool.num_connections

    _load(server.port, MEASURED_CYCLES, 500_000)

    assert len(_of_type(kubernetes.client.ApiClient)) == 1
    # (urllib3 keeps one PoolManager of its own at module level; ours is the REST client's.)
    assert len(_of_type(kubernetes.client.rest.RESTClientObject)) == 1
    assert _pools() == [pool]
    # Connections are reused: at most one more per concurrent caller, however many calls.
    assert pool.num_connections <= connections_warm + CLIENTS
    # The clients' threads have ended; the server's pool did not grow with the calls.
    assert threading.active_count() <= threads_warm + 2, threading.enumerate()
