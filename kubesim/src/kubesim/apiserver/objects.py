"""Small helpers for Kubernetes object dicts."""

from __future__ import annotations

import random
import threading
from datetime import datetime

from kubesim.clusterapi import JSON

# What kube-apiserver's names.SimpleNameGenerator draws from (no vowels, no look-alikes).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_GENERATED_NAME_LENGTH = 58  # 63 - 5 random characters
_random = random.Random()
_random_lock = threading.Lock()


def generate_name(prefix: str) -> str:
    with _random_lock:
        suffix = "".join(_random.choice(_NAME_ALPHABET) for _ in range(5))
    return prefix[:MAX_GENERATED_NAME_LENGTH] + suffix


def rfc3339(moment: datetime) -> str:
    """Second precision, ``Z`` suffix: how metav1.Time serialises."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def owner_uids(obj: JSON) -> list[str]:
    return [ref.get("uid", "") for ref in obj.get("metadata", {}).get("ownerReferences") or []]


def without_type_meta(obj: JSON) -> JSON:
    """List items carry no kind/apiVersion, like upstream's typed lists."""
    return {key: value for key, value in obj.items() if key not in ("kind", "apiVersion")}
