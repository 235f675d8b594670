"""End-to-end fixtures: a real cluster (JOBSCHEDULER_E2E_KUBECONFIG, normally the kind cluster of
`task e2e`), a namespace per test, and `jobscheduler serve` running on this machine against it.

Without a reachable cluster every test here is skipped with the reason, quickly: the default
`pytest` run collects them and moves on.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kubernetes import client, config

from jobscheduler.api import jobscheduler_pb2_grpc

KUBECONFIG_ENV = "JOBSCHEDULER_E2E_KUBECONFIG"
# The image the test jobs run: the project image (`task kind:load` puts it on the kind node), which
# has python and runs as a non-root user, so its pods pass Pod Security "restricted".
IMAGE = os.environ.get("JOBSCHEDULER_E2E_IMAGE", "jobscheduler:dev")
SERVER_START_SECONDS = 60


def _skip_reason() -> str | None:
    path = os.environ.get(KUBECONFIG_ENV)
    if not path:
        return f"{KUBECONFIG_ENV} is not set: `task e2e` runs these against a kind cluster"
    if not Path(path).is_file():
        return f"{KUBECONFIG_ENV}={path} is not a file"
    try:
        api = config.new_client_from_config(config_file=path)
        client.VersionApi(api).get_code(_request_timeout=5)
    except Exception as exc:
        return f"the cluster in {KUBECONFIG_ENV}={path} is unreachable: {exc}"
    return None


@pytest.fixture(scope="session")
def kubeconfig() -> str:
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    return os.environ[KUBECONFIG_ENV]


@pytest.fixture(scope="session")
def core_api(kubeconfig: str) -> Any:
    return client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))


@pytest.fixture(scope="session")
def service_namespace(core_api: Any) -> Iterator[str]:
    """The server's K8S_NAMESPACE; tests choose their own per request."""
    yield from _namespace(core_api)


@pytest.fixture
def namespace(core_api: Any) -> Iterator[str]:
    yield from _namespace(core_api)


def _namespace(core_api: Any) -> Iterator[str]:
    name = f"jse2e-{uuid.uuid4().hex[:8]}"
    # Enforce "restricted": proves the pods the service generates are admitted under it.
    labels = {
        "pod-security.kubernetes.io/enforce": "restricted",
        "app.kubernetes.io/part-of": "jobscheduler-e2e",
    }
    core_api.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=labels))
    )
    yield name
    core_api.delete_namespace(name, propagation_policy="Background")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server_address(
    kubeconfig: str, service_namespace: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "serve.log"
    env = {
        **os.environ,
        "KUBECONFIG": kubeconfig,
        "IN_CLUSTER": "false",
        "GRPC_HOST": "127.0.0.1",
        "GRPC_PORT": str(port),
        "METRICS_PORT": "0",
        "K8S_NAMESPACE": service_namespace,
        "TIMER_IMAGE": IMAGE,
        "LOG_FORMAT": "json",
        # Loopback, and the lifecycle is what this suite is about: callers' tokens and RBAC
        # have their own tests (tests/auth).
        "AUTH_MODE": "none",
        # The suite steers `jobscheduler cluster`'s simulated pods (real clusters ignore them).
        "POD_ANNOTATION_ALLOWED_PREFIXES": "sim.jobscheduler.io/",
    }
    executable = Path(sys.executable).parent / "jobscheduler"
    with log_path.open("w") as log:
        process = subprocess.Popen([str(executable), "serve"], env=env, stdout=log, stderr=log)
    address = f"127.0.0.1:{port}"
    try:
        _wait_until_serving(address, process, log_path)
        yield address
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(address: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"jobscheduler serve exited with {process.returncode}:\n{log_path.read_text()}"
                )
            try:
                reply = health.Check(
                    health_pb2.HealthCheckRequest(service="jobscheduler.JobScheduler"), timeout=2
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.5)
    pytest.fail(f"jobscheduler serve did not become SERVING:\n{log_path.read_text()}")


@pytest.fixture
def stub(server_address: str) -> Iterator[jobscheduler_pb2_grpc.JobSchedulerStub]:
    with grpc.insecure_channel(server_address) as channel:
        yield jobscheduler_pb2_grpc.JobSchedulerStub(channel)
