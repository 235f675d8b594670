"""Pins the original JobScheduler contract (t-eckert/ctrlsys) in the generated descriptors.

Stubs generated from the original proto must keep working against this server, so every name,
field number, type and enum value of that contract is asserted here; the proto may only grow.
"""

from __future__ import annotations

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from jobscheduler.api import jobscheduler_pb2 as pb

# message -> {field name: (number, kind)}; kind names the wire shape clients were generated with.
ORIGINAL_MESSAGES: dict[str, dict[str, tuple[int, str]]] = {
    "ScheduleJobRequest": {
        "job_id": (1, "string"),
        "name": (2, "string"),
        "labels": (3, "map<string,string>"),
        "annotations": (4, "map<string,string>"),
        "resources": (5, "message jobscheduler.ResourceRequirements"),
        "namespace": (6, "string"),
        "created_by": (7, "string"),
        "timer_job": (10, "message jobscheduler.TimerJobConfig"),
    },
    "ScheduleJobResponse": {
        "job_id": (1, "string"),
        "status": (2, "enum jobscheduler.JobStatus"),
        "message": (3, "string"),
        "k8s_job_name": (4, "string"),
    },
    "GetJobStatusRequest": {"job_id": (1, "string")},
    "GetJobStatusResponse": {
        "job_id": (1, "string"),
        "job_info": (2, "message jobscheduler.JobInfo"),
        "status": (3, "enum jobscheduler.JobStatus"),
        "message": (4, "string"),
    },
    "ListJobsRequest": {
        "label_selector": (1, "map<string,string>"),
        "namespace": (2, "string"),
        "status_filter": (3, "repeated enum jobscheduler.JobStatus"),
        "page_size": (4, "int32"),
        "page_token": (5, "string"),
    },
    "ListJobsResponse": {
        "jobs": (1, "repeated message jobscheduler.JobInfo"),
        "next_page_token": (2, "string"),
        "total_count": (3, "int32"),
    },
    "CancelJobRequest": {"job_id": (1, "string")},
    "CancelJobResponse": {"success": (1, "bool"), "message": (2, "string")},
    "TimerJobConfig": {
        "duration_seconds": (1, "int64"),
        "timer_name": (2, "string"),
        "control_plane_endpoint": (3, "string"),
        "image": (4, "string"),
        "log_level": (5, "string"),
        "env": (6, "map<string,string>"),
    },
    "ResourceRequirements": {
        "requests": (1, "message jobscheduler.ResourceList"),
        "limits": (2, "message jobscheduler.ResourceList"),
    },
    "ResourceList": {"cpu": (1, "string"), "memory": (2, "string"), "storage": (3, "string")},
    "JobInfo": {
        "job_id": (1, "string"),
        "name": (2, "string"),
        "k8s_job_name": (3, "string"),
        "namespace": (4, "string"),
        "status": (5, "enum jobscheduler.JobStatus"),
        "created_at": (6, "int64"),
        "started_at": (7, "int64"),
        "completed_at": (8, "int64"),
        "created_by": (9, "string"),
        "labels": (10, "map<string,string>"),
        "annotations": (11, "map<string,string>"),
        "timer_details": (20, "message jobscheduler.TimerJobDetails"),
    },
    "TimerJobDetails": {
        "duration_seconds": (1, "int64"),
        "timer_name": (2, "string"),
        "control_plane_endpoint": (3, "string"),
    },
}

ORIGINAL_ONEOFS = {
    ("ScheduleJobRequest", "job_config"): {"timer_job"},
    ("JobInfo", "job_details"): {"timer_details"},
}

ORIGINAL_JOB_STATUS = {
    "JOB_STATUS_UNSPECIFIED": 0,
    "JOB_STATUS_PENDING": 1,
    "JOB_STATUS_RUNNING": 2,
    "JOB_STATUS_SUCCEEDED": 3,
    "JOB_STATUS_FAILED": 4,
    "JOB_STATUS_CANCELLED": 5,
}

ORIGINAL_RPCS = {
    "ScheduleJob": ("ScheduleJobRequest", "ScheduleJobResponse"),
    "GetJobStatus": ("GetJobStatusRequest", "GetJobStatusResponse"),
    "ListJobs": ("ListJobsRequest", "ListJobsResponse"),
    "CancelJob": ("CancelJobRequest", "CancelJobResponse"),
}

_SCALARS = {
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_INT64: "int64",
    FieldDescriptor.TYPE_INT32: "int32",
    FieldDescriptor.TYPE_BOOL: "bool",
}


def _kind(field: FieldDescriptor) -> str:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        key, value = (
            field.message_type.fields_by_name["key"],
            field.message_type.fields_by_name["value"],
        )
        return f"map<{_SCALARS[key.type]},{_SCALARS[value.type]}>"
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        base = f"message {field.message_type.full_name}"
    elif field.type == FieldDescriptor.TYPE_ENUM:
        base = f"enum {field.enum_type.full_name}"
    else:
        base = _SCALARS.get(field.type, f"type{field.type}")
    return f"repeated {base}" if field.is_repeated else base


def test_package_and_service_names() -> None:
    assert pb.DESCRIPTOR.package == "jobscheduler"
    assert "JobScheduler" in pb.DESCRIPTOR.services_by_name
    assert pb.DESCRIPTOR.services_by_name["JobScheduler"].full_name == "jobscheduler.JobScheduler"


@pytest.mark.parametrize("rpc", sorted(ORIGINAL_RPCS))
def test_original_rpcs_keep_their_signatures(rpc: str) -> None:
    method = pb.DESCRIPTOR.services_by_name["JobScheduler"].methods_by_name[rpc]
    request, response = ORIGINAL_RPCS[rpc]
    assert method.input_type.full_name == f"jobscheduler.{request}"
    assert method.output_type.full_name == f"jobscheduler.{response}"
    assert not method.client_streaming and not method.server_streaming


@pytest.mark.parametrize("message", sorted(ORIGINAL_MESSAGES))
def test_original_fields_keep_name_number_and_type(message: str) -> None:
    descriptor: Descriptor = pb.DESCRIPTOR.message_types_by_name[message]
    actual = {
        name: (descriptor.fields_by_name[name].number, _kind(descriptor.fields_by_name[name]))
        for name in ORIGINAL_MESSAGES[message]
        if name in descriptor.fields_by_name
    }
    assert actual == ORIGINAL_MESSAGES[message]


def test_original_oneofs_keep_their_members() -> None:
    for (message, oneof), members in ORIGINAL_ONEOFS.items():
        descriptor = pb.DESCRIPTOR.message_types_by_name[message].oneofs_by_name[oneof]
        assert members <= {field.name for field in descriptor.fields}


def test_job_status_keeps_original_values_and_only_adds() -> None:
    enum = pb.DESCRIPTOR.enum_types_by_name["JobStatus"]
    values = {value.name: value.number for value in enum.values}
    assert {name: values.get(name) for name in ORIGINAL_JOB_STATUS} == ORIGINAL_JOB_STATUS
    added = set(values) - set(ORIGINAL_JOB_STATUS)
    # New values never reuse an original number.
    assert all(values[name] > max(ORIGINAL_JOB_STATUS.values()) for name in added)


def test_new_fields_never_reuse_an_original_number() -> None:
    for message, fields in ORIGINAL_MESSAGES.items():
        descriptor = pb.DESCRIPTOR.message_types_by_name[message]
        original_numbers = {number for number, _ in fields.values()}
        for field in descriptor.fields:
            if field.number in original_numbers:
                assert field.name in fields, f"{message}.{field.name} reuses {field.number}"
