"""The timer job type (seed contract of the original service).

The container waits ``duration_seconds`` and then reports completion to the control plane;
``jobscheduler timer`` (in the project image) implements that contract from these variables:
TIMER_DURATION_SECONDS, TIMER_NAME, CONTROL_PLANE_ENDPOINT, TIMER_ID, LOG_LEVEL.
The server's own timer settings (TIMER_IMAGE, TIMER_GRACE_SECONDS) belong to this type.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from jobscheduler import kubesyntax
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings, load_env_settings
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes.base import (
    CONTAINER_NAME,
    JSON,
    BuildContext,
    CliFlag,
    Handler,
    pod_container,
    stored_config,
)
from jobscheduler.jobtypes.envvars import env_list, validate_env

MIN_DURATION_SECONDS = 1
MAX_DURATION_SECONDS = 86400
LOG_LEVELS = ("trace", "debug", "info", "warn", "error")
RESERVED_ENV = (
    "TIMER_DURATION_SECONDS",
    "TIMER_NAME",
    "CONTROL_PLANE_ENDPOINT",
    "TIMER_ID",
    "LOG_LEVEL",
    "LOG_FORMAT",  # read by the runner too (``jobscheduler timer``)
)


class TimerSettings(BaseSettings):
    """Read from TIMER_IMAGE and TIMER_GRACE_SECONDS (the deployment contract, see k8s/)."""

    model_config = SettingsConfigDict(env_prefix="TIMER_", case_sensitive=False, extra="ignore")

    # Image of timer jobs that name none.
    image: str = "timer-service:latest"
    # Seconds added to a timer's duration to form its activeDeadlineSeconds.
    grace_seconds: Annotated[int, Field(ge=0)] = 60


class TimerHandler(Handler[pb.TimerJobConfig, pb.TimerJobDetails]):
    name = "timer"
    request_field = "timer_job"
    details_field = "timer_details"
    config_message = pb.TimerJobConfig
    details_message = pb.TimerJobDetails
    description = (
        "Waits duration_seconds, then reports completion to control_plane_endpoint "
        "(HTTP POST, retried, idempotent)."
    )
    field_descriptions = {
        "duration_seconds": "How long the timer runs, 1..86400 seconds.",
        "timer_name": "Name reported with the completion.",
        "control_plane_endpoint": "http(s) URL (or host:port) that receives the completion report.",
        "image": "Container image (default: the server's TIMER_IMAGE).",
        "log_level": "Log level of the timer runner: trace, debug, info, warn or error.",
        "env": "Extra environment variables (cannot override the TIMER_* contract).",
    }
    required_fields = frozenset({"duration_seconds"})
    # The runner writes nothing but /tmp, so its root filesystem can be read-only.
    read_only_root_filesystem = True
    cli_flags = (
        CliFlag(
            "--timer",
            "duration_seconds",
            "a timer job of this duration",
            aliases=("--duration",),
            metavar="SECONDS",
        ),
        CliFlag("--timer-name", "timer_name", "name reported with the completion"),
        CliFlag("--endpoint", "control_plane_endpoint", "control plane endpoint", metavar="URL"),
        CliFlag("--image", "image", "the timer's image (default: the server's)", metavar="IMAGE"),
        CliFlag("--env", "env", "environment variable (repeatable)", metavar="KEY=VALUE"),
    )

    def __init__(self, settings: TimerSettings | None = None) -> None:
        self.settings = settings if settings is not None else load_env_settings(TimerSettings)

    def default_image(self, settings: Settings) -> str:
        return self.settings.image

    def validate(self, config: pb.TimerJobConfig, path: str) -> list[FieldViolation]:
        violations = []
        if not MIN_DURATION_SECONDS <= config.duration_seconds <= MAX_DURATION_SECONDS:
            violations.append(
                FieldViolation(
                    f"{path}.duration_seconds",
                    f"must be between {MIN_DURATION_SECONDS} and {MAX_DURATION_SECONDS} seconds",
                )
            )
        if len(config.timer_name) > 253 or _has_control_characters(config.timer_name):
            violations.append(
                FieldViolation(
                    f"{path}.timer_name",
                    "must be at most 253 characters, without control characters",
                )
            )
        if config.control_plane_endpoint:
            # "host:port" means http://host:port, as the timer runner reads it.
            endpoint = config.control_plane_endpoint
            url = urlparse(endpoint if "://" in endpoint else f"http://{endpoint}")
            if (
                url.scheme not in ("http", "https")
                or not url.netloc
                or " " in endpoint
                or _has_control_characters(endpoint)
            ):
                violations.append(
                    FieldViolation(
                        f"{path}.control_plane_endpoint",
                        "must be an http:// or https:// URL with a host (or host:port)",
                    )
                )
        if config.image and (problem := kubesyntax.image_reference(config.image)):
            violations.append(FieldViolation(f"{path}.image", problem))
        if config.log_level and config.log_level.lower() not in LOG_LEVELS:
            violations.append(
                FieldViolation(f"{path}.log_level", f"must be one of {', '.join(LOG_LEVELS)}")
            )
        violations += validate_env(config.env, f"{path}.env", reserved=RESERVED_ENV)
        return violations

    def build_container(self, config: pb.TimerJobConfig, ctx: BuildContext) -> JSON:
        contract = {
            "TIMER_DURATION_SECONDS": str(config.duration_seconds),
            "TIMER_NAME": config.timer_name,
            "CONTROL_PLANE_ENDPOINT": config.control_plane_endpoint,
            "TIMER_ID": ctx.job_id,
            "LOG_LEVEL": (config.log_level or ctx.settings.log_level.value).lower(),
        }
        return {
            "name": CONTAINER_NAME,
            "image": config.image or self.default_image(ctx.settings),
            "command": ["jobscheduler", "timer"],
            # Contract variables first, in the seed order, then the user's in name order.
            "env": [{"name": k, "value": v} for k, v in contract.items()] + env_list(config.env),
        }

    def default_active_deadline_seconds(self, config: pb.TimerJobConfig, settings: Settings) -> int:
        """A timer that outlives its duration plus grace is stuck: let Kubernetes stop it."""
        return int(config.duration_seconds) + self.settings.grace_seconds

    def read_details(self, manifest: JSON) -> pb.TimerJobDetails:
        config = stored_config(manifest, pb.TimerJobConfig)
        return pb.TimerJobDetails(
            duration_seconds=config.duration_seconds,
            timer_name=config.timer_name,
            control_plane_endpoint=config.control_plane_endpoint,
            image=pod_container(manifest).get("image", config.image),
        )

    def detail_rows(self, details: pb.TimerJobDetails) -> list[tuple[str, str]]:
        rows = [("Timer", f"{details.timer_name or '-'} for {details.duration_seconds}s")]
        if details.control_plane_endpoint:
            rows.append(("Reports to", details.control_plane_endpoint))
        return rows


def _has_control_characters(text: str) -> bool:
    """They reach the container as environment values: NUL cannot, newlines should not."""
    return any(ord(char) < 32 or ord(char) == 127 for char in text)
