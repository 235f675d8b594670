"""How a simulated pod's annotations and env decide what it does."""

from __future__ import annotations

from typing import Any

from kubesim.controllers.simpod import behaviour_of, exit_code_for


def pod(annotations: dict[str, str] | None = None, **container: Any) -> dict[str, Any]:
    main = {"name": "main", "image": "busybox:1.36", **container}
    return {"metadata": {"annotations": annotations or {}}, "spec": {"containers": [main]}}


def test_pod_without_instructions_prints_a_line_and_succeeds_after_a_second() -> None:
    behaviour = behaviour_of(pod())
    assert behaviour.run_seconds == 1.0
    assert exit_code_for(behaviour, 0) == 0
    assert len(behaviour.log_lines["main"]) == 1


def test_timer_env_sets_the_run_time() -> None:
    behaviour = behaviour_of(pod(env=[{"name": "TIMER_DURATION_SECONDS", "value": "300"}]))
    assert behaviour.run_seconds == 300.0


def test_run_seconds_annotation_wins_over_the_timer_env() -> None:
    behaviour = behaviour_of(
        pod(
            {"sim.jobscheduler.io/run-seconds": "2.5"},
            env=[{"name": "TIMER_DURATION_SECONDS", "value": "300"}],
        )
    )
    assert behaviour.run_seconds == 2.5


def test_echo_commands_print_their_words() -> None:
    assert behaviour_of(pod(command=["echo", "hello", "world"])).log_lines["main"] == [
        "hello world"
    ]
    assert behaviour_of(pod(command=["sh", "-c", "echo 'done now'"])).log_lines["main"] == [
        "done now"
    ]


def test_logs_annotation_gives_the_lines() -> None:
    behaviour = behaviour_of(pod({"sim.jobscheduler.io/logs": "a\nb\nc"}))
    assert behaviour.log_lines["main"] == ["a", "b", "c"]


def test_exit_code_annotation_makes_every_run_fail() -> None:
    behaviour = behaviour_of(pod({"sim.jobscheduler.io/exit-code": "42"}))
    assert [exit_code_for(behaviour, attempt) for attempt in range(3)] == [42, 42, 42]


def test_fail_attempts_fail_only_the_first_runs() -> None:
    behaviour = behaviour_of(
        pod({"sim.jobscheduler.io/fail-attempts": "2", "sim.jobscheduler.io/exit-code": "3"})
    )
    assert [exit_code_for(behaviour, attempt) for attempt in range(4)] == [3, 3, 0, 0]


def test_image_pull_and_scheduling_flags() -> None:
    behaviour = behaviour_of(
        pod(
            {
                "sim.jobscheduler.io/image-pull-error": "true",
                "sim.jobscheduler.io/unschedulable": "false",
            }
        )
    )
    assert behaviour.image_pull_error == ""
    assert behaviour.unschedulable is None
