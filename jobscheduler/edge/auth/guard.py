"""The access hook every JobScheduler RPC passes through (called by ``edge.interceptors``).

Like Argo Server's gatekeeper (``server/auth/gatekeeper.go``), one place resolves the caller
once per call: authenticate (bearer token via TokenReview, else the verified client
certificate), rate-limit, authorize the RPC's Kubernetes verb in its namespace
(SubjectAccessReview, ``rules``), then fix what identity decides in the request:
``created_by`` is the caller, page tokens are theirs. Every refusal here and every mutating
RPC leave one audit line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import grpc
from google.protobuf.message import Message

from jobscheduler import errors, requestctx
from jobscheduler.config import AuthMode, Settings
from jobscheduler.edge.auth.audit import audit
from jobscheduler.edge.auth.cache import TtlCache
from jobscheduler.edge.auth.identity import UNAUTHENTICATED_DEVELOPER, Identity
from jobscheduler.edge.auth.images import ImagePolicy
from jobscheduler.edge.auth.limits import RateLimiter, StreamLimiter
from jobscheduler.edge.auth.pagetokens import PageTokenBinder
from jobscheduler.edge.auth.reviews import AccessReviewer, Reviewer, TokenAuthenticator
from jobscheduler.edge.auth.rules import (
    PAGE_RULES,
    RULES,
    BatchScheduleRule,
    Denial,
    RerunRule,
    Rule,
    ScheduleRule,
)
from jobscheduler.edge.auth.secretreads import secrets_read
from jobscheduler.edge.auth.tls import certificate_identity
from jobscheduler.errors import FieldViolation, InvalidArgument

AUTHORIZATION_HEADER = "authorization"
NO_CREDENTIALS_MESSAGE = (
    "no credentials: send the metadata 'authorization: Bearer <token>' "
    "(e.g. kubectl create token <serviceaccount>) or a client certificate"
)
_REQUEST_ONEOF = "job_config"
_PAGED_RESPONSES = ("ListJobsResponse", "ListSchedulesResponse")


NO_HTTP_CREDENTIALS_MESSAGE = (
    "no credentials: send the header 'Authorization: Bearer <token>' "
    "(e.g. kubectl create token <serviceaccount>)"
)


def parse_bearer(value: str, where: str = "metadata") -> str:
    """The token of an ``authorization`` value, or Unauthenticated unless it is a bearer one."""
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthenticated(f"the authorization {where} must be 'Bearer <token>'")
    return token.strip()


def bearer_token(context: grpc.ServicerContext) -> str | None:
    """The token of an ``authorization: Bearer`` header; None without the header at all."""
    for key, value in context.invocation_metadata() or ():
        if key == AUTHORIZATION_HEADER and isinstance(value, str):
            return parse_bearer(value)
    return None


@dataclass
class Admission:
    """An admitted call: the request to serve, what to do with its answers and at its end."""

    request: Message
    identity: Identity
    outgoing: Callable[[Message], Message]
    on_finish: list[Callable[[str, str], None]] = field(default_factory=list)

    def finish(self, code: str, job_id: str) -> None:
        for step in self.on_finish:
            step(code, job_id)


class AccessGuard:
    def __init__(
        self,
        settings: Settings,
        reviewer: Reviewer | None,
        *,
        binder: PageTokenBinder | None = None,
    ) -> None:
        self._mode = settings.auth_mode
        self._default_namespace = settings.k8s_namespace
        if self._mode is AuthMode.KUBERNETES and reviewer is None:
            raise ValueError("AUTH_MODE=kubernetes needs a Kubernetes client for reviews")
        ttl, size = settings.auth_cache_ttl_seconds, settings.auth_cache_size
        self.tokens = (
            TokenAuthenticator(reviewer, settings.auth_token_audiences, TtlCache(ttl, size))
            if reviewer is not None
            else None
        )
        self.access = AccessReviewer(reviewer, TtlCache(ttl, size)) if reviewer else None
        key = settings.page_token_key.encode() if settings.page_token_key else None
        self._binder = binder or PageTokenBinder(key)
        self._rate = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        self._streams = StreamLimiter(settings.max_streams_per_caller)
        self._images = ImagePolicy(settings.image_allowlist, settings.image_require_digest)

    @property
    def authenticating(self) -> bool:
        return self._mode is AuthMode.KUBERNETES

    def identify(self, context: grpc.ServicerContext) -> Identity:
        """Who is calling, or Unauthenticated (also used for non-exempt health/reflection)."""
        if not self.authenticating:
            return UNAUTHENTICATED_DEVELOPER
        token = bearer_token(context)
        if token is not None:
            assert self.tokens is not None
            return self.tokens.authenticate(token)
        identity = certificate_identity(context)
        if identity is None:
            raise errors.Unauthenticated(NO_CREDENTIALS_MESSAGE)
        return identity

    def identify_http(
        self, authorization: str | None, source: str, request_id: str, path: str
    ) -> Identity:
        """An HTTP caller (the dashboard) by its ``Authorization: Bearer`` header, verified as
        a gRPC caller's token is (the same TokenReviews and cache); refusals audited."""
        if not self.authenticating:
            return UNAUTHENTICATED_DEVELOPER
        try:
            if authorization is None:
                raise errors.Unauthenticated(NO_HTTP_CREDENTIALS_MESSAGE)
            assert self.tokens is not None
            return self.tokens.authenticate(parse_bearer(authorization, "header"))
        except errors.JobSchedulerError as error:
            audit(
                identity=UNAUTHENTICATED_DEVELOPER,
                source=source,
                namespace="",
                rpc=f"GET {path}",
                job_id="",
                decision="deny",
                code=error.code,
                request_id=request_id,
                reason=error.message,
            )
            raise

    def admit_http(
        self,
        rpc: str,
        request: Message,
        identity: Identity,
        source: str,
        request_id: str,
        *,
        streaming: bool = False,
        also: tuple[str, ...] = (),
    ) -> Admission:
        """An HTTP read (the dashboard) that mirrors ``rpc``, by an ``identify_http`` caller:
        admitted exactly as that RPC would be (rate, RBAC mapping, page tokens, stream cap),
        and needing the access of the page rules ``also`` names too (checked after rpc's)."""
        return self._admit(
            rpc, request, lambda: identity, source, request_id, streaming=streaming, also=also
        )

    def permits(self, rpc: str, identity: Identity, request: Message) -> bool:
        """Whether ``identity`` may make ``rpc`` (no audit line: for optional parts of a page)."""
        rule = _rule_of(rpc)
        if rule is None:
            return False
        try:
            self._authorize(rule, identity, self._namespace_of(request), request)
        except (errors.PermissionDenied, errors.NotFound):
            return False
        return True

    def admit(
        self,
        rpc: str,
        request: Message,
        context: grpc.ServicerContext,
        request_id: str,
        *,
        streaming: bool,
    ) -> Admission:
        """The admitted call, or a domain error (audited) that the interceptor answers."""
        return self._admit(
            rpc,
            request,
            lambda: self.identify(context),
            context.peer(),
            request_id,
            streaming=streaming,
        )

    def _admit(
        self,
        rpc: str,
        request: Message,
        identify: Callable[[], Identity],
        source: str,
        request_id: str,
        *,
        streaming: bool,
        also: tuple[str, ...] = (),
    ) -> Admission:
        identity = UNAUTHENTICATED_DEVELOPER
        namespace = self._namespace_of(request)
        rule = _rule_of(rpc)
        requestctx.hidden_resources.set(frozenset())  # nothing left from this thread's last call
        requestctx.check_resolved_request.set(None)
        requestctx.caller.set("")
        try:
            identity = identify()
            if identity.authenticated:
                requestctx.caller.set(identity.user)
            self._rate.take(identity.key() if identity.authenticated else source_host(source))
            if rule is None:  # an RPC nobody mapped to a Kubernetes verb: closed
                raise errors.PermissionDenied(f"{rpc} has no access rule")
            self._authorize(rule, identity, namespace, request)
            for extra in also:  # none of them addresses one job: the hidden kinds stay rule's
                self._authorize(PAGE_RULES[extra], identity, namespace, request)
            request = self._with_identity(rpc, request, identity)
            if rpc in ("ScheduleJob", "ScheduleJobs", "RerunJob"):
                # Requests only the service sees (resolved from a template, rebuilt from a job
                # to rerun) are checked as a direct ScheduleJob is.
                requestctx.check_resolved_request.set(self._resolved_check(identity))
            admission = Admission(request, identity, self._outgoing(identity))
            if streaming:
                release = self._streams.open(identity.key() or source_host(source))
                admission.on_finish.append(lambda code, job_id: release())
        except errors.JobSchedulerError as error:
            audit(
                identity=identity,
                source=source,
                namespace=namespace,
                rpc=rpc,
                job_id=_job_id(request),
                decision="deny",
                code=error.code,
                request_id=request_id,
                reason=error.message,
            )
            raise
        if rule.mutating:

            def audit_outcome(code: str, job_id: str) -> None:
                audit(
                    identity=identity,
                    source=source,
                    namespace=namespace,
                    rpc=rpc,
                    job_id=job_id,
                    decision="allow",
                    code=code,
                    request_id=request_id,
                )

            admission.on_finish.append(audit_outcome)
        return admission

    def _namespace_of(self, request: Message) -> str:
        """The namespace the RPC acts in; "" for none or (``all_namespaces``) cluster-wide."""
        if "namespace" not in request.DESCRIPTOR.fields_by_name:
            return ""
        if getattr(request, "all_namespaces", False):
            return ""  # a SubjectAccessReview without a namespace: cluster-wide rights only
        return str(getattr(request, "namespace", "")) or self._default_namespace

    def _authorize(self, rule: Rule, identity: Identity, namespace: str, request: Message) -> None:
        if not identity.authenticated or not rule.permissions:
            return
        if isinstance(rule, BatchScheduleRule):
            # Each item in its own namespace, as its ScheduleJob would be; one refusal refuses
            # the batch (nothing is created).
            for item in request.requests:  # type: ignore[attr-defined]
                self._authorize(RULES["ScheduleJob"], identity, self._namespace_of(item), item)
            return
        if isinstance(rule, RerunRule):
            # The original first: a caller who may not read it learns nothing of it.
            self._authorize(rule.original, identity, namespace, request)
        assert self.access is not None
        wanted = rule.for_request(request)
        permitted = [p for p in wanted if self.access.allowed(identity, namespace, p)]
        if not permitted:
            if rule.denial is Denial.NOT_FOUND:
                # The same answer as for a job that does not exist: nothing leaks.
                raise errors.NotFound(
                    f"job {_job_id(request)!r} not found in namespace {namespace!r}"
                )
            where = f"namespace {namespace!r}" if namespace else "all namespaces"
            raise errors.PermissionDenied(
                f"user {identity.user!r} may not {wanted[0].describe()} in {where} "
                "(Kubernetes RBAC)"
            )
        for needed in rule.also_required(request):
            if not self.access.allowed(identity, namespace, needed):
                raise errors.PermissionDenied(
                    f"user {identity.user!r} may not {needed.describe()} in namespace "
                    f"{namespace!r} (Kubernetes RBAC)"
                )
        if rule.addresses_one_job:
            requestctx.hidden_resources.set(
                frozenset(p.resource for p in wanted if p not in permitted)
            )
        if isinstance(rule, ScheduleRule):
            self._authorize_secrets(identity, namespace, request)

    def _authorize_secrets(self, identity: Identity, namespace: str, request: Message) -> None:
        """``get`` on every Secret the job's pod would read: the pod reads it, not the caller,
        so the job must not be a way to read one the caller cannot. The review's answer does
        not depend on whether the Secret exists, so neither does the refusal."""
        assert self.access is not None
        for secret_namespace, permission in secrets_read(request, namespace):
            if not self.access.allowed(identity, secret_namespace, permission):
                raise errors.PermissionDenied(
                    f"user {identity.user!r} may not {permission.describe()} in namespace "
                    f"{secret_namespace!r} (Kubernetes RBAC), which the job's pod would read"
                )

    def _resolved_check(self, identity: Identity) -> Callable[[Message], list[FieldViolation]]:
        """What admission checks on a direct ScheduleJobRequest, for one resolved from a job
        template or rebuilt for a rerun once the service has read it: create on the kind it
        makes, the Secrets its pod reads, the image policy."""

        def check(resolved: Message) -> list[FieldViolation]:
            namespace = self._namespace_of(resolved)
            self._authorize(RULES["ScheduleJob"], identity, namespace, resolved)
            return self._images.request_violations(resolved, _REQUEST_ONEOF)

        return check

    def _with_identity(self, rpc: str, request: Message, identity: Identity) -> Message:
        violations: list[FieldViolation] = []
        if rpc == "ScheduleJob":
            violations += self._images.request_violations(request, _REQUEST_ONEOF)
        if not identity.authenticated:
            if violations:
                raise InvalidArgument(violations)
            return request
        changed = type(request)()
        changed.CopyFrom(request)
        if rpc == "ScheduleJob":
            claimed = getattr(request, "created_by", "")
            if claimed and claimed != identity.user:
                violations.append(
                    FieldViolation(
                        "created_by",
                        f"is set by the server to the caller ({identity.user!r}); leave it empty",
                    )
                )
            changed.created_by = identity.user  # type: ignore[attr-defined]
        if "page_token" in request.DESCRIPTOR.fields_by_name:
            changed.page_token = self._binder.unbind(  # type: ignore[attr-defined]
                identity.key(), getattr(request, "page_token", "")
            )
        if violations:
            raise InvalidArgument(violations)
        return changed

    def _outgoing(self, identity: Identity) -> Callable[[Message], Message]:
        def outgoing(message: Message) -> Message:
            if identity.authenticated and type(message).__name__ in _PAGED_RESPONSES:
                token = getattr(message, "next_page_token", "")
                message.next_page_token = self._binder.bind(  # type: ignore[attr-defined]
                    identity.key(), token
                )
            return message

        return outgoing


def _rule_of(rpc: str) -> Rule | None:
    return RULES.get(rpc) or PAGE_RULES.get(rpc)


def _job_id(request: Message) -> str:
    fields = request.DESCRIPTOR.fields_by_name
    return str(getattr(request, "job_id", "")) if "job_id" in fields else ""


def source_host(peer: str) -> str:
    """``ipv4:10.0.0.1:5555`` → ``ipv4:10.0.0.1``: a caller's address without its port."""
    host, _, port = peer.rpartition(":")
    return host if host and port.isdigit() else peer
