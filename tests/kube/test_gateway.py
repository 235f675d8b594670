"""KubeGateway against the embedded cluster: error translation, retries, deadlines, metrics.

Faults come from the cluster's injector, so every failure travels the real HTTP path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import kubernetes.client
import pytest
from prometheus_client import REGISTRY

from jobscheduler import errors, requestctx
from jobscheduler.config import Settings
from jobscheduler.kube import JOBS, KubeGateway
from jobscheduler.kube import gateway as gateway_module

NAMESPACE = "default"


def job(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "jobscheduler"}},
        "spec": {
            "suspend": True,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "job", "image": "busybox"}],
                }
            },
            **spec,
        },
    }


class RecordingSleep:
    """Stands in for time.sleep so retry waits are recorded instead of slept."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def client(embedded_cluster: Any) -> Iterator[kubernetes.client.ApiClient]:
    api_client = embedded_cluster.api_client()
    yield api_client
    api_client.close()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def gateway(client: kubernetes.client.ApiClient, sleep: RecordingSleep) -> KubeGateway:
    return KubeGateway(client, Settings(in_cluster=False, k8s_max_retries=3), sleep=sleep)


def calls(verb: str, resource: str, code: str) -> float:
    value = REGISTRY.get_sample_value(
        "jobscheduler_kubernetes_api_calls_total",
        {"verb": verb, "resource": resource, "code": code},
    )
    return value or 0.0


def test_throttling_is_retried_honouring_retry_after(
    gateway: KubeGateway, embedded_cluster: Any, sleep: RecordingSleep
) -> None:
    throttled, created = calls("create", "jobs", "429"), calls("create", "jobs", "201")
    embedded_cluster.faults.fail_next(2, verb="create", resource="jobs", status=429, retry_after=1)
    result = gateway.create(JOBS, NAMESPACE, job("throttled"))
    assert result["metadata"]["name"] == "throttled"
    assert sleep.calls == [1.0, 1.0]
    assert calls("create", "jobs", "429") == throttled + 2
    assert calls("create", "jobs", "201") == created + 1


def test_server_errors_are_retried_a_bounded_number_of_times_then_unavailable(
    gateway: KubeGateway, embedded_cluster: Any, sleep: RecordingSleep
) -> None:
    failures = calls("get", "jobs", "500")
    embedded_cluster.faults.fail_next(10, verb="get", resource="jobs", status=500)
    with pytest.raises(errors.Unavailable) as error:
        gateway.get(JOBS, NAMESPACE, "anything")
    assert calls("get", "jobs", "500") == failures + 4  # first try + k8s_max_retries
    assert len(sleep.calls) == 3
    assert sleep.calls == sorted(sleep.calls)  # backing off
    assert "injected" not in error.value.message  # no raw Kubernetes text to clients


def test_a_transient_503_on_list_is_invisible(gateway: KubeGateway, embedded_cluster: Any) -> None:
    gateway.create(JOBS, NAMESPACE, job("listed"))
    embedded_cluster.faults.fail_next(1, verb="list", resource="jobs", status=503)
    names = [item["metadata"]["name"] for item in gateway.list(JOBS, NAMESPACE)["items"]]
    assert names == ["listed"]


def test_dropped_connections_are_retried(gateway: KubeGateway, embedded_cluster: Any) -> None:
    gateway.create(JOBS, NAMESPACE, job("dropped"))
    embedded_cluster.faults.drop_next(2, verb="get", resource="jobs")
    assert gateway.get(JOBS, NAMESPACE, "dropped")["metadata"]["name"] == "dropped"


def test_an_unreachable_api_is_unavailable(sleep: RecordingSleep) -> None:
    configuration = kubernetes.client.Configuration()
    configuration.host = "http://127.0.0.1:9"  # discard port: connection refused
    configuration.retries = False
    with kubernetes.client.ApiClient(configuration) as api_client:
        gateway = KubeGateway(api_client, Settings(in_cluster=False), sleep=sleep)
        with pytest.raises(errors.Unavailable, match="cannot reach Kubernetes"):
            gateway.get(JOBS, NAMESPACE, "x")
    assert len(sleep.calls) == 3


def test_a_hanging_api_is_cut_off_at_the_callers_deadline(
    gateway: KubeGateway, embedded_cluster: Any
) -> None:
    embedded_cluster.faults.hang_next(1, verb="get", resource="jobs", seconds=10)
    token = requestctx.deadline.set(time.monotonic() + 0.3)
    try:
        with pytest.raises(errors.DeadlineExceeded):
            gateway.get(JOBS, NAMESPACE, "slow")
    finally:
        requestctx.deadline.reset(token)


def test_an_exhausted_deadline_makes_no_call(gateway: KubeGateway) -> None:
    before = calls("get", "jobs", "404")
    token = requestctx.deadline.set(time.monotonic() - 1)
    try:
        with pytest.raises(errors.DeadlineExceeded):
            gateway.get(JOBS, NAMESPACE, "late")
    finally:
        requestctx.deadline.reset(token)
    assert calls("get", "jobs", "404") == before


def test_retry_after_beyond_the_deadline_fails_fast(
    gateway: KubeGateway, embedded_cluster: Any, sleep: RecordingSleep
) -> None:
    embedded_cluster.faults.fail_next(1, verb="get", resource="jobs", status=429, retry_after=3)
    token = requestctx.deadline.set(time.monotonic() + 2)
    try:
        with pytest.raises(errors.Unavailable):
            gateway.get(JOBS, NAMESPACE, "busy")
    finally:
        requestctx.deadline.reset(token)
    assert sleep.calls == []


def test_status_codes_become_domain_errors(gateway: KubeGateway, embedded_cluster: Any) -> None:
    with pytest.raises(errors.NotFound, match="default/missing not found"):
        gateway.get(JOBS, NAMESPACE, "missing")
    gateway.create(JOBS, NAMESPACE, job("twice"))
    with pytest.raises(errors.AlreadyExists):
        gateway.create(JOBS, NAMESPACE, job("twice"))
    stale = {"metadata": {"resourceVersion": "1"}, "spec": {"suspend": False}}
    with pytest.raises(errors.Conflict):
        gateway.patch(JOBS, NAMESPACE, "twice", stale)
    embedded_cluster.faults.fail_next(1, verb="get", resource="jobs", status=403)
    with pytest.raises(errors.PermissionDenied):
        gateway.get(JOBS, NAMESPACE, "twice")
    with pytest.raises(errors.InvalidArgument):
        gateway.list(JOBS, NAMESPACE, label_selector="a==b=")


def test_invalid_objects_report_kubernetes_field_causes(gateway: KubeGateway) -> None:
    with pytest.raises(errors.InvalidArgument) as error:
        gateway.create(JOBS, NAMESPACE, job("Bad_Name"))
    assert "metadata.name" in [v.field for v in error.value.violations]


def test_a_continue_token_kubernetes_never_issued_is_invalid(gateway: KubeGateway) -> None:
    with pytest.raises(errors.InvalidArgument):
        gateway.list(JOBS, NAMESPACE, limit=1, continue_token="garbage-token")


def test_pod_logs_and_version(gateway: KubeGateway) -> None:
    assert gateway.server_version().startswith("v1.")
    with pytest.raises(errors.NotFound):
        list(
            gateway.stream_pod_log(
                NAMESPACE,
                "no-such-pod",
                container=None,
                follow=False,
                tail_lines=None,
                since_seconds=None,
                limit_bytes=None,
                read_timeout_seconds=5,
            )
        )


@pytest.mark.parametrize(
    "message",
    [
        'admission webhook "validation.gatekeeper.sh" denied the request: '
        "[team-label] you must provide labels: {team}",
        'jobs.batch "j" is forbidden: unable to create new content in namespace team-a '
        "because it is being terminated",
    ],
)
def test_a_refusal_by_quota_or_policy_is_not_a_permission_problem(
    gateway: KubeGateway, embedded_cluster: Any, message: str
) -> None:
    # Kubernetes answers all of these with 403, like a missing RBAC rule; the user can act on
    # them (free quota, add the label), so they get Kubernetes' reason, not "not allowed".
    embedded_cluster.faults.fail_next(
        1, verb="create", resource="jobs", status=403, message=message
    )
    with pytest.raises(errors.FailedPrecondition) as error:
        gateway.create(JOBS, NAMESPACE, job("refused"))
    assert message in error.value.message


def test_a_quiet_watch_ends_quietly_when_its_reader_cuts_it(gateway: KubeGateway) -> None:
    """What lets a stopping server end its cache at once, not at the watch's next event."""
    # Selecting what no job carries: the jobs earlier tests made still change (their
    # controllers), and one such change reaching this watch before the cut would not be quiet.
    quiet = "jobscheduler.io/quiet-watch-test=yes"
    version = str(
        gateway.list(JOBS, NAMESPACE, label_selector=quiet)["metadata"]["resourceVersion"]
    )
    cuts: list[Any] = []
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            for event in gateway.watch(
                JOBS,
                NAMESPACE,
                resource_version=version,
                label_selector=quiet,
                timeout_seconds=300,
                on_open=cuts.append,
            ):
                assert event["type"] in ("ADDED", "MODIFIED", "BOOKMARK")
            outcome.append(None)
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    reader = _start_and_wait_for_open(read, cuts)
    cuts[0]()
    reader.join(10)
    assert not reader.is_alive(), "the cut watch still holds its reader"
    assert outcome == [None]  # ended, not broken: nothing for the reader to retry
    cuts[0]()  # a second cut, after the stream has ended, is harmless


def test_cutting_a_watch_never_waits_for_the_read_it_ends(
    gateway: KubeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopping server cuts its cache's watches from its main thread: the cut must return
    even when the blocked read does not wake (here: the socket cannot be shut down), or the
    shutdown hangs until the watch's next event or its end."""
    monkeypatch.setattr(gateway_module, "socket", SimpleNamespace(SHUT_RDWR=-1))  # EINVAL
    version = str(gateway.list(JOBS, NAMESPACE)["metadata"]["resourceVersion"])
    cuts: list[Any] = []

    def read() -> None:
        for _ in gateway.watch(
            JOBS,
            NAMESPACE,
            resource_version=version,
            field_selector="metadata.name=nothing-is-called-this",
            timeout_seconds=6,
            on_open=cuts.append,
        ):
            pass

    reader = _start_and_wait_for_open(read, cuts)
    time.sleep(0.2)  # the reader is now blocked in its read
    cutter = threading.Thread(target=cuts[0], daemon=True)
    cutter.start()
    cutter.join(3)
    assert not cutter.is_alive(), "the cut waited for the read it was ending"
    reader.join(20)  # the server ends the watch at its timeout
    assert not reader.is_alive()


def _start_and_wait_for_open(read: Callable[[], None], cuts: list[Any]) -> threading.Thread:
    """Start ``read`` in a thread; return it once its watch has handed over its cut."""
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while not cuts and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cuts, "the watch never opened"
    return reader
