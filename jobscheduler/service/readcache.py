"""What the service caches of each kind it reads, and how it finds them (the indexes).

The cache itself (``kube.cache``) knows nothing of job states; this module tells it which
objects to keep (those labelled as managed by this service), their projection, and the
indexes the RPCs look them up by: state, job type, schedule id, namespace, and (always)
labels. A further kind (ConfigMaps for kept logs or templates) is one more ``CachedKind``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.jobtypes import HandlerRegistry
from jobscheduler.jobtypes.metadata import (
    CREATED_BY_ANNOTATION,
    JOB_TYPE_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    POD_JOB_NAME_LABEL,
    SCHEDULE_ID_LABEL,
    START_AT_LABEL,
    STARTUP_DEADLINE_LABEL,
)
from jobscheduler.kube import CRONJOBS, JOBS, PODS, JobReader
from jobscheduler.kube.cache import CachedKind, CacheOptions, WatchCache
from jobscheduler.kube.cache.projection import project_cronjob, project_job, project_pod
from jobscheduler.service.jobinfo import job_info_from_job, parse_time
from jobscheduler.service.status import cronjob_state, job_state

JSON = dict[str, Any]
STATE_INDEX = "state"
TYPE_INDEX = "job_type"
SCHEDULE_INDEX = "schedule_id"
NAMESPACE_INDEX = "namespace"
JOB_NAME_INDEX = "job"  # pods by the Job that owns them
CREATED_BY_INDEX = "created_by"  # an annotation: user names are no label values
MANAGED = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}"


def state_name(status: int) -> str:
    return pb.JobStatus.Name(status).removeprefix("JOB_STATUS_").lower()


def created_seconds(obj: JSON) -> float:
    """Creation time in seconds: the listing order."""
    moment = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    return moment.timestamp() if moment else 0.0


def _label(key: str) -> Any:
    def values(obj: JSON) -> Iterable[str]:
        value = ((obj.get("metadata") or {}).get("labels") or {}).get(key)
        return (value,) if value else ()

    return values


def _created_by(obj: JSON) -> Iterable[str]:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(CREATED_BY_ANNOTATION)
    return (value,) if value else ()


def _namespace(obj: JSON) -> Iterable[str]:
    return (str((obj.get("metadata") or {}).get("namespace", "")),)


def _job_state(obj: JSON) -> Iterable[str]:
    return (state_name(job_state(obj).status),)


def _schedule_state(obj: JSON) -> Iterable[str]:
    return (state_name(cronjob_state(obj).status),)


def _common_indexes() -> dict[str, Any]:
    return {
        TYPE_INDEX: _label(JOB_TYPE_LABEL),
        SCHEDULE_INDEX: _label(SCHEDULE_ID_LABEL),
        NAMESPACE_INDEX: _namespace,
        CREATED_BY_INDEX: _created_by,
    }


# The labels the background sweep selects by presence alone (``service.release``): few objects
# carry them, so indexing them costs little and spares the sweep a look at every cached job.
SWEEP_LABELS = frozenset({START_AT_LABEL, STARTUP_DEADLINE_LABEL})

CACHED_KINDS = (
    CachedKind(
        JOBS,
        MANAGED,
        project_job,
        created_seconds,
        {STATE_INDEX: _job_state, **_common_indexes()},
        SWEEP_LABELS,
    ),
    CachedKind(
        CRONJOBS,
        MANAGED,
        project_cronjob,
        created_seconds,
        {STATE_INDEX: _schedule_state, **_common_indexes()},
        SWEEP_LABELS,
    ),
    CachedKind(
        PODS, MANAGED, project_pod, created_seconds, {JOB_NAME_INDEX: _label(POD_JOB_NAME_LABEL)}
    ),
)


# Pods read to explain a job's state: a wide batch job may have thousands, and a stuck image
# pull, an unschedulable pod or a failed container's termination message shows on any of them.
POD_SAMPLE = 20


def cached_pods_of_job(cache: WatchCache, namespace: str, name: str) -> list[JSON] | None:
    """Up to ``POD_SAMPLE`` pods of one Job from the cache, or None when the cache does not
    hold that namespace's pods (or is not synced)."""
    informer = cache.informer_for(PODS, namespace)
    if informer is None:
        return None
    keys = cache.query(informer, namespace, [[(JOB_NAME_INDEX, name)]])
    return informer.store.get_many(sorted(keys)[:POD_SAMPLE])


def explained_job_info(cache: WatchCache, registry: HandlerRegistry, job: JSON) -> pb.JobInfo:
    """A cached Job's JobInfo, with its pods when they explain its state: a failed job reads
    back with its container's reason (``ProbeFailed: HTTP 503``) in lists and watches too, as
    GetJobStatus gives it."""
    pods = None
    if job_state(job).status == pb.JOB_STATUS_FAILED:
        metadata = job.get("metadata") or {}
        pods = cached_pods_of_job(cache, str(metadata.get("namespace", "")), metadata["name"])
    return job_info_from_job(job, registry, pods)


def cached_namespaces(settings: Settings) -> list[str] | None:
    """CACHE_NAMESPACES: "" for K8S_NAMESPACE alone, "*" for all namespaces (needs the
    cluster-wide list/watch of the cluster-job-list component), or a comma-separated list."""
    raw = settings.cache_namespaces.strip()
    if raw == "*":
        return None
    listed = [name.strip() for name in raw.split(",") if name.strip()]
    return listed or [settings.k8s_namespace]


def build_cache(gateway: JobReader, settings: Settings, **testing: Any) -> WatchCache:
    """The service's cache; ``testing`` passes a fake ``now``/``pause`` to the informers."""
    options = CacheOptions(
        page_size=settings.cache_page_size,
        watch_timeout_seconds=settings.cache_watch_timeout_seconds,
        staleness_seconds=settings.cache_staleness_seconds,
        write_wait_seconds=settings.cache_write_wait_seconds,
    )
    return WatchCache(gateway, CACHED_KINDS, cached_namespaces(settings), options, **testing)


def jobs_by_type_and_state(cache: WatchCache) -> dict[tuple[str, str], int]:
    return cache.count_pairs(JOBS, TYPE_INDEX, STATE_INDEX)
