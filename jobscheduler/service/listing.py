"""ListJobs and ListSchedules: from the watch cache's indexes where it holds the namespace,
otherwise Kubernetes pagination with client-side filters.

Ordering from the cache (documented in the README): newest first by creation time across all
pages, then by name. From the API server: Kubernetes returns objects in name order, which for
generated ids (``ids.JobIdGenerator``) is newest first; each page is also sorted newest first
by creation time. Jobs whose ids clients chose appear in name order among them.
"""

from __future__ import annotations

import json
from typing import Any

from jobscheduler import timeparse
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation, InvalidArgument
from jobscheduler.jobtypes import HandlerRegistry, dependson
from jobscheduler.jobtypes.metadata import (
    CREATED_BY_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    POD_JOB_NAME_LABEL,
)
from jobscheduler.kube import CRONJOBS, JOBS, PODS, JobReader, ResourceExpired
from jobscheduler.kube.cache import Key, OrderKey, WatchCache
from jobscheduler.kube.cache.cache import LABEL_INDEX
from jobscheduler.kube.cache.store import order_key
from jobscheduler.service import pagetoken
from jobscheduler.service.jobinfo import job_info_from_cronjob, job_info_from_job, parse_time
from jobscheduler.service.readcache import (
    CREATED_BY_INDEX,
    SCHEDULE_INDEX,
    STATE_INDEX,
    TYPE_INDEX,
    created_seconds,
    state_name,
)
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
    violations += all_namespaces_violations(req.namespace, req.all_namespaces)
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
    namespace = listed_namespace(req.namespace, req.all_namespaces, settings)
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
    found: list[JSON] = []
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
        # Kubernetes lists in (namespace, name) order: across namespaces the position is both.
        position = _address if namespace is None else _name
        for index, item in enumerate(items):
            name = position(item)
            if after and name <= after:
                continue  # returned on a previous page
            last_index = index
            if job_filter.matches(item):
                found.append(item)
                if len(found) == page_size:
                    break
        if len(found) == page_size and last_index < len(items) - 1:
            # Stopped inside this Kubernetes page: resume in it after the last name seen.
            next_token = pagetoken.encode(
                pagetoken.PageToken(k8s_continue, position(items[last_index])), filters
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
    pods = _explaining_pods(reader, namespace, found)
    jobs = [job_info_from_job(item, registry, pods.get(_address(item))) for item in found]
    jobs.sort(key=lambda info: -info.created_at)  # stable: name order within a second
    return pb.ListJobsResponse(jobs=jobs, next_page_token=next_token, total_count=len(jobs))


def _name(obj: JSON) -> str:
    return str(obj["metadata"]["name"])


def _address(obj: JSON) -> str:
    metadata = obj.get("metadata") or {}
    return f"{metadata.get('namespace')}/{metadata.get('name')}"


def all_namespaces_violations(namespace: str, all_namespaces: bool) -> list[FieldViolation]:
    if all_namespaces and namespace:
        return [FieldViolation("all_namespaces", "must not be set together with namespace")]
    return []


def listed_namespace(namespace: str, all_namespaces: bool, settings: Settings) -> str | None:
    """The namespace to list in; None: all of them."""
    return None if all_namespaces else namespace or settings.k8s_namespace


def _explaining_pods(
    reader: JobReader, namespace: str | None, jobs: list[JSON]
) -> dict[str, list[JSON]]:
    """The pods that explain the page's jobs, by "namespace/job": the Pending pods of a job that
    waits for one (ImagePullBackOff, Unschedulable, not just PodPending) and the failed pods of
    a failed job (a container's "Reason: detail" termination message, e.g. ProbeFailed), so a
    job lists with the reason GetJobStatus gives it. One pod LIST for the whole page, none when
    no job needs one, answered by the cache when it holds the pods."""
    wanted: dict[str, str] = {}  # job name -> the phase of the pods that explain it
    for job in jobs:
        state = job_state(job)
        if state.reason == "PodPending":
            wanted[job["metadata"]["name"]] = "Pending"
        elif state.status == pb.JOB_STATUS_FAILED:
            wanted[job["metadata"]["name"]] = "Failed"
    if not wanted:
        return {}
    page = reader.list(
        PODS,
        namespace,
        label_selector=f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE},"
        f"{POD_JOB_NAME_LABEL} in ({','.join(sorted(wanted))})",
        limit=MAX_K8S_PAGE_SIZE,
    )
    by_job: dict[str, list[JSON]] = {}
    for pod in page.get("items") or []:
        metadata = pod.get("metadata") or {}
        job_name = (metadata.get("labels") or {}).get(POD_JOB_NAME_LABEL)
        if job_name and wanted.get(job_name) == (pod.get("status") or {}).get("phase"):
            by_job.setdefault(f"{metadata.get('namespace')}/{job_name}", []).append(pod)
    return by_job


def _list_page(
    reader: JobReader, namespace: str | None, selector: str, k8s_continue: str, limit: int
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
    violations += all_namespaces_violations(req.namespace, req.all_namespaces)
    violations += selector_violations(req.label_selector, "label_selector")
    violations += page_size_violations(req.page_size)
    if violations:
        raise InvalidArgument(violations)
    namespace = listed_namespace(req.namespace, req.all_namespaces, settings)
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


# ---- from the watch cache ------------------------------------------------------------------
# Newest first across all pages (creation time, then namespace and name); a page token holds
# the position of the last job returned, so pages stay stable while jobs come and go: a job
# created later sorts before the token and never pushes one onto the next page twice.

_CACHE_TOKEN_MARK = "cache"


def _cache_token(position: OrderKey, filters: str) -> str:
    return pagetoken.encode(pagetoken.PageToken(_CACHE_TOKEN_MARK, json.dumps(position)), filters)


def _cache_position(token: pagetoken.PageToken) -> OrderKey | None:
    if not token.k8s_continue and not token.after_name:
        return None
    try:
        if token.k8s_continue != _CACHE_TOKEN_MARK:
            raise ValueError
        created, namespace, name = json.loads(token.after_name)
        return (float(created), str(namespace), str(name))
    except (ValueError, TypeError):
        raise InvalidArgument(
            [FieldViolation("page_token", "is no longer valid; list again from the first page")]
        ) from None


def list_jobs_cached(
    cache: WatchCache, registry: HandlerRegistry, settings: Settings, req: pb.ListJobsRequest
) -> pb.ListJobsResponse | None:
    """ListJobs answered from the cache's indexes; None when the cache does not hold the
    namespace or has yet to see a write made there (the caller lists from the API server)."""
    _validate_list_jobs(req, registry)
    if req.all_namespaces:
        return None  # across namespaces: the API server's list (the cache holds the managed ones)
    namespace = req.namespace or settings.k8s_namespace
    informer = cache.informer_for(JOBS, namespace)
    if informer is None or cache.has_pending(JOBS, namespace):
        return None
    page_size = effective_page_size(req.page_size)
    job_filter = _JobFilter(req)
    groups = [
        [(LABEL_INDEX, f"{key}={value}")] for key, value in sorted(req.label_selector.items())
    ]
    if req.job_types:
        groups.append([(TYPE_INDEX, name) for name in sorted(set(req.job_types))])
    if req.schedule_id:
        groups.append([(SCHEDULE_INDEX, req.schedule_id)])
    if job_filter.states:
        groups.append([(STATE_INDEX, state_name(s)) for s in sorted(job_filter.states)])
    if job_filter.created_by:
        groups.append([(CREATED_BY_INDEX, job_filter.created_by)])
    if req.depends_on:  # a job's dependents carry a label naming it
        groups.append([(LABEL_INDEX, dependson.dependents_selector(req.depends_on))])
    selector = managed_selector(req.label_selector, req.job_types, req.schedule_id)
    filters = pagetoken.fingerprint(
        "cache",
        namespace,
        selector,
        sorted(job_filter.states),
        job_filter.after,
        job_filter.before,
        job_filter.created_by,
        req.depends_on,
    )
    position = _cache_position(pagetoken.decode(req.page_token, filters))
    by_time = job_filter.after is not None or job_filter.before is not None
    if informer.namespace == namespace and not by_time:
        # The informer holds this namespace alone: the store pages and counts in one go.
        ordered, total = informer.store.page(groups, position, page_size + 1)
    else:
        keys: set[Key] | None = None
        if groups or informer.namespace is None:
            keys = cache.query(informer, namespace, groups)
        if by_time:
            keys = informer.store.created_within(keys, job_filter.after, job_filter.before)
        total = len(informer.store) if keys is None else len(keys)
        ordered = informer.store.ordered(keys, position, page_size + 1)
    items = informer.store.get_many(ordered[:page_size])
    pods = _explaining_pods(cache, namespace, items)
    jobs = [job_info_from_job(item, registry, pods.get(_address(item))) for item in items]
    next_token = ""
    if len(ordered) > page_size:
        last = items[-1]
        next_token = _cache_token(order_key(last, created_seconds), filters)
    return pb.ListJobsResponse(
        jobs=jobs, next_page_token=next_token, total_count=len(jobs), total_size=total
    )


def list_schedules_cached(
    cache: WatchCache, registry: HandlerRegistry, settings: Settings, req: pb.ListSchedulesRequest
) -> pb.ListSchedulesResponse | None:
    violations = namespace_violations(req.namespace)
    violations += selector_violations(req.label_selector, "label_selector")
    violations += page_size_violations(req.page_size)
    if violations:
        raise InvalidArgument(violations)
    if req.all_namespaces:
        return None  # across namespaces: the API server's list
    namespace = req.namespace or settings.k8s_namespace
    informer = cache.informer_for(CRONJOBS, namespace)
    if informer is None or cache.has_pending(CRONJOBS, namespace):
        return None
    page_size = effective_page_size(req.page_size)
    groups = [
        [(LABEL_INDEX, f"{key}={value}")] for key, value in sorted(req.label_selector.items())
    ]
    filters = pagetoken.fingerprint("cache", namespace, managed_selector(req.label_selector))
    position = _cache_position(pagetoken.decode(req.page_token, filters))
    keys = (
        cache.query(informer, namespace, groups) if groups or informer.namespace is None else None
    )
    ordered = informer.store.ordered(keys, position, page_size + 1)
    items = informer.store.get_many(ordered[:page_size])
    next_token = ""
    if len(ordered) > page_size:
        next_token = _cache_token(order_key(items[-1], created_seconds), filters)
    return pb.ListSchedulesResponse(
        schedules=[job_info_from_cronjob(item, registry) for item in items],
        next_page_token=next_token,
    )
