"""The pod statuses the simulated kubelet writes, shaped like a real kubelet's (refs 43, 45)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kubesim.clusterapi import JSON
from kubesim.controllers.node import HOST_IP
from kubesim.controllers.simpod import Behaviour, behaviour_of
from kubesim.controllers.timeutil import format_time


@dataclass
class PodRun:
    """The kubelet's memory of one pod."""

    behaviour: Behaviour
    # new -> creating -> running -> done, with detours: unschedulable (stays), pulling ->
    # pull-backoff (stays), running -> crashed -> running (OnFailure restarts).
    stage: str = "new"
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    due: datetime | None = None
    restarts: int = 0
    last_state: JSON = field(default_factory=dict)
    exit_code: int = 0
    pod_ip: str = ""
    container_id: str = ""


def condition(kind: str, value: bool, at: datetime, reason: str = "", message: str = "") -> JSON:
    item: JSON = {
        "type": kind,
        "status": "True" if value else "False",
        "lastProbeTime": None,
        "lastTransitionTime": format_time(at),
    }
    if reason:
        item["reason"] = reason
    if message:
        item["message"] = message
    return item


def container_status(
    container: JSON,
    state: JSON,
    *,
    ready: bool,
    restarts: int,
    last: JSON | None,
    container_id: str,
) -> JSON:
    image = str(container.get("image"))
    repository = image.split("@", 1)[0]
    if ":" in repository.rsplit("/", 1)[-1]:
        repository = repository.rsplit(":", 1)[0]
    status: JSON = {
        "name": container.get("name"),
        "image": image,
        "imageID": f"{repository}@sha256:{'0' * 64}",
        "ready": ready,
        "started": "running" in state,
        "restartCount": restarts,
        "state": state,
        "lastState": last or {},
    }
    if "waiting" not in state:
        status["containerID"] = container_id
    return status


def base_status(run: PodRun, phase: str) -> JSON:
    # No qosClass: the API server sets it at creation and refuses any change (v1.36 A5).
    return {
        "phase": phase,
        "hostIP": HOST_IP,
        "hostIPs": [{"ip": HOST_IP}],
        "podIP": run.pod_ip,
        "podIPs": [{"ip": run.pod_ip}],
        "startTime": format_time(run.scheduled_at) if run.scheduled_at else None,
    }


def pod_conditions(run: PodRun, now: datetime, *, ready: bool, reason: str) -> list[JSON]:
    scheduled = run.scheduled_at or now
    return [
        condition("PodReadyToStartContainers", True, scheduled),
        condition("Initialized", True, scheduled),
        condition("Ready", ready, now, "" if ready else reason),
        condition("ContainersReady", ready, now, "" if ready else reason),
        condition("PodScheduled", True, scheduled),
    ]


def waiting_status(pod: JSON, run: PodRun, now: datetime, reason: str) -> JSON:
    status = base_status(run, "Pending")
    status["conditions"] = pod_conditions(run, now, ready=False, reason="ContainersNotReady")
    statuses = []
    for container in containers_of(pod):
        waiting: JSON = {"reason": reason}
        if reason == "ErrImagePull":
            waiting["message"] = pull_error(pod, container.get("image"))
        elif reason == "ImagePullBackOff":
            waiting["message"] = f'Back-off pulling image "{container.get("image")}"'
        statuses.append(
            container_status(
                container,
                {"waiting": waiting},
                ready=False,
                restarts=0,
                last=None,
                container_id="",
            )
        )
    status["containerStatuses"] = statuses
    return status


def running_status(pod: JSON, run: PodRun, now: datetime) -> JSON:
    status = base_status(run, "Running")
    status["conditions"] = pod_conditions(run, now, ready=True, reason="")
    state = {"running": {"startedAt": format_time(now)}}
    status["containerStatuses"] = [
        container_status(
            c,
            state,
            ready=True,
            restarts=run.restarts,
            last=run.last_state,
            container_id=run.container_id,
        )
        for c in containers_of(pod)
    ]
    return status


def crashed_status(pod: JSON, run: PodRun, now: datetime) -> JSON:
    status = base_status(run, "Running")
    status["conditions"] = pod_conditions(run, now, ready=False, reason="ContainersNotReady")
    state = {
        "waiting": {
            "reason": "CrashLoopBackOff",
            "message": "back-off restarting failed container",
        }
    }
    status["containerStatuses"] = [
        container_status(
            c, state, ready=False, restarts=run.restarts, last=run.last_state, container_id=""
        )
        for c in containers_of(pod)
    ]
    return status


def terminal_status(
    pod: JSON, run: PodRun, terminated: JSON, at: datetime, phase: str | None = None
) -> JSON:
    code = int(terminated["terminated"]["exitCode"])
    status = base_status(run, phase or ("Succeeded" if code == 0 else "Failed"))
    status["conditions"] = pod_conditions(run, at, ready=False, reason="PodCompleted")
    status["containerStatuses"] = [
        container_status(
            c,
            terminated,
            ready=False,
            restarts=run.restarts,
            last=run.last_state,
            container_id=run.container_id,
        )
        for c in containers_of(pod)
    ]
    return status


def terminated_state(run: PodRun, code: int, finished: datetime) -> JSON:
    terminated: JSON = {
        "exitCode": code,
        "reason": "Completed" if code == 0 else "Error",
        "startedAt": format_time(run.started_at or finished),
        "finishedAt": format_time(finished),
        "containerID": run.container_id,
    }
    if run.behaviour.termination_message:
        terminated["message"] = run.behaviour.termination_message
    return {"terminated": terminated}


def pull_error(pod: JSON, image: object) -> str:
    custom = behaviour_of(pod).image_pull_error
    return custom or f'failed to pull and unpack image "{image}": not found (simulated)'


def namespace_of(pod: JSON) -> str:
    return str(pod["metadata"].get("namespace") or "")


def name_of(pod: JSON) -> str:
    return str(pod["metadata"].get("name") or "")


def containers_of(pod: JSON) -> list[JSON]:
    return list((pod.get("spec") or {}).get("containers") or [])


def container_names(pod: JSON) -> list[str]:
    return [str(container.get("name")) for container in containers_of(pod)]
