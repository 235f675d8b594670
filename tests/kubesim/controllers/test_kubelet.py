"""What the simulated kubelet does to pods: phases, statuses, logs, failures it can inject."""

from __future__ import annotations

from typing import Any

import kubernetes.client as k8s
import pytest

from .kubelet_reach import require_pod_logs
from .lifecycle import condition, finished, job_manifest, job_pods, sleeping, wait_for


@pytest.fixture
def batch(kube_client: k8s.ApiClient) -> k8s.BatchV1Api:
    return k8s.BatchV1Api(kube_client)


@pytest.fixture
def core(kube_client: k8s.ApiClient) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(kube_client)


def only_pod(core: k8s.CoreV1Api, ns: str, job: str, done: Any = None) -> k8s.V1Pod:
    pods = wait_for(
        lambda: job_pods(core, ns, job),
        lambda pods: len(pods) == 1 and (done is None or done(pods[0])),
        f"the pod of {job}",
    )
    pod: k8s.V1Pod = pods[0]
    return pod


@pytest.mark.clock_speed(10)
def test_running_pod_reports_kubelet_like_status(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    batch.create_namespaced_job(ns, job_manifest("run", **sleeping(600)))

    pod = only_pod(core, ns, "run", lambda p: p.status.phase == "Running")

    assert pod.spec.node_name
    assert pod.status.pod_ip
    assert pod.status.start_time is not None
    conditions = {c.type: c.status for c in pod.status.conditions}
    assert (
        conditions["PodScheduled"] == conditions["Ready"] == conditions["ContainersReady"] == "True"
    )
    container = pod.status.container_statuses[0]
    assert container.ready is True
    assert container.state.running.started_at is not None
    job = wait_for(
        lambda: batch.read_namespaced_job("run", ns), lambda j: j.status.ready == 1, "ready"
    )
    assert job.status.active == 1


@pytest.mark.clock_speed(10)
def test_pod_logs_follow_streams_every_line_until_the_container_ends(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    lines = ["starting", "halfway", "done"]
    annotations = {
        "sim.jobscheduler.io/logs": "\n".join(lines),
        "sim.jobscheduler.io/run-seconds": "3",
    }
    command = ["sh", "-c", "echo starting; sleep 1; echo halfway; sleep 1; echo done"]
    batch.create_namespaced_job(ns, job_manifest("talk", command=command, annotations=annotations))
    pod = only_pod(core, ns, "talk", lambda p: p.status.phase in ("Running", "Succeeded"))
    require_pod_logs(core, pod)

    response = core.read_namespaced_pod_log(
        pod.metadata.name, ns, follow=True, _preload_content=False
    )
    streamed = b"".join(response.stream()).decode()

    assert streamed.splitlines() == lines
    done = wait_for(lambda: batch.read_namespaced_job("talk", ns), finished, "the job to finish")
    assert condition(done, "Complete") is not None
    tail = core.read_namespaced_pod_log(pod.metadata.name, ns, tail_lines=1)
    assert tail == "done\n"


@pytest.mark.clock_speed(10)
def test_pod_log_of_an_unknown_container_is_a_bad_request(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    batch.create_namespaced_job(ns, job_manifest("one"))
    pod = only_pod(core, ns, "one")

    with pytest.raises(k8s.ApiException) as raised:
        core.read_namespaced_pod_log(pod.metadata.name, ns, container="nope")

    assert raised.value.status == 400


@pytest.mark.clock_speed(20)
def test_image_pull_error_keeps_the_pod_pending(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    annotations = {"sim.jobscheduler.io/image-pull-error": "true"}
    manifest = job_manifest("nopull", annotations=annotations)
    # On a real cluster the image really cannot be pulled.
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.invalid/nope:0"
    batch.create_namespaced_job(ns, manifest)

    pod = only_pod(
        core,
        ns,
        "nopull",
        lambda p: (
            bool(p.status.container_statuses)
            and p.status.container_statuses[0].state.waiting is not None
            and p.status.container_statuses[0].state.waiting.reason == "ImagePullBackOff"
        ),
    )

    assert pod.status.phase == "Pending"
    require_pod_logs(core, pod)
    with pytest.raises(k8s.ApiException) as raised:
        core.read_namespaced_pod_log(pod.metadata.name, ns)
    assert raised.value.status == 400


@pytest.mark.clock_speed(20)
def test_unschedulable_pod_stays_pending_without_a_node(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    annotations = {"sim.jobscheduler.io/unschedulable": "true"}
    manifest = job_manifest("nowhere", annotations=annotations)
    # On a real cluster no node carries this label.
    manifest["spec"]["template"]["spec"]["nodeSelector"] = {"jobscheduler.io/no-such-node": "1"}
    batch.create_namespaced_job(ns, manifest)

    pod = only_pod(core, ns, "nowhere", lambda p: bool(p.status.conditions))

    scheduled = pod.status.conditions[0]
    assert (scheduled.type, scheduled.status, scheduled.reason) == (
        "PodScheduled",
        "False",
        "Unschedulable",
    )
    assert pod.spec.node_name is None
    assert pod.status.phase == "Pending"


@pytest.mark.embedded_only
@pytest.mark.clock_speed(50)
def test_on_failure_pod_restarts_in_place_until_it_succeeds(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    annotations = {"sim.jobscheduler.io/fail-attempts": "2"}
    manifest = job_manifest(
        "flaky", annotations=annotations, restart_policy="OnFailure", backoffLimit=6
    )
    batch.create_namespaced_job(ns, manifest)

    job = wait_for(lambda: batch.read_namespaced_job("flaky", ns), finished, "the job to finish")

    assert condition(job, "Complete") is not None
    pod = only_pod(core, ns, "flaky")
    container = pod.status.container_statuses[0]
    assert container.restart_count == 2
    assert container.last_state.terminated.exit_code == 1


@pytest.mark.embedded_only
@pytest.mark.clock_speed(50)
def test_fail_attempts_make_the_first_pods_of_a_job_fail(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    manifest = job_manifest(
        "retry", annotations={"sim.jobscheduler.io/fail-attempts": "1"}, backoffLimit=3
    )
    batch.create_namespaced_job(ns, manifest)

    job = wait_for(lambda: batch.read_namespaced_job("retry", ns), finished, "the job to finish")

    assert condition(job, "Complete") is not None
    assert job.status.failed == 1
    assert job.status.succeeded == 1
    phases = sorted(pod.status.phase for pod in job_pods(core, ns, "retry"))
    assert phases == ["Failed", "Succeeded"]


@pytest.mark.embedded_only
@pytest.mark.clock_speed(20)
def test_timer_env_sets_how_long_the_container_runs(
    ns: str, cluster: Any, batch: k8s.BatchV1Api
) -> None:
    manifest = job_manifest("timer")
    manifest["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "TIMER_DURATION_SECONDS", "value": "30"}
    ]
    batch.create_namespaced_job(ns, manifest)

    job = wait_for(
        lambda: batch.read_namespaced_job("timer", ns), finished, "the timer job to finish"
    )

    ran_for = (job.status.completion_time - job.status.start_time).total_seconds()
    assert ran_for >= 30


@pytest.mark.clock_speed(50)
def test_repeated_events_are_aggregated(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    annotations = {"sim.jobscheduler.io/fail-attempts": "3"}
    manifest = job_manifest("crashy", annotations=annotations, restart_policy="OnFailure")
    batch.create_namespaced_job(ns, manifest)
    wait_for(lambda: batch.read_namespaced_job("crashy", ns), finished, "the job to finish")
    pod = only_pod(core, ns, "crashy")

    events = core.list_namespaced_event(
        ns, field_selector=f"involvedObject.name={pod.metadata.name}"
    ).items
    started = [event for event in events if event.reason == "Started"]
    assert len(started) == 1
    assert started[0].count == 4
