"""``Gate``: what the HTTP layer asks before serving a request, and the resources it answers
itself (the reviews and the serviceaccounts/token subresource).

Upstream's order: authenticate (a bad bearer token is a 401, no credentials is
``system:anonymous``), then authorize (403), and only then route - so a forbidden request for
a resource that does not exist is a 403, not a 404.
"""

from __future__ import annotations

import secrets
from typing import Any

from kubesim.apiserver.registry import REVIEWS, ResourceType
from kubesim.apiserver.server import ApiServer
from kubesim.auth import reviews
from kubesim.auth.attributes import forbidden, request_attributes
from kubesim.auth.bootstrap import bootstrap_objects
from kubesim.auth.identity import ANONYMOUS, MASTERS, UserInfo, authenticated
from kubesim.auth.rbac import RbacAuthorizer
from kubesim.auth.satokens import API_AUDIENCES, ServiceAccountTokens, TokenRejected
from kubesim.clusterapi import JSON, ApiError

ADMIN = UserInfo("admin", "admin", (MASTERS,))
_REVIEW_KINDS = {rt.plural for rt in REVIEWS}


def unauthorized() -> ApiError:
    """The 401 of a bearer token no authenticator accepts (reference v1.36 E02)."""
    return ApiError(401, "Unauthorized", "Unauthorized")


class Gate:
    def __init__(self, server: ApiServer, static_tokens: dict[str, UserInfo] | None = None) -> None:
        self.server = server
        self.admin_token = secrets.token_urlsafe(32)
        self._static = {token: authenticated(user) for token, user in (static_tokens or {}).items()}
        self._static[self.admin_token] = authenticated(ADMIN)
        self.service_account_tokens = ServiceAccountTokens(server.clock)
        self.rbac = RbacAuthorizer(server.store)
        for plural, body in bootstrap_objects():
            if server.store.get(plural, None, body["metadata"]["name"]) is None:
                server.create(plural, None, body)

    # -- authentication --------------------------------------------------------------------
    def authenticate_token(
        self, token: str, audiences: list[str] | None = None
    ) -> tuple[UserInfo, list[str]]:
        """The user of a bearer token and the audiences it was accepted for; raises
        ``TokenRejected`` with upstream's error text."""
        wanted = tuple(audiences or API_AUDIENCES)
        static = self._static.get(token)
        if static is not None:
            # Static tokens are audience-agnostic: valid for the API server's own audiences.
            accepted = [audience for audience in API_AUDIENCES if audience in wanted]
            if accepted:
                return static, accepted
            raise TokenRejected("invalid bearer token")
        found = self.service_account_tokens.authenticate(token, wanted, self._service_account)
        if found is None:
            raise TokenRejected("invalid bearer token")
        return found

    def _service_account(self, namespace: str, name: str) -> JSON | None:
        return self.server.store.get("serviceaccounts", namespace, name)

    def authenticate(self, authorization: str | None) -> UserInfo:
        scheme, _, rest = (authorization or "").strip().partition(" ")
        token = rest.split(" ", 1)[0]
        if scheme.lower() != "bearer" or not token:
            return ANONYMOUS
        try:
            return self.authenticate_token(token)[0]
        except TokenRejected:
            raise unauthorized() from None

    # -- the HTTP hook ---------------------------------------------------------------------
    def admit(
        self, method: str, path: str, query: dict[str, list[str]], authorization: str | None
    ) -> UserInfo:
        """The requesting user, once allowed to do what the request asks (else 401/403)."""
        user = self.authenticate(authorization)
        attributes = request_attributes(method, path, query)
        if not self.rbac.authorize(user, attributes).allowed:
            raise forbidden(user, attributes)
        return user

    @staticmethod
    def answers(rt: ResourceType, subresource: str | None) -> bool:
        return rt.plural in _REVIEW_KINDS or (rt.plural, subresource) == (
            "serviceaccounts",
            "token",
        )

    def serve(
        self,
        user: UserInfo,
        verb: str,
        rt: ResourceType,
        *,
        namespace: str | None,
        name: str | None,
        body: Any,
    ) -> JSON:
        """Answer a create of a review (a collection) or a TokenRequest (a named account)."""
        names_an_object = name is not None
        if verb != "create" or names_an_object != (rt.plural == "serviceaccounts"):
            raise ApiError(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
                {},
            )
        if rt.plural == "serviceaccounts":
            assert namespace is not None and name is not None
            return reviews.token_request(self, namespace, name, body)
        return reviews.review(self, user, rt, namespace, body)
