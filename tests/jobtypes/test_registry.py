from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from google.protobuf.message import Message

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes import HandlerRegistry, RegistryError, build_registry
from jobscheduler.jobtypes.base import JSON, BuildContext
from jobscheduler.jobtypes.container import ContainerHandler
from jobscheduler.jobtypes.timer import TimerHandler


def test_every_oneof_case_has_a_handler_and_every_handler_a_case() -> None:
    registry = build_registry()
    cases = {f.name for f in pb.ScheduleJobRequest.DESCRIPTOR.oneofs_by_name["job_config"].fields}
    assert {h.request_field for h in registry} == cases
    details = {f.name for f in pb.JobInfo.DESCRIPTOR.oneofs_by_name["job_details"].fields}
    assert {h.details_field for h in registry} == details
    assert registry.names() == ["container", "timer"]


def test_a_request_type_without_a_handler_is_caught() -> None:
    registry = HandlerRegistry()
    registry.register(TimerHandler())
    with pytest.raises(RegistryError, match=r"ScheduleJobRequest\.container_job has no"):
        registry.check_against_proto()


class _Handler:
    """A handler whose attributes a test can break one at a time."""

    name = "sleepy"
    request_field = "sleepy_job"
    details_field = "sleepy_details"
    config_message: type[Message] = pb.TimerJobConfig
    description = "test"
    field_descriptions: Mapping[str, str] = {"duration_seconds": "only one"}
    required_fields: frozenset[str] = frozenset()

    def default_image(self, settings: Settings) -> str:
        return ""

    def validate(self, config: Any, path: str) -> list[FieldViolation]:
        return []

    def build_container(self, config: Any, ctx: BuildContext) -> JSON:
        return {}

    def read_details(self, manifest: JSON) -> Message:
        return pb.TimerJobDetails()


def test_a_handler_without_a_request_case_is_caught() -> None:
    registry = HandlerRegistry()
    registry.register(TimerHandler())
    registry.register(ContainerHandler())
    registry.register(_Handler())
    with pytest.raises(RegistryError) as error:
        registry.check_against_proto()
    assert "'sleepy_job', which is not a case of ScheduleJobRequest.job_config" in str(error.value)
    assert "'sleepy_details', which is not a case of JobInfo.job_details" in str(error.value)
    assert "does not describe" in str(error.value)


def test_duplicate_names_and_request_fields_are_refused() -> None:
    registry = HandlerRegistry()
    registry.register(TimerHandler())
    with pytest.raises(RegistryError, match="registered twice"):
        registry.register(TimerHandler())
    other = _Handler()
    other.request_field = "timer_job"
    with pytest.raises(RegistryError, match="served twice"):
        registry.register(other)


def test_a_handler_missing_a_callback_is_refused() -> None:
    broken = _Handler()
    broken.read_details = None  # type: ignore[assignment,method-assign]
    with pytest.raises(RegistryError, match=r"has no read_details\(\)"):
        HandlerRegistry().register(broken)
    nameless = _Handler()
    nameless.name = ""
    with pytest.raises(RegistryError, match="has no name"):
        HandlerRegistry().register(nameless)


def test_handlers_describe_their_fields_for_list_job_types() -> None:
    for handler in build_registry():
        fields = {f.name for f in handler.config_message.DESCRIPTOR.fields}
        assert set(handler.field_descriptions) == fields
        assert all(handler.field_descriptions.values())
