"""Properties of every RPC of jobscheduler.JobScheduler, over requests generated from the proto
descriptors, against a real gRPC server on loopback backed by the embedded cluster:

- the server never answers INTERNAL or UNKNOWN, and never holds a call past its deadline;
- every INVALID_ARGUMENT carries field violations, each naming a real field of the request,
  and at least one naming a field the request set (or, when none does, saying what is required);
- every accepted ScheduleJob is stored by the API server (no 422), and the stored object passes
  the upstream schema (kubernetes-validate, strict) and Pod Security "restricted".
"""

from __future__ import annotations

from typing import Any

import grpc
import kubernetes_validate
import pytest
from google.protobuf import message_factory
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import event, given, settings
from hypothesis import strategies as st

from jobscheduler.api import jobscheduler_pb2 as pb
from kubesim import EmbeddedCluster

from .podsecurity import restricted_problems
from .requests import SERVICE, messages, names_a_set_field, set_paths, violation_path

KUBERNETES_VERSION = "1.33"
UNARY_TIMEOUT_SECONDS = 30.0
# Streams that are valid run until their deadline: keep it short, it is the expected end.
STREAM_TIMEOUT_SECONDS = 0.5
NEVER = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.RESOURCE_EXHAUSTED}
REQUIRED_WORDS = ("required", "set one", "at least one")
NEVER_NUMBERS = {code.value[0] for code in NEVER}

METHODS = sorted(SERVICE.methods_by_name)


def _call(channel: grpc.Channel, method: Any, request: Any) -> tuple[grpc.StatusCode, Any, Any]:
    """(code, response or None, the RpcError or None) of one call."""
    path = f"/{SERVICE.full_name}/{method.name}"
    response_class = pb.DESCRIPTOR.message_types_by_name[method.output_type.name]
    decode = message_factory.GetMessageClass(response_class).FromString
    encode = type(request).SerializeToString
    try:
        if method.server_streaming:
            stream = channel.unary_stream(path, encode, decode)
            responses = list(stream(request, timeout=STREAM_TIMEOUT_SECONDS))
            return grpc.StatusCode.OK, responses, None
        unary = channel.unary_unary(path, encode, decode)
        return grpc.StatusCode.OK, unary(request, timeout=UNARY_TIMEOUT_SECONDS), None
    except grpc.RpcError as error:
        return error.code(), None, error


def _violations(error: Any) -> list[Any]:
    status = rpc_status.from_call(error)
    for detail in status.details if status is not None else ():
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            return list(bad_request.field_violations)
    return []


def _check_answer(method: Any, request: Any, code: grpc.StatusCode, error: Any) -> None:
    event(code.name)  # pytest --hypothesis-show-statistics: how far requests got
    assert code not in NEVER, f"{method.name} answered {code.name}: {error.details()}"
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        assert method.server_streaming, f"unary {method.name} did not answer within its deadline"
    if code is not grpc.StatusCode.INVALID_ARGUMENT:
        return
    violations = _violations(error)
    assert violations, f"{method.name}: INVALID_ARGUMENT without field violations"
    fields = request.DESCRIPTOR.fields_by_name
    oneofs = request.DESCRIPTOR.oneofs_by_name
    for violation in violations:
        top = violation_path(violation.field).split(".")[0]
        assert top in fields or top in oneofs, f"{violation.field!r} is no field of the request"
    paths = set_paths(request)
    naming_set = [v for v in violations if names_a_set_field(v.field, paths)]
    if not naming_set:
        assert all(any(w in v.description for w in REQUIRED_WORDS) for v in violations), (
            f"{method.name}: no violation names a field the request set ({sorted(paths)}): "
            + "; ".join(f"{v.field}: {v.description}" for v in violations)
        )


def _check_stored(cluster: EmbeddedCluster, request: pb.ScheduleJobRequest, reply: Any) -> None:
    namespace = request.namespace or "default"
    resource = "cronjobs" if request.HasField("schedule") else "jobs"
    stored = cluster.api.get(resource, namespace, reply.job_id)
    kubernetes_validate.validate(stored, KUBERNETES_VERSION, strict=True)
    template = stored["spec"]
    if resource == "cronjobs":
        template = template["jobTemplate"]["spec"]
    problems = restricted_problems(template["template"])
    assert problems == [], problems


def _check_batch(cluster: EmbeddedCluster, request: Any, reply: Any) -> None:
    """Each item is answered as ScheduleJob would answer it alone, its violations under
    ``requests[i]``."""
    assert len(reply.results) == len(request.requests)
    for index, (item, result) in enumerate(zip(request.requests, reply.results, strict=True)):
        if result.HasField("job"):
            _check_stored(cluster, item, result.job)
            continue
        assert result.error.code not in NEVER_NUMBERS, result.error
        for detail in result.error.details:
            bad_request = error_details_pb2.BadRequest()
            if detail.Unpack(bad_request):
                for violation in bad_request.field_violations:
                    assert violation.field.startswith(f"requests[{index}]"), violation


@pytest.mark.parametrize("method_name", METHODS)
def test_every_rpc_answers_bad_input_with_a_clear_error(
    embedded: EmbeddedCluster, address: str, method_name: str
) -> None:
    method = SERVICE.methods_by_name[method_name]
    channel = grpc.insecure_channel(address)

    @given(messages(method.input_type))
    def check(request: Any) -> None:
        code, reply, error = _call(channel, method, request)
        _check_answer(method, request, code, error)
        if method_name == "ScheduleJob" and code is grpc.StatusCode.OK:
            _check_stored(embedded, request, reply)
        if method_name == "ScheduleJobs" and code is grpc.StatusCode.OK:
            _check_batch(embedded, request, reply)

    try:
        check()
    finally:
        channel.close()


_BASES = (
    pb.ScheduleJobRequest(name="timer", timer_job=pb.TimerJobConfig(duration_seconds=60)),
    pb.ScheduleJobRequest(
        name="container", container_job=pb.ContainerJobConfig(image="busybox:1.36")
    ),
)


@settings(max_examples=settings().max_examples * 6)
@given(
    base=st.sampled_from(_BASES),
    extra=messages(pb.ScheduleJobRequest.DESCRIPTOR),
    keep=st.sets(
        st.sampled_from(sorted(pb.ScheduleJobRequest.DESCRIPTOR.fields_by_name)), max_size=2
    ),
)
def test_accepted_jobs_are_manifests_kubernetes_accepts(
    embedded: EmbeddedCluster, address: str, base: pb.ScheduleJobRequest, extra: Any, keep: set[str]
) -> None:
    """Valid requests with one or two generated top-level fields merged in: many are accepted,
    so their manifests are checked, and the rest must still be refused clearly."""
    for field, _ in extra.ListFields():
        if field.name not in keep:
            extra.ClearField(field.name)
    request = pb.ScheduleJobRequest()
    request.CopyFrom(base)
    request.MergeFrom(extra)
    method = SERVICE.methods_by_name["ScheduleJob"]
    with grpc.insecure_channel(address) as channel:
        code, reply, error = _call(channel, method, request)
    _check_answer(method, request, code, error)
    if code is grpc.StatusCode.OK:
        _check_stored(embedded, request, reply)
