"""Hostile responses: the client faces a small HTTPS server on 127.0.0.1 that answers badly on purpose.

Entity bombs, external entities, huge and endless bodies, truncated or malformed XML, a wrong
content type, an HTML page from a proxy, a server that never answers or drips bytes forever. Each
must end in a clear ``AsmError`` (never a hang, never an lxml or requests exception leaking out)
with bounded memory. Memory is measured where it matters (the body-size attacks) as the peak RSS
growth of a child process that makes the one call.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from relkit import cert_pem, key_pem, make_cert, rsa_key, server_pki
from testpki import TlsHTTPServer

from airflow_sm_provider.client import ServiceManagementClient
from airflow_sm_provider.client.errors import AsmError, InvalidResponseError, ServerError, TransportError

SUB = "11111111-2222-3333-4444-555555555555"
NS = 'xmlns="http://schemas.microsoft.com/windowsazure"'
GOOD_SERVICE = (
    f"<HostedService {NS}><Url>https://x/svc</Url><ServiceName>svc</ServiceName>"
    "<HostedServiceProperties><Description/><Location>West Europe</Location>"
    "<Label>bGFiZWw=</Label><Status>Created</Status></HostedServiceProperties></HostedService>"
).encode()

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + f"]><HostedService {NS}><ServiceName>&lol9;</ServiceName></HostedService>".encode()
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + f"<HostedService {NS}><ServiceName>&xxe;</ServiceName></HostedService>".encode()
)
# The DOCTYPE hidden behind 8 KB of comment, past any "first bytes" sniffing.
XXE_LATE = (
    b"<!--" + b"x" * 8192 + b'--><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + f"<HostedService {NS}><ServiceName>&xxe;</ServiceName></HostedService>".encode()
)  # fmt: skip
HTML_502 = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
    b"Gateway</h1></center><hr><center>nginx</center></body></html>"
)


@dataclass
class Behaviour:
    """What the server does with the next request."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/xml; charset=utf-8"
    stream_bytes: int = 0  # stream this many bytes of junk XML, chunked (no Content-Length)
    hang: bool = False  # read the request, never answer
    drip_seconds: float = 0.0  # send headers, then one byte every 0.2 s for this long, then the body


class HostileServer:
    """A TLS HTTP/1.1 server answering every request per ``self.behaviour``; counts requests."""

    def __init__(self, pki_dir: Path) -> None:
        self.pki = server_pki(pki_dir)
        self.behaviour = Behaviour()
        self.requests = 0
        self.stop_event = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests += 1
                b = server.behaviour
                if b.hang:
                    server.stop_event.wait(120)
                    self.close_connection = True
                    return
                self.send_response(b.status)
                self.send_header("Content-Type", b.content_type)
                self.send_header("x-ms-request-id", "0" * 32)
                try:
                    if b.stream_bytes:
                        self._stream(b.stream_bytes)
                    elif b.drip_seconds:
                        self._drip(b)
                    else:
                        self.send_header("Content-Length", str(len(b.body)))
                        self.end_headers()
                        self.wfile.write(b.body)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                    self.close_connection = True

            def _stream(self, total: int) -> None:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                head = f"<HostedService {NS}><Description>".encode()
                chunk = b"A" * (1 << 20)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(head), head))
                sent = 0
                while sent < total and not server.stop_event.is_set():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sent += len(chunk)
                tail = b"</Description></HostedService>"
                self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(tail), tail))

            def _drip(self, b: Behaviour) -> None:
                body = b" " * int(b.drip_seconds / 0.2) + GOOD_SERVICE
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for i in range(int(b.drip_seconds / 0.2)):
                    if server.stop_event.wait(0.2):
                        return
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                self.wfile.write(body[int(b.drip_seconds / 0.2) :])

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.pki.server_pem)
        ctx.verify_mode = ssl.CERT_NONE  # the client presents a certificate; we do not care which
        self.httpd = TlsHTTPServer(Handler, ctx)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def client_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = rsa_key(2048, 4)
    path = tmp_path_factory.mktemp("hostile-client") / "client.pem"
    path.write_bytes(cert_pem(make_cert(key, "hostile-client")) + key_pem(key))
    return path


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[HostileServer]:
    server = HostileServer(tmp_path)
    try:
        yield server
    finally:
        server.close()


def _sync_call(server: HostileServer, pem: Path, timeout: float = 10.0) -> Any:
    from airflow_sm_provider.client.retry import RetryPolicy

    with ServiceManagementClient(
        SUB, pem, server.host, ca_bundle=server.pki.ca_pem, timeout=timeout, retry=RetryPolicy(max_attempts=1)
    ) as client:
        return client.get_hosted_service_properties("svc")


def _async_call(server: HostileServer, pem: Path, timeout: float = 10.0) -> Any:
    from airflow_sm_provider.client.aio import AsyncServiceManagementClient
    from airflow_sm_provider.client.retry import RetryPolicy

    async def go() -> Any:
        async with AsyncServiceManagementClient(
            SUB,
            pem,
            server.host,
            ca_bundle=server.pki.ca_pem,
            timeout=timeout,
            retry=RetryPolicy(max_attempts=1),
        ) as client:
            return await client.get_hosted_service_properties("svc")

    return asyncio.run(go())


CALLS: dict[str, Callable[..., Any]] = {"sync": _sync_call, "async": _async_call}


@pytest.fixture(params=sorted(CALLS))
def call(request: pytest.FixtureRequest) -> Callable[..., Any]:
    return CALLS[request.param]


def test_server_answers_well_formed_xml(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    """The control case: the same server with a good body is read fine (so the others test parsing)."""
    hostile.behaviour = Behaviour(body=GOOD_SERVICE)
    assert call(hostile, client_pem).service_name == "svc"


def test_billion_laughs_refused(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    hostile.behaviour = Behaviour(body=BILLION_LAUGHS)
    with pytest.raises(InvalidResponseError) as info:
        call(hostile, client_pem)
    assert "DOCTYPE" in str(info.value) or "entities" in str(info.value)
    assert "lollol" not in str(info.value)


def test_external_entity_not_resolved(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    hostile.behaviour = Behaviour(body=XXE)
    with pytest.raises(InvalidResponseError) as info:
        call(hostile, client_pem)
    assert "root:" not in str(info.value)


def test_external_entity_behind_long_prefix_not_resolved(
    hostile: HostileServer, client_pem: Path, call: Any
) -> None:
    """A DOCTYPE past the first 4 KB must not slip through: refused, or at least never expanded."""
    hostile.behaviour = Behaviour(body=XXE_LATE)
    try:
        result = call(hostile, client_pem)
    except InvalidResponseError as exc:
        assert "root:" not in str(exc)
    else:
        assert "root:" not in result.service_name, "file:///etc/passwd was read into the response"


def test_truncated_xml(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    hostile.behaviour = Behaviour(body=GOOD_SERVICE[: len(GOOD_SERVICE) // 2])
    with pytest.raises(InvalidResponseError, match="not well-formed"):
        call(hostile, client_pem)


def test_malformed_xml(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    hostile.behaviour = Behaviour(body=b"<HostedService><ServiceName>a</Wrong></HostedService>")
    with pytest.raises(InvalidResponseError, match="not well-formed"):
        call(hostile, client_pem)


def test_empty_body(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    hostile.behaviour = Behaviour(body=b"")
    with pytest.raises(InvalidResponseError, match="empty"):
        call(hostile, client_pem)


def test_wrong_content_type_json(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    hostile.behaviour = Behaviour(body=b'{"ServiceName": "svc"}', content_type="application/json")
    with pytest.raises(InvalidResponseError):
        call(hostile, client_pem)


def test_unexpected_xml_root(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    """Well-formed XML of the wrong kind (e.g. a captive portal's XML) is not silently accepted."""
    hostile.behaviour = Behaviour(body=b"<Portal><Login>please</Login></Portal>")
    with pytest.raises(InvalidResponseError):
        call(hostile, client_pem)


def test_html_page_with_200(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    hostile.behaviour = Behaviour(body=HTML_502.replace(b"502", b"Login"), content_type="text/html")
    with pytest.raises(InvalidResponseError, match="HTML"):
        call(hostile, client_pem)


def test_html_502_from_proxy(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    hostile.behaviour = Behaviour(status=502, body=HTML_502, content_type="text/html")
    with pytest.raises(ServerError) as info:
        call(hostile, client_pem)
    assert info.value.status_code == 502
    assert "502" in str(info.value) and "<html" not in str(info.value).lower()


def test_html_502_retries_are_bounded(hostile: HostileServer, client_pem: Path) -> None:
    """A proxy that keeps answering 502 is retried a bounded number of times (default attempts,
    short delays so the test is quick), then the ServerError is raised."""
    from airflow_sm_provider.client.retry import RetryPolicy

    hostile.behaviour = Behaviour(status=502, body=HTML_502, content_type="text/html")
    policy = RetryPolicy(base_delay=0.01, max_delay=0.05, jitter=False)
    with (
        ServiceManagementClient(
            SUB, client_pem, hostile.host, ca_bundle=hostile.pki.ca_pem, timeout=5, retry=policy
        ) as client,
        pytest.raises(ServerError),
    ):
        client.get_hosted_service_properties("svc")
    assert hostile.requests == policy.max_attempts


def test_hanging_server_times_out(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    hostile.behaviour = Behaviour(hang=True)
    with pytest.raises(TransportError) as info:
        call(hostile, client_pem, timeout=1.0)
    assert "no answer" in str(info.value) or "timed out" in str(info.value)
    assert hostile.host in str(info.value)


def test_server_silent_in_tls_handshake(client_pem: Path, tmp_path: Path) -> None:
    """A TCP listener that never speaks TLS: the handshake times out with a clear error."""
    from airflow_sm_provider.client.retry import RetryPolicy

    listener = socket.create_server(("127.0.0.1", 0))
    try:
        host = f"127.0.0.1:{listener.getsockname()[1]}"
        ca = tmp_path / "ca.pem"
        ca.write_bytes(cert_pem(make_cert(rsa_key(2048, 5), "ca", ca=True)))
        with ServiceManagementClient(
            SUB, client_pem, host, ca_bundle=ca, timeout=1.0, retry=RetryPolicy(max_attempts=1)
        ) as client, pytest.raises(TransportError) as info:  # fmt: skip
            client.list_locations()
        assert host in str(info.value)
    finally:
        listener.close()


def test_dripping_body_hits_the_timeout(hostile: HostileServer, client_pem: Path, call: Any) -> None:
    """One byte every 0.2 s for 4 s never trips a per-read timeout of 1 s; the request must still
    end at its timeout (design 1.1: ``timeout`` is per HTTP request) instead of waiting as long as
    the server likes. The server would finish with a good body: success means the client waited."""
    hostile.behaviour = Behaviour(drip_seconds=4.0)
    with pytest.raises(TransportError):
        call(hostile, client_pem, timeout=1.0)


# --- memory: body-size attacks, measured in a child process -------------------------------------
_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.retry import RetryPolicy
    sub, pem, host, ca, mode = sys.argv[1:6]
    def rss_kb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    client = ServiceManagementClient(sub, pem, host, ca_bundle=ca, timeout=20,
                                     retry=RetryPolicy(max_attempts=1))
    client.list_locations.__doc__  # warm up imports before the baseline
    import lxml.etree, requests  # noqa
    base = rss_kb()
    try:
        if mode == "async":
            import asyncio
            from airflow_sm_provider.client.aio import AsyncServiceManagementClient
            async def go():
                async with AsyncServiceManagementClient(
                    sub, pem, host, ca_bundle=ca, timeout=20, retry=RetryPolicy(max_attempts=1)
                ) as c:
                    return await c.get_hosted_service_properties("svc")
            asyncio.run(go())
        else:
            client.get_hosted_service_properties("svc")
        out = {"error": None}
    except Exception as exc:
        out = {"error": type(exc).__name__, "message": str(exc)[:300]}
    out["growth_mb"] = (rss_kb() - base) / 1024
    print("RESULT" + json.dumps(out))
    """
)


def _child(server: HostileServer, pem: Path, mode: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, SUB, str(pem), server.host, str(server.pki.ca_pem), mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line is not None, proc.stdout[-2000:] + proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(line[len("RESULT") :])
    return result


#: The parser refuses bodies over 50 MB; reading may buffer up to that, not the whole stream.
MAX_GROWTH_MB = 120


def test_billion_laughs_memory_bounded(hostile: HostileServer, client_pem: Path) -> None:
    hostile.behaviour = Behaviour(body=BILLION_LAUGHS)
    result = _child(hostile, client_pem, "sync")
    assert result["error"] == "InvalidResponseError", result
    assert result["growth_mb"] < 20, result


@pytest.mark.slow  # 200 MB through TLS: about 10-20 s per transport on a shared machine
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_huge_streamed_body_stops_at_the_limit(hostile: HostileServer, client_pem: Path, mode: str) -> None:
    """200 MB of chunked XML (no Content-Length): the client must stop reading near its limit."""
    hostile.behaviour = Behaviour(stream_bytes=200 * 2**20)
    result = _child(hostile, client_pem, mode)
    assert result["error"] == "InvalidResponseError", result
    assert "limit" in result["message"], result
    assert result["growth_mb"] < MAX_GROWTH_MB, result


def test_async_and_sync_agree_on_error_types(hostile: HostileServer, client_pem: Path) -> None:
    """Both transports raise AsmError subclasses only (never lxml/httpx/requests types)."""
    for behaviour in (Behaviour(body=XXE), Behaviour(status=502, body=HTML_502, content_type="text/html")):
        hostile.behaviour = behaviour
        kinds = []
        for mode in ("sync", "async"):
            try:
                CALLS[mode](hostile, client_pem)
            except AsmError as exc:
                kinds.append(type(exc).__name__)
        assert len(kinds) == 2 and kinds[0] == kinds[1], kinds
