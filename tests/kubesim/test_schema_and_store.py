"""Everything the cluster stores passes the upstream OpenAPI schema, and the store keeps
etcd's ordering and history semantics."""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import kubernetes_validate
import pytest

from kubesim.apiserver.schema import SchemaChecker
from kubesim.cluster import EmbeddedCluster
from kubesim.clusterapi import ApiError
from kubesim.store import ExpiredError, Store

from .wire_helpers import job_body

RESOURCES = ("namespaces", "jobs", "cronjobs", "pods", "events")


@pytest.mark.clock_speed(20)
def test_every_stored_object_passes_the_strict_upstream_schema(
    embedded_cluster: EmbeddedCluster,
) -> None:
    api = embedded_cluster.api
    api.create("jobs", "default", job_body("runs", completions=2, parallelism=2))
    api.create("jobs", "default", job_body("indexed", completionMode="Indexed", completions=2))
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "every-minute"},
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": job_body("x")["spec"]}},
    }
    api.create("cronjobs", "default", cronjob)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs = api.list("jobs", "default")["items"]
        done = [j for j in jobs if (j["status"].get("succeeded") or 0) >= 2]
        if len(done) >= 2 and api.list("events", "default")["items"]:
            break
        time.sleep(0.05)
    checked = dict.fromkeys(RESOURCES, 0)
    for resource in RESOURCES:
        for item in embedded_cluster.store.all_objects(resource):
            kubernetes_validate.validate(item, "1.32", strict=True)
            checked[resource] += 1
    assert checked["jobs"] >= 2 and checked["pods"] >= 4 and checked["events"] >= 1
    assert checked["cronjobs"] == 1 and checked["namespaces"] >= 3


def test_schema_violations_are_bad_requests() -> None:
    checker = SchemaChecker("all")
    bad = job_body("typed")
    bad["spec"]["parallelism"] = "three"
    with pytest.raises(ApiError) as error:
        checker.check(bad)
    assert error.value.code == 400
    assert "spec.parallelism" in error.value.message
    assert SchemaChecker("off").check(bad) == []


def test_keys_sort_like_etcd_across_namespaces() -> None:
    store = Store()
    for namespace, name in (("a", "x"), ("a-b", "y"), ("a", "w"), ("b", "z")):
        store.put("jobs", {"kind": "Job", "metadata": {"namespace": namespace, "name": name}})
    items, _, _ = store.scan("jobs", "a")
    assert [item["metadata"]["name"] for item in items] == ["w", "x"]
    everything, _, _ = store.scan("jobs", None)
    assert [item["metadata"]["name"] for item in everything] == ["y", "w", "x", "z"]
    page, last, remaining = store.scan("jobs", None, limit=2)
    assert len(page) == 2 and last == "a/w" and remaining == 2


def test_history_is_bounded_and_older_versions_expire() -> None:
    store = Store(history_limit=3)
    for index in range(5):
        store.put("pods", {"kind": "Pod", "metadata": {"namespace": "d", "name": f"p{index}"}})
    newest = store.resource_version
    subscription, backlog, _ = store.subscribe("pods", newest - 3)
    assert [event.object["metadata"]["name"] for event in backlog] == ["p2", "p3", "p4"]
    subscription.unsubscribe()
    with pytest.raises(ExpiredError):
        store.subscribe("pods", newest - 4)


def test_without_kubernetes_validate_the_check_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # kubernetes-validate is a dev dependency; the container image runs without it.
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        if name == "kubernetes_validate":
            raise ModuleNotFoundError(name)
        return real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    checker = SchemaChecker("all")
    assert checker.mode == "off"
    bad = job_body("typed")
    bad["spec"]["parallelism"] = "three"
    assert checker.check(bad) == []
