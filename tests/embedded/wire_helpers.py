"""Raw HTTP access to the embedded API server and the captured reference exchanges."""

from __future__ import annotations

import http.client
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest


def _reference_dir() -> Path:
    """shared/ sits beside the repository checkout (locally and in CI)."""
    configured = os.environ.get("JOBSCHEDULER_K8S_REFERENCE")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared" / "k8s-reference"


REFERENCE_DIR = _reference_dir()


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
    """A keep-alive HTTP/1.1 client speaking to the embedded API server like curl did."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
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
    ) -> Response:
        target = path + ("?" + _encode_query(query) if query else "")
        payload = (
            raw_body
            if raw_body is not None
            else (None if body is None else json.dumps(body).encode())
        )
        headers = {"Accept": accept}
        if payload is not None:
            headers["Content-Type"] = content_type
        self._connection.request(method, target, body=payload, headers=headers)
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
    if not matches:
        message = f"reference capture {name} is not available in {REFERENCE_DIR}"
        if os.environ.get("CI"):
            # CI always has ../shared beside the checkout: a missing capture there is a bug.
            pytest.fail(message)
        pytest.skip(message)
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
    request = captured["request"]
    response = client.request(
        overrides.get("method", request["method"]),
        overrides.get("path", request["path"]),
        overrides.get("query", request.get("query", "")),
        overrides.get("body", request.get("body")),
        content_type=overrides.get("content_type", request.get("contentType", "application/json")),
        accept=overrides.get("accept", request.get("accept", "application/json")),
        raw_body=overrides.get("raw_body"),
    )
    return response, captured


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
