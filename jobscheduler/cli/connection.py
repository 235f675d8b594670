"""Where the ``jobs`` commands connect, and as whom: flags, then environment, then a config file.

    JOBSCHEDULER_SERVER     host:port of the server (flag --server)
    JOBSCHEDULER_NAMESPACE  namespace of the jobs (flag -n/--namespace)
    JOBSCHEDULER_CONFIG     path of the config file (default ~/.config/jobscheduler/config.toml,
                            under $XDG_CONFIG_HOME when that is set)

The config file is TOML (read with the standard library's tomllib) with the keys ``server``,
``namespace`` and ``token`` (reserved for authenticating to the server); an unknown key or a
malformed file is a usage error naming the file. ``connect`` is the one place a client is made.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jobscheduler.cli.typeflags import UsageError
from jobscheduler.client import DEFAULT_TARGET, JobSchedulerClient

SERVER_ENV = "JOBSCHEDULER_SERVER"
NAMESPACE_ENV = "JOBSCHEDULER_NAMESPACE"
CONFIG_ENV = "JOBSCHEDULER_CONFIG"
CONFIG_KEYS = ("server", "namespace", "token")
DEFAULT_REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class ClientSettings:
    server: str
    namespace: str
    token: str
    request_timeout: float


def config_path(env: Mapping[str, str]) -> Path:
    if explicit := env.get(CONFIG_ENV):
        return Path(explicit)
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "jobscheduler" / "config.toml"


def read_config_file(path: Path) -> dict[str, str]:
    """The file's settings ({} when there is no file)."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"config file {path}: {error}") from None
    settings: dict[str, str] = {}
    for key, value in raw.items():
        if key not in CONFIG_KEYS:
            raise UsageError(
                f"config file {path}: unknown key {key!r} (known: {', '.join(CONFIG_KEYS)})"
            )
        if not isinstance(value, str):
            raise UsageError(f"config file {path}: {key} must be a string")
        settings[key] = value
    return settings


def resolve(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> ClientSettings:
    """Flags win over the environment, which wins over the config file."""
    environ = os.environ if env is None else env
    file = read_config_file(config_path(environ))
    return ClientSettings(
        server=args.server or environ.get(SERVER_ENV) or file.get("server") or DEFAULT_TARGET,
        namespace=getattr(args, "namespace", "")
        or environ.get(NAMESPACE_ENV)
        or file.get("namespace", ""),
        token=file.get("token", ""),
        request_timeout=args.request_timeout or DEFAULT_REQUEST_TIMEOUT,
    )


def connect(settings: ClientSettings) -> JobSchedulerClient:
    """The client every ``jobs`` command uses (transport security and credentials go here)."""
    return JobSchedulerClient(settings.server, timeout=settings.request_timeout)
