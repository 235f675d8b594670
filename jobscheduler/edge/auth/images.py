"""IMAGE_ALLOWLIST: which images a request may name, compared after canonical parsing.

An image reference is parsed as the container runtime does (distribution's reference
grammar, Docker's normalisation): ``busybox`` is ``docker.io/library/busybox:latest``, and the
registry is the first path component only when it has a dot or a port or is ``localhost``.
An allowlist entry is a registry, or a registry and repository prefix, matched component by
component: ``ghcr.io/acme`` allows ``ghcr.io/acme/tool`` but not ``ghcr.io/acme-evil/tool``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from google.protobuf.message import Message

from jobscheduler.errors import FieldViolation

DOCKER_HUB = "docker.io"
_LEGACY_HUBS = frozenset({"index.docker.io", "registry-1.docker.io"})
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_REGISTRY = re.compile(r"^[A-Za-z0-9.-]+(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$")


@dataclass(frozen=True)
class ImageReference:
    registry: str
    path: tuple[str, ...]  # repository components, e.g. ("library", "busybox")
    tag: str = ""
    digest: str = ""

    @property
    def repository(self) -> str:
        return "/".join((self.registry, *self.path))


def parse_image(text: str) -> ImageReference | None:
    """The canonical form of ``text``, or None when it is not an image reference."""
    rest, digest = text, ""
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        if not _DIGEST.match(digest):
            return None
    tag = ""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.match(tag):
            return None
    parts = rest.split("/")
    registry = DOCKER_HUB
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts.pop(0)
        if not _REGISTRY.match(registry):
            return None
    registry = DOCKER_HUB if registry in _LEGACY_HUBS else registry
    if registry == DOCKER_HUB and len(parts) == 1:
        parts.insert(0, "library")
    if not parts or not all(_COMPONENT.match(part) for part in parts):
        return None
    return ImageReference(registry, tuple(parts), tag or ("" if digest else "latest"), digest)


def _prefix(entry: str) -> tuple[str, ...]:
    """An allowlist entry as components: a bare registry, or registry/repository prefix."""
    text = entry.strip().rstrip("/")
    parts = text.split("/")
    if len(parts) == 1 and ("." in text or ":" in text or text == "localhost"):
        return (DOCKER_HUB if text in _LEGACY_HUBS else text,)
    parsed = parse_image(text)
    return (parsed.registry, *parsed.path) if parsed else (text,)


class ImagePolicy:
    def __init__(self, allowlist: list[str], require_digest: bool) -> None:
        self._prefixes = [_prefix(entry) for entry in allowlist if entry.strip()]
        self._require_digest = require_digest
        self.allowlist = list(allowlist)

    @property
    def active(self) -> bool:
        return bool(self._prefixes) or self._require_digest

    def violation(self, field: str, image: str) -> FieldViolation | None:
        parsed = parse_image(image)
        if parsed is None:
            return FieldViolation(field, f"{image!r} is not an image reference")
        if self._require_digest and not parsed.digest:
            return FieldViolation(field, "must be pinned by digest (image@sha256:...)")
        components = (parsed.registry, *parsed.path)
        if self._prefixes and not any(
            components[: len(prefix)] == prefix for prefix in self._prefixes
        ):
            allowed = ", ".join(self.allowlist)
            return FieldViolation(
                field, f"{parsed.repository} is not in the image allowlist ({allowed})"
            )
        return None

    def request_violations(self, request: Message, oneof: str) -> list[FieldViolation]:
        """The image a ScheduleJobRequest's job type names (``<type>.image``), if any."""
        if not self.active:
            return []
        case = request.WhichOneof(oneof)
        if case is None:
            return []
        config = getattr(request, case)
        if "image" not in config.DESCRIPTOR.fields_by_name or not config.image:
            return []  # the type's default image: the operator's choice
        found = self.violation(f"{case}.image", config.image)
        return [found] if found else []
