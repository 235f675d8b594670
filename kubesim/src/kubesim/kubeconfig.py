"""A kubeconfig for the embedded cluster, for kubectl and ``kubernetes.config``."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

CONTEXT = "jobscheduler-embedded"


def kubeconfig_document(server_url: str, namespace: str = "default") -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": server_url}}],
        # The embedded server does not authenticate; a token keeps clients that insist on
        # credentials content.
        "users": [{"name": CONTEXT, "user": {"token": "embedded"}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: Path, server_url: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig_document(server_url), sort_keys=False)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.chmod(temporary, 0o600)
    temporary.replace(path)
    return path
