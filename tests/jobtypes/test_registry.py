from __future__ import annotations

from collections.abc import Mapping

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes import HandlerRegistry, RegistryError, build_registry
from jobscheduler.jobtypes.base import JSON, BuildContext, CliFlag, Handler
from jobscheduler.jobtypes.container import ContainerHandler
from jobscheduler.jobtypes.timer import TimerHandler


def test_every_oneof_case_has_a_handler_and_every_handler_a_case() -> None:
    registry = build_registry()
    cases = {f.name for f in pb.ScheduleJobRequest.DESCRIPTOR.oneofs_by_name["job_config"].fields}
    assert {h.request_field for h in registry} == cases
    details = {f.name for f in pb.JobInfo.DESCRIPTOR.oneofs_by_name["job_details"].fields}
    assert {h.details_field for h in registry} == details
    assert registry.names() == ["container", "health-check", "timer", "webhook"]


def test_a_request_type_without_a_handler_is_caught() -> None:
    registry = HandlerRegistry()
    registry.register(TimerHandler())
    with pytest.raises(RegistryError, match=r"ScheduleJobRequest\.container_job has no"):
        registry.check_against_proto()


class _Handler(Handler[pb.TimerJobConfig, pb.TimerJobDetails]):
    """A handler whose attributes a test can break one at a time."""

    name = "sleepy"
    request_field = "sleepy_job"
    details_field = "sleepy_details"
    config_message = pb.TimerJobConfig
    details_message = pb.TimerJobDetails
    description = "test"
    field_descriptions: Mapping[str, str] = {"duration_seconds": "only one"}

    def validate(self, config: pb.TimerJobConfig, path: str) -> list[FieldViolation]:
        return []

    def build_container(self, config: pb.TimerJobConfig, ctx: BuildContext) -> JSON:
        return {}

    def read_details(self, manifest: JSON) -> pb.TimerJobDetails:
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
    class Incomplete(Handler[pb.TimerJobConfig, pb.TimerJobDetails]):
        def validate(self, config: pb.TimerJobConfig, path: str) -> list[FieldViolation]:
            return []

    with pytest.raises(TypeError, match="build_container"):
        Incomplete()  # type: ignore[abstract]
    nameless = _Handler()
    nameless.name = ""
    with pytest.raises(RegistryError, match="has no name"):
        HandlerRegistry().register(nameless)


def test_only_handler_subclasses_are_registered() -> None:
    class DuckTyped:
        name = "duck"

    with pytest.raises(RegistryError, match=r"is not a jobtypes\.Handler"):
        HandlerRegistry().register(DuckTyped())  # type: ignore[arg-type]


def test_a_handler_whose_details_message_is_not_its_case_is_caught() -> None:
    class WrongDetails(ContainerHandler):
        details_message = pb.TimerJobDetails  # type: ignore[assignment]

    registry = HandlerRegistry()
    registry.register(TimerHandler())
    registry.register(WrongDetails())
    with pytest.raises(RegistryError, match="container_details does not carry"):
        registry.check_against_proto()


def test_a_cli_flag_must_name_a_config_field() -> None:
    class Misnamed(ContainerHandler):
        cli_flags = (CliFlag("--img", "img", "typo"),)

    registry = HandlerRegistry()
    registry.register(TimerHandler())
    registry.register(Misnamed())
    with pytest.raises(RegistryError, match=r"names unknown fields \['img'\]"):
        registry.check_against_proto()


def test_handlers_describe_their_fields_for_list_job_types() -> None:
    for handler in build_registry():
        fields = {f.name for f in handler.config_message.DESCRIPTOR.fields}
        assert set(handler.field_descriptions) == fields
        assert all(handler.field_descriptions.values())
