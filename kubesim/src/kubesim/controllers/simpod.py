"""What a simulated pod does, read from its annotations and env, and the statuses it reports.

Annotations (on the Job's pod template, so every pod of the Job gets them):

* ``sim.jobscheduler.io/run-seconds``: how long the containers run (clock seconds).
* ``sim.jobscheduler.io/exit-code``: the exit code of a failing run (default 1 when failing).
* ``sim.jobscheduler.io/fail-attempts``: the first N runs of the Job's containers fail.
* ``sim.jobscheduler.io/logs``: lines to print (newline-separated), spread over the run.
* ``sim.jobscheduler.io/termination-message``: what the container leaves in its
  ``terminationMessagePath``; the kubelet reports it as ``state.terminated.message``.
* ``sim.jobscheduler.io/start-seconds``: how long the pod stays ContainerCreating.
* ``sim.jobscheduler.io/image-pull-error``: the image cannot be pulled; the pod stays Pending.
* ``sim.jobscheduler.io/unschedulable``: no node fits; the pod stays Pending and unscheduled.

Without them a container prints one line and succeeds after about a second; a container whose
env has ``TIMER_DURATION_SECONDS`` runs that long (the Timer job type's contract).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta

from kubesim.clusterapi import JSON

PREFIX = "sim.jobscheduler.io/"
RUN_SECONDS = PREFIX + "run-seconds"
EXIT_CODE = PREFIX + "exit-code"
FAIL_ATTEMPTS = PREFIX + "fail-attempts"
LOGS = PREFIX + "logs"
START_SECONDS = PREFIX + "start-seconds"
TERMINATION_MESSAGE = PREFIX + "termination-message"
# The kubelet keeps at most this many bytes of a termination message.
MAX_TERMINATION_MESSAGE_BYTES = 4096
IMAGE_PULL_ERROR = PREFIX + "image-pull-error"
UNSCHEDULABLE = PREFIX + "unschedulable"

DEFAULT_RUN_SECONDS = 1.0
DEFAULT_START_SECONDS = 0.2
TIMER_ENV = "TIMER_DURATION_SECONDS"


@dataclass(frozen=True)
class Behaviour:
    run_seconds: float
    start_seconds: float
    exit_code: int | None  # None: decided by fail_attempts
    fail_attempts: int
    log_lines: dict[str, list[str]]  # container name -> lines
    image_pull_error: str | None
    unschedulable: str | None
    termination_message: str = ""


def behaviour_of(pod: JSON) -> Behaviour:
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    containers = (pod.get("spec") or {}).get("containers") or []
    run_seconds = _number(annotations.get(RUN_SECONDS))
    if run_seconds is None:
        timers = [
            value
            for container in containers
            for item in container.get("env") or []
            if item.get("name") == TIMER_ENV and (value := _number(item.get("value"))) is not None
        ]
        run_seconds = max(timers) if timers else DEFAULT_RUN_SECONDS
    exit_code = _number(annotations.get(EXIT_CODE))
    custom_logs = annotations.get(LOGS)
    log_lines = {
        str(container.get("name")): (
            str(custom_logs).splitlines()
            if custom_logs is not None
            else _default_lines(container, run_seconds)
        )
        for container in containers
    }
    return Behaviour(
        run_seconds=max(0.0, run_seconds),
        start_seconds=max(0.0, _number(annotations.get(START_SECONDS)) or DEFAULT_START_SECONDS),
        exit_code=None if exit_code is None else int(exit_code),
        fail_attempts=int(_number(annotations.get(FAIL_ATTEMPTS)) or 0),
        log_lines=log_lines,
        image_pull_error=_flag(annotations.get(IMAGE_PULL_ERROR)),
        unschedulable=_flag(annotations.get(UNSCHEDULABLE)),
        termination_message=str(annotations.get(TERMINATION_MESSAGE) or "")
        .encode()[:MAX_TERMINATION_MESSAGE_BYTES]
        .decode("utf-8", "ignore"),
    )


def exit_code_for(behaviour: Behaviour, attempt: int) -> int:
    """Exit code of the Job's ``attempt``-th run (0-based)."""
    if attempt < behaviour.fail_attempts:
        return behaviour.exit_code or 1
    if behaviour.fail_attempts:
        return 0
    return behaviour.exit_code or 0


def timed_lines(
    lines: list[str], started: datetime, run_seconds: float
) -> list[tuple[datetime, str]]:
    """Spread ``lines`` over the run: the first at the start, the rest evenly after it."""
    if not lines:
        return []
    step = run_seconds / len(lines)
    return [(started + timedelta(seconds=step * index), text) for index, text in enumerate(lines)]


def _default_lines(container: JSON, run_seconds: float) -> list[str]:
    words = [str(part) for part in (container.get("command") or []) + (container.get("args") or [])]
    if len(words) >= 3 and words[0].endswith("sh") and words[1] == "-c":
        try:
            words = shlex.split(words[2])
        except ValueError:
            words = []
    if words and words[0] == "echo":
        return [" ".join(words[1:])]
    name = container.get("name")
    return [f"simulated container {name} ({container.get('image')}) runs for {run_seconds:g}s"]


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


def _flag(value: object) -> str | None:
    if value is None or str(value).lower() in ("", "false", "0", "no"):
        return None
    return "" if str(value).lower() in ("true", "1", "yes") else str(value)


def phase_of(pod: JSON) -> str:
    return str((pod.get("status") or {}).get("phase") or "Pending")
