"""List continue tokens, encoded exactly as kube-apiserver encodes them.

A token is unpadded base64url of JSON like
``{"v":"meta.k8s.io/v1","rv":243,"start":"ref-list-a\\u0000"}`` (reference 30).
Clients must treat it as opaque; we keep the upstream format so captured tokens and error
messages line up.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from kubesim.clusterapi import ApiError

_VERSION = "meta.k8s.io/v1"


@dataclass(frozen=True)
class ContinueToken:
    resource_version: int  # -1: continue inconsistently at the current version
    start: str  # the first key to return

    def encode(self) -> str:
        payload = json.dumps(
            {"v": _VERSION, "rv": self.resource_version, "start": self.start},
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _invalid(detail: str) -> ApiError:
    return ApiError(
        400, "BadRequest", f"invalid continue token: continue key is not valid: {detail}"
    )


def decode(token: str) -> ContinueToken:
    # Go's base64.RawURLEncoding: no padding, and a lone trailing character is corrupt.
    for position, character in enumerate(token):
        if not (character.isascii() and (character.isalnum() or character in "-_")):
            raise _invalid(f"illegal base64 data at input byte {position}")
    if len(token) % 4 == 1:
        raise _invalid(f"illegal base64 data at input byte {len(token) - 1}")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise _invalid(str(error)) from None
    if not isinstance(data, dict):
        raise _invalid("continue key is not valid")
    if data.get("v") != _VERSION:
        raise _invalid(f'server does not recognize this encoded version "{data.get("v")}"')
    start = data.get("start")
    resource_version = data.get("rv")
    if not isinstance(start, str) or not isinstance(resource_version, int):
        raise _invalid("continue key is not valid")
    if start.startswith("/") or "/../" in start:
        raise _invalid("continue key is not valid")
    if resource_version == 0:
        raise _invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    return ContinueToken(resource_version, start)


def expired(token: ContinueToken) -> ApiError:
    fresh = ContinueToken(-1, token.start).encode()
    return ApiError(
        410,
        "Expired",
        "The provided continue parameter is too old to display a consistent list result. You "
        "can start a new list without the continue parameter, or use the continue token in "
        "this response to retrieve the remainder of the results. Continuing with the provided "
        "token results in an inconsistent list - objects that were created, modified, or "
        "deleted between the time the first chunk was returned and now may show up in the list.",
        metadata={"continue": fresh},
    )
