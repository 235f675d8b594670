"""The Job controller's decisions, without a server."""

from __future__ import annotations

from typing import Any

from kubesim.controllers.job_logic import reconcile_job

from .job_builders import T0, at, condition, make_job, make_pod, with_status


def test_new_job_creates_pods_up_to_parallelism_and_sets_start_time() -> None:
    job = make_job(parallelism=3, completions=5)
    actions = reconcile_job(job, [], T0)
    assert len(actions.pods_to_create) == 3
    assert actions.status["active"] == 3
    assert actions.status["startTime"] == "2026-11-23T16:00:00Z"
    assert actions.status["ready"] == 0
    assert actions.status["uncountedTerminatedPods"] == {}


def test_created_pod_carries_owner_reference_and_job_labels() -> None:
    job = make_job()
    pod = reconcile_job(job, [], T0).pods_to_create[0]
    assert pod["metadata"]["generateName"] == "demo-"
    assert pod["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": "demo",
            "uid": "uid-demo",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    labels = pod["metadata"]["labels"]
    assert labels["batch.kubernetes.io/job-name"] == "demo"
    assert labels["batch.kubernetes.io/controller-uid"] == "uid-demo"
    assert labels["job-name"] == "demo"
    assert pod["spec"]["containers"][0]["image"] == "busybox:1.36"


def test_no_more_pods_than_remaining_completions() -> None:
    job = with_status(make_job(parallelism=3, completions=5), startTime="2026-11-23T16:00:00Z")
    pods = [make_pod(job, "Succeeded") for _ in range(3)] + [make_pod(job, "Running")]
    actions = reconcile_job(job, pods, at(5))
    assert len(actions.pods_to_create) == 1
    assert actions.status["succeeded"] == 3
    assert actions.status["active"] == 2


def test_enough_successes_complete_the_job_with_success_criteria_first() -> None:
    job = make_job(parallelism=2, completions=2)
    pods = [make_pod(job, "Succeeded"), make_pod(job, "Succeeded")]
    actions = reconcile_job(job, pods, at(3))
    types = [item["type"] for item in actions.status["conditions"]]
    assert types == ["SuccessCriteriaMet", "Complete"]
    complete = condition(actions.status, "Complete")
    assert complete is not None
    assert complete["reason"] == "CompletionsReached"
    assert complete["message"] == "Reached expected number of succeeded pods"
    assert actions.status["completionTime"] == "2026-11-23T16:00:03Z"
    assert actions.status["succeeded"] == 2
    assert "active" not in actions.status
    assert [event.reason for event in actions.events] == ["Completed"]


def test_finished_job_is_left_alone() -> None:
    job = make_job()
    done = reconcile_job(job, [make_pod(job, "Succeeded")], at(1)).status
    again = reconcile_job(with_status(job, **done), [], at(9))
    assert again.status == done
    assert not again.pods_to_create
    assert not again.events


def test_failures_beyond_backoff_limit_fail_the_job() -> None:
    job = make_job(backoffLimit=1)
    pods = [make_pod(job, "Failed"), make_pod(job, "Failed")]
    actions = reconcile_job(job, pods, at(30))
    failed = condition(actions.status, "Failed")
    assert condition(actions.status, "FailureTarget") is not None
    assert failed is not None
    assert failed["reason"] == "BackoffLimitExceeded"
    assert failed["message"] == "Job has reached the specified backoff limit"
    assert actions.status["failed"] == 2
    assert "completionTime" not in actions.status
    assert [(e.type, e.reason) for e in actions.events] == [("Warning", "BackoffLimitExceeded")]
    assert not actions.pods_to_create


def test_failed_pod_is_replaced_after_the_backoff_delay() -> None:
    job = with_status(make_job(backoffLimit=3), startTime="2026-11-23T16:00:00Z")
    pods = [make_pod(job, "Failed", finished=at(1))]
    early = reconcile_job(job, pods, at(2))
    assert not early.pods_to_create
    assert early.requeue_after == 9.0
    later = reconcile_job(job, pods, at(11))
    assert len(later.pods_to_create) == 1
    assert later.status["failed"] == 1


def test_failing_job_waits_for_running_pods_before_failed_condition() -> None:
    job = make_job(parallelism=2, completions=2, backoffLimit=0)
    running = make_pod(job, "Running")
    actions = reconcile_job(job, [make_pod(job, "Failed"), running], at(1))
    assert condition(actions.status, "FailureTarget") is not None
    assert condition(actions.status, "Failed") is None
    assert actions.pods_to_delete == [running["metadata"]["name"]]
    assert actions.status["terminating"] == 1


def test_active_deadline_fails_job_and_deletes_active_pods() -> None:
    job = with_status(make_job(activeDeadlineSeconds=5), startTime="2026-11-23T16:00:00Z")
    pod = make_pod(job, "Running", ready=True)
    before = reconcile_job(job, [pod], at(2))
    assert before.requeue_after == 3.0
    assert condition(before.status, "FailureTarget") is None
    after = reconcile_job(job, [pod], at(5))
    target = condition(after.status, "FailureTarget")
    assert target is not None
    assert target["reason"] == "DeadlineExceeded"
    assert target["message"] == "Job was active longer than specified deadline"
    assert after.pods_to_delete == [pod["metadata"]["name"]]
    assert after.status["failed"] == 1
    final = reconcile_job(with_status(job, **after.status), [], at(6))
    failed = condition(final.status, "Failed")
    assert failed is not None
    assert failed["reason"] == "DeadlineExceeded"


def test_suspended_job_has_no_pods_and_a_suspended_condition() -> None:
    job = make_job(suspend=True)
    actions = reconcile_job(job, [], T0)
    assert not actions.pods_to_create
    assert "startTime" not in actions.status
    suspended = condition(actions.status, "Suspended")
    assert suspended is not None
    assert (suspended["status"], suspended["reason"], suspended["message"]) == (
        "True",
        "JobSuspended",
        "Job suspended",
    )
    assert [e.reason for e in actions.events] == ["Suspended"]


def test_suspending_a_running_job_deletes_its_pods_without_counting_failures() -> None:
    job = with_status(make_job(suspend=True), startTime="2026-11-23T16:00:00Z")
    pod = make_pod(job, "Running")
    actions = reconcile_job(job, [pod], at(3))
    assert actions.pods_to_delete == [pod["metadata"]["name"]]
    assert "failed" not in actions.status
    assert actions.status["startTime"] == "2026-11-23T16:00:00Z"


def test_resuming_resets_start_time_and_creates_pods() -> None:
    job = make_job(suspend=True)
    suspended_status = reconcile_job(job, [], T0).status
    resumed_job = with_status(make_job(suspend=False), **suspended_status)
    actions = reconcile_job(resumed_job, [], at(60))
    resumed = condition(actions.status, "Suspended")
    assert resumed is not None
    assert (resumed["status"], resumed["reason"]) == ("False", "JobResumed")
    assert actions.status["startTime"] == "2026-11-23T16:01:00Z"
    assert len(actions.pods_to_create) == 1
    assert [e.reason for e in actions.events] == ["Resumed"]


def test_pod_failure_policy_fail_job_on_exit_code() -> None:
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}]}
    job = make_job(backoffLimit=6, podFailurePolicy=policy)
    pod = make_pod(job, "Failed", exit_code=42)
    actions = reconcile_job(job, [pod], at(2))
    failed = condition(actions.status, "Failed")
    assert failed is not None
    assert failed["reason"] == "PodFailurePolicy"
    assert failed["message"] == (
        f"Container main for pod default/{pod['metadata']['name']} failed with exit code 42 "
        "matching FailJob rule at index 0"
    )


def test_pod_failure_policy_ignore_does_not_count_the_failure() -> None:
    policy = {"rules": [{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}}]}
    job = with_status(
        make_job(backoffLimit=0, podFailurePolicy=policy), startTime="2026-11-23T16:00:00Z"
    )
    actions = reconcile_job(job, [make_pod(job, "Failed", exit_code=3)], at(1))
    assert condition(actions.status, "FailureTarget") is None
    assert "failed" not in actions.status
    assert len(actions.pods_to_create) == 1


def test_indexed_job_creates_one_pod_per_pending_index() -> None:
    job = make_job(completionMode="Indexed", completions=3, parallelism=3)
    pods = reconcile_job(job, [make_pod(job, "Succeeded", index=1)], T0).pods_to_create
    indexes = [
        p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods
    ]
    assert indexes == ["0", "2"]
    first = pods[0]
    assert first["metadata"]["generateName"] == "demo-0-"
    assert first["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == "0"
    assert first["spec"]["hostname"] == "demo-0"
    env = first["spec"]["containers"][0]["env"]
    assert env[0]["name"] == "JOB_COMPLETION_INDEX"


def test_indexed_job_completes_when_every_index_succeeded() -> None:
    job = make_job(completionMode="Indexed", completions=3, parallelism=3)
    pods = [make_pod(job, "Succeeded", index=i) for i in (0, 1, 2)]
    actions = reconcile_job(job, pods, at(4))
    assert actions.status["completedIndexes"] == "0-2"
    assert actions.status["succeeded"] == 3
    assert condition(actions.status, "Complete") is not None


def test_on_failure_restarts_count_towards_the_backoff_limit() -> None:
    job = make_job(backoffLimit=2)
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    actions = reconcile_job(job, [make_pod(job, "Running", restarts=2)], at(5))
    target = condition(actions.status, "FailureTarget")
    assert target is not None
    assert target["reason"] == "BackoffLimitExceeded"


def test_ready_counts_only_ready_active_pods() -> None:
    job = make_job(parallelism=2, completions=2)
    pods = [make_pod(job, "Running", ready=True), make_pod(job, "Pending")]
    actions = reconcile_job(job, pods, at(1))
    assert actions.status["ready"] == 1
    assert actions.status["active"] == 2


def test_lowering_parallelism_deletes_excess_pods() -> None:
    job = make_job(parallelism=1, completions=4)
    pods = [make_pod(job, "Running", ready=True), make_pod(job, "Pending")]
    actions = reconcile_job(job, pods, at(1))
    assert actions.pods_to_delete == [pods[1]["metadata"]["name"]]


def test_terminating_pod_is_replaced_at_once_by_default() -> None:
    job = with_status(make_job(), startTime="2026-11-23T16:00:00Z")
    actions = reconcile_job(job, [make_pod(job, "Running", deleting=True)], at(1))
    assert len(actions.pods_to_create) == 1
    assert actions.status["terminating"] == 1


def test_replacement_policy_failed_waits_for_the_terminating_pod() -> None:
    job = with_status(make_job(podReplacementPolicy="Failed"), startTime="2026-11-23T16:00:00Z")
    actions = reconcile_job(job, [make_pod(job, "Running", deleting=True)], at(1))
    assert not actions.pods_to_create


def per_index_job(**spec: Any) -> dict[str, Any]:
    job = make_job(completionMode="Indexed", completions=3, parallelism=3, backoffLimitPerIndex=1)
    job["spec"].update(spec)
    return with_status(job, startTime="2026-11-23T16:00:00Z")


def test_index_out_of_retries_is_not_run_again() -> None:
    job = per_index_job()
    pods = [make_pod(job, "Failed", index=0, finished=at(0)) for _ in range(2)]
    pods += [make_pod(job, "Running", index=1), make_pod(job, "Running", index=2)]
    actions = reconcile_job(job, pods, at(600))
    assert actions.status["failedIndexes"] == "0"
    assert not actions.pods_to_create
    assert condition(actions.status, "FailureTarget") is None


def test_job_with_a_failed_index_fails_once_every_index_is_done() -> None:
    job = per_index_job()
    pods = [make_pod(job, "Failed", index=0, finished=at(0)) for _ in range(2)]
    pods += [make_pod(job, "Succeeded", index=1), make_pod(job, "Succeeded", index=2)]
    actions = reconcile_job(job, pods, at(600))
    failed = condition(actions.status, "Failed")
    assert failed is not None
    assert (failed["reason"], failed["message"]) == ("FailedIndexes", "Job has failed indexes")
    assert actions.status["completedIndexes"] == "1,2"


def test_fail_index_rule_fails_only_that_index() -> None:
    policy = {"rules": [{"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [7]}}]}
    job = per_index_job(podFailurePolicy=policy, maxFailedIndexes=0)
    pods = [make_pod(job, "Failed", index=2, exit_code=7), make_pod(job, "Running", index=0)]
    actions = reconcile_job(job, pods, at(5))
    target = condition(actions.status, "FailureTarget")
    assert target is not None
    assert target["reason"] == "MaxFailedIndexesExceeded"
    assert actions.status["failedIndexes"] == "2"


def test_completed_indexes_use_the_upstream_format() -> None:
    job = make_job(completionMode="Indexed", completions=8, parallelism=1)
    pods = [make_pod(job, "Succeeded", index=i) for i in (0, 1, 3, 4, 5, 7)]
    assert reconcile_job(job, pods, at(1)).status["completedIndexes"] == "0,1,3-5,7"


def test_success_policy_completes_the_job_early_and_stops_the_rest() -> None:
    policy = {"rules": [{"succeededIndexes": "0", "succeededCount": 1}]}
    job = make_job(completionMode="Indexed", completions=3, parallelism=3, successPolicy=policy)
    running = [make_pod(job, "Running", index=1), make_pod(job, "Running", index=2)]
    actions = reconcile_job(job, [make_pod(job, "Succeeded", index=0), *running], at(2))
    met = condition(actions.status, "SuccessCriteriaMet")
    assert met is not None
    assert (met["reason"], met["message"]) == ("SuccessPolicy", "Matched rules at index 0")
    assert sorted(actions.pods_to_delete) == sorted(p["metadata"]["name"] for p in running)
    final = reconcile_job(with_status(job, **actions.status), [], at(3))
    complete = condition(final.status, "Complete")
    assert complete is not None
    assert complete["reason"] == "SuccessPolicy"
