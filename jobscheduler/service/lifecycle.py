"""Reading one job or schedule by id, and changing its lifecycle (cancel, suspend, resume,
delete). Every change is a patch carrying the resourceVersion it was decided on, so a
concurrent change (the job finishing, another replica) is re-read and re-decided, never
overwritten.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.backoff import BackoffPolicy
from jobscheduler.config import Settings
from jobscheduler.jobtypes import JobTypeHandler
from jobscheduler.jobtypes.dependson import WAITING_LABEL
from jobscheduler.jobtypes.manifest import format_time
from jobscheduler.jobtypes.metadata import (
    CANCELLED_AT_ANNOTATION,
    CANCELLED_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    SCHEDULE_ID_LABEL,
    START_AT_LABEL,
)
from jobscheduler.kube import JOBS, JobReader, KubeGateway
from jobscheduler.service.keptlogs import CANCELLED, SUSPENDED
from jobscheduler.service.kinds import Kind, read_job_or_schedule
from jobscheduler.service.status import State, first_start_annotations, is_final, job_state

JSON = dict[str, Any]
# client-go's retry.DefaultRetry, what kubectl and controllers use for RetryOnConflict: five
# attempts, about 10 ms apart. A job whose pods are starting has its status written several times
# a second, so three back-to-back attempts could all lose the race on a busy API server.
CONFLICT_RETRY = BackoffPolicy(initial_seconds=0.01, max_seconds=0.01, factor=1.0, jitter=0.1)
CONFLICT_ATTEMPTS = 5


def _status_name(state: State) -> str:
    return pb.JobStatus.Name(state.status).removeprefix("JOB_STATUS_").lower()


def _change(
    gateway: KubeGateway,
    reader: JobReader,
    namespace: str,
    name: str,
    decide: Callable[[Kind, JSON, State], JSON | None],
) -> tuple[Kind, JSON]:
    """Read, let ``decide`` return a patch (or None: nothing to do), apply it with the
    version it was decided on; on a conflict, read and decide again."""
    for attempt in range(CONFLICT_ATTEMPTS):
        if attempt:
            time.sleep(CONFLICT_RETRY.delay(attempt))
        # After a conflict, read from the API server: a cached copy may still be the old one.
        kind, obj = read_job_or_schedule(reader if attempt == 0 else gateway, namespace, name)
        patch = decide(kind, obj, kind.state(obj))
        if patch is None:
            return kind, obj
        patch.setdefault("metadata", {})["resourceVersion"] = obj["metadata"]["resourceVersion"]
        try:
            return kind, gateway.patch(kind.resource, namespace, name, patch)
        except errors.Conflict:
            continue
    raise errors.Conflict(f"job {name!r} kept changing while we updated it; retry")


def _ignore(kind: Kind, obj: JSON) -> None:
    return None


def _keep_nothing(job: JSON, reason: str) -> None:
    return None


# Told a Job (as read) whose pods a cancel or suspend is about to stop, and why, so its logs
# are kept first (``service.logkeeper``). It may run again when a conflict makes us re-decide:
# keeping is idempotent.
KeepLogs = Callable[[JSON, str], None]


def cancel(
    gateway: KubeGateway,
    reader: JobReader,
    namespace: str,
    name: str,
    now: datetime,
    *,
    on_run_cancelled: Callable[[Kind, JSON], None] = _ignore,
    keep_logs: KeepLogs = _keep_nothing,
) -> tuple[Kind, JSON, str]:
    """``on_run_cancelled`` is told each run of a schedule this cancels, as patched;
    ``keep_logs`` each Job before its pods are stopped."""
    outcome = {"message": "cancelled"}

    def decide(kind: Kind, obj: JSON, state: State) -> JSON | None:
        if state.status == pb.JOB_STATUS_CANCELLED:
            outcome["message"] = "already cancelled"
            return None
        if is_final(state.status):
            raise errors.FailedPrecondition(
                f"job {name!r} already {_status_name(state)}; only unfinished jobs can be cancelled"
            )
        if not kind.has_runs:
            keep_logs(obj, CANCELLED)
        return cancellation_patch(obj, now)

    kind, obj = _change(gateway, reader, namespace, name, decide)
    if kind.has_runs:
        # Also on "already cancelled", so a retry finishes what a failed call began.
        _cancel_runs(
            gateway,
            reader,
            namespace,
            name,
            now,
            on_run_cancelled=on_run_cancelled,
            keep_logs=keep_logs,
        )
    return kind, obj, outcome["message"]


def cancellation_patch(obj: JSON, now: datetime) -> JSON:
    """Suspending stops the pods (or the schedule's runs) but keeps the object, so it reads
    back as CANCELLED until retention removes it; it no longer waits to be released."""
    return {
        "metadata": {
            "labels": {CANCELLED_LABEL: "true", START_AT_LABEL: None, WAITING_LABEL: None},
            "annotations": {
                CANCELLED_AT_ANNOTATION: format_time(now),
                **first_start_annotations(obj),
            },
        },
        "spec": {"suspend": True},
    }


def _cancel_runs(
    gateway: KubeGateway,
    reader: JobReader,
    namespace: str,
    schedule_id: str,
    now: datetime,
    *,
    on_run_cancelled: Callable[[Kind, JSON], None],
    keep_logs: KeepLogs,
) -> None:
    selector = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE},{SCHEDULE_ID_LABEL}={schedule_id}"
    # From the API server: a run the CronJob controller started a moment ago must stop too.
    for run in gateway.list(JOBS, namespace, label_selector=selector).get("items") or []:
        if is_final(job_state(run).status):
            continue
        try:
            run_kind, run_obj, _ = cancel(
                gateway, reader, namespace, run["metadata"]["name"], now, keep_logs=keep_logs
            )
            on_run_cancelled(run_kind, run_obj)
        except (errors.FailedPrecondition, errors.NotFound):
            continue  # the run finished or went away meanwhile: nothing left to stop


def suspend(
    gateway: KubeGateway,
    reader: JobReader,
    namespace: str,
    name: str,
    *,
    keep_logs: KeepLogs = _keep_nothing,
) -> tuple[Kind, JSON]:
    def decide(kind: Kind, obj: JSON, state: State) -> JSON | None:
        if state.status == pb.JOB_STATUS_SUSPENDED:
            return None
        if is_final(state.status):
            raise errors.FailedPrecondition(
                f"job {name!r} is {_status_name(state)}; it cannot be suspended"
            )
        # A delayed or dependent job stops waiting for its release: it waits for ResumeJob.
        metadata: JSON = {"labels": {START_AT_LABEL: None, WAITING_LABEL: None}}
        if started := first_start_annotations(obj):  # a schedule has no startTime
            metadata["annotations"] = started
        if not kind.has_runs:  # a suspended schedule's running runs go on
            keep_logs(obj, SUSPENDED)
        return {"metadata": metadata, "spec": {"suspend": True}}

    return _change(gateway, reader, namespace, name, decide)


def resume(gateway: KubeGateway, reader: JobReader, namespace: str, name: str) -> tuple[Kind, JSON]:
    def decide(kind: Kind, obj: JSON, state: State) -> JSON | None:
        if is_final(state.status):
            raise errors.FailedPrecondition(
                f"job {name!r} is {_status_name(state)}; it cannot be resumed"
            )
        if state.status not in kind.resumable:
            return None  # already running
        # Resuming a delayed or dependent job starts it now.
        labels = {START_AT_LABEL: None, WAITING_LABEL: None}
        return {"metadata": {"labels": labels}, "spec": {"suspend": False}}

    return _change(gateway, reader, namespace, name, decide)


def delete(gateway: KubeGateway, reader: JobReader, namespace: str, name: str) -> Kind:
    kind, _ = read_job_or_schedule(reader, namespace, name)
    try:
        gateway.delete(kind.resource, namespace, name)
    except errors.NotFound:
        raise errors.NotFound(f"job {name!r} not found in namespace {namespace!r}") from None
    return kind


_SCALAR_TYPES = {
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_INT64: "int64",
    FieldDescriptor.TYPE_INT32: "int32",
    FieldDescriptor.TYPE_BOOL: "bool",
    FieldDescriptor.TYPE_DOUBLE: "double",
    FieldDescriptor.TYPE_FLOAT: "float",
    FieldDescriptor.TYPE_UINT32: "uint32",
    FieldDescriptor.TYPE_UINT64: "uint64",
    FieldDescriptor.TYPE_BYTES: "bytes",
}


def _type_name(field: Any) -> str:
    """Protobuf type of a field descriptor as written in .proto files."""
    message = field.message_type
    if message is not None and message.GetOptions().map_entry:
        key, value = message.fields_by_name["key"], message.fields_by_name["value"]
        return f"map<{_type_name(key)}, {_type_name(value)}>"
    if message is not None:
        base = message.full_name
    elif field.enum_type is not None:
        base = field.enum_type.full_name
    else:
        base = _SCALAR_TYPES.get(field.type, "unknown")
    return f"repeated {base}" if field.is_repeated else base


def job_type_info(handler: JobTypeHandler, settings: Settings) -> pb.JobTypeInfo:
    descriptor = handler.config_message.DESCRIPTOR
    return pb.JobTypeInfo(
        name=handler.name,
        request_field=handler.request_field,
        description=handler.description,
        config_message=descriptor.full_name,
        default_image=handler.default_image(settings),
        fields=[
            pb.JobTypeField(
                name=field.name,
                type=_type_name(field),
                required=field.name in handler.required_fields,
                description=handler.field_descriptions.get(field.name, ""),
            )
            for field in descriptor.fields
        ],
    )
