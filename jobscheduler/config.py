"""Service configuration from environment variables (CLI flags override them).

Names and defaults are part of the deployment contract (k8s/ ConfigMap, README table).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class LogLevel(StrEnum):
    TRACE = "trace"
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class LogFormat(StrEnum):
    AUTO = "auto"  # console on a terminal, JSON otherwise
    JSON = "json"
    CONSOLE = "console"


Port = Annotated[int, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    """The server's settings. A job type's own settings (e.g. TIMER_IMAGE) are declared by
    its handler (``jobtypes.timer.TimerSettings``) and loaded with ``load_env_settings``."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    grpc_port: Port = 50054
    # Where the gRPC server listens; the container binds all interfaces, tests bind loopback.
    grpc_host: str = "[::]"
    metrics_port: Annotated[int, Field(ge=0, le=65535)] = 8080  # 0 disables the HTTP endpoint
    k8s_namespace: str = "default"
    in_cluster: bool = True
    kubeconfig: str | None = None
    log_level: LogLevel = LogLevel.INFO
    log_format: LogFormat = LogFormat.AUTO
    default_cpu_request: str = "100m"
    default_memory_request: str = "64Mi"
    default_cpu_limit: str | None = None
    default_memory_limit: str | None = None
    # Seconds Kubernetes keeps a finished Job before deleting it (ttlSecondsAfterFinished).
    job_ttl_seconds: Annotated[int, Field(ge=0)] = 86400
    default_backoff_limit: Annotated[int, Field(ge=0)] = 3
    # On SIGTERM: seconds to drain in-flight RPCs before the server stops.
    shutdown_grace_seconds: Annotated[float, Field(ge=0)] = 20.0
    # Retries of a Kubernetes call that was throttled (429) or failed with a 5xx/connection error.
    k8s_max_retries: Annotated[int, Field(ge=0)] = 3
    # Default timeout of one Kubernetes API call when the client gave no deadline.
    k8s_request_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    # Creates a ScheduleJobs batch runs at once (one pool for all batches, beside the RPC workers).
    schedule_jobs_concurrency: Annotated[int, Field(ge=1, le=64)] = 8
    # Bounds of GetJobLogs.
    log_stream_max_bytes: Annotated[int, Field(gt=0)] = 10 * 1024 * 1024
    log_stream_max_seconds: Annotated[float, Field(gt=0)] = 3600.0
    # Prefixes of the request annotations copied to pods (comma-separated); none by default.
    # Pod annotations drive sidecar and secret injectors, so the operator decides which reach.
    pod_annotation_allowed_prefixes: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("pod_annotation_allowed_prefixes", mode="before")
    @classmethod
    def _split_prefixes(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


class ConfigError(Exception):
    """Invalid configuration, with one line per problem naming the environment variable."""


_S = TypeVar("_S", bound=BaseSettings)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with ``overrides`` (from CLI flags) taking precedence."""
    return load_env_settings(Settings, **overrides)


def load_env_settings(model: type[_S], **overrides: object) -> _S:
    """``model`` read from the environment; ConfigError names each bad variable."""
    try:
        return model.model_validate({k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        prefix = str(model.model_config.get("env_prefix") or "")
        problems = []
        for err in exc.errors():
            name = (prefix + "_".join(str(part) for part in err["loc"])).upper() or "CONFIG"
            problems.append(f"{name}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None
