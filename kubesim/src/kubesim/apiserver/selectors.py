"""Label and field selectors, parsed once and evaluated against stored objects.

The grammar is kube-apiserver's (``k8s.io/apimachinery/pkg/labels``): comma-separated
requirements ``key``, ``!key``, ``key=v``, ``key==v``, ``key!=v``, ``key in (a,b)``,
``key notin (a,b)``. Syntax errors are 400 BadRequest with upstream's wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kubesim.apiserver.validation import label_key_errors, label_value_errors
from kubesim.clusterapi import JSON, ApiError

Predicate = Callable[[JSON], bool]


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        if self.operator in ("=", "in"):
            return present and labels[self.key] in self.values
        # "!=" and "notin" match objects without the key, as upstream does.
        return not present or labels[self.key] not in self.values


def _bad(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


_TOKEN = re.compile(r"\s*(\(|\)|,|!=|==|=|!|[^\s(),=!]+)")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            break
        tokens.append(match.group(1))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


def _check_key(key: str) -> None:
    errors = label_key_errors(key)
    if errors:
        raise _bad(f'unable to parse requirement: key: Invalid value: "{key}": {"; ".join(errors)}')


def _check_value(value: str) -> None:
    errors = label_value_errors(value)
    if errors:
        raise _bad(
            f'unable to parse requirement: values[0]: Invalid value: "{value}": {"; ".join(errors)}'
        )


_OPERATORS = {"=", "==", "!=", "in", "notin"}


def parse_label_selector(text: str) -> list[Requirement]:
    tokens = _tokens(text.strip())
    requirements: list[Requirement] = []
    index = 0

    def peek() -> str | None:
        return tokens[index] if index < len(tokens) else None

    while index < len(tokens):
        token = tokens[index]
        if token == "!":
            index += 1
            key = peek()
            if key is None or key in _OPERATORS or key in "(),!":
                raise _bad(f"found '{key or ''}', expected: identifier")
            _check_key(key)
            requirements.append(Requirement(key, "!"))
            index += 1
        else:
            if token in "(),=" or token in _OPERATORS - {"in", "notin"}:
                raise _bad(f"found '{token}', expected: !, identifier, or 'end of string'")
            key = token
            _check_key(key)
            index += 1
            operator = peek()
            if operator is None or operator == ",":
                requirements.append(Requirement(key, "exists"))
            elif operator in ("=", "==", "!="):
                index += 1
                value = peek()
                if value is None or value == ",":
                    value = ""
                else:
                    if value in ("(", ")", "=", "==", "!=", "!"):
                        raise _bad(f"found '{value}', expected: identifier")
                    index += 1
                _check_value(value)
                requirements.append(Requirement(key, "!=" if operator == "!=" else "=", (value,)))
            elif operator in ("in", "notin"):
                index += 1
                if peek() != "(":
                    raise _bad(f"found '{peek() or ''}', expected: '('")
                index += 1
                values: list[str] = []
                while peek() not in (")", None):
                    value = tokens[index]
                    if value == ",":
                        index += 1
                        continue
                    _check_value(value)
                    values.append(value)
                    index += 1
                if peek() is None:
                    raise _bad("found 'end of string', expected: ')'")
                index += 1
                requirements.append(Requirement(key, operator, tuple(values)))
            else:
                raise _bad(
                    f"found '{operator}', expected: in, notin, =, ==, !=, gt, lt, "
                    "',' or 'end of string'"
                )
        following = peek()
        if following is None:
            break
        if following != ",":
            raise _bad(f"found '{following}', expected: ',' or 'end of string'")
        index += 1
    return requirements


def label_predicate(text: str) -> Predicate | None:
    """None when the selector selects everything (so callers can skip filtering)."""
    if not text.strip():
        return None
    requirements = parse_label_selector(text)

    def matches(obj: JSON) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(requirement.matches(labels) for requirement in requirements)

    return matches


def _field_getter(path: str) -> Callable[[JSON], str]:
    parts = path.split(".")

    def get(obj: JSON) -> str:
        value: object = obj
        for part in parts:
            if not isinstance(value, dict):
                return ""
            value = value.get(part)
        if value is None:
            return "0" if path == "status.successful" else ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return get


# What kube-apiserver's field-label conversion functions accept, per resource.
SUPPORTED_FIELDS: dict[str, set[str]] = {
    "jobs": {"metadata.name", "metadata.namespace", "status.successful"},
    "cronjobs": {"metadata.name", "metadata.namespace"},
    "namespaces": {"metadata.name", "status.phase"},
    "pods": {
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    },
    "events": {
        "metadata.name",
        "metadata.namespace",
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    },
}


def field_predicate(text: str, resource: str, kind: str) -> Predicate | None:
    if not text.strip():
        return None
    checks: list[tuple[Callable[[JSON], str], str, bool]] = []
    for raw in text.split(","):
        term = raw.strip()
        if not term:
            continue
        if "!=" in term:
            field, value = term.split("!=", 1)
            negate = True
        elif "==" in term:
            field, value = term.split("==", 1)
            negate = False
        elif "=" in term:
            field, value = term.split("=", 1)
            negate = False
        else:
            raise _bad(f"invalid selector: '{text}'; can't understand '{term}'")
        field = field.strip()
        if field not in SUPPORTED_FIELDS.get(resource, {"metadata.name", "metadata.namespace"}):
            raise _bad(f'field label "{field}" not supported for {kind}')
        getter = _field_getter("source.component" if field == "source" else field)
        checks.append((getter, value.strip(), negate))

    def matches(obj: JSON) -> bool:
        return all((getter(obj) == value) != negate for getter, value, negate in checks)

    return matches


def combine(*predicates: Predicate | None) -> Predicate | None:
    active = [predicate for predicate in predicates if predicate is not None]
    if not active:
        return None
    if len(active) == 1:
        return active[0]
    return lambda obj: all(predicate(obj) for predicate in active)
