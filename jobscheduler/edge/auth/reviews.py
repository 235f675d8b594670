"""TokenReview and SubjectAccessReview: Kubernetes says who a caller is and what they may do.

As kube-rbac-proxy does (``pkg/authn/delegating.go``, ``pkg/authz/auth.go``): a bearer token is
reviewed by the API server, and each access by the API server's authorizer (RBAC), so the
cluster's RoleBindings are the policy. Answers are cached briefly: a token by its SHA-256
(never the token itself) and only when valid; an access decision per (identity, namespace,
permission), the permission naming verb, resource and, for one object, its name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from jobscheduler import errors
from jobscheduler.edge.auth.cache import TtlCache
from jobscheduler.edge.auth.identity import Identity
from jobscheduler.kube.resources import SUBJECTACCESSREVIEWS, TOKENREVIEWS, Resource
from jobscheduler.logs import get_logger

JSON = dict[str, Any]
# Longer than any real token (a ServiceAccount JWT is ~1 KiB): refused without a review.
MAX_TOKEN_LENGTH = 16 * 1024
UNAUTHENTICATED_MESSAGE = (
    "the bearer token was not accepted by Kubernetes (invalid, expired or for another audience)"
)

log = get_logger("jobscheduler.edge.auth")


class Reviewer(Protocol):
    """What the reviews need from the Kubernetes gateway (``KubeGateway.create``)."""

    def create(self, resource: Resource, namespace: str | None, body: JSON) -> JSON: ...


def _review(reviewer: Reviewer, resource: Resource, body: JSON) -> JSON:
    try:
        return reviewer.create(resource, None, body)
    except errors.PermissionDenied:
        # The service's own RBAC lacks create on the reviews: nobody can be let in, and the
        # caller should not be told they are the problem.
        log.error("the service may not create reviews; see k8s/base", resource=resource.plural)
        raise errors.Unavailable(
            "the service cannot verify credentials now (it may not create "
            f"{resource.plural}.{resource.group})"
        ) from None


def seconds_until_expiry(token: str, now: float) -> float | None:
    """Seconds left before a JWT's ``exp`` claim (read, not verified: it only shortens how long
    an accepted token's review is reused), or None for a token that is no JWT or has no exp."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return None
    expires = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return None
    return float(expires) - now


class TokenAuthenticator:
    def __init__(
        self,
        reviewer: Reviewer,
        audiences: list[str],
        cache: TtlCache[str, Identity],
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._reviewer = reviewer
        self._audiences = list(audiences)
        self._cache = cache
        self._wall_clock = wall_clock
        self.reviews_sent = 0

    def authenticate(self, token: str) -> Identity:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise errors.Unauthenticated(UNAUTHENTICATED_MESSAGE)
        digest = hashlib.sha256(token.encode()).hexdigest()
        cached = self._cache.get(digest)
        if cached is not None:
            return cached
        spec: JSON = {"token": token}
        if self._audiences:
            spec["audiences"] = self._audiences
        self.reviews_sent += 1
        answer = _review(
            self._reviewer,
            TOKENREVIEWS,
            {"apiVersion": TOKENREVIEWS.api_version, "kind": TOKENREVIEWS.kind, "spec": spec},
        )
        status = answer.get("status") or {}
        if not status.get("authenticated"):
            raise errors.Unauthenticated(UNAUTHENTICATED_MESSAGE)
        if self._audiences and not set(status.get("audiences") or ()) & set(self._audiences):
            # An authenticator that ignores audiences answers without them: not for us.
            raise errors.Unauthenticated(UNAUTHENTICATED_MESSAGE)
        identity = Identity.from_user_info(status.get("user") or {})
        if not identity.user:
            raise errors.Unauthenticated(UNAUTHENTICATED_MESSAGE)
        # An expired token is refused from its expiry on, not up to a cache ttl later.
        self._cache.put(
            digest, identity, at_most_seconds=seconds_until_expiry(token, self._wall_clock())
        )
        return identity


@dataclass(frozen=True)
class Permission:
    """A verb on a resource (optionally a subresource) of one API group; with ``name``, on
    that one object only (RBAC ``resourceNames`` apply), e.g. ``get`` on one Secret."""

    verb: str
    group: str
    resource: str
    subresource: str = ""
    name: str = ""

    def describe(self) -> str:
        """As Kubernetes writes it in a 403: ``create jobs.batch``, ``get pods/log``,
        ``get secrets "hook-token"``."""
        plural = self.resource + (f"/{self.subresource}" if self.subresource else "")
        described = f"{self.verb} {plural}" + (f".{self.group}" if self.group else "")
        return described + (f' "{self.name}"' if self.name else "")


class AccessReviewer:
    def __init__(
        self, reviewer: Reviewer, cache: TtlCache[tuple[str, str, Permission], bool]
    ) -> None:
        self._reviewer = reviewer
        self._cache = cache
        self.reviews_sent = 0

    def allowed(self, identity: Identity, namespace: str, permission: Permission) -> bool:
        key = (identity.key(), namespace, permission)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        attributes: JSON = {
            "namespace": namespace,
            "verb": permission.verb,
            "group": permission.group,
            "resource": permission.resource,
        }
        if permission.subresource:
            attributes["subresource"] = permission.subresource
        if permission.name:
            attributes["name"] = permission.name
        spec = {**identity.subject(), "resourceAttributes": attributes}
        self.reviews_sent += 1
        answer = _review(
            self._reviewer,
            SUBJECTACCESSREVIEWS,
            {
                "apiVersion": SUBJECTACCESSREVIEWS.api_version,
                "kind": SUBJECTACCESSREVIEWS.kind,
                "spec": spec,
            },
        )
        status = answer.get("status") or {}
        allowed = bool(status.get("allowed")) and not status.get("denied")
        self._cache.put(key, allowed)
        return allowed
