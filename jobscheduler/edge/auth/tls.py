"""TLS for the gRPC port, reloaded from disk, and the identity a client certificate carries.

The certificate files are read again whenever they change (cert-manager rotates them in place),
as kube-rbac-proxy's ``pkg/tls/reloader.go`` does: gRPC asks our fetcher on each new
handshake, and the fetcher answers with a new configuration only when a file's modification
time or size changed; open connections keep the certificate they started with.
With a client CA, clients must present a certificate it signed: the user is its subject's
Common Name and the groups its Organizations, as Kubernetes reads client certificates.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.x509.oid import NameOID

from jobscheduler.edge.auth.identity import Identity
from jobscheduler.logs import get_logger

log = get_logger("jobscheduler.edge.tls")


def _stamp(paths: list[Path]) -> tuple[tuple[int, int], ...]:
    stamps = []
    for path in paths:
        stat = os.stat(path)
        stamps.append((stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


class ReloadingCredentials:
    def __init__(self, cert_file: str, key_file: str, client_ca_file: str | None) -> None:
        self._cert = Path(cert_file)
        self._key = Path(key_file)
        self._ca = Path(client_ca_file) if client_ca_file else None
        self._paths = [p for p in (self._cert, self._key, self._ca) if p is not None]
        self._lock = threading.Lock()
        self._stamp = _stamp(self._paths)
        self.reloads = 0
        self._initial = self._configuration()

    @property
    def requires_client_certificates(self) -> bool:
        return self._ca is not None

    def _configuration(self) -> Any:
        return grpc.ssl_server_certificate_configuration(
            [(self._key.read_bytes(), self._cert.read_bytes())],
            root_certificates=self._ca.read_bytes() if self._ca else None,
        )

    def _fetch(self) -> Any:
        """Called by gRPC on each handshake: a new configuration, or None for "unchanged"."""
        with self._lock:
            try:
                stamp = _stamp(self._paths)
                if stamp == self._stamp:
                    return None
                configuration = self._configuration()
            except (OSError, ValueError) as exc:
                # Half-written during a rotation: keep serving the old one, try next time.
                log.warning("cannot reload the TLS certificate yet", error=str(exc))
                return None
            self._stamp = stamp
            self.reloads += 1
            log.info("TLS certificate reloaded", cert_file=str(self._cert))
            return configuration

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            self._initial,
            self._fetch,
            require_client_authentication=self.requires_client_certificates,
        )


def certificate_identity(context: grpc.ServicerContext) -> Identity | None:
    """The identity of the client certificate gRPC verified for this call, if any."""
    auth = context.auth_context() or {}
    pems = auth.get("x509_pem_cert")
    if not pems:
        return None
    certificate = x509.load_pem_x509_certificate(pems[0])
    subject = certificate.subject
    names = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return None
    groups = tuple(str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
    return Identity(user=str(names[0].value), groups=groups, via="certificate")
