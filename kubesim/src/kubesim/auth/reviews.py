"""TokenRequest, TokenReview, SelfSubjectReview and the access reviews, answered as
kube-apiserver answers them (reference v1.36 E05-E17b; README surprises 8-10).

Reviews are never stored: the answer is the request with ``status`` filled in. managedFields
are not recorded (as everywhere in the embedded cluster).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.apiserver.objects import rfc3339
from kubesim.apiserver.registry import ResourceType, resource_type
from kubesim.apiserver.validation import FieldError, raise_invalid
from kubesim.auth.attributes import Attributes
from kubesim.auth.identity import UserInfo
from kubesim.auth.satokens import API_AUDIENCES, TokenRejected
from kubesim.clusterapi import JSON, ApiError

if TYPE_CHECKING:
    from kubesim.auth.gate import Gate

_AUTHENTICATION = "authentication.k8s.io/v1"
_DEFAULT_EXPIRATION_SECONDS = 3600
_MIN_EXPIRATION_SECONDS = 600
_MAX_EXPIRATION_SECONDS = 1 << 32
_RESOURCE_ATTRIBUTE_KEYS = (
    "namespace",
    "verb",
    "group",
    "version",
    "resource",
    "subresource",
    "name",
    "fieldSelector",
    "labelSelector",
)


def _body(kind: str, api_version: str, body: Any) -> JSON:
    """The request body as a dict of the expected kind (400 otherwise, like a decode error)."""
    body = body if body is not None else {}
    if not isinstance(body, dict):
        raise ApiError(
            400, "BadRequest", f"the object provided is unrecognized (must be of type {kind})"
        )
    sent_kind, sent_version = body.get("kind") or kind, body.get("apiVersion") or api_version
    if (sent_kind, sent_version) != (kind, api_version):
        raise ApiError(
            400,
            "BadRequest",
            f'{sent_kind} in version "{sent_version.rsplit("/", 1)[-1]}" cannot be handled as a '
            f'{kind}: no kind "{sent_kind}" is registered for version "{sent_version}"',
        )
    return body


def _document(rt: ResourceType, metadata: JSON, spec: JSON, status: JSON) -> JSON:
    return {
        "kind": rt.kind,
        "apiVersion": rt.api_version,
        "metadata": metadata,
        "spec": spec,
        "status": status,
    }


# -- TokenRequest -------------------------------------------------------------------------
def token_request(gate: Gate, namespace: str, name: str, body: Any) -> JSON:
    request = _body("TokenRequest", _AUTHENTICATION, body)
    spec = dict(request.get("spec") or {})
    account = gate.server.store.get("serviceaccounts", namespace, name)
    if account is None:
        raise resource_type("serviceaccounts").not_found(name)
    expiration = spec.get("expirationSeconds")
    expiration = _DEFAULT_EXPIRATION_SECONDS if expiration is None else expiration
    errors: list[FieldError] = []
    if not isinstance(expiration, int) or expiration < _MIN_EXPIRATION_SECONDS:
        errors.append(
            FieldError.invalid(
                "spec.expirationSeconds",
                expiration,
                "may not specify a duration less than 10 minutes",
            )
        )
    elif expiration > _MAX_EXPIRATION_SECONDS:
        errors.append(
            FieldError.invalid(
                "spec.expirationSeconds",
                expiration,
                "may not specify a duration larger than 2^32 seconds",
            )
        )
    if spec.get("boundObjectRef") is not None:
        errors.append(
            FieldError.forbidden(
                "spec.boundObjectRef",
                "tokens bound to objects are not simulated by the embedded cluster",
            )
        )
    raise_invalid("TokenRequest", "authentication.k8s.io", name, errors)
    audiences = list(spec.get("audiences") or API_AUDIENCES)
    minted = gate.service_account_tokens.mint(account, audiences, int(expiration))
    meta = account["metadata"]
    return {
        "kind": "TokenRequest",
        "apiVersion": _AUTHENTICATION,
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"audiences": audiences, "expirationSeconds": expiration, "boundObjectRef": None},
        "status": {"token": minted.token, "expirationTimestamp": rfc3339(minted.expires)},
    }


# -- authentication reviews --------------------------------------------------------------
def _token_review(gate: Gate, rt: ResourceType, request: JSON) -> JSON:
    spec = dict(request.get("spec") or {})
    token = spec.get("token") or ""
    if not token:
        raise ApiError(400, "BadRequest", "token is required for TokenReview in authentication")
    status: JSON
    try:
        user, audiences = gate.authenticate_token(token, list(spec.get("audiences") or []))
        status = {"authenticated": True, "user": user.to_json(), "audiences": audiences}
    except TokenRejected as rejected:
        # Not authenticated: the field is omitted (false is its zero value), user is {}.
        status = {"user": {}, "error": str(rejected)}
    return _document(rt, {}, spec, status)


def _self_subject_review(gate: Gate, rt: ResourceType, user: UserInfo) -> JSON:
    return {
        "kind": rt.kind,
        "apiVersion": rt.api_version,
        "metadata": {"creationTimestamp": gate.server.now()},
        "status": {"userInfo": user.to_json()},
    }


# -- authorization reviews ---------------------------------------------------------------
def _attributes_echo(spec: JSON) -> JSON:
    """The spec as the server returns it: empty strings are omitted (``group: ""`` vanishes)."""
    echoed: JSON = {}
    resource = spec.get("resourceAttributes")
    if isinstance(resource, dict):
        echoed["resourceAttributes"] = {
            key: resource[key] for key in _RESOURCE_ATTRIBUTE_KEYS if resource.get(key)
        }
    other = spec.get("nonResourceAttributes")
    if isinstance(other, dict):
        echoed["nonResourceAttributes"] = {k: other[k] for k in ("path", "verb") if other.get(k)}
    return echoed


def _attribute_errors(spec: JSON) -> list[FieldError]:
    has_resource = isinstance(spec.get("resourceAttributes"), dict)
    has_other = isinstance(spec.get("nonResourceAttributes"), dict)
    if has_resource and has_other:
        return [
            FieldError.invalid(
                "spec.nonResourceAttributes",
                spec["nonResourceAttributes"],
                "cannot be specified in combination with resourceAttributes",
            )
        ]
    if not has_resource and not has_other:
        return [
            FieldError(
                "FieldValueInvalid",
                "spec.resourceAttributes",
                'Invalid value: "null": '
                "exactly one of nonResourceAttributes or resourceAttributes must be "
                "specified",
            )
        ]
    return []


def _decision(gate: Gate, user: UserInfo, spec: JSON) -> JSON:
    decision = gate.rbac.authorize(user, Attributes.from_review(spec))
    status: JSON = {"allowed": decision.allowed}
    if decision.reason:
        status["reason"] = decision.reason
    return status


def _subject_access_review(gate: Gate, rt: ResourceType, request: JSON) -> JSON:
    spec = dict(request.get("spec") or {})
    errors = _attribute_errors(spec)
    if not spec.get("user") and not spec.get("groups"):
        errors.append(
            FieldError.invalid(
                "spec.user", spec.get("user", ""), "at least one of user or group must be specified"
            )
        )
    raise_invalid(rt.kind, rt.group, "", errors)
    subject = UserInfo(
        str(spec.get("user", "")),
        str(spec.get("uid", "")),
        tuple(spec.get("groups") or ()),
        dict(spec.get("extra") or {}),
    )
    echoed = _attributes_echo(spec)
    for key in ("user", "groups", "extra", "uid"):
        if spec.get(key):
            echoed[key] = spec[key]
    return _document(rt, {}, echoed, _decision(gate, subject, spec))


def _local_subject_access_review(
    gate: Gate, rt: ResourceType, namespace: str, request: JSON
) -> JSON:
    spec = dict(request.get("spec") or {})
    sent_namespace = (request.get("metadata") or {}).get("namespace")
    if sent_namespace and sent_namespace != namespace:
        raise ApiError(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
        )
    resource = spec.get("resourceAttributes")
    errors: list[FieldError] = []
    if isinstance(resource, dict) and resource.get("namespace", "") != namespace:
        errors.append(
            FieldError.invalid(
                "spec.resourceAttributes.namespace",
                resource.get("namespace", ""),
                "must match metadata.namespace",
            )
        )
    if isinstance(spec.get("nonResourceAttributes"), dict):
        errors.append(
            FieldError.invalid(
                "spec.nonResourceAttributes",
                spec["nonResourceAttributes"],
                "disallowed on this kind of request",
            )
        )
    raise_invalid(rt.kind, rt.group, "", errors)
    answer = _subject_access_review(gate, rt, request)
    answer["metadata"] = {"namespace": namespace}
    return answer


def _self_subject_access_review(
    gate: Gate, rt: ResourceType, user: UserInfo, request: JSON
) -> JSON:
    spec = dict(request.get("spec") or {})
    raise_invalid(rt.kind, rt.group, "", _attribute_errors(spec))
    return _document(rt, {}, _attributes_echo(spec), _decision(gate, user, spec))


def _self_subject_rules_review(gate: Gate, rt: ResourceType, user: UserInfo, request: JSON) -> JSON:
    spec = dict(request.get("spec") or {})
    namespace = spec.get("namespace") or ""
    if not namespace:
        raise ApiError(400, "BadRequest", "no namespace on request")
    resource_rules, url_rules = gate.rbac.rules_for(user, namespace)
    status = {"resourceRules": resource_rules, "nonResourceRules": url_rules, "incomplete": False}
    return _document(rt, {}, {"namespace": namespace}, status)


def review(gate: Gate, user: UserInfo, rt: ResourceType, namespace: str | None, body: Any) -> JSON:
    request = _body(rt.kind, rt.api_version, body)
    if rt.plural == "tokenreviews":
        return _token_review(gate, rt, request)
    if rt.plural == "selfsubjectreviews":
        return _self_subject_review(gate, rt, user)
    if rt.plural == "subjectaccessreviews":
        return _subject_access_review(gate, rt, request)
    if rt.plural == "localsubjectaccessreviews":
        return _local_subject_access_review(gate, rt, namespace or "", request)
    if rt.plural == "selfsubjectaccessreviews":
        return _self_subject_access_review(gate, rt, user, request)
    return _self_subject_rules_review(gate, rt, user, request)
