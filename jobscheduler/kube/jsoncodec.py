"""JSON to and from the API server, with orjson.

A first sync of 100k Jobs parses 200 pages of 500 full objects: the standard library's decoder
spends about 90 ms on each such page, orjson about 10 ms, and encoding a projection takes a
fifth of the time. orjson is strict where ``json`` is lenient (integers beyond 64 bits, lone
surrogates): such a document, which Kubernetes does not send, is parsed by ``json`` instead of
failing.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (keys in the order given)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # e.g. an integer beyond 64 bits: the lenient encoder takes it
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
