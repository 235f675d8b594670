"""TLS on the gRPC port: client certificates as identities, and server certificates rotated
on disk picked up without a restart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError, TlsOptions

from .certs import Authority
from .conftest import auth_server
from .rbac import FakeReviewer, Grant


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Any]:
    server_ca, client_ca = Authority("server-ca"), Authority("client-ca")
    (tmp_path / "server-ca.crt").write_bytes(server_ca.cert_pem)
    (tmp_path / "client-ca.crt").write_bytes(client_ca.cert_pem)
    cert, key = server_ca.issue("jobscheduler", server=True).write(tmp_path, "server")
    alice_cert, alice_key = client_ca.issue("alice", ("developers",)).write(tmp_path, "alice")
    return {
        "dir": tmp_path,
        "settings": {
            "tls_cert_file": str(cert),
            "tls_key_file": str(key),
            "tls_client_ca_file": str(tmp_path / "client-ca.crt"),
        },
        "alice": TlsOptions(str(tmp_path / "server-ca.crt"), str(alice_cert), str(alice_key)),
        "no_cert": TlsOptions(str(tmp_path / "server-ca.crt")),
    }


@pytest.fixture
def reviewer() -> FakeReviewer:
    return FakeReviewer(grants=[Grant("developers", "default", ("list",), ("jobs",))])


def test_a_client_certificate_is_the_identity_and_one_is_required(
    cluster: Any, reviewer: FakeReviewer, pki: dict[str, Any]
) -> None:
    with auth_server(cluster, reviewer, **pki["settings"]) as server:
        target = f"localhost:{server.port}"
        with JobSchedulerClient(target, tls=pki["alice"], timeout=20) as alice:
            alice.list_jobs(pb.ListJobsRequest(namespace="default"))
            with pytest.raises(JobSchedulerRpcError) as denied:
                alice.schedule_job(
                    pb.ScheduleJobRequest(timer_job=pb.TimerJobConfig(duration_seconds=1))
                )
        assert denied.value.code is grpc.StatusCode.PERMISSION_DENIED
        assert "'alice' may not create jobs.batch" in denied.value.message
        with (
            JobSchedulerClient(target, tls=pki["no_cert"], timeout=5) as stranger,
            pytest.raises(JobSchedulerRpcError) as refused,
        ):
            stranger.list_job_types()
        assert refused.value.code is grpc.StatusCode.UNAVAILABLE  # the handshake fails
        with (
            JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=5) as plaintext,
            pytest.raises(JobSchedulerRpcError),
        ):
            plaintext.list_job_types()
    assert reviewer.calls["tokenreviews"] == 0


def test_a_rotated_server_certificate_is_served_without_a_restart(
    cluster: Any, reviewer: FakeReviewer, pki: dict[str, Any]
) -> None:
    directory: Path = pki["dir"]
    with auth_server(cluster, reviewer, **pki["settings"]) as server:
        target = f"localhost:{server.port}"
        rotated_ca = Authority("rotated-ca")
        (directory / "rotated-ca.crt").write_bytes(rotated_ca.cert_pem)
        trusting_rotated = TlsOptions(
            str(directory / "rotated-ca.crt"), pki["alice"].cert_file, pki["alice"].key_file
        )
        with (
            JobSchedulerClient(target, tls=trusting_rotated, timeout=5) as early,
            pytest.raises(JobSchedulerRpcError),
        ):
            early.list_job_types()  # still the first certificate
        issued = rotated_ca.issue("jobscheduler", server=True)
        # As cert-manager does: new files moved into place (mtime changes).
        cert_path, key_path = (
            Path(pki["settings"]["tls_cert_file"]),
            Path(pki["settings"]["tls_key_file"]),
        )
        for path, data in ((key_path, issued.key_pem), (cert_path, issued.cert_pem)):
            staging = path.with_suffix(".new")
            staging.write_bytes(data)
            os.replace(staging, path)
        with JobSchedulerClient(target, tls=trusting_rotated, timeout=20) as late:
            assert late.list_job_types().job_types
