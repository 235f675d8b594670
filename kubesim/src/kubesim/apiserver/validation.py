"""Field validation with upstream's field paths, reasons and wording.

Each check appends a ``FieldError``; ``raise_invalid`` turns the list into the 422 ``Invalid``
Status kube-apiserver sends (``Job.batch "x" is invalid: <field>: <detail>``), so a client
sees every problem at once, exactly as with a real cluster.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jobscheduler.kubesyntax import DNS_LABEL, DNS_SUBDOMAIN, LABEL_VALUE, QUALIFIED_NAME_PART
from jobscheduler.quantities import SUFFIX_MULTIPLIERS
from kubesim.clusterapi import JSON, ApiError


@dataclass(frozen=True)
class FieldError:
    reason: str  # FieldValueInvalid | FieldValueRequired | FieldValueNotSupported | ...
    field: str
    message: str

    @classmethod
    def invalid(cls, field: str, value: Any, detail: str) -> FieldError:
        return cls("FieldValueInvalid", field, f"Invalid value: {_go_value(value)}: {detail}")

    @classmethod
    def required(cls, field: str, detail: str = "") -> FieldError:
        message = f"Required value: {detail}" if detail else "Required value"
        return cls("FieldValueRequired", field, message)

    @classmethod
    def not_supported(cls, field: str, value: Any, supported: list[str]) -> FieldError:
        choices = ", ".join(f'"{choice}"' for choice in supported)
        return cls(
            "FieldValueNotSupported",
            field,
            f"Unsupported value: {_go_value(value)}: supported values: {choices}",
        )

    @classmethod
    def forbidden(cls, field: str, detail: str) -> FieldError:
        return cls("FieldValueForbidden", field, f"Forbidden: {detail}")

    @classmethod
    def duplicate(cls, field: str, value: Any) -> FieldError:
        return cls("FieldValueDuplicate", field, f"Duplicate value: {_go_value(value)}")


def _go_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def raise_invalid(kind: str, group: str, name: str, errors: list[FieldError]) -> None:
    if not errors:
        return
    qualified = f"{kind}.{group}" if group else kind
    parts = [f"{error.field}: {error.message}" for error in errors]
    summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details: JSON = {"name": name} if name else {}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [
        {"reason": error.reason, "message": error.message, "field": error.field} for error in errors
    ]
    raise ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {summary}', details)


# The patterns are the shared ones (jobscheduler.kubesyntax); the messages are upstream's.
DNS_SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_QUALIFIED_NAME_MESSAGE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_LABEL_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def dns_subdomain_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not DNS_SUBDOMAIN.fullmatch(value):
        errors.append(DNS_SUBDOMAIN_MESSAGE)
    return errors


def dns_label_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not DNS_LABEL.fullmatch(value):
        errors.append(DNS_LABEL_MESSAGE)
    return errors


@functools.lru_cache(maxsize=4096)  # label keys repeat on every object of a kind
def label_key_errors(key: str) -> tuple[str, ...]:
    errors: list[str] = []
    prefix, _, name = key.rpartition("/")
    if "/" in key:
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + error for error in dns_subdomain_errors(prefix))
    if not name:
        errors.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errors.append("name part must be no more than 63 characters")
        if not QUALIFIED_NAME_PART.fullmatch(name):
            errors.append(_QUALIFIED_NAME_MESSAGE)
    return tuple(errors)


def label_value_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not LABEL_VALUE.fullmatch(value):
        errors.append(_LABEL_VALUE_MESSAGE)
    return errors


def validate_labels(labels: Any, field: str, errors: list[FieldError]) -> None:
    for key, value in (labels or {}).items():
        errors.extend(FieldError.invalid(field, key, detail) for detail in label_key_errors(key))
        errors.extend(
            FieldError.invalid(field, value, detail) for detail in label_value_errors(str(value))
        )


def validate_annotations(annotations: Any, field: str, errors: list[FieldError]) -> None:
    for key in annotations or {}:
        errors.extend(FieldError.invalid(field, key, detail) for detail in label_key_errors(key))


def validate_object_meta(
    meta: JSON, errors: list[FieldError], *, name_check: str = "subdomain", path: str = "metadata"
) -> None:
    name = meta.get("name") or ""
    if not name:
        errors.append(FieldError.required(f"{path}.name", "name or generateName is required"))
    else:
        check = dns_label_errors if name_check == "label" else dns_subdomain_errors
        errors.extend(FieldError.invalid(f"{path}.name", name, detail) for detail in check(name))
    validate_labels(meta.get("labels"), f"{path}.labels", errors)
    validate_annotations(meta.get("annotations"), f"{path}.annotations", errors)


# Quantities: the canonical Kubernetes serialisation regex. A string that does not match is a
# decoding error (400), as with kube-apiserver; a negative amount is a validation error (422).
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
QUANTITY_SYNTAX_MESSAGE = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def parse_quantity(value: Any) -> Decimal | None:
    """The amount a quantity stands for, or None when it is not a quantity at all."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if match is None:
        return None
    number, suffix = match.groups()
    try:
        amount = Decimal(number)
    except InvalidOperation:
        return None
    if suffix in SUFFIX_MULTIPLIERS:
        return _capped(amount * SUFFIX_MULTIPLIERS[suffix])
    exponent = re.fullmatch(r"[eE]([-+]?[0-9]+)", suffix)
    if exponent is None:
        return None
    power = int(exponent.group(1))
    # Out there the result is capped or rounded anyway, and scaling first could overflow.
    if amount and power > _MAX_DIGITS:
        return Decimal(_QUANTITY_CAP).copy_sign(amount)
    if amount and power < -_MAX_DIGITS:
        return _SMALLEST.copy_sign(amount)
    return _capped(amount.scaleb(power))


# "No quantity may represent a number greater than 2^63-1 in magnitude ... larger numbers will
# be capped" (apimachinery resource.Quantity), so no exponent can overflow the parse.
# and more than three decimal places are rounded up (0.1m becomes 1m).
_QUANTITY_CAP = 2**63 - 1
_SMALLEST = Decimal("0.001")
_MAX_DIGITS = 40


def _capped(amount: Decimal) -> Decimal:
    if abs(amount) > _QUANTITY_CAP:
        return Decimal(_QUANTITY_CAP).copy_sign(amount)
    return amount


def quantity_syntax_errors(obj: JSON, template_spec: JSON | None) -> str | None:
    """Checks every container resource quantity; returns the 400 message for the first bad one."""
    if template_spec is None:
        return None
    for container in _all_containers(template_spec):
        resources = container.get("resources") or {}
        for section in ("limits", "requests"):
            for amount in (resources.get(section) or {}).values():
                if parse_quantity(amount) is None:
                    return QUANTITY_SYNTAX_MESSAGE
    return None


def _all_containers(pod_spec: JSON) -> list[JSON]:
    return list(pod_spec.get("initContainers") or []) + list(pod_spec.get("containers") or [])
