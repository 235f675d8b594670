"""Opaque page tokens for listings that filter on the client side.

Kubernetes paginates with ``limit`` + ``continue``, but states and creation times cannot be
filtered on the server, so one of our pages may end in the middle of a Kubernetes page. The
token holds the Kubernetes continue token *of the page we were reading* plus the name of the
last item we returned from it: re-reading that page (a consistent snapshot for a continue
token) and skipping names up to that one resumes exactly where we stopped, so every item is
returned once. A fingerprint of the filters rejects a token reused with different filters.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from jobscheduler.errors import FieldViolation, InvalidArgument


@dataclass(frozen=True)
class PageToken:
    k8s_continue: str = ""
    after_name: str = ""


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def encode(token: PageToken, filters: str) -> str:
    raw = json.dumps({"c": token.k8s_continue, "a": token.after_name, "f": filters})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(value: str, filters: str, field: str = "page_token") -> PageToken:
    if not value:
        return PageToken()
    try:
        raw = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        token = PageToken(str(raw["c"]), str(raw["a"]))
        matches = raw["f"] == filters
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument(
            [FieldViolation(field, "is not a token this server issued")]
        ) from None
    if not matches:
        raise InvalidArgument(
            [FieldViolation(field, "was issued for different filters; start again without it")]
        )
    return token
