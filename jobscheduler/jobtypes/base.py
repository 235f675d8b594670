"""What a job type is: a ``Handler`` generic over its protobuf config and details messages.

A handler serves one case of ``ScheduleJobRequest.job_config``. It is a pure function of the
request: config in, container out; details back out of a stored manifest. No I/O, no clock, no
randomness, so almost every test of a handler needs no server. It also says how people reach
it: the ``jobs schedule`` flags that fill its config and the ``jobs status`` rows of its details.
"""

from __future__ import annotations

import functools
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from google.protobuf import json_format
from google.protobuf.message import Message

from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes.metadata import JOB_TYPE_LABEL

JSON = dict[str, Any]
_M = TypeVar("_M", bound=Message)
ConfigT = TypeVar("ConfigT", bound=Message)
DetailsT = TypeVar("DetailsT", bound=Message)

# Annotation holding the job type's config as JSON; read back by the handler that wrote it.
CONFIG_ANNOTATION = "jobscheduler.io/config"
# Name handlers give the single container they build; the common builder then names it after
# the job type (``kubectl logs -c timer``), and jobs made before that still read back by it.
CONTAINER_NAME = "job"


@dataclass(frozen=True)
class BuildContext:
    """What a handler may know besides its config; everything else is the common builder's."""

    job_id: str
    namespace: str
    settings: Settings


@dataclass(frozen=True)
class CliFlag:
    """One ``jobscheduler jobs schedule`` flag that sets one config field. The value's kind
    (number, text, KEY=VALUE pairs, words) follows from the field's protobuf type.
    ``option=""`` means the words after ``--`` (a repeated string field)."""

    option: str
    field: str
    help: str
    aliases: tuple[str, ...] = ()
    metavar: str | None = None


class Handler(ABC, Generic[ConfigT, DetailsT]):
    """A job type: subclass with the config and details messages it works on, e.g.
    ``class TimerHandler(Handler[pb.TimerJobConfig, pb.TimerJobDetails])``."""

    name: str  # used in labels and filters, e.g. "timer"
    request_field: str  # the ScheduleJobRequest.job_config case it serves, e.g. "timer_job"
    details_field: str  # the JobInfo.job_details case it reads back into
    config_message: type[ConfigT]
    details_message: type[DetailsT]
    description: str
    # One sentence per config field, shown by ListJobTypes (proto comments are not available
    # at run time). The registry refuses a handler that leaves a field undescribed.
    field_descriptions: Mapping[str, str]
    required_fields: frozenset[str] = frozenset()
    # True for job types whose container writes nothing but /tmp.
    read_only_root_filesystem: bool = False
    cli_flags: tuple[CliFlag, ...] = ()

    def default_image(self, settings: Settings) -> str:
        """Image used when the request names none ("" when the request must name one)."""
        return ""

    @abstractmethod
    def validate(self, config: ConfigT, path: str) -> list[FieldViolation]:
        """Every problem with ``config``; field paths start with ``path``."""

    @abstractmethod
    def build_container(self, config: ConfigT, ctx: BuildContext) -> JSON:
        """The job's container (name, image, command, args, env, workingDir) as a JSON dict.
        Resources and security context are added by the common builder."""

    @abstractmethod
    def read_details(self, manifest: JSON) -> DetailsT:
        """The JobInfo details message of a stored Job (or CronJob job template)."""

    def default_active_deadline_seconds(self, config: ConfigT, settings: Settings) -> int | None:
        """A deadline implied by the job type's natural run time (None: no deadline)."""
        return None

    def secrets_read(self, config: ConfigT, namespace: str) -> list[tuple[str, str]]:
        """(namespace, name) of each Secret the job's pod reads. The pod can read what its
        caller may not: access control checks the caller may ``get`` each one."""
        return []

    def detail_rows(self, details: DetailsT) -> list[tuple[str, str]]:
        """``jobs status`` lines (label, value) for this type's details."""
        return []

    # ---- typed access from the request and JobInfo (the only place a oneof is read) -----

    def config_of(self, request: Message) -> ConfigT:
        config = getattr(request, self.request_field)
        if not isinstance(config, self.config_message):
            raise TypeError(f"{self.request_field} is not a {self.config_message.__name__}")
        return config

    def details_of(self, job_info: Message) -> DetailsT:
        details = getattr(job_info, self.details_field)
        if not isinstance(details, self.details_message):
            raise TypeError(f"{self.details_field} is not a {self.details_message.__name__}")
        return details


# The registry holds handlers of every config type at once.
JobTypeHandler = Handler[Any, Any]


def config_to_annotation(config: Message) -> str:
    """Compact, stable JSON of a config message (proto field names, defaults omitted)."""
    return json.dumps(config_to_dict(config), sort_keys=True, separators=(",", ":"))


def config_to_dict(config: Message) -> dict[str, Any]:
    return json_format.MessageToDict(config, preserving_proto_field_name=True)


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
    job_type = ((manifest.get("metadata") or {}).get("labels") or {}).get(JOB_TYPE_LABEL, "")
    return dict(job_container(containers, job_type))


def job_container(containers: list[JSON], job_type: str) -> JSON:
    """The container named after ``job_type`` (or, in jobs made before containers were named
    so, ``CONTAINER_NAME``); the first one otherwise ({} when there is none)."""
    for wanted in (job_type, CONTAINER_NAME):
        for container in containers:
            if wanted and container.get("name") == wanted:
                return container
    return containers[0] if containers else {}
