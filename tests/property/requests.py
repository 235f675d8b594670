"""Request messages generated from the proto descriptors, so a new field is covered without
editing the tests. Strings mix tokens that are valid somewhere (so some requests get far into
the service) with arbitrary and long text; numbers mix small values with the type's extremes."""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

from jobscheduler.api import jobscheduler_pb2 as pb

SERVICE = pb.DESCRIPTOR.services_by_name["JobScheduler"]
MAX_DEPTH = 4

TOKENS = (
    "",
    "default",
    "job-abc123",
    "job-prop1",
    "my-job",
    "busybox:1.36",
    "registry.example/team/app:1.2",
    "echo",
    "*/5 * * * *",
    "0 2 * * 1-5",
    "5-1 * * * *",
    "@hourly",
    "Europe/Paris",
    "UTC",
    "500m",
    "2",
    "128Mi",
    "1Gi",
    "1e9999999",
    "http://control-plane:50053",
    "info",
    "timer",
    "container",
    "team",
    "example.com/owner",
    "sim.jobscheduler.io/exit-code",
    "sidecar.istio.io/inject",
    "app.kubernetes.io/name",
    "jobscheduler.io/job-id",
    "PATH",
    "LD_PRELOAD",
    "..x",
    "a" * 300,
    "\U0001f600" * 40,
    "x\x00y",
    "line\n",
)
_text = st.one_of(
    st.sampled_from(TOKENS),
    st.text(max_size=16),
    st.text(alphabet="abc-./_:*0123456789", max_size=40),
)
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return _text
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=16)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return st.floats()
    if kind == FieldDescriptor.TYPE_FLOAT:
        return st.floats(width=32)
    if kind == FieldDescriptor.TYPE_ENUM:
        # Proto3 enums are open: unknown numbers are valid on the wire.
        known = [value.number for value in field.enum_type.values]
        return st.one_of(st.sampled_from(known), st.integers(-3, 40))
    low, high = _INT_RANGES[kind]
    return st.one_of(
        st.integers(max(low, -3), min(high, 400)),
        st.sampled_from([low, high, 86400, 86401, 253402300799, 253402300800]).filter(
            lambda n: low <= n <= high
        ),
        st.integers(low, high),
    )


def _single(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return messages(field.message_type, depth + 1)
    return _scalar(field)


def _field(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        key, value = (
            field.message_type.fields_by_name["key"],
            field.message_type.fields_by_name["value"],
        )
        return st.dictionaries(_single(key, depth), _single(value, depth), max_size=3)
    if field.is_repeated:
        return st.lists(_single(field, depth), max_size=3)
    return _single(field, depth)


def messages(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    """Messages of ``descriptor`` with any subset of their fields set, recursively."""
    cls = message_factory.GetMessageClass(descriptor)
    if depth >= MAX_DEPTH:
        return st.just(cls())
    optional = {field.name: _field(field, depth) for field in descriptor.fields}
    return st.fixed_dictionaries({}, optional=optional).map(lambda values: _build(cls, values))


def _build(cls: Any, values: dict[str, Any]) -> Message:
    message = cls()
    for name, value in values.items():
        field = message.DESCRIPTOR.fields_by_name[name]
        target = getattr(message, name)
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, Message):
                    target[key].CopyFrom(item)
                else:
                    target[key] = item
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Message):
                    target.add().CopyFrom(item)
                else:
                    target.append(item)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            target.CopyFrom(value)
        else:
            setattr(message, name, value)
    return message


def set_paths(message: Message, prefix: str = "") -> set[str]:
    """Dotted paths of every field the message sets (maps and lists as a whole)."""
    paths: set[str] = set()
    for field, value in message.ListFields():
        path = prefix + field.name
        paths.add(path)
        if field.type == FieldDescriptor.TYPE_MESSAGE and not field.is_repeated:
            paths |= set_paths(value, path + ".")
        elif (
            field.type == FieldDescriptor.TYPE_MESSAGE
            and not field.message_type.GetOptions().map_entry
        ):
            for item in value:
                paths |= set_paths(item, path + ".")
    return paths


def violation_path(field: str) -> str:
    """A violation's field without list indexes and map keys: 'a.b[0].c' -> 'a.b.c',
    'labels["k"]' -> 'labels'."""
    return re.sub(r"\[[0-9]+\]", "", field).partition("[")[0]


def names_a_set_field(field: str, paths: set[str]) -> bool:
    """The violation's path is a set field, or lies under one (a problem inside it), or is a
    path prefix of one."""
    path = violation_path(field)
    return any(
        path == set_path or path.startswith(set_path + ".") or set_path.startswith(path + ".")
        for set_path in paths
    )
