"""A stand-in for the API server's TokenReview and SubjectAccessReview, at the gateway seam.

It answers the two review kinds the way kube-apiserver does (``status.authenticated``,
``status.user``, ``status.audiences``; ``status.allowed``) from a small RBAC table, and counts
the calls, so the edge's caching and mapping can be tested without cluster authentication.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from jobscheduler.kube.resources import SUBJECTACCESSREVIEWS, TOKENREVIEWS, Resource

JSON = dict[str, Any]
ADMIN_VERBS = ("get", "list", "watch", "create", "patch", "delete")


@dataclass(frozen=True)
class Grant:
    """``verbs`` on ``resources`` ("jobs", "cronjobs", "pods/log") in ``namespace`` ("*": all)."""

    subject: str  # a user name or a group name
    namespace: str
    verbs: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass
class FakeReviewer:
    tokens: dict[str, JSON] = field(default_factory=dict)  # token -> status.user
    audiences: dict[str, list[str]] = field(default_factory=dict)  # token -> its audiences
    grants: list[Grant] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=lambda: {"tokenreviews": 0, "sar": 0})
    seen_tokens: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_user(
        self,
        token: str,
        user: str,
        groups: tuple[str, ...] = (),
        audiences: list[str] | None = None,
    ) -> None:
        self.tokens[token] = {"username": user, "uid": f"uid-{user}", "groups": list(groups)}
        self.audiences[token] = audiences or ["https://kubernetes.default.svc"]

    def create(self, resource: Resource, namespace: str | None, body: JSON) -> JSON:
        with self._lock:
            if resource == TOKENREVIEWS:
                self.calls["tokenreviews"] += 1
                return self._token_review(body)
            assert resource == SUBJECTACCESSREVIEWS, resource
            self.calls["sar"] += 1
            return {**body, "status": {"allowed": self.allowed(body["spec"])}}

    def _token_review(self, body: JSON) -> JSON:
        token = body["spec"]["token"]
        self.seen_tokens.append(token)
        user = self.tokens.get(token)
        wanted = body["spec"].get("audiences") or ["https://kubernetes.default.svc"]
        has = self.audiences.get(token, [])
        if user is None or not set(wanted) & set(has):
            return {**body, "status": {"user": {}, "error": "invalid bearer token"}}
        audiences = [a for a in wanted if a in has]
        return {**body, "status": {"authenticated": True, "user": user, "audiences": audiences}}

    def allowed(self, spec: JSON) -> bool:
        attributes = spec["resourceAttributes"]
        name = attributes["resource"] + (
            f"/{attributes['subresource']}" if attributes.get("subresource") else ""
        )
        subjects = {spec["user"], *spec.get("groups", ())}
        return any(
            grant.subject in subjects
            and grant.namespace in ("*", attributes["namespace"])
            and attributes["verb"] in grant.verbs
            and name in grant.resources
            for grant in self.grants
        )
