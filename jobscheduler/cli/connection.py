"""Where the ``jobs`` commands connect, and as whom: flags, then environment, then a config file.

    JOBSCHEDULER_SERVER     host:port of the server (flag --server)
    JOBSCHEDULER_NAMESPACE  namespace of the jobs (flag -n/--namespace)
    JOBSCHEDULER_TOKEN      bearer token (flags --token, --token-file; --no-token sends none)
    JOBSCHEDULER_CONFIG     path of the config file (default ~/.config/jobscheduler/config.toml,
                            under $XDG_CONFIG_HOME when that is set)

The config file is TOML (read with the standard library's tomllib) with the keys ``server``,
``namespace`` and ``token``; an unknown key or a malformed file is a usage error naming the file.
The bearer token is the first of ``--token``, ``--token-file``, ``$JOBSCHEDULER_TOKEN``, the
config file's ``token``, and the token of the current kubeconfig user (``token`` or
``tokenFile``, as kubectl sends it; exec plugins and client certificates of a kubeconfig are not
used). TLS comes from the ``--tls*`` flags. ``connect`` is the one place a client is made.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jobscheduler.cli.typeflags import UsageError
from jobscheduler.client import DEFAULT_TARGET, JobSchedulerClient, TlsOptions

SERVER_ENV = "JOBSCHEDULER_SERVER"
NAMESPACE_ENV = "JOBSCHEDULER_NAMESPACE"
TOKEN_ENV = "JOBSCHEDULER_TOKEN"
CONFIG_ENV = "JOBSCHEDULER_CONFIG"
CONFIG_KEYS = ("server", "namespace", "token")
DEFAULT_REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class ClientSettings:
    server: str
    namespace: str
    # None: send no Authorization header (a server with AUTH_MODE=none).
    token: str | None
    tls: TlsOptions | None
    request_timeout: float


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default="",
        help=f"host:port (env {SERVER_ENV}, config file, default {DEFAULT_TARGET})",
    )
    parser.add_argument(
        "--token",
        help=f"bearer token (else --token-file, ${TOKEN_ENV}, config file, kubeconfig)",
    )
    parser.add_argument("--token-file", metavar="FILE", help="file holding the bearer token")
    parser.add_argument(
        "--no-token", action="store_true", help="send no token (a server with AUTH_MODE=none)"
    )
    parser.add_argument("--tls", action="store_true", help="TLS with the system's CA roots")
    parser.add_argument("--tls-ca", metavar="FILE", help="CA of the server's certificate")
    parser.add_argument("--tls-cert", metavar="FILE", help="client certificate (mTLS)")
    parser.add_argument("--tls-key", metavar="FILE", help="client key (mTLS)")
    parser.add_argument("--tls-server-name", help="name expected in the server's certificate")


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
        token=resolve_token(args, environ, file.get("token", "")),
        tls=tls_options(args),
        request_timeout=args.request_timeout or DEFAULT_REQUEST_TIMEOUT,
    )


def resolve_token(
    args: argparse.Namespace, environ: Mapping[str, str], file_token: str = ""
) -> str | None:
    if args.no_token:
        return None
    if args.token:
        return str(args.token)
    if args.token_file:
        try:
            return Path(args.token_file).read_text().strip()
        except OSError as error:
            raise UsageError(f"--token-file: {error}") from None
    if environ.get(TOKEN_ENV):
        return environ[TOKEN_ENV].strip()
    if file_token:
        return file_token.strip()
    return kubeconfig_token(environ)


def kubeconfig_token(environ: Mapping[str, str]) -> str | None:
    """The current context's user token, or None (no kubeconfig, no token in it)."""
    paths = [p for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    paths = paths or [str(Path.home() / ".kube" / "config")]
    for path in paths:
        try:
            document = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(document, dict):
            continue
        user = _current_user(document)
        if user.get("token"):
            return str(user["token"])
        if user.get("tokenFile"):
            try:
                return Path(user["tokenFile"]).read_text().strip()
            except OSError:
                return None
    return None


def _current_user(document: dict[str, Any]) -> dict[str, Any]:
    context_name = document.get("current-context")
    contexts = {c.get("name"): c.get("context") or {} for c in document.get("contexts") or ()}
    user_name = contexts.get(context_name, {}).get("user")
    for entry in document.get("users") or ():
        if entry.get("name") == user_name:
            return dict(entry.get("user") or {})
    return {}


def tls_options(args: argparse.Namespace) -> TlsOptions | None:
    if not (args.tls or args.tls_ca or args.tls_cert or args.tls_key):
        return None
    return TlsOptions(args.tls_ca, args.tls_cert, args.tls_key, args.tls_server_name)


def connect(settings: ClientSettings) -> JobSchedulerClient:
    """The client every ``jobs`` command uses."""
    return JobSchedulerClient(
        settings.server,
        timeout=settings.request_timeout,
        token=settings.token,
        tls=settings.tls,
    )
