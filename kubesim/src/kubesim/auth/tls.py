"""A self-signed serving certificate, so kubectl sends its bearer token.

client-go attaches credentials only to TLS connections; over plain HTTP kubectl would always
be ``system:anonymous``. The embedded server therefore answers TLS and plain HTTP on the same
port (a connection opening with a TLS handshake record is served over TLS): the kubeconfig
names ``https://`` with this certificate as its authority, in-process tests keep ``http://``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import ipaddress
import os
import socket
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_TLS_HANDSHAKE = b"\x16"


class ServingCertificate:
    def __init__(self, host: str) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jobscheduler-embedded")])
        now = datetime.datetime.now(datetime.UTC)
        alternative: list[x509.GeneralName] = [x509.DNSName("localhost")]
        with contextlib.suppress(ValueError):
            alternative.append(x509.IPAddress(ipaddress.ip_address(host)))
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # load_cert_chain reads files only; the key file lives for the call alone.
        with tempfile.TemporaryDirectory(prefix="jobscheduler-embedded-tls-") as directory:
            path = os.path.join(directory, "serving.pem")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as file:
                file.write(self.certificate_pem + key_pem)
            self.context.load_cert_chain(path)

    @property
    def authority_data(self) -> str:
        """The kubeconfig's ``certificate-authority-data``."""
        return base64.b64encode(self.certificate_pem).decode()

    def accept(self, connection: socket.socket) -> socket.socket | None:
        """The connection to serve: TLS-wrapped if the client opened with a handshake, else
        as it is; None when the peer left or the handshake failed."""
        try:
            first = connection.recv(1, socket.MSG_PEEK)
            if first != _TLS_HANDSHAKE:
                return connection
            return self.context.wrap_socket(connection, server_side=True)
        except (OSError, ssl.SSLError):
            return None
