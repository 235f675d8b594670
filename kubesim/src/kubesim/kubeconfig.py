"""A kubeconfig for the embedded cluster, for kubectl and ``kubernetes.config``."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

CONTEXT = "jobscheduler-embedded"


def kubeconfig_document(
    server_url: str, token: str, authority_data: str, namespace: str = "default"
) -> dict[str, object]:
    """``token``: the bearer token kubectl and the clients send (the cluster's admin's);
    ``authority_data``: the serving certificate (base64 PEM) of the ``https://`` server."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CONTEXT,
                "cluster": {"server": server_url, "certificate-authority-data": authority_data},
            }
        ],
        "users": [{"name": CONTEXT, "user": {"token": token}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: Path, server_url: str, token: str, authority_data: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig_document(server_url, token, authority_data), sort_keys=False)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.chmod(temporary, 0o600)
    temporary.replace(path)
    return path
