"""A ResourceQuota's 403 is RESOURCE_EXHAUSTED, not a missing permission or a precondition."""

from __future__ import annotations

from jobscheduler import errors
from jobscheduler.kube.errors import parse_status, to_domain_error


def test_an_exceeded_quota_is_resource_exhausted_and_names_the_quota() -> None:
    body = (
        '{"kind":"Status","status":"Failure","reason":"Forbidden","code":403,"message":'
        '"jobs.batch \\"j\\" is forbidden: exceeded quota: compute, requested: requests.cpu=2, '
        'used: requests.cpu=1, limited: requests.cpu=2"}'
    )
    error = to_domain_error(parse_status(403, body, None), "jobs team-a/j")
    assert isinstance(error, errors.ResourceExhausted)
    assert "exceeded quota: compute, requested: requests.cpu=2" in str(error)


def test_a_403_without_a_refusal_is_still_a_permission_problem() -> None:
    body = '{"kind":"Status","reason":"Forbidden","code":403,"message":"jobs is forbidden: User"}'
    error = to_domain_error(parse_status(403, body, None), "jobs team-a/j")
    assert isinstance(error, errors.PermissionDenied)
