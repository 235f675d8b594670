"""ConfigMaps (core v1): key checks, the 1 MiB size limit and ``immutable``, as upstream's
``ValidateConfigMap`` / ``ValidateConfigMapUpdate``."""

from __future__ import annotations

import binascii
import re
from base64 import b64decode

from kubesim.apiserver.validation import FieldError, validate_object_meta
from kubesim.clusterapi import JSON, ApiError

# corev1.MaxSecretSize: data and binaryData together, counted in bytes (reference F4).
MAX_CONFIGMAP_BYTES = 1024 * 1024
_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_KEY_MESSAGE = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
_IMMUTABLE_MESSAGE = "field is immutable when `immutable` is set"


def config_key_errors(key: str) -> list[str]:
    """``validation.IsConfigMapKey``."""
    errors = []
    if len(key) > 253:
        errors.append("must be no more than 253 characters")
    if not _KEY.fullmatch(key):
        errors.append(_KEY_MESSAGE)
    if key == ".":
        errors.append("must not be '.'")
    elif key == "..":
        errors.append("must not be '..'")
    elif key.startswith(".."):
        errors.append("must not start with '..'")
    return errors


def _decoded_size(value: object) -> int:
    """Bytes of one binaryData value; undecodable base64 is a decoding error (400)."""
    try:
        return len(b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        raise ApiError(
            400,
            "BadRequest",
            'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data',
        ) from None


def validate_configmap(configmap: JSON) -> list[FieldError]:
    errors: list[FieldError] = []
    validate_object_meta(configmap.get("metadata") or {}, errors)
    data = configmap.get("data") or {}
    binary = configmap.get("binaryData") or {}
    size = 0
    for key, value in data.items():
        errors.extend(FieldError.invalid(f"data[{key}]", key, m) for m in config_key_errors(key))
        size += len(str(value).encode())
    for key, value in binary.items():
        errors.extend(
            FieldError.invalid(f"binaryData[{key}]", key, m) for m in config_key_errors(key)
        )
        if key in data:
            errors.append(
                FieldError.invalid(f"binaryData[{key}]", key, "duplicate of key present in data")
            )
        size += _decoded_size(value)
    if size > MAX_CONFIGMAP_BYTES:
        errors.append(
            FieldError(
                "FieldValueTooLong",
                "[]",
                f"Too long: may not be more than {MAX_CONFIGMAP_BYTES} bytes",
            )
        )
    return errors


def configmap_update_errors(current: JSON, new: JSON) -> list[FieldError]:
    """An immutable ConfigMap keeps its data and stays immutable."""
    if not current.get("immutable"):
        return []
    errors = []
    if not new.get("immutable"):
        errors.append(FieldError.forbidden("immutable", _IMMUTABLE_MESSAGE))
    for field in ("data", "binaryData"):
        if (current.get(field) or None) != (new.get(field) or None):
            errors.append(FieldError.forbidden(field, _IMMUTABLE_MESSAGE))
    return errors
