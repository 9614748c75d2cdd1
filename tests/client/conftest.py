"""Test PKI minted at run time (no key is committed) and a tiny scripted mutual-TLS server.

``pki`` gives a CA, a server certificate for 127.0.0.1 and a client certificate signed by the
CA, written to a temp dir. ``tls_server`` is a stdlib ``http.server`` over TLS that requires a
client certificate from that CA and answers from a script of canned responses, recording every
request it saw -- enough to test headers, 307, retries and idempotency without the emulator.
``ports`` pairs the old SDK's client with ours on the session emulator (``ported.py``).
"""

from __future__ import annotations

import http.server
import queue
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from testpki import NOW, TlsHTTPServer, cert_pem, key_pem, make_cert, rsa_key


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
        self.httpd = TlsHTTPServer(Handler, ctx)
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


@pytest.fixture(scope="module")
def ports(asm_emulator: Any) -> Iterator[list[Any]]:
    """The old SDK's client and ours on the session emulator, for the ported-idiom tests
    (``ported.Port``: the names a script imported, its client, the emulator)."""
    from ported import ported_clients

    with ported_clients(asm_emulator) as made:
        yield made
