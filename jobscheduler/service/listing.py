"""ListJobs and ListSchedules: Kubernetes pagination with client-side filters.

Ordering (documented in the README): Kubernetes returns objects in name order, which for
generated ids (``ids.JobIdGenerator``) is newest first; each page is also sorted newest first
by creation time. Jobs whose ids clients chose appear in name order among them.
"""

from __future__ import annotations

from typing import Any

from jobscheduler import timeparse
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation, InvalidArgument
from jobscheduler.jobtypes import HandlerRegistry, dependson
from jobscheduler.jobtypes.metadata import CREATED_BY_ANNOTATION, MANAGED_BY_LABEL
from jobscheduler.kube import CRONJOBS, JOBS, JobReader, ResourceExpired
from jobscheduler.service import pagetoken
from jobscheduler.service.jobinfo import job_info_from_cronjob, job_info_from_job, parse_time
from jobscheduler.service.requests import (
    effective_page_size,
    job_type_violations,
    managed_selector,
    namespace_violations,
    page_size_violations,
    schedule_id_violations,
    selector_violations,
    status_filter_violations,
)
from jobscheduler.service.status import job_state

JSON = dict[str, Any]
# Kubernetes page size while scanning with client-side filters: bigger pages mean fewer round
# trips when filters drop most items (500 is what kubectl uses). Without such filters a
# Kubernetes page is exactly one of ours.
MAX_K8S_PAGE_SIZE = 500
_FILTERED_PAGE_FACTOR = 4
# Kubernetes pages read per ListJobs call at most; a sparse filter then returns a short page
# with a next_page_token instead of scanning the whole namespace in one RPC.
MAX_K8S_PAGES_PER_CALL = 8


def _validate_list_jobs(req: pb.ListJobsRequest, registry: HandlerRegistry) -> None:
    violations = namespace_violations(req.namespace)
    violations += selector_violations(req.label_selector, "label_selector")
    violations += page_size_violations(req.page_size)
    violations += job_type_violations(req.job_types, registry)
    violations += schedule_id_violations(req.schedule_id)
    violations += schedule_id_violations(req.depends_on, "depends_on")
    violations += status_filter_violations(req.status_filter)
    times_valid = True
    for field in ("created_after", "created_before"):
        moment = getattr(req, field)
        if problem := timeparse.timestamp_problem(moment.seconds, moment.nanos):
            violations.append(FieldViolation(field, problem))
            times_valid = False
    if (
        times_valid
        and req.HasField("created_after")
        and req.HasField("created_before")
        and req.created_after.ToNanoseconds() > req.created_before.ToNanoseconds()
    ):
        violations.append(FieldViolation("created_after", "must not be after created_before"))
    if violations:
        raise InvalidArgument(violations)


class _JobFilter:
    """The filters Kubernetes cannot apply: states and creation times."""

    def __init__(self, req: pb.ListJobsRequest) -> None:
        self.states = set(req.status_filter)
        self.after = req.created_after.seconds if req.HasField("created_after") else None
        self.before = req.created_before.seconds if req.HasField("created_before") else None
        # An annotation (user names such as system:serviceaccount:ns:sa are no label values).
        self.created_by = req.created_by

    @property
    def active(self) -> bool:
        return (
            bool(self.states)
            or self.after is not None
            or self.before is not None
            or bool(self.created_by)
        )

    def matches(self, job: JSON) -> bool:
        """Decided on the raw Job, so non-matching jobs cost no JobInfo."""
        if self.states and job_state(job).status not in self.states:
            return False
        if self.created_by:
            annotations = (job.get("metadata") or {}).get("annotations") or {}
            if annotations.get(CREATED_BY_ANNOTATION) != self.created_by:
                return False
        if self.after is None and self.before is None:
            return True
        created = parse_time((job.get("metadata") or {}).get("creationTimestamp"))
        created_at = int(created.timestamp()) if created else 0
        if self.after is not None and created_at < self.after:
            return False
        return not (self.before is not None and created_at >= self.before)


def list_jobs(
    reader: JobReader, registry: HandlerRegistry, settings: Settings, req: pb.ListJobsRequest
) -> pb.ListJobsResponse:
    _validate_list_jobs(req, registry)
    namespace = req.namespace or settings.k8s_namespace
    page_size = effective_page_size(req.page_size)
    selector = managed_selector(req.label_selector, req.job_types, req.schedule_id)
    if req.depends_on:  # a job's dependents carry a label naming it
        selector += "," + dependson.dependents_selector(req.depends_on)
    job_filter = _JobFilter(req)
    filters = pagetoken.fingerprint(
        namespace,
        selector,
        sorted(job_filter.states),
        job_filter.after,
        job_filter.before,
        job_filter.created_by,
    )
    token = pagetoken.decode(req.page_token, filters)
    found: list[pb.JobInfo] = []
    k8s_continue, after = token.k8s_continue, token.after_name
    next_token = ""
    k8s_limit = page_size
    if job_filter.active:
        k8s_limit = min(MAX_K8S_PAGE_SIZE, page_size * _FILTERED_PAGE_FACTOR)
    for _ in range(MAX_K8S_PAGES_PER_CALL):
        page = _list_page(reader, namespace, selector, k8s_continue, k8s_limit)
        items = page.get("items") or []
        page_continue = (page.get("metadata") or {}).get("continue") or ""
        last_index = -1
        for index, item in enumerate(items):
            name = item["metadata"]["name"]
            if after and name <= after:
                continue  # returned on a previous page
            last_index = index
            if job_filter.matches(item):
                found.append(job_info_from_job(item, registry))
                if len(found) == page_size:
                    break
        if len(found) == page_size and last_index < len(items) - 1:
            # Stopped inside this Kubernetes page: resume in it after the last name seen.
            next_token = pagetoken.encode(
                pagetoken.PageToken(k8s_continue, items[last_index]["metadata"]["name"]), filters
            )
            break
        if not page_continue:
            break
        k8s_continue, after = page_continue, ""
        if len(found) == page_size:
            next_token = pagetoken.encode(pagetoken.PageToken(k8s_continue, ""), filters)
            break
    else:
        next_token = pagetoken.encode(pagetoken.PageToken(k8s_continue, ""), filters)
    found.sort(key=lambda info: -info.created_at)  # stable: name order within a second
    return pb.ListJobsResponse(jobs=found, next_page_token=next_token, total_count=len(found))


def _list_page(
    reader: JobReader, namespace: str, selector: str, k8s_continue: str, limit: int
) -> JSON:
    try:
        return reader.list(
            JOBS, namespace, label_selector=selector, limit=limit, continue_token=k8s_continue
        )
    except ResourceExpired:
        raise InvalidArgument(
            [FieldViolation("page_token", "has expired; list again from the first page")]
        ) from None
    except InvalidArgument:
        if k8s_continue:  # Kubernetes refused the continue token we wrapped
            raise InvalidArgument(
                [FieldViolation("page_token", "is no longer valid; list again from the first page")]
            ) from None
        raise


def list_schedules(
    reader: JobReader,
    registry: HandlerRegistry,
    settings: Settings,
    req: pb.ListSchedulesRequest,
) -> pb.ListSchedulesResponse:
    violations = namespace_violations(req.namespace)
    violations += selector_violations(req.label_selector, "label_selector")
    violations += page_size_violations(req.page_size)
    if violations:
        raise InvalidArgument(violations)
    namespace = req.namespace or settings.k8s_namespace
    selector = managed_selector(req.label_selector)
    filters = pagetoken.fingerprint(namespace, selector)
    token = pagetoken.decode(req.page_token, filters)
    try:
        page = reader.list(
            CRONJOBS,
            namespace,
            label_selector=selector,
            limit=effective_page_size(req.page_size),
            continue_token=token.k8s_continue,
        )
    except (ResourceExpired, InvalidArgument):
        if not token.k8s_continue:
            raise
        raise InvalidArgument(
            [FieldViolation("page_token", "is no longer valid; list again from the first page")]
        ) from None
    page_continue = (page.get("metadata") or {}).get("continue") or ""
    schedules = [
        job_info_from_cronjob(item, registry)
        for item in page.get("items") or []
        if (item.get("metadata", {}).get("labels") or {}).get(MANAGED_BY_LABEL)
    ]
    next_token = (
        pagetoken.encode(pagetoken.PageToken(page_continue), filters) if page_continue else ""
    )
    return pb.ListSchedulesResponse(schedules=schedules, next_page_token=next_token)
