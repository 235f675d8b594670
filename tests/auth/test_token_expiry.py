"""An accepted token's review is reused for the cache's ttl, but never past the token's own
expiry: a ServiceAccount token that expires in 5 s is refused 5 s later, not 30."""

from __future__ import annotations

import base64
import json

import pytest

from jobscheduler import errors
from jobscheduler.edge.auth.cache import TtlCache
from jobscheduler.edge.auth.reviews import TokenAuthenticator, seconds_until_expiry

from .rbac import FakeReviewer

START = 1_800_000_000.0  # a wall-clock second
TTL = 30.0


class Clocks:
    """The cache's monotonic clock and the wall clock, moved together."""

    def __init__(self) -> None:
        self.elapsed = 0.0

    def monotonic(self) -> float:
        return self.elapsed

    def wall(self) -> float:
        return START + self.elapsed


def _jwt(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def _authenticator(reviewer: FakeReviewer, clocks: Clocks) -> TokenAuthenticator:
    cache: TtlCache[str, object] = TtlCache(TTL, 100, now=clocks.monotonic)
    return TokenAuthenticator(reviewer, [], cache, wall_clock=clocks.wall)  # type: ignore[arg-type]


def _expire(reviewer: FakeReviewer, token: str) -> None:
    """From now on the API server refuses the token, as it does once it has expired."""
    del reviewer.tokens[token]


def test_a_token_is_refused_from_its_expiry_on() -> None:
    clocks, reviewer = Clocks(), FakeReviewer(grants=[])
    token = _jwt({"sub": "alice", "exp": int(START) + 5})
    reviewer.add_user(token, "alice")
    authenticator = _authenticator(reviewer, clocks)
    assert authenticator.authenticate(token).user == "alice"
    clocks.elapsed = 4.0
    assert authenticator.authenticate(token).user == "alice"
    assert authenticator.reviews_sent == 1  # reused before its expiry
    clocks.elapsed = 6.0
    _expire(reviewer, token)
    with pytest.raises(errors.Unauthenticated):
        authenticator.authenticate(token)


def test_a_token_without_an_expiry_is_reused_for_the_ttl() -> None:
    clocks, reviewer = Clocks(), FakeReviewer(grants=[])
    reviewer.add_user("opaque-token", "bob")
    authenticator = _authenticator(reviewer, clocks)
    authenticator.authenticate("opaque-token")
    clocks.elapsed = TTL - 1
    authenticator.authenticate("opaque-token")
    assert authenticator.reviews_sent == 1
    clocks.elapsed = TTL + 1
    authenticator.authenticate("opaque-token")
    assert authenticator.reviews_sent == 2


def test_a_token_past_its_expiry_that_the_server_still_accepts_is_not_cached() -> None:
    """Clock skew between the service and the API server: trust the server, cache nothing."""
    clocks, reviewer = Clocks(), FakeReviewer(grants=[])
    token = _jwt({"sub": "carol", "exp": int(START) - 1})
    reviewer.add_user(token, "carol")
    authenticator = _authenticator(reviewer, clocks)
    authenticator.authenticate(token)
    authenticator.authenticate(token)
    assert authenticator.reviews_sent == 2


@pytest.mark.parametrize(
    "token",
    ["not-a-jwt", "a.b.c", "a.bm90IGpzb24.c", _jwt({"exp": "soon"}), _jwt({"exp": True})],
    ids=["opaque", "not-base64", "not-json", "exp-a-string", "exp-a-bool"],
)
def test_tokens_that_are_no_jwt_with_an_expiry_have_none(token: str) -> None:
    assert seconds_until_expiry(token, START) is None
