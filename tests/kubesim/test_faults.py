"""Fault injection: what a client of the embedded cluster sees when the API misbehaves."""

from __future__ import annotations

import http.client
import json
import time

import kubernetes.client as k8s
import pytest

from kubesim.cluster import EmbeddedCluster

from .wire_helpers import HttpClient, job_body


def test_next_requests_fail_with_429_and_retry_after(
    embedded_cluster: EmbeddedCluster, kube_client: k8s.ApiClient
) -> None:
    batch = k8s.BatchV1Api(kube_client)
    embedded_cluster.faults.fail_next(2, verb="create", resource="jobs", status=429, retry_after=3)
    for _ in range(2):
        with pytest.raises(k8s.ApiException) as throttled:
            batch.create_namespaced_job("default", job_body("throttled", suspend=True))
        assert throttled.value.status == 429
        assert throttled.value.headers["Retry-After"] == "3"
        body = json.loads(throttled.value.body)
        assert body["reason"] == "TooManyRequests"
        assert body["details"]["retryAfterSeconds"] == 3
    created = batch.create_namespaced_job("default", job_body("throttled", suspend=True))
    assert created.metadata.name == "throttled"
    assert embedded_cluster.faults.injected == 2


def test_faults_match_only_their_verb_and_resource(
    embedded_cluster: EmbeddedCluster, kube_client: k8s.ApiClient
) -> None:
    batch = k8s.BatchV1Api(kube_client)
    core = k8s.CoreV1Api(kube_client)
    embedded_cluster.faults.fail_next(verb="list", resource="pods", status=503)
    batch.list_namespaced_job("default")  # another resource: unaffected
    with pytest.raises(k8s.ApiException) as unavailable:
        core.list_namespaced_pod("default")
    assert unavailable.value.status == 503
    assert json.loads(unavailable.value.body)["reason"] == "ServiceUnavailable"
    core.list_namespaced_pod("default")  # the rule was used up


def test_internal_errors(embedded_cluster: EmbeddedCluster, kube_client: k8s.ApiClient) -> None:
    embedded_cluster.faults.fail_next(verb="get", resource="jobs", status=500)
    with pytest.raises(k8s.ApiException) as failed:
        k8s.BatchV1Api(kube_client).read_namespaced_job("anything", "default")
    assert failed.value.status == 500
    assert json.loads(failed.value.body)["reason"] == "InternalError"


def test_dropped_connection(embedded_cluster: EmbeddedCluster) -> None:
    embedded_cluster.faults.drop_next(verb="list", resource="jobs")
    client = HttpClient(embedded_cluster.url, token=embedded_cluster.admin_token)
    try:
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            client.request("GET", "/apis/batch/v1/namespaces/default/jobs")
    finally:
        client.close()
    again = HttpClient(embedded_cluster.url, token=embedded_cluster.admin_token)
    try:
        assert again.request("GET", "/apis/batch/v1/namespaces/default/jobs").status == 200
    finally:
        again.close()


def test_hanging_request_times_out_on_the_client(embedded_cluster: EmbeddedCluster) -> None:
    embedded_cluster.faults.hang_next(verb="get", resource="jobs", seconds=5)
    client = HttpClient(embedded_cluster.url, timeout=0.3, token=embedded_cluster.admin_token)
    try:
        with pytest.raises(TimeoutError):
            client.request("GET", "/apis/batch/v1/namespaces/default/jobs/slow")
    finally:
        client.close()
    assert embedded_cluster.faults.injected == 1


def test_latency_delays_matching_requests(
    embedded_cluster: EmbeddedCluster, kube_client: k8s.ApiClient
) -> None:
    embedded_cluster.faults.add_latency(0.3, verb="list", resource="jobs", count=1)
    started = time.monotonic()
    k8s.BatchV1Api(kube_client).list_namespaced_job("default")
    assert time.monotonic() - started >= 0.3
    embedded_cluster.faults.clear()
