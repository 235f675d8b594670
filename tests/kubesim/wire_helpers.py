"""Raw HTTP access to the embedded API server and the captured reference exchanges."""

from __future__ import annotations

import fnmatch
import http.client
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

# The captured kube-apiserver exchanges are vendored beside these tests so the suite runs on any
# checkout; test_reference_coverage checks the copy against the upstream set when it is present.
VENDORED_REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
UPSTREAM_REFERENCE_DIR = Path(__file__).resolve().parents[3] / "shared" / "k8s-reference"


def _reference_dir() -> Path:
    configured = os.environ.get("JOBSCHEDULER_K8S_REFERENCE")
    if configured:
        return Path(configured)
    return VENDORED_REFERENCE_DIR


REFERENCE_DIR = _reference_dir()

# The same kind of captures from a v1.36 control plane (pods/QoS, Jobs, authentication and RBAC
# reviews, ConfigMaps, Leases, watches). Where the two sets disagree, v1.36 is what we simulate.
VENDORED_REFERENCE_V136_DIR = Path(__file__).resolve().parent / "reference-v1.36"
UPSTREAM_REFERENCE_V136_DIR = Path(__file__).resolve().parents[3] / "shared" / "k8s-reference-v1.36"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.raw.splitlines() if line.strip()]


class HttpClient:
    """A keep-alive HTTP/1.1 client speaking to the embedded API server like curl did.

    ``token``: the bearer token sent with every request (a cluster's ``admin_token``, or a
    ServiceAccount's); without one, requests are anonymous."""

    def __init__(self, url: str, timeout: float = 30.0, *, token: str | None = None) -> None:
        self._auth = {"Authorization": f"Bearer {token}"} if token else {}
        parts = urlsplit(url)
        self._connection = http.client.HTTPConnection(
            parts.hostname or "", parts.port, timeout=timeout
        )

    def request(
        self,
        method: str,
        path: str,
        query: str = "",
        body: Any = None,
        *,
        content_type: str = "application/json",
        accept: str = "application/json",
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        target = path + ("?" + _encode_query(query) if query else "")
        payload = (
            raw_body
            if raw_body is not None
            else (None if body is None else json.dumps(body).encode())
        )
        sent = {"Accept": accept, **self._auth, **(headers or {})}
        if payload is not None:
            sent["Content-Type"] = content_type
        self._connection.request(method, target, body=payload, headers=sent)
        response = self._connection.getresponse()
        raw = response.read()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, raw)

    def close(self) -> None:
        self._connection.close()


def _encode_query(query: str) -> str:
    """The references store decoded queries; re-encode each value."""
    parts = []
    for item in query.split("&"):
        key, _, value = item.partition("=")
        parts.append(f"{key}={quote(value, safe='')}")
    return "&".join(parts)


def reference(name: str) -> Any:
    matches = sorted(REFERENCE_DIR.glob(f"{name}*.json"))
    assert matches, f"reference capture {name} is not in {REFERENCE_DIR}"
    return json.loads(matches[0].read_text())


def reference_v136(name: str) -> Any:
    """A v1.36 capture by its file name or a prefix of it that ends at a dash ("A5-", "E01-")."""
    matches = sorted(VENDORED_REFERENCE_V136_DIR.glob(f"{name}*.json"))
    assert len(matches) == 1, f"{name!r} names {len(matches)} v1.36 captures, not one"
    return json.loads(matches[0].read_text())


def assert_same_status(response: Response, expected: Any, *, exact_message: bool = True) -> None:
    """The response is the Status the reference shows: code, reason, details and causes."""
    want = expected["response"]["body"]
    got = response.json
    assert response.status == expected["response"]["statusCode"], got
    assert got["kind"] == "Status"
    assert (got["status"], got["reason"], got["code"]) == (
        want["status"],
        want["reason"],
        want["code"],
    )
    if exact_message:
        assert got["message"] == want["message"]
    want_details = dict(want.get("details") or {})
    got_details = dict(got.get("details") or {})
    want_causes = want_details.pop("causes", None)
    got_causes = got_details.pop("causes", None)
    assert got_details == want_details
    if want_causes is None:
        assert got_causes is None
    else:
        assert got_causes is not None
        assert _distinct(got_causes, exact_message) == _distinct(want_causes, exact_message)


def _distinct(causes: list[Any], with_message: bool) -> list[tuple[str, str, str]]:
    """Causes in order without repeats: current Kubernetes reports the same problem once per
    offending label (job-name and batch.kubernetes.io/job-name), 1.24 had one label."""
    seen: list[tuple[str, str, str]] = []
    for cause in causes:
        entry = (cause["reason"], cause.get("field", ""), cause["message"] if with_message else "")
        if entry not in seen:
            seen.append(entry)
    return seen


def replay(client: HttpClient, name: str, **overrides: Any) -> tuple[Response, Any]:
    """Send the request of reference ``name`` (with overrides) and return both."""
    captured = reference(name)
    return _send(client, captured["request"], **overrides), captured


def replay_v136(client: HttpClient, name: str, **overrides: Any) -> tuple[Response, Any]:
    """``replay`` for a v1.36 capture; credentials are the test's to pass as ``headers``."""
    captured = reference_v136(name)
    return _send(client, captured["request"], **overrides), captured


def _send(client: HttpClient, request: Any, **overrides: Any) -> Response:
    return client.request(
        overrides.get("method", request["method"]),
        overrides.get("path", request["path"]),
        overrides.get("query", request.get("query", "")),
        overrides.get("body", request.get("body")),
        content_type=overrides.get("content_type", request.get("contentType", "application/json")),
        accept=overrides.get("accept", request.get("accept", "application/json")),
        raw_body=overrides.get("raw_body"),
        headers=overrides.get("headers"),
    )


def job_body(name: str, labels: dict[str, str] | None = None, **spec: Any) -> Any:
    """A minimal valid Job manifest."""
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "main", "image": "busybox:1.36"}],
                    "restartPolicy": "Never",
                }
            },
            **spec,
        },
    }


def pod_body(name: str, owner: Any = None, **meta: Any) -> Any:
    """A minimal Pod, optionally owned (controller reference) by ``owner``."""
    metadata: dict[str, Any] = {"name": name, **meta}
    if owner is not None:
        metadata["ownerReferences"] = [
            {
                "apiVersion": owner["apiVersion"],
                "kind": owner["kind"],
                "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "containers": [{"name": "main", "image": "busybox:1.36"}],
            "restartPolicy": "Never",
        },
    }


def shape_differences(got: Any, want: Any, path: str = "") -> list[str]:
    """Where ``got`` is not shaped like ``want``: missing or extra object keys and JSON types
    that differ. Values are ignored (uids, times, resourceVersions and names are volatile);
    lists are compared through their first elements."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path or '.'}: {type(got).__name__} instead of an object"]
        differences = [f"{path}.{key} missing" for key in sorted(want.keys() - got.keys())]
        differences += [f"{path}.{key} extra" for key in sorted(got.keys() - want.keys())]
        for key in sorted(want.keys() & got.keys()):
            differences += shape_differences(got[key], want[key], f"{path}.{key}")
        return differences
    if isinstance(want, list):
        if not isinstance(got, list):
            return [f"{path}: {type(got).__name__} instead of a list"]
        if want and got:
            return shape_differences(got[0], want[0], f"{path}[]")
        return []
    if want is None or got is None:
        return [] if want is got else [f"{path}: {got!r} where the reference has {want!r}"]
    if type(got) is not type(want):
        return [f"{path}: {type(got).__name__} where the reference has {type(want).__name__}"]
    return []


def assert_same_shape(got: Any, want: Any, *, newer: tuple[str, ...] = ()) -> None:
    """``got`` has the reference's shape, except for differences matching ``newer`` (fnmatch
    patterns for what current Kubernetes adds or drops relative to the 1.24 capture)."""
    differences = [
        difference
        for difference in shape_differences(got, want)
        if not any(fnmatch.fnmatchcase(difference, pattern) for pattern in newer)
    ]
    assert differences == [], differences


def until(fetch: Any, done: Any, what: str, seconds: float = 20.0) -> Any:
    """Poll ``fetch`` until ``done`` holds for its value (generous bound; no timing asserted)."""
    deadline = time.monotonic() + seconds
    value = fetch()
    while not done(value):
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {value!r}"
        time.sleep(0.02)
        value = fetch()
    return value
