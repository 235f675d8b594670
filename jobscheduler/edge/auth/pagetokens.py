"""Page tokens bound to the caller who received them.

A next_page_token leaves as ``<mac>.<token>``, the mac an HMAC-SHA256 over the caller's
identity and the token; a token that comes back from anyone else (or altered) is refused.
Any replica may be asked for the next page, so replicas share the key (PAGE_TOKEN_KEY, from a
Secret); without one each process draws a random key, which suits a single replica.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from jobscheduler.errors import FieldViolation, InvalidArgument

_MAC_BYTES = 16


class PageTokenBinder:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _mac(self, identity_key: str, token: str) -> str:
        digest = hmac.new(self._key, f"{identity_key}\0{token}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode().rstrip("=")

    def bind(self, identity_key: str, token: str) -> str:
        return f"{self._mac(identity_key, token)}.{token}" if token else ""

    def unbind(self, identity_key: str, value: str, field: str = "page_token") -> str:
        """The token the service issued, or InvalidArgument when it is not this caller's."""
        if not value:
            return ""
        mac, _, token = value.partition(".")
        if not token or not hmac.compare_digest(mac, self._mac(identity_key, token)):
            raise InvalidArgument(
                [FieldViolation(field, "was not issued to this caller; list again without it")]
            )
        return token
