"""One structured audit line per mutating RPC and per denial (logger ``jobscheduler.audit``).

Fields: time (the log line's timestamp), user, groups, source (peer address), namespace, rpc,
job_id, decision ("allow" | "deny"), code (gRPC) and request_id. Credentials are never
passed in, so they cannot be written.
"""

from __future__ import annotations

from jobscheduler.edge.auth.identity import Identity
from jobscheduler.logs import get_logger

log = get_logger("jobscheduler.audit")


def audit(
    *,
    identity: Identity,
    source: str,
    namespace: str,
    rpc: str,
    job_id: str,
    decision: str,
    code: str,
    request_id: str,
    reason: str = "",
) -> None:
    log.info(
        "audit",
        user=identity.user,
        groups=list(identity.groups),
        authenticated_by=identity.via,
        source=source,
        namespace=namespace,
        rpc=rpc,
        job_id=job_id or None,
        decision=decision,
        code=code,
        request_id=request_id,
        reason=reason or None,
    )
