import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConcurrencyPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONCURRENCY_POLICY_UNSPECIFIED: _ClassVar[ConcurrencyPolicy]
    CONCURRENCY_POLICY_ALLOW: _ClassVar[ConcurrencyPolicy]
    CONCURRENCY_POLICY_FORBID: _ClassVar[ConcurrencyPolicy]
    CONCURRENCY_POLICY_REPLACE: _ClassVar[ConcurrencyPolicy]

class JobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATUS_UNSPECIFIED: _ClassVar[JobStatus]
    JOB_STATUS_PENDING: _ClassVar[JobStatus]
    JOB_STATUS_RUNNING: _ClassVar[JobStatus]
    JOB_STATUS_SUCCEEDED: _ClassVar[JobStatus]
    JOB_STATUS_FAILED: _ClassVar[JobStatus]
    JOB_STATUS_CANCELLED: _ClassVar[JobStatus]
    JOB_STATUS_SUSPENDED: _ClassVar[JobStatus]
    JOB_STATUS_SCHEDULED: _ClassVar[JobStatus]
CONCURRENCY_POLICY_UNSPECIFIED: ConcurrencyPolicy
CONCURRENCY_POLICY_ALLOW: ConcurrencyPolicy
CONCURRENCY_POLICY_FORBID: ConcurrencyPolicy
CONCURRENCY_POLICY_REPLACE: ConcurrencyPolicy
JOB_STATUS_UNSPECIFIED: JobStatus
JOB_STATUS_PENDING: JobStatus
JOB_STATUS_RUNNING: JobStatus
JOB_STATUS_SUCCEEDED: JobStatus
JOB_STATUS_FAILED: JobStatus
JOB_STATUS_CANCELLED: JobStatus
JOB_STATUS_SUSPENDED: JobStatus
JOB_STATUS_SCHEDULED: JobStatus

class ScheduleJobRequest(_message.Message):
    __slots__ = ("job_id", "name", "timer_job", "container_job", "health_check_job", "webhook_job", "labels", "annotations", "resources", "namespace", "created_by", "execution", "schedule", "start_at", "template", "depends_on")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AnnotationsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIMER_JOB_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_JOB_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_JOB_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_JOB_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    START_AT_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    name: str
    timer_job: TimerJobConfig
    container_job: ContainerJobConfig
    health_check_job: HealthCheckJobConfig
    webhook_job: WebhookJobConfig
    labels: _containers.ScalarMap[str, str]
    annotations: _containers.ScalarMap[str, str]
    resources: ResourceRequirements
    namespace: str
    created_by: str
    execution: ExecutionOptions
    schedule: Schedule
    start_at: _timestamp_pb2.Timestamp
    template: TemplateReference
    depends_on: _containers.RepeatedCompositeFieldContainer[JobDependency]
    def __init__(self, job_id: _Optional[str] = ..., name: _Optional[str] = ..., timer_job: _Optional[_Union[TimerJobConfig, _Mapping]] = ..., container_job: _Optional[_Union[ContainerJobConfig, _Mapping]] = ..., health_check_job: _Optional[_Union[HealthCheckJobConfig, _Mapping]] = ..., webhook_job: _Optional[_Union[WebhookJobConfig, _Mapping]] = ..., labels: _Optional[_Mapping[str, str]] = ..., annotations: _Optional[_Mapping[str, str]] = ..., resources: _Optional[_Union[ResourceRequirements, _Mapping]] = ..., namespace: _Optional[str] = ..., created_by: _Optional[str] = ..., execution: _Optional[_Union[ExecutionOptions, _Mapping]] = ..., schedule: _Optional[_Union[Schedule, _Mapping]] = ..., start_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., template: _Optional[_Union[TemplateReference, _Mapping]] = ..., depends_on: _Optional[_Iterable[_Union[JobDependency, _Mapping]]] = ...) -> None: ...

class TemplateReference(_message.Message):
    __slots__ = ("name", "parameters")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    parameters: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ...) -> None: ...

class JobDependency(_message.Message):
    __slots__ = ("job_id", "condition", "namespace")
    class Condition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CONDITION_UNSPECIFIED: _ClassVar[JobDependency.Condition]
        CONDITION_SUCCEEDED: _ClassVar[JobDependency.Condition]
        CONDITION_FAILED: _ClassVar[JobDependency.Condition]
        CONDITION_FINISHED: _ClassVar[JobDependency.Condition]
    CONDITION_UNSPECIFIED: JobDependency.Condition
    CONDITION_SUCCEEDED: JobDependency.Condition
    CONDITION_FAILED: JobDependency.Condition
    CONDITION_FINISHED: JobDependency.Condition
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    condition: JobDependency.Condition
    namespace: str
    def __init__(self, job_id: _Optional[str] = ..., condition: _Optional[_Union[JobDependency.Condition, str]] = ..., namespace: _Optional[str] = ...) -> None: ...

class ExecutionOptions(_message.Message):
    __slots__ = ("timeout_seconds", "max_retries", "exit_code_rules", "ttl_seconds_after_finished", "priority_class_name", "parallelism", "completions", "indexed", "start_suspended", "startup_deadline_seconds")
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_RULES_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_AFTER_FINISHED_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    PARALLELISM_FIELD_NUMBER: _ClassVar[int]
    COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    INDEXED_FIELD_NUMBER: _ClassVar[int]
    START_SUSPENDED_FIELD_NUMBER: _ClassVar[int]
    STARTUP_DEADLINE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    timeout_seconds: int
    max_retries: int
    exit_code_rules: _containers.RepeatedCompositeFieldContainer[ExitCodeRule]
    ttl_seconds_after_finished: int
    priority_class_name: str
    parallelism: int
    completions: int
    indexed: bool
    start_suspended: bool
    startup_deadline_seconds: int
    def __init__(self, timeout_seconds: _Optional[int] = ..., max_retries: _Optional[int] = ..., exit_code_rules: _Optional[_Iterable[_Union[ExitCodeRule, _Mapping]]] = ..., ttl_seconds_after_finished: _Optional[int] = ..., priority_class_name: _Optional[str] = ..., parallelism: _Optional[int] = ..., completions: _Optional[int] = ..., indexed: _Optional[bool] = ..., start_suspended: _Optional[bool] = ..., startup_deadline_seconds: _Optional[int] = ...) -> None: ...

class ExitCodeRule(_message.Message):
    __slots__ = ("action", "exit_codes")
    class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ACTION_UNSPECIFIED: _ClassVar[ExitCodeRule.Action]
        ACTION_FAIL_JOB: _ClassVar[ExitCodeRule.Action]
        ACTION_IGNORE: _ClassVar[ExitCodeRule.Action]
        ACTION_COUNT: _ClassVar[ExitCodeRule.Action]
    ACTION_UNSPECIFIED: ExitCodeRule.Action
    ACTION_FAIL_JOB: ExitCodeRule.Action
    ACTION_IGNORE: ExitCodeRule.Action
    ACTION_COUNT: ExitCodeRule.Action
    ACTION_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODES_FIELD_NUMBER: _ClassVar[int]
    action: ExitCodeRule.Action
    exit_codes: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, action: _Optional[_Union[ExitCodeRule.Action, str]] = ..., exit_codes: _Optional[_Iterable[int]] = ...) -> None: ...

class Schedule(_message.Message):
    __slots__ = ("cron", "time_zone", "concurrency_policy", "starting_deadline_seconds", "successful_runs_history_limit", "failed_runs_history_limit")
    CRON_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_POLICY_FIELD_NUMBER: _ClassVar[int]
    STARTING_DEADLINE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_RUNS_HISTORY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    FAILED_RUNS_HISTORY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    cron: str
    time_zone: str
    concurrency_policy: ConcurrencyPolicy
    starting_deadline_seconds: int
    successful_runs_history_limit: int
    failed_runs_history_limit: int
    def __init__(self, cron: _Optional[str] = ..., time_zone: _Optional[str] = ..., concurrency_policy: _Optional[_Union[ConcurrencyPolicy, str]] = ..., starting_deadline_seconds: _Optional[int] = ..., successful_runs_history_limit: _Optional[int] = ..., failed_runs_history_limit: _Optional[int] = ...) -> None: ...

class ScheduleJobResponse(_message.Message):
    __slots__ = ("job_id", "status", "message", "k8s_job_name", "job_info")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    K8S_JOB_NAME_FIELD_NUMBER: _ClassVar[int]
    JOB_INFO_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    status: JobStatus
    message: str
    k8s_job_name: str
    job_info: JobInfo
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., message: _Optional[str] = ..., k8s_job_name: _Optional[str] = ..., job_info: _Optional[_Union[JobInfo, _Mapping]] = ...) -> None: ...

class GetJobStatusRequest(_message.Message):
    __slots__ = ("job_id", "namespace", "fresh")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    FRESH_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    namespace: str
    fresh: bool
    def __init__(self, job_id: _Optional[str] = ..., namespace: _Optional[str] = ..., fresh: _Optional[bool] = ...) -> None: ...

class GetJobStatusResponse(_message.Message):
    __slots__ = ("job_id", "job_info", "status", "message")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_INFO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    job_info: JobInfo
    status: JobStatus
    message: str
    def __init__(self, job_id: _Optional[str] = ..., job_info: _Optional[_Union[JobInfo, _Mapping]] = ..., status: _Optional[_Union[JobStatus, str]] = ..., message: _Optional[str] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("label_selector", "namespace", "status_filter", "page_size", "page_token", "job_types", "created_after", "created_before", "schedule_id", "created_by", "all_namespaces", "depends_on")
    class LabelSelectorEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LABEL_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    JOB_TYPES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    ALL_NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    label_selector: _containers.ScalarMap[str, str]
    namespace: str
    status_filter: _containers.RepeatedScalarFieldContainer[JobStatus]
    page_size: int
    page_token: str
    job_types: _containers.RepeatedScalarFieldContainer[str]
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    schedule_id: str
    created_by: str
    all_namespaces: bool
    depends_on: str
    def __init__(self, label_selector: _Optional[_Mapping[str, str]] = ..., namespace: _Optional[str] = ..., status_filter: _Optional[_Iterable[_Union[JobStatus, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., job_types: _Optional[_Iterable[str]] = ..., created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., schedule_id: _Optional[str] = ..., created_by: _Optional[str] = ..., all_namespaces: _Optional[bool] = ..., depends_on: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token", "total_count", "total_size")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[JobInfo]
    next_page_token: str
    total_count: int
    total_size: int
    def __init__(self, jobs: _Optional[_Iterable[_Union[JobInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_count: _Optional[int] = ..., total_size: _Optional[int] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id", "namespace")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    namespace: str
    def __init__(self, job_id: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("success", "message", "job_info")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    JOB_INFO_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    job_info: JobInfo
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., job_info: _Optional[_Union[JobInfo, _Mapping]] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("job_id", "namespace", "resume_token")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    namespace: str
    resume_token: str
    def __init__(self, job_id: _Optional[str] = ..., namespace: _Optional[str] = ..., resume_token: _Optional[str] = ...) -> None: ...

class WatchJobsRequest(_message.Message):
    __slots__ = ("namespace", "label_selector", "job_types", "status_filter", "schedule_id", "resume_token", "all_namespaces")
    class LabelSelectorEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    LABEL_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    JOB_TYPES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FILTER_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ALL_NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    label_selector: _containers.ScalarMap[str, str]
    job_types: _containers.RepeatedScalarFieldContainer[str]
    status_filter: _containers.RepeatedScalarFieldContainer[JobStatus]
    schedule_id: str
    resume_token: str
    all_namespaces: bool
    def __init__(self, namespace: _Optional[str] = ..., label_selector: _Optional[_Mapping[str, str]] = ..., job_types: _Optional[_Iterable[str]] = ..., status_filter: _Optional[_Iterable[_Union[JobStatus, str]]] = ..., schedule_id: _Optional[str] = ..., resume_token: _Optional[str] = ..., all_namespaces: _Optional[bool] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("type", "job", "resume_token")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[JobEvent.Type]
        TYPE_INITIAL: _ClassVar[JobEvent.Type]
        TYPE_CHANGED: _ClassVar[JobEvent.Type]
        TYPE_DELETED: _ClassVar[JobEvent.Type]
    TYPE_UNSPECIFIED: JobEvent.Type
    TYPE_INITIAL: JobEvent.Type
    TYPE_CHANGED: JobEvent.Type
    TYPE_DELETED: JobEvent.Type
    TYPE_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    type: JobEvent.Type
    job: JobInfo
    resume_token: str
    def __init__(self, type: _Optional[_Union[JobEvent.Type, str]] = ..., job: _Optional[_Union[JobInfo, _Mapping]] = ..., resume_token: _Optional[str] = ...) -> None: ...

class GetJobLogsRequest(_message.Message):
    __slots__ = ("job_id", "namespace", "follow", "tail_lines", "limit_bytes", "since_seconds", "previous")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    TAIL_LINES_FIELD_NUMBER: _ClassVar[int]
    LIMIT_BYTES_FIELD_NUMBER: _ClassVar[int]
    SINCE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    namespace: str
    follow: bool
    tail_lines: int
    limit_bytes: int
    since_seconds: int
    previous: bool
    def __init__(self, job_id: _Optional[str] = ..., namespace: _Optional[str] = ..., follow: _Optional[bool] = ..., tail_lines: _Optional[int] = ..., limit_bytes: _Optional[int] = ..., since_seconds: _Optional[int] = ..., previous: _Optional[bool] = ...) -> None: ...

class LogChunk(_message.Message):
    __slots__ = ("pod_name", "text", "kept")
    POD_NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    KEPT_FIELD_NUMBER: _ClassVar[int]
    pod_name: str
    text: str
    kept: bool
    def __init__(self, pod_name: _Optional[str] = ..., text: _Optional[str] = ..., kept: _Optional[bool] = ...) -> None: ...

class SuspendJobRequest(_message.Message):
    __slots__ = ("job_id", "namespace")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    namespace: str
    def __init__(self, job_id: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class SuspendJobResponse(_message.Message):
    __slots__ = ("job_info",)
    JOB_INFO_FIELD_NUMBER: _ClassVar[int]
    job_info: JobInfo
    def __init__(self, job_info: _Optional[_Union[JobInfo, _Mapping]] = ...) -> None: ...

class ResumeJobRequest(_message.Message):
    __slots__ = ("job_id", "namespace")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    namespace: str
    def __init__(self, job_id: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class ResumeJobResponse(_message.Message):
    __slots__ = ("job_info",)
    JOB_INFO_FIELD_NUMBER: _ClassVar[int]
    job_info: JobInfo
    def __init__(self, job_info: _Optional[_Union[JobInfo, _Mapping]] = ...) -> None: ...

class DeleteJobRequest(_message.Message):
    __slots__ = ("job_id", "namespace")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    namespace: str
    def __init__(self, job_id: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class DeleteJobResponse(_message.Message):
    __slots__ = ("deleted", "message")
    DELETED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    message: str
    def __init__(self, deleted: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class ListJobTypesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListJobTypesResponse(_message.Message):
    __slots__ = ("job_types",)
    JOB_TYPES_FIELD_NUMBER: _ClassVar[int]
    job_types: _containers.RepeatedCompositeFieldContainer[JobTypeInfo]
    def __init__(self, job_types: _Optional[_Iterable[_Union[JobTypeInfo, _Mapping]]] = ...) -> None: ...

class JobTypeInfo(_message.Message):
    __slots__ = ("name", "request_field", "description", "config_message", "fields", "default_image")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_IMAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_field: str
    description: str
    config_message: str
    fields: _containers.RepeatedCompositeFieldContainer[JobTypeField]
    default_image: str
    def __init__(self, name: _Optional[str] = ..., request_field: _Optional[str] = ..., description: _Optional[str] = ..., config_message: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[JobTypeField, _Mapping]]] = ..., default_image: _Optional[str] = ...) -> None: ...

class JobTypeField(_message.Message):
    __slots__ = ("name", "type", "required", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    required: bool
    description: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., required: _Optional[bool] = ..., description: _Optional[str] = ...) -> None: ...

class ListSchedulesRequest(_message.Message):
    __slots__ = ("namespace", "label_selector", "page_size", "page_token", "all_namespaces")
    class LabelSelectorEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    LABEL_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ALL_NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    label_selector: _containers.ScalarMap[str, str]
    page_size: int
    page_token: str
    all_namespaces: bool
    def __init__(self, namespace: _Optional[str] = ..., label_selector: _Optional[_Mapping[str, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., all_namespaces: _Optional[bool] = ...) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ("schedules", "next_page_token")
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[JobInfo]
    next_page_token: str
    def __init__(self, schedules: _Optional[_Iterable[_Union[JobInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ScheduleJobsRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[ScheduleJobRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[ScheduleJobRequest, _Mapping]]] = ...) -> None: ...

class ScheduleJobsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ScheduleJobResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ScheduleJobResult, _Mapping]]] = ...) -> None: ...

class ScheduleJobResult(_message.Message):
    __slots__ = ("job", "error")
    JOB_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    job: ScheduleJobResponse
    error: _status_pb2.Status
    def __init__(self, job: _Optional[_Union[ScheduleJobResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class RerunJobRequest(_message.Message):
    __slots__ = ("job_id", "namespace", "new_job_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NEW_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    namespace: str
    new_job_id: str
    def __init__(self, job_id: _Optional[str] = ..., namespace: _Optional[str] = ..., new_job_id: _Optional[str] = ...) -> None: ...

class RerunJobResponse(_message.Message):
    __slots__ = ("job_id", "status", "message", "job_info", "rerun_of")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    JOB_INFO_FIELD_NUMBER: _ClassVar[int]
    RERUN_OF_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    status: JobStatus
    message: str
    job_info: JobInfo
    rerun_of: str
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., message: _Optional[str] = ..., job_info: _Optional[_Union[JobInfo, _Mapping]] = ..., rerun_of: _Optional[str] = ...) -> None: ...

class TimerJobConfig(_message.Message):
    __slots__ = ("duration_seconds", "timer_name", "control_plane_endpoint", "image", "log_level", "env")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIMER_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTROL_PLANE_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    LOG_LEVEL_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    duration_seconds: int
    timer_name: str
    control_plane_endpoint: str
    image: str
    log_level: str
    env: _containers.ScalarMap[str, str]
    def __init__(self, duration_seconds: _Optional[int] = ..., timer_name: _Optional[str] = ..., control_plane_endpoint: _Optional[str] = ..., image: _Optional[str] = ..., log_level: _Optional[str] = ..., env: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ContainerJobConfig(_message.Message):
    __slots__ = ("image", "command", "args", "env", "working_dir")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    WORKING_DIR_FIELD_NUMBER: _ClassVar[int]
    image: str
    command: _containers.RepeatedScalarFieldContainer[str]
    args: _containers.RepeatedScalarFieldContainer[str]
    env: _containers.ScalarMap[str, str]
    working_dir: str
    def __init__(self, image: _Optional[str] = ..., command: _Optional[_Iterable[str]] = ..., args: _Optional[_Iterable[str]] = ..., env: _Optional[_Mapping[str, str]] = ..., working_dir: _Optional[str] = ...) -> None: ...

class HealthCheckJobConfig(_message.Message):
    __slots__ = ("target", "http_method", "expected_status_codes", "body_contains", "headers", "grpc_service", "timeout_seconds", "attempts", "attempt_interval_seconds", "follow_redirects", "image")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TARGET_FIELD_NUMBER: _ClassVar[int]
    HTTP_METHOD_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_STATUS_CODES_FIELD_NUMBER: _ClassVar[int]
    BODY_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    GRPC_SERVICE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_REDIRECTS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    target: str
    http_method: str
    expected_status_codes: _containers.RepeatedScalarFieldContainer[int]
    body_contains: str
    headers: _containers.ScalarMap[str, str]
    grpc_service: str
    timeout_seconds: int
    attempts: int
    attempt_interval_seconds: int
    follow_redirects: bool
    image: str
    def __init__(self, target: _Optional[str] = ..., http_method: _Optional[str] = ..., expected_status_codes: _Optional[_Iterable[int]] = ..., body_contains: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., grpc_service: _Optional[str] = ..., timeout_seconds: _Optional[int] = ..., attempts: _Optional[int] = ..., attempt_interval_seconds: _Optional[int] = ..., follow_redirects: _Optional[bool] = ..., image: _Optional[str] = ...) -> None: ...

class HealthCheckJobDetails(_message.Message):
    __slots__ = ("target", "probe", "image")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    PROBE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    target: str
    probe: str
    image: str
    def __init__(self, target: _Optional[str] = ..., probe: _Optional[str] = ..., image: _Optional[str] = ...) -> None: ...

class WebhookJobConfig(_message.Message):
    __slots__ = ("url", "method", "headers", "secret_headers", "body", "expected_status_codes", "timeout_seconds", "max_attempts", "follow_redirects", "image")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    URL_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    SECRET_HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_STATUS_CODES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_REDIRECTS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    url: str
    method: str
    headers: _containers.ScalarMap[str, str]
    secret_headers: _containers.RepeatedCompositeFieldContainer[SecretHeader]
    body: str
    expected_status_codes: _containers.RepeatedScalarFieldContainer[int]
    timeout_seconds: int
    max_attempts: int
    follow_redirects: bool
    image: str
    def __init__(self, url: _Optional[str] = ..., method: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., secret_headers: _Optional[_Iterable[_Union[SecretHeader, _Mapping]]] = ..., body: _Optional[str] = ..., expected_status_codes: _Optional[_Iterable[int]] = ..., timeout_seconds: _Optional[int] = ..., max_attempts: _Optional[int] = ..., follow_redirects: _Optional[bool] = ..., image: _Optional[str] = ...) -> None: ...

class SecretHeader(_message.Message):
    __slots__ = ("header", "secret_name", "secret_key", "value_prefix")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    SECRET_NAME_FIELD_NUMBER: _ClassVar[int]
    SECRET_KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_PREFIX_FIELD_NUMBER: _ClassVar[int]
    header: str
    secret_name: str
    secret_key: str
    value_prefix: str
    def __init__(self, header: _Optional[str] = ..., secret_name: _Optional[str] = ..., secret_key: _Optional[str] = ..., value_prefix: _Optional[str] = ...) -> None: ...

class WebhookJobDetails(_message.Message):
    __slots__ = ("url", "method", "image", "secret_names")
    URL_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    SECRET_NAMES_FIELD_NUMBER: _ClassVar[int]
    url: str
    method: str
    image: str
    secret_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, url: _Optional[str] = ..., method: _Optional[str] = ..., image: _Optional[str] = ..., secret_names: _Optional[_Iterable[str]] = ...) -> None: ...

class ResourceRequirements(_message.Message):
    __slots__ = ("requests", "limits")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    requests: ResourceList
    limits: ResourceList
    def __init__(self, requests: _Optional[_Union[ResourceList, _Mapping]] = ..., limits: _Optional[_Union[ResourceList, _Mapping]] = ...) -> None: ...

class ResourceList(_message.Message):
    __slots__ = ("cpu", "memory", "storage")
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    cpu: str
    memory: str
    storage: str
    def __init__(self, cpu: _Optional[str] = ..., memory: _Optional[str] = ..., storage: _Optional[str] = ...) -> None: ...

class JobInfo(_message.Message):
    __slots__ = ("job_id", "name", "k8s_job_name", "namespace", "status", "created_at", "started_at", "completed_at", "created_by", "labels", "annotations", "timer_details", "container_details", "health_check_details", "webhook_details", "job_type", "reason", "message", "attempts", "active", "succeeded", "failed", "create_time", "start_time", "completion_time", "k8s_kind", "schedule_id", "schedule", "last_schedule_time", "active_runs", "start_at", "execution", "depends_on", "waiting_for", "rerun_of", "template_name", "template_version")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AnnotationsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    K8S_JOB_NAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
    TIMER_DETAILS_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_DETAILS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_DETAILS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_DETAILS_FIELD_NUMBER: _ClassVar[int]
    JOB_TYPE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TIME_FIELD_NUMBER: _ClassVar[int]
    K8S_KIND_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    LAST_SCHEDULE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_RUNS_FIELD_NUMBER: _ClassVar[int]
    START_AT_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    WAITING_FOR_FIELD_NUMBER: _ClassVar[int]
    RERUN_OF_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_NAME_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_VERSION_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    name: str
    k8s_job_name: str
    namespace: str
    status: JobStatus
    created_at: int
    started_at: int
    completed_at: int
    created_by: str
    labels: _containers.ScalarMap[str, str]
    annotations: _containers.ScalarMap[str, str]
    timer_details: TimerJobDetails
    container_details: ContainerJobDetails
    health_check_details: HealthCheckJobDetails
    webhook_details: WebhookJobDetails
    job_type: str
    reason: str
    message: str
    attempts: int
    active: int
    succeeded: int
    failed: int
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    completion_time: _timestamp_pb2.Timestamp
    k8s_kind: str
    schedule_id: str
    schedule: Schedule
    last_schedule_time: _timestamp_pb2.Timestamp
    active_runs: _containers.RepeatedScalarFieldContainer[str]
    start_at: _timestamp_pb2.Timestamp
    execution: ExecutionOptions
    depends_on: _containers.RepeatedCompositeFieldContainer[JobDependency]
    waiting_for: _containers.RepeatedScalarFieldContainer[str]
    rerun_of: str
    template_name: str
    template_version: str
    def __init__(self, job_id: _Optional[str] = ..., name: _Optional[str] = ..., k8s_job_name: _Optional[str] = ..., namespace: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., created_at: _Optional[int] = ..., started_at: _Optional[int] = ..., completed_at: _Optional[int] = ..., created_by: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., annotations: _Optional[_Mapping[str, str]] = ..., timer_details: _Optional[_Union[TimerJobDetails, _Mapping]] = ..., container_details: _Optional[_Union[ContainerJobDetails, _Mapping]] = ..., health_check_details: _Optional[_Union[HealthCheckJobDetails, _Mapping]] = ..., webhook_details: _Optional[_Union[WebhookJobDetails, _Mapping]] = ..., job_type: _Optional[str] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ..., attempts: _Optional[int] = ..., active: _Optional[int] = ..., succeeded: _Optional[int] = ..., failed: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completion_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., k8s_kind: _Optional[str] = ..., schedule_id: _Optional[str] = ..., schedule: _Optional[_Union[Schedule, _Mapping]] = ..., last_schedule_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., active_runs: _Optional[_Iterable[str]] = ..., start_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., execution: _Optional[_Union[ExecutionOptions, _Mapping]] = ..., depends_on: _Optional[_Iterable[_Union[JobDependency, _Mapping]]] = ..., waiting_for: _Optional[_Iterable[str]] = ..., rerun_of: _Optional[str] = ..., template_name: _Optional[str] = ..., template_version: _Optional[str] = ...) -> None: ...

class TimerJobDetails(_message.Message):
    __slots__ = ("duration_seconds", "timer_name", "control_plane_endpoint", "image")
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIMER_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTROL_PLANE_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    duration_seconds: int
    timer_name: str
    control_plane_endpoint: str
    image: str
    def __init__(self, duration_seconds: _Optional[int] = ..., timer_name: _Optional[str] = ..., control_plane_endpoint: _Optional[str] = ..., image: _Optional[str] = ...) -> None: ...

class ContainerJobDetails(_message.Message):
    __slots__ = ("image", "command", "args", "working_dir")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    WORKING_DIR_FIELD_NUMBER: _ClassVar[int]
    image: str
    command: _containers.RepeatedScalarFieldContainer[str]
    args: _containers.RepeatedScalarFieldContainer[str]
    working_dir: str
    def __init__(self, image: _Optional[str] = ..., command: _Optional[_Iterable[str]] = ..., args: _Optional[_Iterable[str]] = ..., working_dir: _Optional[str] = ...) -> None: ...

class JobTemplate(_message.Message):
    __slots__ = ("name", "namespace", "description", "body", "parameters", "version", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    namespace: str
    description: str
    body: _struct_pb2.Struct
    parameters: _containers.RepeatedCompositeFieldContainer[TemplateParameter]
    version: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., namespace: _Optional[str] = ..., description: _Optional[str] = ..., body: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., parameters: _Optional[_Iterable[_Union[TemplateParameter, _Mapping]]] = ..., version: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TemplateParameter(_message.Message):
    __slots__ = ("name", "type", "default_value", "required", "allowed_values", "description")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[TemplateParameter.Type]
        TYPE_STRING: _ClassVar[TemplateParameter.Type]
        TYPE_INT: _ClassVar[TemplateParameter.Type]
        TYPE_BOOL: _ClassVar[TemplateParameter.Type]
    TYPE_UNSPECIFIED: TemplateParameter.Type
    TYPE_STRING: TemplateParameter.Type
    TYPE_INT: TemplateParameter.Type
    TYPE_BOOL: TemplateParameter.Type
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_VALUES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: TemplateParameter.Type
    default_value: str
    required: bool
    allowed_values: _containers.RepeatedScalarFieldContainer[str]
    description: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[TemplateParameter.Type, str]] = ..., default_value: _Optional[str] = ..., required: _Optional[bool] = ..., allowed_values: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ...) -> None: ...

class CreateJobTemplateRequest(_message.Message):
    __slots__ = ("template", "replace", "namespace")
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    template: JobTemplate
    replace: bool
    namespace: str
    def __init__(self, template: _Optional[_Union[JobTemplate, _Mapping]] = ..., replace: _Optional[bool] = ..., namespace: _Optional[str] = ...) -> None: ...

class GetJobTemplateRequest(_message.Message):
    __slots__ = ("name", "namespace")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    name: str
    namespace: str
    def __init__(self, name: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class ListJobTemplatesRequest(_message.Message):
    __slots__ = ("namespace", "page_size", "page_token")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    page_size: int
    page_token: str
    def __init__(self, namespace: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListJobTemplatesResponse(_message.Message):
    __slots__ = ("templates", "next_page_token")
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    templates: _containers.RepeatedCompositeFieldContainer[JobTemplate]
    next_page_token: str
    def __init__(self, templates: _Optional[_Iterable[_Union[JobTemplate, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteJobTemplateRequest(_message.Message):
    __slots__ = ("name", "namespace")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    name: str
    namespace: str
    def __init__(self, name: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class DeleteJobTemplateResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...
