"""Test PKI minted at run time (no key is committed) and a tiny scripted mutual-TLS server.

``pki`` gives a CA, a server certificate for 127.0.0.1 and a client certificate signed by the
CA, written to a temp dir. ``tls_server`` is a stdlib ``http.server`` over TLS that requires a
client certificate from that CA and answers from a script of canned responses, recording every
request it saw -- enough to test headers, 307, retries and idempotency without the emulator.
"""

from __future__ import annotations

import datetime as dt
import http.server
import queue
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.timezone.utc)


@lru_cache(maxsize=8)
def rsa_key(bits: int = 2048, slot: int = 0) -> rsa.RSAPrivateKey:
    """RSA keys are slow to generate; tests share a few by (bits, slot)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def make_cert(
    key: rsa.RSAPrivateKey,
    cn: str = "mycert",
    *,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    san_ip: str | None = None,
    ca: bool = False,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(days=1))
        .not_valid_after(not_after or NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san_ip:
        import ipaddress

        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(san_ip)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA256())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: rsa.RSAPrivateKey, password: bytes | None = None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


@dataclass
class Pki:
    dir: Path
    ca_cert: x509.Certificate
    ca_key: rsa.RSAPrivateKey
    client_cert: x509.Certificate
    client_key: rsa.RSAPrivateKey
    ca_pem: Path
    server_pem: Path
    client_pem: Path  # certificate + key, the usual ASM form


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca_key = rsa_key(2048, 0)
    ca = make_cert(ca_key, "test-ca", ca=True)
    srv_key = rsa_key(2048, 1)
    srv = make_cert(srv_key, "127.0.0.1", issuer=(ca, ca_key), san_ip="127.0.0.1")
    cli_key = rsa_key(2048, 2)
    cli = make_cert(cli_key, "mycert", issuer=(ca, ca_key))
    (d / "ca.pem").write_bytes(cert_pem(ca))
    (d / "server.pem").write_bytes(cert_pem(srv) + key_pem(srv_key))
    (d / "client.pem").write_bytes(cert_pem(cli) + key_pem(cli_key))
    return Pki(d, ca, ca_key, cli, cli_key, d / "ca.pem", d / "server.pem", d / "client.pem")


# --- scripted TLS server -------------------------------------------------------------------------
@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (after reading the request)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_cert_der: bytes | None


class TlsServer:
    def __init__(self, pki: Pki) -> None:
        self.replies: queue.Queue[Reply] = queue.Queue()
        self.seen: list[Seen] = []
        self.peers: set[tuple[str, int]] = set()  # client (ip, port): one per TCP connection
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                peer = self.connection.getpeercert(binary_form=True)  # type: ignore[attr-defined]
                server.peers.add(self.client_address)
                server.seen.append(
                    Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, peer)
                )
                try:
                    reply = server.replies.get_nowait()
                except queue.Empty:
                    reply = Reply(200, b"<Ok/>")
                if reply.delay:
                    threading.Event().wait(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(reply.status)
                headers = {"x-ms-request-id": f"{len(server.seen):032x}", **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(pki.server_pem)
        ctx.load_verify_locations(cafile=pki.ca_pem)
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def script(self, *replies: Reply) -> None:
        for r in replies:
            self.replies.put(r)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def tls_server(pki: Pki) -> Iterator[TlsServer]:
    server = TlsServer(pki)
    try:
        yield server
    finally:
        server.close()


class CertKit:
    """The minting helpers, handed to tests as a fixture (tests/client has no package to import)."""

    NOW = NOW
    Pki = Pki
    Reply = Reply
    rsa_key = staticmethod(rsa_key)
    make_cert = staticmethod(make_cert)
    cert_pem = staticmethod(cert_pem)
    key_pem = staticmethod(key_pem)


@pytest.fixture(scope="session")
def kit() -> type[CertKit]:
    return CertKit
