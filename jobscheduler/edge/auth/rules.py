"""Each RPC as the Kubernetes access a user would need to do the same with kubectl.

So the cluster's Roles and RoleBindings are the policy: someone who may ``create jobs.batch``
in a namespace may schedule jobs there through this service, and nobody else may. An RPC that
names one job may meet a Job or a CronJob (a schedule) under that id: its verb is checked on
both kinds, and a kind the caller lacks it on is hidden from the service's lookup (so acting on
a schedule needs the verb on cronjobs, not only on jobs). A list across all namespaces
(``all_namespaces``) needs the verb cluster-wide, as ``kubectl get jobs -A`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from google.protobuf.message import Message

from jobscheduler.edge.auth.reviews import Permission


class Denial(Enum):
    """How a refusal is answered."""

    PERMISSION_DENIED = "permission_denied"  # writes and collections: name verb and namespace
    NOT_FOUND = "not_found"  # reads of one job: the job's existence is not revealed


def _on(verb: str, *plurals: str) -> tuple[Permission, ...]:
    return tuple(Permission(verb, "batch", plural) for plural in plurals)


@dataclass(frozen=True)
class Rule:
    """``permissions``: the caller needs at least one (one per kind the RPC may reach).
    ``mutating`` RPCs are audited whatever their outcome. No permissions: authentication only."""

    permissions: tuple[Permission, ...]
    denial: Denial
    mutating: bool = False
    addresses_one_job: bool = False

    def for_request(self, request: Message) -> tuple[Permission, ...]:
        return self.permissions

    def also_required(self, request: Message) -> tuple[Permission, ...]:
        """Permissions needed besides one of ``for_request``'s, each of them."""
        return ()


def _on_configmaps(verb: str) -> tuple[Permission, ...]:
    return (Permission(verb, "", "configmaps"),)


# Scheduling from a template reads it: the caller needs `get` on ConfigMaps. What the resolved
# request creates (a Job or a CronJob) is only known once the template is read, so the guard
# checks it then, through ``requestctx.check_resolved_request``.
TEMPLATE_READ = _on_configmaps("get")


@dataclass(frozen=True)
class ScheduleRule(Rule):
    """ScheduleJob creates a CronJob for a schedule, a Job otherwise (delayed ones too)."""

    def for_request(self, request: Message) -> tuple[Permission, ...]:
        if request.HasField("template"):
            return TEMPLATE_READ
        wanted = "cronjobs" if request.HasField("schedule") else "jobs"
        return tuple(p for p in self.permissions if p.resource == wanted)

    def also_required(self, request: Message) -> tuple[Permission, ...]:
        # Waiting for a job reveals its outcome: depending on jobs needs reading them.
        return _on("get", "jobs") if request.depends_on else ()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class BatchScheduleRule(Rule):
    """ScheduleJobs: every item as its ScheduleJob would be (``guard`` checks each namespace)."""

    def for_request(self, request: Message) -> tuple[Permission, ...]:
        kinds = {"cronjobs" if item.HasField("schedule") else "jobs" for item in request.requests}  # type: ignore[attr-defined]
        return tuple(p for p in self.permissions if p.resource in kinds)


@dataclass(frozen=True)
class RerunRule(Rule):
    """RerunJob creates a Job in the original's namespace (``permissions``: ``create jobs``, as
    ScheduleJob would) from the original, which the caller must be able to read (``original``:
    ``get`` on whichever kind it is, refused as NOT_FOUND like GetJobStatus)."""

    original: Rule = Rule(_on("get", "jobs", "cronjobs"), Denial.NOT_FOUND, addresses_one_job=True)


_ONE = {"addresses_one_job": True}
RULES: dict[str, Rule] = {
    "ScheduleJob": ScheduleRule(
        _on("create", "jobs", "cronjobs"), Denial.PERMISSION_DENIED, mutating=True
    ),
    "ScheduleJobs": BatchScheduleRule(
        _on("create", "jobs", "cronjobs"), Denial.PERMISSION_DENIED, mutating=True
    ),
    "RerunJob": RerunRule(_on("create", "jobs"), Denial.PERMISSION_DENIED, mutating=True),
    "GetJobStatus": Rule(_on("get", "jobs", "cronjobs"), Denial.NOT_FOUND, **_ONE),
    "WatchJob": Rule(_on("watch", "jobs", "cronjobs"), Denial.NOT_FOUND, **_ONE),
    "GetJobLogs": Rule((Permission("get", "", "pods", "log"),), Denial.NOT_FOUND),
    "ListJobs": Rule(_on("list", "jobs"), Denial.PERMISSION_DENIED),
    "WatchJobs": Rule(_on("watch", "jobs"), Denial.PERMISSION_DENIED),
    "ListSchedules": Rule(_on("list", "cronjobs"), Denial.PERMISSION_DENIED),
    "CancelJob": Rule(_on("patch", "jobs", "cronjobs"), Denial.PERMISSION_DENIED, True, True),
    "SuspendJob": Rule(_on("patch", "jobs", "cronjobs"), Denial.PERMISSION_DENIED, True, True),
    "ResumeJob": Rule(_on("patch", "jobs", "cronjobs"), Denial.PERMISSION_DENIED, True, True),
    "DeleteJob": Rule(_on("delete", "jobs", "cronjobs"), Denial.PERMISSION_DENIED, True, True),
    "ListJobTypes": Rule((), Denial.PERMISSION_DENIED),
    "CreateJobTemplate": Rule(_on_configmaps("create"), Denial.PERMISSION_DENIED, mutating=True),
    "GetJobTemplate": Rule(_on_configmaps("get"), Denial.PERMISSION_DENIED),
    "ListJobTemplates": Rule(_on_configmaps("list"), Denial.PERMISSION_DENIED),
    "DeleteJobTemplate": Rule(_on_configmaps("delete"), Denial.PERMISSION_DENIED, mutating=True),
}

# Reads the dashboard serves that no RPC mirrors, as the kubectl access they need.
PAGE_RULES: dict[str, Rule] = {
    # A job page's Kubernetes events (``kubectl get events``); the job itself is checked first
    # as GetJobStatus, so its existence is not revealed by this refusal.
    "JobEvents": Rule((Permission("list", "", "events"),), Denial.PERMISSION_DENIED),
}
