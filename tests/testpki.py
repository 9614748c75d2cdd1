"""Test certificates minted at run time (never committed): keys, CA-signed or self-signed
certificates with chosen validity and SANs, PEM encodings. Shared by tests/client and
tests/reliability; the module name is unique in the test tree (pytest puts test dirs on sys.path).
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import ssl
import threading
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from airflow_sm_provider.emulator.certs import sign_certificate

NOW = dt.datetime.now(dt.timezone.utc)


@lru_cache(maxsize=8)
def rsa_key(bits: int = 2048, slot: int = 0) -> rsa.RSAPrivateKey:
    """RSA keys are slow to make; tests share a few, by (bits, slot)."""
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
    """A certificate for ``key`` (self-signed unless ``issuer``), made the emulator's one way."""
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=ca, path_length=None), True)
    ]
    if san_ip:
        names = [x509.IPAddress(ipaddress.ip_address(san_ip)), x509.DNSName("localhost")]
        extensions.append((x509.SubjectAlternativeName(names), False))
    return sign_certificate(
        key,
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]),
        not_before or NOW - dt.timedelta(days=1),
        not_after or NOW + dt.timedelta(days=30),
        extensions,
        issuer=(issuer[0].subject, issuer[1]) if issuer else None,
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: rsa.RSAPrivateKey, password: bytes | None = None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


class TlsHTTPServer(http.server.ThreadingHTTPServer):
    """A threading HTTPS test server that does each TLS handshake in its connection's own thread.

    Why: wrapping the listening socket makes ``accept()`` run every handshake in the one serve loop,
    so a client that connects and then stalls (a cancelled connect, a pool-limit test on a loaded
    machine) blocks all later connections and ``shutdown()`` until pytest's timeout. Here a stalled
    or failed handshake ends only its own connection (after ``handshake_timeout`` seconds).
    """

    daemon_threads = True

    def __init__(
        self,
        handler: type[http.server.BaseHTTPRequestHandler],
        ctx: ssl.SSLContext,
        handshake_timeout: float = 10.0,
    ) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.ctx = ctx
        self.handshake_timeout = handshake_timeout
        #: Seconds to wait before the handshake of each next connection, in the order they are
        #: accepted (``delay_handshakes``); a test's way to say "a new connection takes this long".
        self._handshake_delays: list[float] = []
        self._delay_of: dict[int, float] = {}

    def delay_handshakes(self, *seconds: float) -> None:
        """The next connections accepted wait ``seconds[i]`` before their TLS handshake."""
        self._handshake_delays.extend(seconds)

    def get_request(self) -> tuple[Any, Any]:
        request, client_address = super().get_request()  # the serve loop: accept order
        if self._handshake_delays:
            self._delay_of[request.fileno()] = self._handshake_delays.pop(0)
        return request, client_address

    def finish_request(self, request: Any, client_address: Any) -> None:
        delay = self._delay_of.pop(request.fileno(), 0.0)
        if delay:
            threading.Event().wait(delay)
        request.settimeout(self.handshake_timeout)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except OSError:  # ssl.SSLError is one: a refused, broken or stalled handshake
            return
        tls.settimeout(None)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()
