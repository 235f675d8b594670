"""Create / update / patch against the captured kube-apiserver exchanges (k8s-reference).

Each test replays a captured request over HTTP and compares what a client would notice: the
status code, the Status reason / details / causes, and the defaulted shape of the object.
"""

from __future__ import annotations

from typing import Any

from kubesim.cluster import EmbeddedCluster

from .wire_helpers import HttpClient, assert_same_status, job_body, pod_body, reference, replay

JOBS = "/apis/batch/v1/namespaces/default/jobs"
CRONJOBS = "/apis/batch/v1/namespaces/default/cronjobs"


def _create_minimal(http: HttpClient) -> Any:
    response, _ = replay(http, "10-job-create-minimal")
    assert response.status == 201
    return response.json


def _without_null_timestamps(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _without_null_timestamps(item)
            for key, item in value.items()
            if not (key == "creationTimestamp" and item is None)
        }
    return value


def _without(value: Any, *keys: str) -> Any:
    return {key: item for key, item in value.items() if key not in keys}


def test_create_defaults_the_job_like_kube_apiserver(http: HttpClient) -> None:
    created = _create_minimal(http)
    want = reference("10-job-create-minimal")["response"]["body"]
    meta = created["metadata"]
    assert meta["resourceVersion"].isdigit()
    assert meta["generation"] == 1
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert meta["labels"] == {"suite": "ref"}  # user labels kept, nothing added
    assert created["status"] == {}
    uid = meta["uid"]
    # Defaults the reference shows, apart from the selector (1.27+ keys it on the
    # batch.kubernetes.io/controller-uid label).
    for field in ("parallelism", "completions", "backoffLimit", "completionMode", "suspend"):
        assert created["spec"][field] == want["spec"][field]
    assert created["spec"]["selector"] == {
        "matchLabels": {"batch.kubernetes.io/controller-uid": uid}
    }
    assert created["spec"]["podReplacementPolicy"] == "TerminatingOrFailed"
    template = created["spec"]["template"]
    assert template["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "ref-minimal",
        "controller-uid": uid,
        "job-name": "ref-minimal",
    }
    # 1.24 wrote creationTimestamp: null here; current servers omit it (v1.36 B1).
    assert "creationTimestamp" not in template["metadata"]
    assert template["spec"] == want["spec"]["template"]["spec"]


def test_job_without_labels_gets_its_template_labels(http: HttpClient) -> None:
    response, captured = replay(http, "16-job-create-name63")
    assert response.status == 201
    labels = response.json["metadata"]["labels"]
    assert labels["job-name"] == captured["request"]["body"]["metadata"]["name"]
    assert labels["controller-uid"] == response.json["metadata"]["uid"]
    # busybox without a tag is pulled Always (the reference's second create shows it too).
    container = response.json["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "Always"


def test_duplicate_create_is_already_exists(http: HttpClient) -> None:
    _create_minimal(http)
    response, captured = replay(http, "11-job-create-duplicate")
    assert_same_status(response, captured)


def test_invalid_jobs_are_rejected_with_upstream_causes(http: HttpClient) -> None:
    for name in (
        "12-job-create-badname",
        "13-job-create-noimage",
        "14-job-create-restartpolicy-always",
        "C9-create-no-name",
    ):
        response, captured = replay(http, name)
        assert_same_status(response, captured)
    # Current Kubernetes puts two job-name labels on the template, so the message lists the
    # problem twice; the cause is the reference's.
    response, captured = replay(http, "15-job-create-name64")
    assert_same_status(response, captured, exact_message=False)


def test_invalid_cron_schedules_are_rejected_with_robfig_messages(http: HttpClient) -> None:
    for name in ("A1-cronjob-create-bad-schedule", "A2-cronjob-create-bad-minute"):
        response, captured = replay(http, name)
        assert_same_status(response, captured)


def test_cronjob_create_defaults(http: HttpClient) -> None:
    response, captured = replay(http, "A0-cronjob-create")
    assert response.status == 201
    got, want = response.json, captured["response"]["body"]
    assert _without(got["spec"], "jobTemplate") == _without(want["spec"], "jobTemplate")
    # The job template is not Job-defaulted; only its pod template is. Unlike 1.24, current
    # servers omit an unset creationTimestamp rather than write null (v1.36 B1).
    assert got["spec"]["jobTemplate"] == _without_null_timestamps(want["spec"]["jobTemplate"])
    assert got["status"] == {}


def test_create_errors_before_validation(http: HttpClient) -> None:
    for name in (
        "C4-create-nonexistent-namespace",
        "C5-create-namespace-mismatch",
        "C6-create-wrong-kind",
    ):
        response, captured = replay(http, name)
        assert_same_status(response, captured)
    captured = reference("C7-create-malformed-json")
    response = http.request("POST", JOBS, raw_body=captured["request"]["bodyText"].encode())
    assert response.status == 400
    assert response.json["reason"] == "BadRequest"
    assert response.json["message"].startswith(
        "the object provided is unrecognized (must be of type Job)"
    )


def test_unknown_fields_are_dropped_with_a_warning(http: HttpClient) -> None:
    response, _ = replay(http, "C8-create-unknown-field")
    assert response.status == 201
    assert "bogusField" not in response.json["spec"]
    assert 'unknown field \\"spec.bogusField\\"' in response.headers["warning"]
    strict = http.request(
        "POST",
        JOBS,
        "fieldValidation=Strict",
        reference("C8-create-unknown-field")["request"]["body"],
    )
    assert strict.status == 400
    assert 'unknown field "spec.bogusField"' in strict.json["message"]


def test_generate_name_appends_five_characters(http: HttpClient) -> None:
    response, _ = replay(http, "CA-job-create-generatename")
    assert response.status == 201
    name = response.json["metadata"]["name"]
    assert name.startswith("ref-gen-") and len(name) == len("ref-gen-") + 5
    assert response.json["metadata"]["generateName"] == "ref-gen-"


def test_generated_names_are_truncated_to_fit_63_characters(bare_cluster: EmbeddedCluster) -> None:
    prefix = "b" * 63 + "-"
    pod = bare_cluster.api.create(
        "pods",
        "default",
        {
            "metadata": {"generateName": prefix},
            "spec": {"containers": [{"name": "c", "image": "x:1"}]},
        },
    )
    name = pod["metadata"]["name"]
    assert len(name) == 63 and name.startswith("b" * 58)


def test_put_with_a_stale_resource_version_conflicts(http: HttpClient) -> None:
    created = _create_minimal(http)
    http.request(
        "PATCH",
        f"{JOBS}/ref-minimal",
        body={"metadata": {"labels": {"x": "y"}}},
        content_type="application/merge-patch+json",
    )
    body = reference("19-job-put-stale-rv")["request"]["body"]
    body["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    body["metadata"]["uid"] = created["metadata"]["uid"]
    response, captured = replay(http, "19-job-put-stale-rv", body=body)
    assert_same_status(response, captured)


def test_put_updates_and_bumps_generation_only_for_spec_changes(http: HttpClient) -> None:
    created = replay(http, "CA-job-create-generatename")[0].json
    name = created["metadata"]["name"]
    created["metadata"]["labels"]["extra"] = "1"
    created["spec"]["parallelism"] = 3
    response = http.request("PUT", f"{JOBS}/{name}", body=created)
    assert response.status == 200
    updated = response.json
    assert updated["metadata"]["generation"] == 2
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    assert updated["spec"]["parallelism"] == 3
    # Without a resourceVersion the update is unconditional (CC).
    del updated["metadata"]["resourceVersion"]
    updated["metadata"]["labels"]["again"] = "2"
    response = http.request("PUT", f"{JOBS}/{name}", body=updated)
    assert response.status == 200
    assert response.json["metadata"]["labels"]["again"] == "2"
    assert response.json["metadata"]["generation"] == 2


def test_patch_variants(http: HttpClient) -> None:
    created = _create_minimal(http)
    merged, _ = replay(http, "20-job-patch-merge-label")
    assert merged.status == 200
    assert merged.json["metadata"]["labels"] == {"suite": "ref", "tier": "gold"}
    assert merged.json["metadata"]["generation"] == 1
    assert int(merged.json["metadata"]["resourceVersion"]) > int(
        created["metadata"]["resourceVersion"]
    )

    immutable, captured = replay(http, "21-job-patch-template-immutable")
    assert_same_status(immutable, captured, exact_message=False)
    assert immutable.json["message"].endswith("field is immutable")

    strategic, _ = replay(http, "22-job-patch-strategic-parallelism")
    assert strategic.status == 200
    assert strategic.json["spec"]["parallelism"] == 0
    assert strategic.json["metadata"]["generation"] == 2

    json_patched, _ = replay(http, "23-job-patch-jsonpatch-label")
    assert json_patched.status == 200
    assert json_patched.json["metadata"]["labels"] == {"suite": "ref"}

    for name in ("24-job-patch-bad-content-type", "25-job-patch-missing"):
        response, captured = replay(http, name)
        assert_same_status(response, captured)


def test_strategic_merge_merges_containers_by_name(bare_cluster: EmbeddedCluster) -> None:
    api = bare_cluster.api
    api.create(
        "pods",
        "default",
        {
            "metadata": {"name": "two"},
            "spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]},
        },
    )
    patched = api.patch(
        "pods",
        "default",
        "two",
        {"spec": {"containers": [{"name": "b", "image": "b:2"}]}},
        "application/strategic-merge-patch+json",
    )
    images = [(c["name"], c["image"]) for c in patched["spec"]["containers"]]
    assert images == [("a", "a:1"), ("b", "b:2")]


def test_status_subresource_ignores_spec_but_keeps_labels(http: HttpClient) -> None:
    created = _create_minimal(http)
    response = http.request(
        "PATCH",
        f"{JOBS}/ref-minimal/status",
        body=reference("CM-job-status-patch")["request"]["body"],
        content_type="application/merge-patch+json",
    )
    assert response.status == 200
    assert response.json["spec"]["parallelism"] == created["spec"]["parallelism"]
    assert response.json["metadata"]["labels"]["via-status"] == "x"
    assert response.json["metadata"]["generation"] == 1
    # And the main resource ignores status.
    body = response.json
    body["status"] = {"succeeded": 5}
    put = http.request("PUT", f"{JOBS}/ref-minimal", body=body)
    assert put.status == 200
    assert put.json["status"] == {}
    status = http.request("GET", f"{JOBS}/ref-minimal/status")
    assert status.status == 200 and status.json["kind"] == "Job"


def test_dry_run_create_stores_nothing(http: HttpClient) -> None:
    response, _ = replay(http, "B5-job-create-dryrun-all")
    assert response.status == 201
    assert "resourceVersion" not in response.json["metadata"]
    assert response.json["metadata"]["uid"]
    assert response.json["spec"]["template"]["metadata"]["labels"]["job-name"] == "ref-dryrun"
    missing, captured = replay(http, "B6-job-get-after-dryrun")
    assert_same_status(missing, captured)
    invalid, captured = replay(http, "B7-job-create-dryrun-invalid-value")
    assert_same_status(invalid, captured)
    _create_minimal(http)
    duplicate = http.request(
        "POST", JOBS, "dryRun=All", reference("10-job-create-minimal")["request"]["body"]
    )
    assert duplicate.status == 409 and duplicate.json["reason"] == "AlreadyExists"


def test_bad_resource_quantities(bare_cluster: EmbeddedCluster) -> None:
    http = HttpClient(bare_cluster.url, token=bare_cluster.admin_token)
    try:
        body = reference("10-job-create-minimal")["request"]["body"]
        container = body["spec"]["template"]["spec"]["containers"][0]
        container["resources"] = {"limits": {"cpu": "lots"}}
        response = http.request("POST", JOBS, body=body)
        assert response.status == 400
        assert "quantities must match the regular expression" in response.json["message"]
        container["resources"] = {"limits": {"cpu": "-1"}}
        response = http.request("POST", JOBS, body=body)
        assert response.status == 422
        cause = response.json["details"]["causes"][0]
        assert cause["field"] == "spec.template.spec.containers[0].resources.limits[cpu]"
    finally:
        http.close()


def test_pod_status_writes_keep_owner_references(bare_cluster: EmbeddedCluster) -> None:
    api = bare_cluster.api
    job = api.create("jobs", "default", job_body("owner", suspend=True))
    api.create("pods", "default", pod_body("owned", job))
    pod = api.get("pods", "default", "owned")
    pod["metadata"].pop("ownerReferences")
    pod["status"] = {"phase": "Running", "qosClass": pod["status"]["qosClass"]}
    updated = api.update("pods", "default", "owned", pod, subresource="status")
    assert updated["status"]["phase"] == "Running"
    assert updated["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"]


def test_server_side_apply_creates_and_detects_conflicts(http: HttpClient) -> None:
    created, _ = replay(http, "CH-job-server-side-apply-create")
    assert created.status == 201
    assert created.json["metadata"]["labels"] == {"via": "apply"}
    missing_manager, captured = replay(http, "CI-job-server-side-apply-no-fieldmanager")
    assert_same_status(missing_manager, captured)
    conflict, captured = replay(http, "CJ-job-server-side-apply-conflict")
    assert_same_status(conflict, captured)
    # The same manager may change its own field; force takes another's over.
    again = reference("CH-job-server-side-apply-create")["request"]["body"]
    again["metadata"]["labels"]["via"] = "apply-2"
    mine = http.request(
        "PATCH",
        f"{JOBS}/ref-ssa",
        "fieldManager=ref-tool",
        again,
        content_type="application/apply-patch+yaml",
    )
    assert mine.status == 200 and mine.json["metadata"]["labels"]["via"] == "apply-2"
    forced, _ = replay(
        http, "CJ-job-server-side-apply-conflict", query="fieldManager=other-tool&force=true"
    )
    assert forced.status == 200
    assert forced.json["metadata"]["labels"]["via"] == "other-tool"


def test_oversized_inputs_are_refused_or_capped_never_a_server_error(http: HttpClient) -> None:
    """A time zone name longer than a file name can be is an unknown time zone (422), and a
    quantity beyond 2^63-1 is capped as upstream documents, not a 500 from the parser."""
    cronjob = reference("A0-cronjob-create")["request"]["body"]
    cronjob["metadata"]["name"] = "long-zone"
    cronjob["spec"]["timeZone"] = "A" * 300
    response = http.request("POST", CRONJOBS, body=cronjob)
    assert response.status == 422, response.json
    assert response.json["details"]["causes"][0]["field"] == "spec.timeZone"
    body = reference("10-job-create-minimal")["request"]["body"]
    body["metadata"]["name"] = "huge-quantity"
    container = body["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"requests": {"cpu": "1e9999999"}}
    response = http.request("POST", JOBS, body=body)
    assert response.status == 201, response.json
