"""The job-type registry: built explicitly, refuses mistakes, checked against the proto.

Adding a job type touches three places: its config and details messages in the proto (cases of
``oneof job_config`` and ``JobInfo.job_details``), a handler module (a ``Handler`` subclass,
which also brings its CLI flags and ``jobs status`` rows), and one line in ``build_registry``.
``check_against_proto`` runs at start-up (and in a test), so a request type without a handler,
or a handler without a request type, cannot ship.
"""

from __future__ import annotations

from collections.abc import Iterator

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes.base import Handler, JobTypeHandler
from jobscheduler.jobtypes.container import ContainerHandler
from jobscheduler.jobtypes.healthcheck import HealthCheckHandler
from jobscheduler.jobtypes.timer import TimerHandler
from jobscheduler.jobtypes.webhook import WebhookHandler

REQUEST_ONEOF = "job_config"
DETAILS_ONEOF = "job_details"


class RegistryError(Exception):
    """The registry and the handlers (or the proto) disagree: a programming error."""


class HandlerRegistry:
    def __init__(self) -> None:
        self._by_name: dict[str, JobTypeHandler] = {}
        self._by_request_field: dict[str, JobTypeHandler] = {}
        self._by_details_field: dict[str, JobTypeHandler] = {}

    def register(self, handler: JobTypeHandler) -> None:
        if not isinstance(handler, Handler):
            raise RegistryError(f"{handler!r} is not a jobtypes.Handler")
        for label, text in (
            ("name", handler.name),
            ("request_field", handler.request_field),
            ("details_field", handler.details_field),
            ("description", handler.description),
        ):
            if not text:
                raise RegistryError(f"{handler!r} has no {label}")
        if handler.name in self._by_name:
            raise RegistryError(f"job type {handler.name!r} is registered twice")
        if handler.request_field in self._by_request_field:
            raise RegistryError(f"request field {handler.request_field!r} is served twice")
        self._by_name[handler.name] = handler
        self._by_request_field[handler.request_field] = handler
        self._by_details_field[handler.details_field] = handler

    def by_name(self, name: str) -> JobTypeHandler | None:
        return self._by_name.get(name)

    def by_request_field(self, field: str) -> JobTypeHandler | None:
        return self._by_request_field.get(field)

    def by_details_field(self, field: str) -> JobTypeHandler | None:
        return self._by_details_field.get(field)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def __iter__(self) -> Iterator[JobTypeHandler]:
        return iter(self._by_name[name] for name in self.names())

    def check_against_proto(self) -> None:
        """Every ``job_config`` case has a handler and every handler a case whose message is
        its config_message, a ``job_details`` case, and a description of every config field."""
        request_cases = {
            field.name: field
            for field in pb.ScheduleJobRequest.DESCRIPTOR.oneofs_by_name[REQUEST_ONEOF].fields
        }
        details_cases = {
            field.name: field
            for field in pb.JobInfo.DESCRIPTOR.oneofs_by_name[DETAILS_ONEOF].fields
        }
        problems = [
            f"ScheduleJobRequest.{name} has no job-type handler"
            for name in sorted(set(request_cases) - set(self._by_request_field))
        ]
        for handler in self:
            case = request_cases.get(handler.request_field)
            if case is None:
                problems.append(
                    f"handler {handler.name!r} serves {handler.request_field!r}, "
                    f"which is not a case of ScheduleJobRequest.{REQUEST_ONEOF}"
                )
            elif case.message_type is not handler.config_message.DESCRIPTOR:
                expected = handler.config_message.DESCRIPTOR.full_name
                problems.append(
                    f"handler {handler.name!r}: {handler.request_field} does not carry {expected}"
                )
            details = details_cases.get(handler.details_field)
            if details is None:
                problems.append(
                    f"handler {handler.name!r} reads back into {handler.details_field!r}, "
                    f"which is not a case of JobInfo.{DETAILS_ONEOF}"
                )
            elif details.message_type is not handler.details_message.DESCRIPTOR:
                expected = handler.details_message.DESCRIPTOR.full_name
                problems.append(
                    f"handler {handler.name!r}: {handler.details_field} does not carry {expected}"
                )
            fields = {f.name for f in handler.config_message.DESCRIPTOR.fields}
            undescribed = sorted(fields - set(handler.field_descriptions))
            named = set(handler.field_descriptions) | set(handler.required_fields)
            unknown = sorted((named | {flag.field for flag in handler.cli_flags}) - fields)
            if undescribed:
                problems.append(f"handler {handler.name!r} does not describe {undescribed}")
            if unknown:
                problems.append(f"handler {handler.name!r} names unknown fields {unknown}")
        if problems:
            raise RegistryError("; ".join(problems))


def build_registry() -> HandlerRegistry:
    """The job types this server runs. One line per type."""
    registry = HandlerRegistry()
    registry.register(TimerHandler())
    registry.register(ContainerHandler())
    registry.register(HealthCheckHandler())
    registry.register(WebhookHandler())
    registry.check_against_proto()
    return registry
