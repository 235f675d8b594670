"""Discovery, paths outside the resources, 405s, pod logs and Table output (k8s-reference
0x, B0-B4, Cx)."""

from __future__ import annotations

from kubesim.cluster import EmbeddedCluster

from .wire_helpers import HttpClient, assert_same_status, job_body, pod_body, reference, replay

# The Accept header kubectl get sends.
TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


def test_discovery_lists_what_is_served(http: HttpClient) -> None:
    version = http.request("GET", "/version").json
    # v1.36 adds emulation*/minCompatibility* (test_reference_v136_version replays I0).
    assert set(version) >= set(reference("01-discovery-version")["response"]["body"])
    assert http.request("GET", "/api").json["versions"] == ["v1"]
    groups = http.request("GET", "/apis").json
    assert groups["kind"] == "APIGroupList"
    assert "batch" in [group["name"] for group in groups["groups"]]
    batch = http.request("GET", "/apis/batch").json
    assert batch["preferredVersion"] == {"groupVersion": "batch/v1", "version": "v1"}
    batch_v1 = {r["name"]: r for r in http.request("GET", "/apis/batch/v1").json["resources"]}
    want = {
        r["name"]: r
        for r in reference("06-discovery-apis-batch-v1")["response"]["body"]["resources"]
    }
    assert set(batch_v1) == set(want)
    for name, entry in want.items():
        assert batch_v1[name]["verbs"] == entry["verbs"]
        assert batch_v1[name]["namespaced"] == entry["namespaced"]
        assert batch_v1[name]["kind"] == entry["kind"]
    core = {r["name"]: r for r in http.request("GET", "/api/v1").json["resources"]}
    want_core = {
        r["name"]: r for r in reference("03-discovery-api-v1")["response"]["body"]["resources"]
    }
    for name in ("pods", "pods/log", "pods/status", "events", "namespaces"):
        assert core[name]["verbs"] == want_core[name]["verbs"], name
        assert core[name]["namespaced"] == want_core[name]["namespaced"], name


def test_paths_outside_the_resources(http: HttpClient) -> None:
    for name in (
        "C0-unknown-group-version",
        "C1-unknown-resource",
        "CK-post-to-named-resource",
        "CL-put-on-collection",
    ):
        response, captured = replay(http, name)
        assert_same_status(response, captured)
    response, captured = replay(http, "C0b-non-api-path")
    assert response.status == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.raw.decode() == captured["response"]["bodyText"]
    assert http.request("GET", "/healthz").raw == b"ok"


def test_pod_logs_before_a_node_runs_the_pod(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    bare_cluster.api.create("pods", "default", pod_body("ref-del-orphan-5xw4j"))
    response, _ = replay(http, "B0-pod-log-pending-pod")
    assert response.status == 204
    assert response.raw == b"" and "content-type" not in response.headers
    response, captured = replay(http, "B1-pod-log-missing-pod")
    assert_same_status(response, captured)
    bare_cluster.api.create("pods", "default", pod_body("ref-lifecycle-9p2gj"))
    response, captured = replay(http, "B3-pod-log-wrong-container")
    assert_same_status(response, captured)


def test_kubectl_get_tables(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    bare_cluster.api.create("jobs", "default", job_body("ref-table"))
    table = http.request("GET", "/apis/batch/v1/namespaces/default/jobs", "limit=500", accept=TABLE)
    assert table.status == 200
    assert table.headers["content-type"] == "application/json"
    body = table.json
    assert (body["kind"], body["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    columns = [column["name"] for column in body["columnDefinitions"]]
    # Current kube-apiserver adds Status to the 1.24 columns of reference CE.
    want = [
        c["name"]
        for c in reference("CE-job-list-as-table")["response"]["body"]["columnDefinitions"]
    ]
    assert columns == [want[0], "Status", *want[1:]]
    row = body["rows"][0]
    assert row["cells"][:3] == ["ref-table", "Running", "0/1"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["name"] == "ref-table"
    bare_cluster.api.create("pods", "default", pod_body("ref-pod"))
    pods = http.request("GET", "/api/v1/namespaces/default/pods", accept=TABLE).json
    want_pod_columns = [
        c["name"]
        for c in reference("CG-pod-list-as-table")["response"]["body"]["columnDefinitions"]
    ]
    assert [c["name"] for c in pods["columnDefinitions"]] == want_pod_columns
    assert pods["rows"][0]["cells"][:3] == ["ref-pod", "0/1", "Pending"]


def test_table_of_a_single_object(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    bare_cluster.api.create("jobs", "default", job_body("one"))
    table = http.request("GET", "/apis/batch/v1/namespaces/default/jobs/one", accept=TABLE).json
    assert table["kind"] == "Table" and len(table["rows"]) == 1


def test_protobuf_bodies_are_refused_clearly(http: HttpClient) -> None:
    response = http.request(
        "POST",
        "/apis/batch/v1/namespaces/default/jobs",
        raw_body=b"k8s\x00\n\x0f\n\x08batch/v1\x12\x03Job",
        content_type="application/vnd.kubernetes.protobuf",
    )
    assert response.status == 415
    assert response.json["reason"] == "UnsupportedMediaType"
    assert "application/json" in response.json["message"]
