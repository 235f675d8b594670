"""A simulated kubelet: moves pods Pending -> Running -> Succeeded/Failed through the API.

Like KWOK it only reads pods and writes ``pods/status`` (plus the binding), so it can drive pods
on any control plane without nodes. Each pod's timeline is kept in memory; the work queue wakes
the pod when its next step is due, in clock time.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ApiError, ClusterAPI
from kubesim.controllers import podstatus, simpod
from kubesim.controllers.events import EventRecorder
from kubesim.controllers.informer import Informer, controller_owner, object_key
from kubesim.controllers.logs import PodLogStore
from kubesim.controllers.node import NODE_NAME, NodeEndpoint, NodeHeartbeat
from kubesim.controllers.podstatus import (
    PodRun,
    condition,
    container_names,
    containers_of,
    name_of,
    namespace_of,
)
from kubesim.controllers.runner import QueueWorker
from kubesim.controllers.timeutil import parse_time, seconds_between
from kubesim.controllers.workqueue import WorkQueue

log = logging.getLogger(__name__)

MERGE_PATCH = "application/merge-patch+json"
# Exit code of a container stopped by SIGTERM when its pod is deleted.
TERMINATED_BY_SIGNAL = 143
CRASH_BACKOFF_BASE_SECONDS = 10.0
CRASH_BACKOFF_MAX_SECONDS = 300.0
_REMEMBERED_JOBS = 10_000


class SimulatedKubelet:
    def __init__(
        self,
        api: ClusterAPI,
        clock: Clock,
        pods: Informer,
        logs: PodLogStore,
        node_endpoint: NodeEndpoint | None = None,
    ) -> None:
        self._api = api
        self._clock = clock
        self._pods = pods
        self._logs = logs
        self._events = EventRecorder(api, clock, "kubelet")
        self._scheduler_events = EventRecorder(api, clock, "default-scheduler")
        self._queue = WorkQueue(clock)
        self._worker = QueueWorker("simulated-kubelet", self._queue, self.sync)
        self._lock = threading.Lock()
        self._runs: dict[str, PodRun] = {}
        # Runs started per Job (for fail-attempts); oldest Jobs are forgotten past a bound.
        self._attempts: OrderedDict[str, int] = OrderedDict()
        self._ip_numbers = itertools.count(2)
        self._binding_supported: bool | None = None
        self._node = NodeHeartbeat(api, clock, node_endpoint)
        pods.add_handler(self._on_pod)

    def start(self) -> None:
        self._node.start()
        self._worker.start()

    def stop(self) -> None:
        self._node.stop()
        self._worker.stop()
        self._logs.close()

    def join(self, timeout: float) -> None:
        self._node.join(timeout)
        self._worker.join(timeout)

    def _on_pod(self, old: JSON | None, new: JSON | None) -> None:
        pod = new if new is not None else old
        if pod is not None:
            self._queue.add(object_key(pod))

    def sync(self, key: str) -> None:
        pod = self._pods.get(key)
        namespace, name = key.split("/", 1)
        if pod is None:
            with self._lock:
                self._runs.pop(key, None)
            self._logs.forget(namespace, name)
            return
        node = (pod.get("spec") or {}).get("nodeName")
        if node and node != NODE_NAME:
            return  # a real node's pod
        run = self._run_for(key, pod)
        if pod["metadata"].get("deletionTimestamp"):
            self._terminate(pod, run)
            return
        if run.stage == "done":
            return
        now = self._clock.now()
        if run.due is not None and run.due > now:
            self._queue.add_after(key, seconds_between(now, run.due))
            return
        self._advance(pod, run, now)
        if run.due is not None:
            self._queue.add_after(key, seconds_between(self._clock.now(), run.due))

    def _run_for(self, key: str, pod: JSON) -> PodRun:
        with self._lock:
            run = self._runs.get(key)
            if run is None:
                run = self._resume(pod)
                self._runs[key] = run
        return run

    def _resume(self, pod: JSON) -> PodRun:
        """Memory for a pod seen for the first time; a pod an earlier kubelet process already
        ran carries on from its status instead of starting over."""
        run = PodRun(behaviour=simpod.behaviour_of(pod))
        status = pod.get("status") or {}
        phase = simpod.phase_of(pod)
        if phase in ("Succeeded", "Failed"):
            run.stage = "done"
        elif (pod.get("spec") or {}).get("nodeName") == NODE_NAME and status.get("startTime"):
            run.scheduled_at = parse_time(status.get("startTime"))
            run.pod_ip = str(status.get("podIP") or "")
            self._logs.register(namespace_of(pod), name_of(pod), container_names(pod))
            running = [
                parse_time(((item.get("state") or {}).get("running") or {}).get("startedAt"))
                for item in status.get("containerStatuses") or []
            ]
            if phase == "Running" and running and running[0] is not None:
                # Its output so far is lost; it finishes when it would have.
                run.stage, run.started_at = "running", running[0]
                run.container_id = str(status["containerStatuses"][0].get("containerID") or "")
                run.exit_code = simpod.exit_code_for(run.behaviour, run.behaviour.fail_attempts)
                run.due = running[0] + timedelta(seconds=run.behaviour.run_seconds)
            else:
                run.stage = "creating"
        return run

    # --- the timeline ---------------------------------------------------------------------

    def _advance(self, pod: JSON, run: PodRun, now: datetime) -> None:
        behaviour = run.behaviour
        if run.stage == "new":
            if behaviour.unschedulable is not None:
                self._mark_unschedulable(pod, run, now)
                return
            self._logs.register(namespace_of(pod), name_of(pod), container_names(pod))
            self._bind(pod)
            run.scheduled_at = now
            run.pod_ip = f"10.244.{(n := next(self._ip_numbers)) // 250}.{n % 250 + 2}"
            if behaviour.image_pull_error is not None:
                run.stage = "pulling"
                self._report_waiting(pod, run, now, "ErrImagePull")
                self._image_pull_failed(pod, "ErrImagePull")
                run.due = now + timedelta(seconds=behaviour.start_seconds)
            else:
                run.stage = "creating"
                self._report_waiting(pod, run, now, "ContainerCreating")
                run.due = now + timedelta(seconds=behaviour.start_seconds)
        elif run.stage == "pulling":
            # From here on the pod waits for good: nothing more to do until it is deleted.
            run.stage, run.due = "pull-backoff", None
            self._report_waiting(pod, run, now, "ImagePullBackOff")
            self._image_pull_failed(pod, "ImagePullBackOff")
        elif run.stage in ("creating", "crashed"):
            self._start_containers(pod, run, now)
        elif run.stage == "running":
            self._finish_containers(pod, run, now)

    def _start_containers(self, pod: JSON, run: PodRun, now: datetime) -> None:
        owner = controller_owner(pod)
        attempt_key = str(owner.get("uid")) if owner else str(pod["metadata"].get("uid"))
        with self._lock:
            attempt = self._attempts.pop(attempt_key, 0)
            self._attempts[attempt_key] = attempt + 1
            if len(self._attempts) > _REMEMBERED_JOBS:
                self._attempts.popitem(last=False)
        run.exit_code = simpod.exit_code_for(run.behaviour, attempt)
        run.stage, run.started_at = "running", now
        run.container_id = f"containerd://{secrets.token_hex(32)}"
        run.due = now + timedelta(seconds=run.behaviour.run_seconds)
        for container in container_names(pod):
            lines = run.behaviour.log_lines.get(container, [])
            self._logs.start(
                namespace_of(pod),
                name_of(pod),
                container,
                simpod.timed_lines(lines, now, run.behaviour.run_seconds),
            )
        for spec in containers_of(pod):
            cname = spec.get("name")
            self._events.record(
                pod,
                "Normal",
                "Pulled",
                f'Container image "{spec.get("image")}" already present on machine',
            )
            self._events.record(pod, "Normal", "Created", f"Created container: {cname}")
            self._events.record(pod, "Normal", "Started", f"Started container {cname}")
        self._patch(pod, podstatus.running_status(pod, run, now))

    def _finish_containers(self, pod: JSON, run: PodRun, now: datetime) -> None:
        finished = run.due or now
        for container in container_names(pod):
            self._logs.finish(namespace_of(pod), name_of(pod), container, finished)
        terminated = podstatus.terminated_state(run, run.exit_code, finished)
        restart_policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
        if run.exit_code != 0 and restart_policy in ("OnFailure", "Always"):
            # The container restarts in place after a CrashLoopBackOff delay.
            run.restarts += 1
            run.last_state = terminated
            run.stage = "crashed"
            delay = min(
                CRASH_BACKOFF_MAX_SECONDS, CRASH_BACKOFF_BASE_SECONDS * 2 ** (run.restarts - 1)
            )
            run.due = finished + timedelta(seconds=delay)
            self._patch(pod, podstatus.crashed_status(pod, run, now))
            for name in container_names(pod):
                self._events.record(
                    pod,
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {name} in pod "
                    f"{name_of(pod)}_{namespace_of(pod)}({pod['metadata'].get('uid')})",
                )
            return
        run.stage, run.due = "done", None
        self._patch(pod, podstatus.terminal_status(pod, run, terminated, finished))

    def _terminate(self, pod: JSON, run: PodRun) -> None:
        """The pod is being deleted: stop its containers and remove it."""
        now = self._clock.now()
        if run.stage in ("running", "crashed", "creating", "pulling", "pull-backoff"):
            for container in container_names(pod):
                self._logs.finish(namespace_of(pod), name_of(pod), container, now)
            if run.stage == "running":
                for name in container_names(pod):
                    self._events.record(pod, "Normal", "Killing", f"Stopping container {name}")
                terminated = podstatus.terminated_state(run, TERMINATED_BY_SIGNAL, now)
                self._patch(
                    pod, podstatus.terminal_status(pod, run, terminated, now, phase="Failed")
                )
            run.stage = "done"
        try:
            self._api.delete("pods", namespace_of(pod), name_of(pod), grace_period_seconds=0)
        except ApiError as error:
            if error.code != 404:
                log.warning("kubelet: removing pod %s: %s", name_of(pod), error.message)

    def _mark_unschedulable(self, pod: JSON, run: PodRun, now: datetime) -> None:
        reason = (
            run.behaviour.unschedulable or "1 node(s) didn't match Pod's node affinity/selector"
        )
        message = (
            f"0/1 nodes are available: {reason}. preemption: 0/1 nodes are available: "
            "1 Preemption is not helpful for scheduling."
        )
        run.stage, run.due = "unschedulable", None
        self._patch(
            pod,
            {
                "phase": "Pending",
                "conditions": [condition("PodScheduled", False, now, "Unschedulable", message)],
            },
        )
        self._scheduler_events.record(pod, "Warning", "FailedScheduling", message)

    def _image_pull_failed(self, pod: JSON, reason: str) -> None:
        for container in containers_of(pod):
            image = container.get("image")
            if reason == "ErrImagePull":
                self._events.record(
                    pod,
                    "Warning",
                    "Failed",
                    f'Failed to pull image "{image}": {podstatus.pull_error(pod, image)}',
                )
            else:
                self._events.record(pod, "Normal", "BackOff", f'Back-off pulling image "{image}"')

    def _bind(self, pod: JSON) -> None:
        """Assign the pod to the simulated node, as the scheduler's Binding does.

        kube-apiserver takes a Binding (and forbids changing spec.nodeName); the embedded API
        server has no bindings resource but lets nodeName be set once. The first answer decides
        which way is used from then on."""
        if (pod.get("spec") or {}).get("nodeName"):
            return
        namespace, name = namespace_of(pod), name_of(pod)
        bound = False
        if self._binding_supported is not False:
            binding = {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": name},
                "target": {"apiVersion": "v1", "kind": "Node", "name": NODE_NAME},
            }
            try:
                self._api.create("bindings", namespace, binding)
                self._binding_supported = bound = True
            except ApiError as error:
                if error.code in (404, 405):
                    self._binding_supported = False
                else:
                    log.debug("kubelet: binding %s: %s", name, error.message)
        if not bound and not self._binding_supported:
            try:
                self._api.patch(
                    "pods", namespace, name, {"spec": {"nodeName": NODE_NAME}}, MERGE_PATCH
                )
            except ApiError as error:
                log.debug("kubelet: cannot bind %s: %s", name, error.message)
        self._scheduler_events.record(
            pod, "Normal", "Scheduled", f"Successfully assigned {namespace}/{name} to {NODE_NAME}"
        )

    def _report_waiting(self, pod: JSON, run: PodRun, now: datetime, reason: str) -> None:
        status = podstatus.waiting_status(pod, run, now, reason)
        for item in status["containerStatuses"]:
            waiting = item["state"]["waiting"]
            self._logs.set_waiting(
                namespace_of(pod),
                name_of(pod),
                str(item["name"]),
                reason,
                str(waiting.get("message") or reason),
            )
        self._patch(pod, status)

    def _patch(self, pod: JSON, status: JSON) -> None:
        try:
            self._api.patch(
                "pods",
                namespace_of(pod),
                name_of(pod),
                {"status": status},
                MERGE_PATCH,
                subresource="status",
            )
        except ApiError as error:
            if error.code != 404:
                log.warning("kubelet: status of %s: %s", name_of(pod), error.message)
