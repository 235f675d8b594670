"""What a job type is: a small required interface plus optional capabilities.

A handler serves one case of ``ScheduleJobRequest.job_config``. It is a pure function of the
request: config in, container out; config back out of a stored manifest. No I/O, no clock, no
randomness, so almost every test of a handler needs no server.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from google.protobuf import json_format
from google.protobuf.message import Message

from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation

JSON = dict[str, Any]
_M = TypeVar("_M", bound=Message)

# Annotation holding the job type's config as JSON; read back by the handler that wrote it.
CONFIG_ANNOTATION = "jobscheduler.io/config"
# Name of the single container every job type builds (kubectl logs -c, log streaming).
CONTAINER_NAME = "job"


@dataclass(frozen=True)
class BuildContext:
    """What a handler may know besides its config; everything else is the common builder's."""

    job_id: str
    namespace: str
    settings: Settings


class JobTypeHandler(Protocol):
    """The required interface of a job type (see ``registry.build_registry``)."""

    # Read-only properties so handlers may declare them as plain class attributes.
    @property
    def name(self) -> str:
        """Name used in labels and filters, e.g. "timer"."""
        ...

    @property
    def request_field(self) -> str:
        """The ScheduleJobRequest.job_config oneof case it serves, e.g. "timer_job"."""
        ...

    @property
    def details_field(self) -> str:
        """The JobInfo.job_details oneof case it reads back into, e.g. "timer_details"."""
        ...

    @property
    def config_message(self) -> type[Message]:
        """The generated config message class, e.g. pb.TimerJobConfig."""
        ...

    @property
    def description(self) -> str: ...

    @property
    def field_descriptions(self) -> Mapping[str, str]:
        """One sentence per config field, shown by ListJobTypes (proto comments are not
        available at run time). The registry refuses a handler that leaves a field undescribed."""
        ...

    @property
    def required_fields(self) -> frozenset[str]: ...

    def default_image(self, settings: Settings) -> str:
        """Image used when the request names none ("" when the request must name one)."""
        ...

    def validate(self, config: Any, path: str) -> list[FieldViolation]:
        """Every problem with ``config``; field paths start with ``path``."""
        ...

    def build_container(self, config: Any, ctx: BuildContext) -> JSON:
        """The job's container (name, image, command, args, env, workingDir) as a JSON dict.
        Resources and security context are added by the common builder."""
        ...

    def read_details(self, manifest: JSON) -> Message:
        """The JobInfo details message of a stored Job (or CronJob job template)."""
        ...


@runtime_checkable
class DefaultsDeadline(Protocol):
    """Optional: a job type whose natural run time implies a deadline (the timer)."""

    def default_active_deadline_seconds(self, config: Any, settings: Settings) -> int: ...


@runtime_checkable
class ReadOnlyRootFilesystem(Protocol):
    """Optional: a job type whose container never writes outside /tmp."""

    read_only_root_filesystem: bool


def config_to_annotation(config: Message) -> str:
    """Compact, stable JSON of a config message (proto field names, defaults omitted)."""
    as_dict = json_format.MessageToDict(config, preserving_proto_field_name=True)
    return json.dumps(as_dict, sort_keys=True, separators=(",", ":"))


def stored_config(manifest: JSON, message_class: type[_M]) -> _M:
    """The config a handler stored in ``manifest``; empty when missing or unreadable, so a
    Job edited by hand still reads back (with fewer details) instead of failing the RPC."""
    raw = (manifest.get("metadata") or {}).get("annotations", {}).get(CONFIG_ANNOTATION)
    if not raw:
        return message_class()
    if len(raw) > _MAX_CACHED_CONFIG_CHARS:
        return message_class.FromString(_parse_config(raw, message_class))
    # Classes are hashable at run time; mypy sees Message.__hash__ = None.
    return message_class.FromString(_cached_config(raw, cast(Any, message_class)))


# Parsing JSON into a message is slow and listings repeat the same configs: parse each distinct
# annotation once and hand out fresh copies. Big configs (long env maps) are not kept.
_MAX_CACHED_CONFIG_CHARS = 4096


def _parse_config(raw: str, message_class: type[Message]) -> bytes:
    config = message_class()
    try:
        json_format.Parse(raw, config, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError):
        config.Clear()
    return config.SerializeToString()


_cached_config = functools.lru_cache(maxsize=1024)(_parse_config)


def pod_container(manifest: JSON) -> JSON:
    """The job container of a Job or of a CronJob's job template ({} if absent)."""
    spec = manifest.get("spec") or {}
    if "jobTemplate" in spec:
        spec = (spec["jobTemplate"] or {}).get("spec") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    for container in containers:
        if container.get("name") == CONTAINER_NAME:
            return dict(container)
    return dict(containers[0]) if containers else {}
