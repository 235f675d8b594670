"""Environment variable names: C identifiers (what every supported Kubernetes version and every
shell accepts), minus a documented deny-list that would change what the container loads, where
it finds Kubernetes, or the job type's own contract."""

from __future__ import annotations

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes.fieldtable import validate_request

from .builders import REGISTRY, container_request, timer_request


def env_violations(req: pb.ScheduleJobRequest) -> dict[str, str]:
    return {v.field: v.description for v in validate_request(req, REGISTRY)}


def container_env(name: str) -> dict[str, str]:
    return env_violations(container_request(container={"image": "busybox", "env": {name: "x"}}))


@pytest.mark.parametrize(
    "name", ["PATH", "HOME", "_private", "a", "LOG_LEVEL", "APP_PORT", "HTTP_PORT", "LDAP_URL"]
)
def test_ordinary_names_are_accepted(name: str) -> None:
    assert container_env(name) == {}


@pytest.mark.parametrize("name", [".", "..x", "-x", "a.b", "a-b", "1abc", "é", "A B", "A=B", ""])
def test_names_that_are_not_c_identifiers_are_refused(name: str) -> None:
    assert container_env(name) == {
        f'container_job.env["{name}"]': "variable name must be a C identifier: letters, digits "
        "and '_', not starting with a digit"
    }


@pytest.mark.parametrize(
    "name",
    [
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_AUDIT",
        "DYLD_INSERT_LIBRARIES",
        "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT",
        "KUBERNETES_SERVICE_PORT_HTTPS",
        "KUBERNETES_PORT",
        "KUBERNETES_PORT_443_TCP_ADDR",
        "REDIS_SERVICE_HOST",
        "REDIS_SERVICE_PORT",
        "REDIS_SERVICE_PORT_CLIENT",
        "REDIS_PORT_6379_TCP",
        "REDIS_PORT_6379_TCP_ADDR",
        "REDIS_PORT_53_UDP_PROTO",
    ],
)
def test_deny_listed_names_are_refused_for_every_job_type(name: str) -> None:
    (description,) = container_env(name).values()
    assert description.startswith("is reserved:"), description
    timer = timer_request(timer={"env": {name: "x"}})
    assert list(env_violations(timer)) == [f'timer_job.env["{name}"]']


@pytest.mark.parametrize(
    "name",
    [
        "TIMER_DURATION_SECONDS",
        "TIMER_NAME",
        "CONTROL_PLANE_ENDPOINT",
        "TIMER_ID",
        "LOG_LEVEL",
        "LOG_FORMAT",
    ],
)
def test_the_timer_runners_contract_cannot_be_set(name: str) -> None:
    timer = timer_request(timer={"env": {name: "x"}})
    assert env_violations(timer) == {
        f'timer_job.env["{name}"]': "is part of this job type's contract and cannot be set here"
    }
