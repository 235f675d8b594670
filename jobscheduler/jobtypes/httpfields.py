"""What the health-check and webhook job types share: URL, header, status-code and range
checks, and the runner contract around the container (egress policy, termination message).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from jobscheduler import kubesyntax
from jobscheduler.config import EgressSettings, Settings, load_env_settings
from jobscheduler.egress import EgressDenied, EgressPolicy, Target
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes.base import CONTAINER_NAME, JSON
from jobscheduler.jobtypes.timer import TimerSettings
from jobscheduler.runnerio import TERMINATION_MESSAGE_PATH_ENV

TERMINATION_MESSAGE_PATH = "/dev/termination-log"
MAX_HEADERS = 50
MAX_HEADER_VALUE_BYTES = 8 * 1024
# RFC 9110 token characters.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")
# Headers that frame the message or pick the server: the runner sets them, never the request.
RESERVED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "te", "trailer", "upgrade"}
)


class EgressRunnerType:
    """What both runner job types read from the server's settings: the egress allowlist
    (checked at ScheduleJob, passed to the runner) and the project image (TIMER_IMAGE)."""

    def __init__(
        self, egress: EgressSettings | None = None, timer: TimerSettings | None = None
    ) -> None:
        self.egress = egress if egress is not None else load_env_settings(EgressSettings)
        self.timer = timer if timer is not None else load_env_settings(TimerSettings)

    @property
    def policy(self) -> EgressPolicy:
        return self.egress.policy()

    def default_image(self, settings: Settings) -> str:
        return self.timer.image


def check_url(
    url: str, field: str, policy: EgressPolicy, schemes: Iterable[str]
) -> tuple[Target | None, list[FieldViolation]]:
    if not url:
        return None, [FieldViolation(field, "is required")]
    try:
        return policy.check_url(url, schemes), []
    except EgressDenied as denied:
        return None, [FieldViolation(field, str(denied))]


def check_header_name(name: str, field: str) -> list[FieldViolation]:
    if not _HEADER_NAME.fullmatch(name):
        return [
            FieldViolation(field, "header name must be an HTTP token (no spaces, CR, LF or ':')")
        ]
    if name.lower() in RESERVED_HEADERS or name.lower().startswith("proxy-"):
        return [FieldViolation(field, f"{name} is set by the runner and cannot be given")]
    return []


def check_headers(headers: Mapping[str, str], path: str) -> list[FieldViolation]:
    violations = []
    if len(headers) > MAX_HEADERS:
        violations.append(FieldViolation(path, f"at most {MAX_HEADERS} headers"))
    for name in sorted(headers):
        field = f'{path}["{name}"]'
        violations += check_header_name(name, field)
        value = headers[name]
        if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
            violations.append(
                FieldViolation(field, "header value must not contain CR, LF or control characters")
            )
        elif len(value.encode()) > MAX_HEADER_VALUE_BYTES:
            violations.append(FieldViolation(field, f"at most {MAX_HEADER_VALUE_BYTES} bytes"))
    return violations


def check_status_codes(codes: Iterable[int], field: str) -> list[FieldViolation]:
    items = list(codes)
    if len(items) > 100:
        return [FieldViolation(field, "at most 100 status codes")]
    bad = [code for code in items if not 100 <= code <= 599]
    if bad:
        return [FieldViolation(field, f"HTTP status codes are 100..599 (got {bad[0]})")]
    return []


def check_range(
    value: int, field: str, low: int, high: int, unit: str = ""
) -> list[FieldViolation]:
    """``value`` 0 means the default; anything else must be within [low, high]."""
    if value == 0 or low <= value <= high:
        return []
    return [FieldViolation(field, f"must be between {low} and {high}{unit} (0: the default)")]


def check_choice(value: str, field: str, choices: Iterable[str]) -> list[FieldViolation]:
    options = tuple(choices)
    if value and value.upper() not in options:
        return [FieldViolation(field, f"must be one of {', '.join(options)}")]
    return []


def check_image(image: str, field: str) -> list[FieldViolation]:
    problem = kubesyntax.image_reference(image) if image else None
    return [FieldViolation(field, problem)] if problem else []


def runner_container(image: str, command: str, env: list[JSON], policy: EgressPolicy) -> JSON:
    """The runner's container: its command, its contract, the egress policy, and the
    termination message Kubernetes keeps for GetJobStatus."""
    contract = [{"name": k, "value": v} for k, v in policy.to_env().items()]
    contract.append({"name": TERMINATION_MESSAGE_PATH_ENV, "value": TERMINATION_MESSAGE_PATH})
    return {
        "name": CONTAINER_NAME,
        "image": image,
        "command": ["jobscheduler", command],
        "env": env + contract,
        "terminationMessagePath": TERMINATION_MESSAGE_PATH,
        "terminationMessagePolicy": "File",
    }
