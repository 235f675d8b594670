"""Request options from the query string (and DeleteOptions bodies), parsed as
kube-apiserver parses them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from kubesim.clusterapi import JSON, ApiError
from kubesim.http.routing import Route

Query = dict[str, list[str]]


def method_not_allowed() -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        {},
    )


def first(query: dict[str, list[str]], key: str, default: str = "") -> str:
    values = query.get(key)
    return values[0] if values else default


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}


def flag(query: dict[str, list[str]], key: str) -> bool:
    """Go's strconv.ParseBool truth values (the Python client sends ``True``)."""
    return first(query, key) in _TRUE


def request_verb(method: str, target: Route, query: dict[str, list[str]]) -> str:
    collection = target.name is None
    if method == "GET":
        if not collection:
            return "get"
        return "watch" if flag(query, "watch") else "list"
    return {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "deletecollection" if collection else "delete",
    }.get(method, method.lower())


def dry_run_option(values: list[str] | None, options_kind: str) -> bool:
    if not values:
        return False
    if values == ["All"]:
        return True
    shown = "[]string{" + ", ".join(json.dumps(v) for v in values) + "}"
    raise ApiError(
        422,
        "Invalid",
        f'{options_kind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: {shown}: '
        'supported values: "All"',
        {
            "group": "meta.k8s.io",
            "kind": options_kind,
            "causes": [
                {
                    "reason": "FieldValueNotSupported",
                    "message": f'Unsupported value: {shown}: supported values: "All"',
                    "field": "dryRun",
                }
            ],
        },
    )


@dataclass(frozen=True)
class DeleteOptions:
    propagation_policy: str | None
    preconditions: JSON | None
    grace_period_seconds: int | None
    dry_run: bool


def delete_options(body: JSON | None, query: Query) -> DeleteOptions:
    """From the DeleteOptions body when there is one (then the query is ignored, as upstream
    does), else from the query string."""
    if body is not None:
        policy = body.get("propagationPolicy")
        if policy is None and body.get("orphanDependents") is not None:
            policy = "Orphan" if body["orphanDependents"] else "Background"
        return DeleteOptions(
            policy,
            body.get("preconditions"),
            body.get("gracePeriodSeconds"),
            dry_run_option(body.get("dryRun"), "DeleteOptions"),
        )
    policy = first(query, "propagationPolicy") or None
    orphan = first(query, "orphanDependents")
    if policy is None and orphan:
        policy = "Orphan" if orphan in _TRUE else "Background"
    grace_text = first(query, "gracePeriodSeconds")
    grace = int(grace_text) if grace_text.lstrip("-").isdigit() else None
    return DeleteOptions(policy, None, grace, dry_run_option(query.get("dryRun"), "DeleteOptions"))
