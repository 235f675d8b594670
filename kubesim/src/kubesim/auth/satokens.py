"""ServiceAccount tokens: RS256 JWTs shaped like kube-apiserver's (reference v1.36 E05).

The signing key is generated on first use (most embedded clusters never mint a token), held
in memory only, and dies with the cluster. Times come from the cluster's clock, so a test that
advances a ``FakeClock`` sees its tokens expire.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kubesim.auth.identity import CREDENTIAL_ID, UserInfo, authenticated
from kubesim.clock import Clock

ISSUER = "https://kubernetes.default.svc"
API_AUDIENCES = (ISSUER,)
_PRIVATE_CLAIM = "kubernetes.io"


class TokenRejected(Exception):
    """A JWT of our issuer that does not authenticate; the message is upstream's."""


@dataclass(frozen=True)
class Minted:
    token: str
    expires: datetime


def service_account_username(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


def _go_strings(values: list[str]) -> str:
    """Go's ``%q`` of a string slice: ``["a" "b"]``."""
    return "[" + " ".join(f'"{value}"' for value in values) + "]"


class ServiceAccountTokens:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._key: rsa.RSAPrivateKey | None = None
        self._kid = ""

    def _signing_key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                der = self._key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                digest = hashlib.sha256(der).digest()
                self._kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            return self._key

    def mint(
        self, service_account: dict[str, Any], audiences: list[str], expiration_seconds: int
    ) -> Minted:
        key = self._signing_key()
        meta = service_account["metadata"]
        issued = int(self._clock.now().timestamp())
        claims = {
            "aud": audiences,
            "exp": issued + expiration_seconds,
            "iat": issued,
            "iss": ISSUER,
            "jti": str(uuid.uuid4()),
            _PRIVATE_CLAIM: {
                "namespace": meta["namespace"],
                "serviceaccount": {"name": meta["name"], "uid": meta["uid"]},
            },
            "nbf": issued,
            "sub": service_account_username(meta["namespace"], meta["name"]),
        }
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": self._kid, "typ": None})
        return Minted(token, datetime.fromtimestamp(issued + expiration_seconds, UTC))

    def claims(self, token: str) -> dict[str, Any] | None:
        """The verified claims of one of our tokens; None when it is not ours at all (another
        authenticator may know it). Raises ``TokenRejected`` for our tokens that fail."""
        with self._lock:
            key = self._key
        if key is None or token.count(".") != 2:
            return None
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            return None
        if unverified.get("iss") != ISSUER:
            return None
        try:
            # Times are checked against the cluster clock below, not the wall clock.
            return dict(
                jwt.decode(
                    token,
                    key.public_key(),
                    algorithms=["RS256"],
                    options={
                        "verify_exp": False,
                        "verify_nbf": False,
                        "verify_iat": False,
                        "verify_aud": False,
                    },
                )
            )
        except jwt.InvalidTokenError:
            raise TokenRejected("invalid bearer token") from None

    def authenticate(
        self, token: str, audiences: tuple[str, ...], lookup: Any
    ) -> tuple[UserInfo, list[str]] | None:
        """The ServiceAccount user of ``token`` and the audiences it is valid for.

        ``lookup(namespace, name)`` returns the stored ServiceAccount or None: a token of a
        deleted (or deleted and re-created) ServiceAccount no longer authenticates."""
        claims = self.claims(token)
        if claims is None:
            return None
        now = self._clock.now().timestamp()
        if now >= float(claims.get("exp", 0)):
            raise TokenRejected("service account token has expired")
        if now < float(claims.get("nbf", 0)):
            raise TokenRejected("service account token is not valid yet")
        token_audiences = list(claims.get("aud") or [])
        valid = [audience for audience in token_audiences if audience in audiences]
        if not valid:
            raise TokenRejected(
                f"token audiences {_go_strings(token_audiences)} is invalid for the target "
                f"audiences {_go_strings(list(audiences))}"
            )
        private = claims.get(_PRIVATE_CLAIM) or {}
        namespace = str(private.get("namespace", ""))
        reference = private.get("serviceaccount") or {}
        name, uid = str(reference.get("name", "")), str(reference.get("uid", ""))
        stored = lookup(namespace, name)
        if stored is None:
            raise TokenRejected(f'serviceaccounts "{name}" not found')
        if stored["metadata"]["uid"] != uid:
            raise TokenRejected(
                f"service account UID ({stored['metadata']['uid']}) does not match claim ({uid})"
            )
        user = UserInfo(
            service_account_username(namespace, name),
            uid,
            ("system:serviceaccounts", f"system:serviceaccounts:{namespace}"),
            {CREDENTIAL_ID: [f"JTI={claims.get('jti', '')}"]},
        )
        return authenticated(user), valid
