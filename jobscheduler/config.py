"""Service configuration from environment variables (CLI flags override them).

Names and defaults are part of the deployment contract (k8s/ ConfigMap, README table).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from jobscheduler.egress import EgressPolicy


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


class AuthMode(StrEnum):
    KUBERNETES = "kubernetes"  # bearer tokens via TokenReview (and client certificates)
    NONE = "none"  # no authentication: local development on loopback only


Port = Annotated[int, Field(ge=1, le=65535)]
# A ConfigMap holds at most 1 MiB of data; kept logs leave room for their keys (pod names).
KEPT_LOGS_MAX_TOTAL_BYTES = 1024 * 1024 - 64 * 1024
KEPT_LOGS_MAX_PODS = 100


class Settings(BaseSettings):
    """The server's settings. A job type's own settings (e.g. TIMER_IMAGE) are declared by
    its handler (``jobtypes.timer.TimerSettings``) and loaded with ``load_env_settings``."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    grpc_port: Port = 50054
    # Where the gRPC server listens; the container binds all interfaces, tests bind loopback.
    grpc_host: str = "[::]"
    metrics_port: Annotated[int, Field(ge=0, le=65535)] = 8080  # 0 disables the HTTP endpoint
    # The read-only web dashboard (``jobscheduler.dashboard``), on GRPC_HOST; 0 (default): off.
    # Its own port, not METRICS_PORT's: it shows job data and logs, so it belongs behind the
    # same access as the gRPC API, while probes and scrapes stay unauthenticated.
    dashboard_port: Annotated[int, Field(ge=0, le=65535)] = 0
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
    # Seconds a job's pods may stay unable to start (image pull failing, unschedulable) before
    # the job ends FAILED, for requests that set no startup_deadline_seconds; 0 = no deadline.
    default_startup_deadline_seconds: Annotated[int, Field(ge=0, le=2_147_483_647)] = 0
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
    # Kept logs (``service.logkeeper``): the tail of each pod's output, kept in a ConfigMap
    # owned by the Job when it finishes, is cancelled or suspended. 0 bytes or 0 pods: off.
    # Their product must fit one ConfigMap (checked below), so a keep can never be refused.
    kept_logs_bytes_per_pod: Annotated[int, Field(ge=0)] = 64 * 1024
    kept_logs_max_pods: Annotated[int, Field(ge=0, le=KEPT_LOGS_MAX_PODS)] = 8
    # Reads from a watch cache (false: every read is an API call, as a debugging aid).
    cache_enabled: bool = True
    # Namespaces the cache watches: "" for K8S_NAMESPACE, "*" for all, or "a,b,c". Reads in
    # other namespaces go to the API server.
    cache_namespaces: str = ""
    cache_page_size: Annotated[int, Field(ge=1, le=5000)] = 500
    # Server-side timeout of each cache watch; a silent connection is dropped 10 s after it.
    cache_watch_timeout_seconds: Annotated[int, Field(ge=1)] = 60
    # A cache that cannot reach the API server for this long reports NOT_SERVING.
    cache_staleness_seconds: Annotated[float, Field(gt=0)] = 30.0
    # How long a write waits for the cache to see it before reads of it go to the API server.
    cache_write_wait_seconds: Annotated[float, Field(ge=0)] = 2.0
    # Events a WatchJobs stream holds for a slow reader before it coalesces them per job.
    watch_stream_queue_size: Annotated[int, Field(ge=1)] = 256
    # Changes kept for resuming a watch from its token.
    watch_resume_window: Annotated[int, Field(ge=0)] = 10000
    # Prefixes of the request annotations copied to pods (comma-separated); none by default.
    # Pod annotations drive sidecar and secret injectors, so the operator decides which reach.
    pod_annotation_allowed_prefixes: Annotated[tuple[str, ...], NoDecode] = ()

    # ---- access control (README "Security model") ----
    auth_mode: AuthMode = AuthMode.KUBERNETES
    # AUTH_MODE=none on a non-loopback address only with this (a warning at start and on /readyz).
    insecure_allow_unauthenticated: bool = False
    # Audiences a caller's token must be issued for (TokenReview spec.audiences); empty: the
    # API server's own (a plain `kubectl create token` token).
    auth_token_audiences: Annotated[list[str], NoDecode] = []
    # How long a TokenReview or SubjectAccessReview answer is reused, and how many are kept.
    auth_cache_ttl_seconds: Annotated[float, Field(ge=0)] = 30.0
    auth_cache_size: Annotated[int, Field(ge=1)] = 10000
    # Health and reflection answer without credentials (probes, grpcurl describe).
    auth_exempt_health: bool = True
    auth_exempt_reflection: bool = True
    # Key that binds page tokens to the caller who received them; every replica needs the same
    # one (from a Secret). Unset: a random key per process (a single replica only).
    page_token_key: str | None = Field(default=None, repr=False)
    # Per caller: RPCs per second (token bucket refill), burst, and open streams at once.
    rate_limit_per_second: Annotated[float, Field(gt=0)] = 50.0
    rate_limit_burst: Annotated[int, Field(ge=1)] = 100
    max_streams_per_caller: Annotated[int, Field(ge=1)] = 32
    # Image prefixes a request may name (registry/repository, after docker.io normalisation);
    # empty: any image. IMAGE_REQUIRE_DIGEST: images must be pinned by @sha256 digest.
    image_allowlist: Annotated[list[str], NoDecode] = []
    image_require_digest: bool = False
    # TLS for the gRPC port: server certificate and key (reloaded when the files change), and
    # a CA bundle that makes client certificates required (user = CN, groups = O).
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    tls_client_ca_file: str | None = None

    @field_validator("auth_token_audiences", "image_allowlist", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        # Comma-separated in the environment, as a ConfigMap value reads naturally.
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

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

    @model_validator(mode="after")
    def _kept_logs_fit_one_configmap(self) -> Settings:
        total = self.kept_logs_bytes_per_pod * self.kept_logs_max_pods
        if total > KEPT_LOGS_MAX_TOTAL_BYTES:
            raise ValueError(
                f"KEPT_LOGS_BYTES_PER_POD x KEPT_LOGS_MAX_PODS is {total} bytes; one ConfigMap "
                f"holds at most {KEPT_LOGS_MAX_TOTAL_BYTES} of kept logs (1 MiB less room for "
                "its keys)"
            )
        return self


class EgressSettings(BaseSettings):
    """Where health-check and webhook jobs may connect (``jobscheduler.egress``), from
    EGRESS_ALLOWED_HOSTS and EGRESS_ALLOWED_CIDRS (comma-separated). Checked at ScheduleJob
    and passed to the job's runner, which checks the resolved addresses too. Empty hosts:
    those job types can reach nothing."""

    model_config = SettingsConfigDict(env_prefix="EGRESS_", case_sensitive=False, extra="ignore")

    # Exact names, "*.example.com" (its subdomains) or "*" (any host with a public address).
    allowed_hosts: str = ""
    # Addresses otherwise refused (private, loopback, link-local, metadata) that jobs may reach.
    allowed_cidrs: str = ""

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts_parse(cls, value: str) -> str:
        EgressPolicy.parse(value, "")  # a bad entry is a ValueError naming it
        return value

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs_parse(cls, value: str) -> str:
        EgressPolicy.parse("", value)
        return value

    def policy(self) -> EgressPolicy:
        return EgressPolicy.parse(self.allowed_hosts, self.allowed_cidrs)


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
