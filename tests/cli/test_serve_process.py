"""``jobscheduler serve --embedded-cluster`` as a user runs it: a separate process on loopback.

The README's grpcurl commands run verbatim (only the port differs), SIGTERM drains and exits 0,
and bad configuration fails fast with exit 2 and the variable's name.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2
from prometheus_client.parser import text_string_to_metric_families

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError

from .conftest import free_port

GRPCURL = str(Path(sys.executable).parent / "grpcurl")

# From the original service's README; only the port is substituted.
README_SCHEDULE = """grpcurl -plaintext -d '{"name": "my-timer", "timer_job": {"duration_seconds": 300, "timer_name": "build-timeout", "control_plane_endpoint": "http://control-plane:50053"}}' localhost:50054 jobscheduler.JobScheduler/ScheduleJob"""  # noqa: E501
README_STATUS = """grpcurl -plaintext -d '{"job_id": "job-abc123"}' localhost:50054 jobscheduler.JobScheduler/GetJobStatus"""  # noqa: E501
README_LIST = """grpcurl -plaintext -d '{}' localhost:50054 jobscheduler.JobScheduler/ListJobs"""


@dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    port: int
    metrics_port: int
    kubeconfig: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, stderr = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
        return self.process.returncode, stderr


def start_serve(tmp_path: Path) -> ServeProcess:
    port, metrics_port = free_port(), free_port()
    kubeconfig = tmp_path / "embedded.kubeconfig"
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "IN_CLUSTER")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobscheduler",
            "serve",
            "--embedded-cluster",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--metrics-port",
            str(metrics_port),
            "--embedded-kubeconfig",
            str(kubeconfig),
            "--shutdown-grace",
            "30",
        ],
        env={**env, "LOG_FORMAT": "json"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    serve = ServeProcess(process, port, metrics_port, kubeconfig)
    deadline = time.monotonic() + 60
    with JobSchedulerClient(serve.target, timeout=2) as client:
        while True:
            if process.poll() is not None:
                raise AssertionError(f"serve exited early: {serve.stop()[1]}")
            try:
                if client.health() == health_pb2.HealthCheckResponse.SERVING:
                    return serve
            except JobSchedulerRpcError:
                pass
            if time.monotonic() > deadline:
                serve.stop()
                raise AssertionError("serve never became SERVING")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    running = start_serve(tmp_path_factory.mktemp("serve"))
    yield running
    running.stop()


def grpcurl(command: str, port: int) -> dict[str, object]:
    argv = shlex.split(command.replace("localhost:50054", f"localhost:{port}"))
    assert argv[0] == "grpcurl"
    result = subprocess.run(
        [GRPCURL, *argv[1:]], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    reply: dict[str, object] = json.loads(result.stdout)
    return reply


def test_readme_grpcurl_commands_work_verbatim(serve: ServeProcess) -> None:
    scheduled = grpcurl(README_SCHEDULE, serve.port)
    job_id = str(scheduled["job_id"])
    assert job_id.startswith("job-")
    assert scheduled["status"] == "JOB_STATUS_PENDING"
    assert scheduled["k8s_job_name"]

    # The README asks for job-abc123: make it exist, as a user's earlier ScheduleJob would.
    with JobSchedulerClient(serve.target) as client:
        client.schedule_job(
            pb.ScheduleJobRequest(
                job_id="job-abc123",
                name="readme-example",
                timer_job=pb.TimerJobConfig(duration_seconds=300, timer_name="build-timeout"),
            )
        )
    status = grpcurl(README_STATUS, serve.port)
    assert status["job_id"] == "job-abc123"
    job_info = status["job_info"]
    assert isinstance(job_info, dict)
    assert job_info["name"] == "readme-example"
    assert job_info["timer_details"]["timer_name"] == "build-timeout"
    assert status["status"] in ("JOB_STATUS_PENDING", "JOB_STATUS_RUNNING")

    listed = grpcurl(README_LIST, serve.port)
    jobs = listed["jobs"]
    assert isinstance(jobs, list)
    assert {job["job_id"] for job in jobs} >= {job_id, "job-abc123"}

    cancelled = grpcurl(
        """grpcurl -plaintext -d '{"job_id": "job-abc123"}' localhost:50054 jobscheduler.JobScheduler/CancelJob""",  # noqa: E501
        serve.port,
    )
    assert cancelled["success"] is True


def test_reflection_lists_the_service(serve: ServeProcess) -> None:
    result = subprocess.run(
        [GRPCURL, "-plaintext", f"localhost:{serve.port}", "list"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    services = result.stdout.split()
    assert "jobscheduler.JobScheduler" in services
    assert "grpc.health.v1.Health" in services


def test_grpcurl_errors_carry_the_status_code(serve: ServeProcess) -> None:
    result = subprocess.run(
        [GRPCURL, "-plaintext", "-d", '{"job_id": "job-nope"}', f"localhost:{serve.port}",
         "jobscheduler.JobScheduler/GetJobStatus"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Code: NotFound" in result.stderr


def test_metrics_endpoint_counts_rpcs_by_code(serve: ServeProcess) -> None:
    with JobSchedulerClient(serve.target) as client:
        client.list_jobs()
        with pytest.raises(JobSchedulerRpcError):
            client.get_job_status("job-missing")
    base = f"http://127.0.0.1:{serve.metrics_port}"
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    handled = {
        (s.labels["grpc_method"], s.labels["grpc_code"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "grpc_server_handled_total"
    }
    assert handled[("ListJobs", "OK")] >= 1
    assert handled[("GetJobStatus", "NOT_FOUND")] >= 1
    for path in ("/healthz", "/readyz"):
        with urllib.request.urlopen(f"{base}{path}", timeout=5) as reply:
            assert reply.status == 200


@pytest.mark.kubectl
def test_kubectl_sees_the_jobs_through_the_written_kubeconfig(serve: ServeProcess) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    with JobSchedulerClient(serve.target) as client:
        reply = client.schedule_job(
            pb.ScheduleJobRequest(name="k", timer_job=pb.TimerJobConfig(duration_seconds=60))
        )
    result = subprocess.run(
        ["kubectl", "--kubeconfig", str(serve.kubeconfig), "get", "jobs", "-o", "name"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert f"job.batch/{reply.k8s_job_name}" in result.stdout.split()


def test_sigterm_drains_open_streams_and_exits_0(tmp_path: Path) -> None:
    serve = start_serve(tmp_path)
    try:
        with JobSchedulerClient(serve.target) as client:
            reply = client.schedule_job(
                pb.ScheduleJobRequest(name="w", timer_job=pb.TimerJobConfig(duration_seconds=600))
            )
        events: list[pb.JobEvent] = []
        failures: list[Exception] = []
        first_event = threading.Event()

        def watch() -> None:
            with JobSchedulerClient(serve.target) as watcher:
                try:
                    for event in watcher.watch_job(reply.job_id):
                        events.append(event)
                        first_event.set()
                except JobSchedulerRpcError as error:
                    failures.append(error)

        thread = threading.Thread(target=watch)
        thread.start()
        assert first_event.wait(30)
        code, stderr = serve.stop()
        thread.join(30)
    finally:
        serve.stop()
    assert code == 0, stderr
    assert not thread.is_alive()
    # The open watch ended cleanly with the drain instead of being cut off.
    assert failures == []
    assert events[0].type == pb.JobEvent.TYPE_INITIAL
    logged = [json.loads(line)["event"] for line in stderr.splitlines() if line.startswith("{")]
    assert logged.index("shutting down") < logged.index("stopped")


def _serve_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "IN_CLUSTER")}
    return subprocess.run(
        [sys.executable, "-m", "jobscheduler", "serve", "--metrics-port", "0", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        ({"GRPC_PORT": "fifty"}, (), "GRPC_PORT"),
        ({"LOG_LEVEL": "loud"}, (), "LOG_LEVEL"),
        ({"SHUTDOWN_GRACE_SECONDS": "-1"}, (), "SHUTDOWN_GRACE_SECONDS"),
        ({}, ("--port", "70000"), "GRPC_PORT"),
    ],
)
def test_bad_configuration_exits_2_naming_the_variable(
    env: dict[str, str], args: tuple[str, ...], named: str
) -> None:
    result = _serve_with(env, *args)
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_in_cluster_config_outside_a_cluster_is_a_clear_error() -> None:
    env = {"KUBERNETES_SERVICE_HOST": "", "GRPC_PORT": str(free_port())}
    result = _serve_with(env)
    assert result.returncode == 2
    assert "IN_CLUSTER=false" in result.stderr
    assert "Traceback" not in result.stderr


def test_cluster_command_serves_the_embedded_api_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    kubeconfig = tmp_path / "cluster.kubeconfig"
    process = subprocess.Popen(
        [sys.executable, "-m", "jobscheduler", "cluster", "--port", str(port),
         "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first_line
        written = kubeconfig.read_text()
        assert f"https://127.0.0.1:{port}" in written  # kubectl sends its token over TLS only
        token = written.split("token: ", 1)[1].split()[0]  # the admin's, as kubectl sends it
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/namespaces/default",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert json.loads(reply.read())["metadata"]["name"] == "default"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_a_second_server_on_a_taken_port_leaves_the_first_ones_kubeconfig_alone(
    serve: ServeProcess,
) -> None:
    before = serve.kubeconfig.read_bytes()
    result = _serve_with(
        {},
        "--embedded-cluster",
        "--port",
        str(serve.port),
        "--embedded-kubeconfig",
        str(serve.kubeconfig),
    )
    assert result.returncode == 2
    assert f"cannot listen for gRPC on 127.0.0.1:{serve.port}" in result.stderr
    assert "add_port.cc" not in result.stderr  # no gRPC core noise
    assert serve.kubeconfig.read_bytes() == before
    with JobSchedulerClient(serve.target, timeout=5) as client:
        assert client.health() == health_pb2.HealthCheckResponse.SERVING


def test_the_dev_server_listens_on_loopback_and_says_where(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "GRPC_HOST")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobscheduler",
            "serve",
            "--embedded-cluster",
            "--port",
            str(port),
            "--metrics-port",
            str(metrics_port),
        ],
        env={**env, "LOG_FORMAT": "json", "TMPDIR": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    banner: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            banner.append(line)
            if "serving gRPC" in line:
                break
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=60)
    text = "".join(banner)
    assert (
        f"serving gRPC on 127.0.0.1:{port} (auth none), metrics on 127.0.0.1:{metrics_port}" in text
    )
    kubeconfig = tmp_path / f"jobscheduler-embedded-{port}.kubeconfig"
    assert f"kubeconfig: {kubeconfig}" in text
    assert process.returncode == 0, rest


def test_a_drain_that_hangs_past_its_grace_prints_every_stack_and_exits() -> None:
    # What `serve` arms on SIGTERM; a drain stuck in some call then says where, and the
    # process ends before the kubelet's SIGKILL would end it without a word.
    hung = (
        "import threading\n"
        "from jobscheduler.cli.serve import arm_shutdown_watchdog\n"
        "import jobscheduler.cli.serve as serve\n"
        "serve.SHUTDOWN_OVERRUN_SECONDS = 0.5\n"
        "arm_shutdown_watchdog(0.5)\n"
        "def stuck_in_drain():\n"
        "    threading.Event().wait()\n"
        "stuck_in_drain()\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", hung], check=False, capture_output=True, text=True, timeout=60
    )
    assert finished.returncode == 1
    assert "Timeout (0:00:01)!" in finished.stderr
    assert "stuck_in_drain" in finished.stderr
