"""Kubernetes' own syntax rules (names, labels, images), as pure checks.

We check these ourselves so a bad request gets every problem at once with the request's field
path, instead of one 422 from the API server naming a manifest path the user never wrote.
Each function returns a description of the problem, or None when the value is valid.
"""

from __future__ import annotations

import re

# Every pattern is applied with fullmatch: "$" alone also matches before a final newline.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = _QUALIFIED_NAME_PART
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$")


def dns_label(value: str, max_length: int = 63) -> str | None:
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    if not _DNS_LABEL.fullmatch(value):
        return (
            "must be a DNS label: lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def dns_subdomain(value: str) -> str | None:
    if len(value) > 253:
        return "must be at most 253 characters"
    if not _DNS_SUBDOMAIN.fullmatch(value):
        return "must be a DNS subdomain: lowercase letters, digits, '-' and '.'"
    return None


def qualified_name(key: str) -> str | None:
    """A label or annotation key: optional DNS-subdomain prefix, '/', name of <= 63 chars."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "prefix before '/' must not be empty"
    if prefix and (problem := dns_subdomain(prefix)):
        return f"prefix {problem}"
    if not name:
        return "name part must not be empty"
    if len(name) > 63:
        return "name part must be at most 63 characters"
    if not _QUALIFIED_NAME_PART.fullmatch(name):
        return (
            "name part must consist of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_value(value: str) -> str | None:
    if value == "":
        return None
    if len(value) > 63:
        return "must be at most 63 characters"
    if not _LABEL_VALUE.fullmatch(value):
        return (
            "must consist of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def image_reference(image: str) -> str | None:
    if len(image) > 1024 or not _IMAGE.fullmatch(image):
        return "must be a container image reference such as registry.example/team/app:1.2"
    return None
