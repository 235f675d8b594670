"""How the ``jobs`` and ``health`` commands reach a server: address, credentials, TLS.

The bearer token is the first of: ``--token``, ``--token-file``, ``$JOBSCHEDULER_TOKEN``, the
token of the current kubeconfig user (``token`` or ``tokenFile``, as kubectl sends it; exec
plugins and client certificates of a kubeconfig are not used). ``--no-token`` sends none.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import yaml

from jobscheduler.client import DEFAULT_TARGET, JobSchedulerClient, TlsOptions

TOKEN_ENV = "JOBSCHEDULER_TOKEN"


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server", default=DEFAULT_TARGET, help=f"host:port (default {DEFAULT_TARGET})"
    )
    parser.add_argument(
        "--token", help=f"bearer token (else --token-file, ${TOKEN_ENV}, kubeconfig)"
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


def resolve_token(args: argparse.Namespace, environ: Any = os.environ) -> str | None:
    if args.no_token:
        return None
    if args.token:
        return str(args.token)
    if args.token_file:
        return Path(args.token_file).read_text().strip()
    if environ.get(TOKEN_ENV):
        return str(environ[TOKEN_ENV]).strip()
    return kubeconfig_token(environ)


def kubeconfig_token(environ: Any = os.environ) -> str | None:
    """The current context's user token, or None (no kubeconfig, no token in it)."""
    paths = [p for p in str(environ.get("KUBECONFIG", "")).split(os.pathsep) if p]
    paths = paths or [str(Path.home() / ".kube" / "config")]
    for path in paths:
        try:
            document = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError):
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


def client_from_args(args: argparse.Namespace) -> JobSchedulerClient:
    return JobSchedulerClient(
        args.server, timeout=args.timeout, token=resolve_token(args), tls=tls_options(args)
    )
