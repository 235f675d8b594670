"""The timer runner: wait for a duration, then report completion to the control plane.

The Timer job type starts a container with this contract in its environment:

- ``TIMER_DURATION_SECONDS`` (required): how long to wait;
- ``TIMER_NAME``: a human name, echoed in the report;
- ``CONTROL_PLANE_ENDPOINT``: URL that receives the completion report (none: just wait);
- ``TIMER_ID``: the job id, sent as ``Idempotency-Key`` so a report made twice (a pod retried
  after it reported, a retry after a lost response) is recognisable as one completion;
- ``LOG_LEVEL``: trace, debug, info, warn or error.

The report is ``POST <endpoint>`` with a JSON body ``{"timer_id", "timer_name", "duration",
"completed_at"}``. Connection errors, timeouts, 429 and 5xx are retried with exponential backoff
and jitter (``jobscheduler.backoff``), so timers that finished together do not retry together;
409 means "already recorded" and counts as success; any other 4xx is permanent.

Exit codes: 0 reported (or nothing to report to), 1 could not report, 2 bad configuration,
143 terminated (SIGTERM) before the timer completed.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from jobscheduler.backoff import BackoffPolicy
from jobscheduler.logs import get_logger

log = get_logger("jobscheduler.timer")

EXIT_OK = 0
EXIT_REPORT_FAILED = 1
EXIT_BAD_CONFIG = 2
EXIT_TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a process it terminated

MAX_DURATION_SECONDS = 86400


class TimerConfigError(ValueError):
    """The environment does not describe a timer; the message names the variable."""


@dataclass(frozen=True)
class TimerConfig:
    duration_seconds: float
    timer_name: str = ""
    endpoint: str = ""
    timer_id: str = ""
    log_level: str = "info"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TimerConfig:
        raw = env.get("TIMER_DURATION_SECONDS", "").strip()
        if not raw:
            raise TimerConfigError("TIMER_DURATION_SECONDS is required")
        try:
            duration = float(raw)
        except ValueError:
            raise TimerConfigError(
                f"TIMER_DURATION_SECONDS must be a number of seconds (got {raw!r})"
            ) from None
        if not 0 <= duration <= MAX_DURATION_SECONDS:
            raise TimerConfigError(
                f"TIMER_DURATION_SECONDS must be between 0 and {MAX_DURATION_SECONDS} (got {raw!r})"
            )
        endpoint = env.get("CONTROL_PLANE_ENDPOINT", "").strip()
        if endpoint:
            endpoint = normalise_endpoint(endpoint)
        return cls(
            duration_seconds=duration,
            timer_name=env.get("TIMER_NAME", ""),
            endpoint=endpoint,
            timer_id=env.get("TIMER_ID", ""),
            log_level=(env.get("LOG_LEVEL") or "info").lower(),
        )


def normalise_endpoint(endpoint: str) -> str:
    """``host:port`` becomes ``http://host:port/``; anything but http(s) is refused."""
    url = endpoint if "://" in endpoint else f"http://{endpoint}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TimerConfigError(f"CONTROL_PLANE_ENDPOINT must be an http(s) URL (got {endpoint!r})")
    return url if parts.path else f"{url}/"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    initial_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    request_timeout_seconds: float = 10.0
    jitter: float = 0.25

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return BackoffPolicy(
            self.initial_backoff_seconds, self.max_backoff_seconds, jitter=self.jitter
        ).delay(attempt)


class _Retryable(Exception):
    """A failure worth another attempt; ``retry_after`` is the server's hint, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Permanent(Exception):
    pass


def completion_report(config: TimerConfig, completed_at: datetime) -> dict[str, object]:
    duration: float | int = config.duration_seconds
    if float(duration).is_integer():
        duration = int(duration)
    return {
        "timer_id": config.timer_id,
        "timer_name": config.timer_name,
        "duration": duration,
        "completed_at": completed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }


def post_report(
    endpoint: str, body: dict[str, object], idempotency_key: str, timeout: float
) -> int:
    """POST ``body`` as JSON; returns the HTTP status, raising ``_Retryable``/``_Permanent``."""
    headers = {"Content-Type": "application/json", "User-Agent": "jobscheduler-timer"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    request = urllib.request.Request(
        endpoint, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        status = int(error.code)
        if status == 409:
            return status  # already recorded under this idempotency key
        if status == 429 or status >= 500:
            raise _Retryable(
                f"HTTP {status}", _retry_after(error.headers.get("Retry-After"))
            ) from None
        raise _Permanent(f"HTTP {status} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise _Retryable(f"cannot reach {endpoint}: {reason}") from None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


Poster = Callable[[str, dict[str, object], str, float], int]


def run_timer(
    config: TimerConfig,
    stop: threading.Event,
    *,
    policy: RetryPolicy | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    post: Poster = post_report,
) -> int:
    """Wait ``config.duration_seconds`` (ending early on ``stop``), then report; an exit code."""
    policy = policy or RetryPolicy()
    log.info(
        "timer started",
        timer_id=config.timer_id,
        timer_name=config.timer_name,
        duration_seconds=config.duration_seconds,
    )
    if stop.wait(config.duration_seconds):
        log.warning("terminated before the timer completed", timer_id=config.timer_id)
        return EXIT_TERMINATED
    completed_at = now()
    log.info("timer completed", timer_id=config.timer_id, completed_at=completed_at.isoformat())
    if not config.endpoint:
        log.info("no CONTROL_PLANE_ENDPOINT: nothing to report")
        return EXIT_OK

    body = completion_report(config, completed_at)
    for attempt in range(1, policy.max_attempts + 1):
        try:
            status = post(config.endpoint, body, config.timer_id, policy.request_timeout_seconds)
        except _Permanent as error:
            log.error(
                "control plane refused the report", endpoint=config.endpoint, error=str(error)
            )
            return EXIT_REPORT_FAILED
        except _Retryable as error:
            if attempt == policy.max_attempts:
                log.error(
                    "could not report completion",
                    endpoint=config.endpoint,
                    attempts=attempt,
                    error=str(error),
                )
                return EXIT_REPORT_FAILED
            delay = error.retry_after if error.retry_after is not None else policy.backoff(attempt)
            delay = min(delay, policy.max_backoff_seconds)
            log.warning(
                "report failed, retrying",
                endpoint=config.endpoint,
                attempt=attempt,
                retry_in_seconds=delay,
                error=str(error),
            )
            if stop.wait(delay):
                log.error("terminated while retrying the report", timer_id=config.timer_id)
                return EXIT_REPORT_FAILED
            continue
        log.info("completion reported", endpoint=config.endpoint, status=status, attempts=attempt)
        return EXIT_OK
    return EXIT_REPORT_FAILED
