"""What the probe and webhook runners leave behind: one JSON result line in the log, and a
termination message (``Reason: detail``) that GetJobStatus shows as the failed job's reason.

Kubernetes reads the termination message from the container's ``terminationMessagePath``
(``/dev/termination-log``); the handlers pass that path in TERMINATION_MESSAGE_PATH, so the
runner run by hand (or by a test) writes no file unless asked to.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any, TextIO, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

_M = TypeVar("_M", bound=Message)

TERMINATION_MESSAGE_PATH_ENV = "TERMINATION_MESSAGE_PATH"
# Kubernetes keeps at most 4096 bytes of a termination message.
MAX_TERMINATION_MESSAGE = 1024

EXIT_OK = 0
EXIT_FAILED = 1  # the probe failed, or the webhook was not delivered
EXIT_BAD_CONFIG = 2
EXIT_EGRESS_DENIED = 3
EXIT_TERMINATED = 143


def finish(
    result: Mapping[str, Any],
    termination_message: str,
    env: Mapping[str, str],
    *,
    out: TextIO | None = None,
) -> None:
    """Print ``result`` as one JSON line and write the termination message (if a path is set)."""
    print(json.dumps(dict(result), sort_keys=True, separators=(",", ":")), file=out or sys.stdout)
    (out or sys.stdout).flush()
    path = env.get(TERMINATION_MESSAGE_PATH_ENV, "")
    if not path or not termination_message:
        return
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(one_line(termination_message)[:MAX_TERMINATION_MESSAGE])
    except OSError as error:
        print(f"cannot write the termination message to {path}: {error}", file=sys.stderr)


def config_from_env(env: Mapping[str, str], name: str, message_class: type[_M]) -> _M:
    """The job's config, shipped by its handler as protobuf JSON in ``name``; ValueError
    naming the variable when it is missing or not that message."""
    raw = env.get(name, "")
    if not raw:
        raise ValueError(f"{name} is required")
    config = message_class()
    try:
        json_format.Parse(raw, config)
    except json_format.ParseError as error:
        raise ValueError(f"{name} is not a {message_class.__name__}: {error}") from None
    return config


def one_line(text: str) -> str:
    return " ".join(text.split())
