"""Transports against a local mutual-TLS server: headers, 307, retries, idempotency, trust_env."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

import airflow_sm_provider.client.transport as tmod
from airflow_sm_provider import protocol
from airflow_sm_provider.client.budget import RequestBudget
from airflow_sm_provider.client.credentials import load_credentials
from airflow_sm_provider.client.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ExclusiveAccessError,
    NotFoundError,
    ServerError,
    ThrottledError,
    TransportError,
    explain_connection_failure,
)
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.transport import ApiRequest, AsyncTransport, Transport

SUB = "11111111-2222-3333-4444-555555555555"
ERR = (
    '<Error xmlns="http://schemas.microsoft.com/windowsazure" '
    'xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Code>{code}</Code><Message>{msg}</Message></Error>'
)


def err(code: str, msg: str) -> bytes:
    return ERR.format(code=code, msg=msg).encode()


@dataclass
class Reply:
    """What the test server answers (duck-typed by conftest's TlsServer)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0


class Sleeps:
    """Records the retry sleeps instead of sleeping (keeps the suite fast)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    s = Sleeps()
    monkeypatch.setattr(tmod, "_sleep", s)
    monkeypatch.setattr(tmod, "_asleep", s.asleep)
    return s


POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=2.0, jitter=False)
KINDS = ["sync", "async"]


def send(kind: str, server: Any, pki: Any, *reqs: ApiRequest, **kw: Any) -> list[Any]:
    """Send ``reqs`` over one transport; each result is an ApiResponse or the exception raised."""
    args: dict[str, Any] = {
        "host": server.host,
        "subscription_id": SUB,
        "credentials": load_credentials(pki.client_pem),
        "ca_bundle": pki.ca_pem,
        "retry": POLICY,
        "timeout": 5.0,
        # These tests are about the plan's retries (recorded, not slept); the budget has its own.
        "budget": RequestBudget(None),
    }
    args.update(kw)
    if kind == "sync":
        out: list[Any] = []
        with Transport(**args) as t:
            for r in reqs:
                try:
                    out.append(t.send(r))
                except Exception as exc:
                    out.append(exc)
        return out

    async def main() -> list[Any]:
        res: list[Any] = []
        async with AsyncTransport(**args) as t:
            for r in reqs:
                try:
                    res.append(await t.send(r))
                except Exception as exc:
                    res.append(exc)
        return res

    return asyncio.run(main())


GET = ApiRequest("GET", "/services/hostedservices")
POST = ApiRequest("POST", "/services/hostedservices", b"<CreateHostedService/>", idempotent=False)


@pytest.mark.parametrize("kind", KINDS)
def test_headers_path_and_client_certificate(kind: str, tls_server: Any, pki: Any) -> None:
    tls_server.script(Reply(200, b"<HostedServices/>", {"x-ms-request-id": "ab" * 16}), Reply(201))
    get, post = send(kind, tls_server, pki, GET, ApiRequest("POST", "/x", b"<a/>", x_ms_version="2015-04-01"))
    assert get.status == 200 and get.body == b"<HostedServices/>" and get.request_id == "ab" * 16
    assert post.status == 201
    g, p = tls_server.seen
    assert g.method == "GET" and g.path == f"/{SUB}/services/hostedservices"
    assert g.headers["x-ms-version"] == protocol.DEFAULT_X_MS_VERSION
    assert g.headers["user-agent"].startswith("airflow-sm-provider/")
    assert "content-type" not in g.headers
    assert p.headers["x-ms-version"] == "2015-04-01"
    assert p.headers["content-type"] == "application/xml" and p.headers["content-length"] == "4"
    assert p.body == b"<a/>"
    assert g.client_cert_der == pki.client_cert.public_bytes(Encoding.DER)


@pytest.mark.parametrize("kind", KINDS)
def test_bodiless_delete_sends_content_length_zero(kind: str, tls_server: Any, pki: Any) -> None:
    send(kind, tls_server, pki, ApiRequest("DELETE", "/services/hostedservices/x"))
    assert tls_server.seen[0].headers.get("content-length") == "0"


@pytest.mark.parametrize("kind", KINDS)
def test_307_followed_with_same_method_and_body(kind: str, tls_server: Any, pki: Any) -> None:
    loc = f"https://{tls_server.host}/{SUB}/elsewhere"
    tls_server.script(
        Reply(307, headers={"Location": loc}), Reply(202, headers={"x-ms-request-id": "c" * 32})
    )
    (resp,) = send(kind, tls_server, pki, POST)
    assert resp.status == 202 and resp.request_id == "c" * 32
    first, second = tls_server.seen
    assert second.method == "POST" and second.path == f"/{SUB}/elsewhere" and second.body == first.body
    assert second.client_cert_der == first.client_cert_der


@pytest.mark.parametrize("kind", KINDS)
def test_307_loop_stops(kind: str, tls_server: Any, pki: Any) -> None:
    loc = f"https://{tls_server.host}/{SUB}/loop"
    tls_server.script(*[Reply(307, headers={"Location": loc}) for _ in range(10)])
    (exc,) = send(kind, tls_server, pki, GET, retry=RetryPolicy.none())
    assert isinstance(exc, TransportError) and "redirects" in str(exc)
    assert len(tls_server.seen) == 4


RETRYABLE = [
    (429, err("TooManyRequests", protocol.MSG_THROTTLED), ThrottledError),
    (503, err("ServerBusy", protocol.MSG_SERVER_BUSY), ThrottledError),
    (500, err("InternalError", protocol.MSG_INTERNAL), ServerError),
    (409, err("ConflictError", protocol.MSG_EXCLUSIVE_ACCESS), ExclusiveAccessError),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("status", "body", "cls"), RETRYABLE, ids=["429", "503", "500", "409-exclusive"])
def test_retryable_status_retried_honouring_retry_after(
    kind: str, status: int, body: bytes, cls: type, tls_server: Any, pki: Any, sleeps: Sleeps
) -> None:
    tls_server.script(Reply(status, body, {"Retry-After": "7"}), Reply(status, body), Reply(200, b"<ok/>"))
    (resp,) = send(kind, tls_server, pki, GET)
    assert resp.status == 200
    assert len(tls_server.seen) == 3
    assert sleeps.calls == [7.0, 1.0]  # Retry-After wins; then the back-off's second step


@pytest.mark.parametrize("kind", KINDS)
def test_retries_give_up_after_max_attempts(kind: str, tls_server: Any, pki: Any, sleeps: Sleeps) -> None:
    tls_server.script(*[Reply(503, err("ServerBusy", "busy")) for _ in range(6)])
    (exc,) = send(kind, tls_server, pki, GET)
    assert isinstance(exc, ThrottledError) and exc.status_code == 503
    assert len(tls_server.seen) == POLICY.max_attempts
    assert sleeps.calls == [0.5, 1.0, 2.0]


NOT_RETRYABLE = [
    (400, err("BadRequest", "The image name is invalid."), BadRequestError),
    (403, err("ForbiddenError", protocol.MSG_FORBIDDEN), AuthenticationError),
    (404, err("ResourceNotFound", protocol.MSG_HOSTED_SERVICE_NOT_FOUND), NotFoundError),
    (409, err("ConflictError", protocol.MSG_DNS_TAKEN), ConflictError),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("status", "body", "cls"), NOT_RETRYABLE, ids=["400", "403", "404", "409"])
def test_other_4xx_not_retried(
    kind: str, status: int, body: bytes, cls: type, tls_server: Any, pki: Any, sleeps: Sleeps
) -> None:
    tls_server.script(Reply(status, body, {"x-ms-request-id": "d" * 32}))
    (exc,) = send(kind, tls_server, pki, GET)
    assert type(exc) is cls and exc.status_code == status and exc.request_id == "d" * 32
    assert len(tls_server.seen) == 1 and sleeps.calls == []


@pytest.mark.parametrize("kind", KINDS)
def test_post_not_resent_after_500(kind: str, tls_server: Any, pki: Any, sleeps: Sleeps) -> None:
    tls_server.script(Reply(500, err("InternalError", protocol.MSG_INTERNAL)))
    (exc,) = send(kind, tls_server, pki, POST)
    assert isinstance(exc, ServerError)
    assert len(tls_server.seen) == 1 and sleeps.calls == []


@pytest.mark.parametrize("kind", KINDS)
def test_post_not_resent_after_dropped_connection(
    kind: str, tls_server: Any, pki: Any, sleeps: Sleeps
) -> None:
    tls_server.script(Reply(drop=True))
    (exc,) = send(kind, tls_server, pki, POST)
    assert isinstance(exc, TransportError) and exc.ambiguous
    assert "not re-sent" in str(exc)
    assert len(tls_server.seen) == 1 and sleeps.calls == []


@pytest.mark.parametrize("kind", KINDS)
def test_get_retried_after_dropped_connection(kind: str, tls_server: Any, pki: Any, sleeps: Sleeps) -> None:
    tls_server.script(Reply(drop=True), Reply(200, b"<ok/>"))
    (resp,) = send(kind, tls_server, pki, GET)
    assert resp.status == 200 and len(tls_server.seen) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_post_read_timeout_is_ambiguous(kind: str, tls_server: Any, pki: Any, sleeps: Sleeps) -> None:
    tls_server.script(Reply(202, delay=1.0))
    (exc,) = send(kind, tls_server, pki, POST, timeout=0.2)
    assert isinstance(exc, TransportError) and exc.ambiguous
    assert len(tls_server.seen) == 1


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("status", "body"), [r[:2] for r in RETRYABLE if r[0] != 500], ids=["429", "503", "409"]
)
def test_post_retried_when_server_clearly_refused(
    kind: str, status: int, body: bytes, tls_server: Any, pki: Any, sleeps: Sleeps
) -> None:
    tls_server.script(Reply(status, body), Reply(202))
    (resp,) = send(kind, tls_server, pki, POST)
    assert resp.status == 202 and len(tls_server.seen) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_connection_refused_explained_and_retried(kind: str, pki: Any, sleeps: Sleeps) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    class Dead:
        host = f"127.0.0.1:{port}"

    (exc,) = send(kind, Dead, pki, POST)
    assert isinstance(exc, TransportError) and not exc.ambiguous
    assert "connection refused" in str(exc) and "emulator" in str(exc)
    assert len(sleeps.calls) == POLICY.max_attempts - 1  # refused before sending: safe to retry


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_server_ca_says_set_ca_bundle(
    kind: str, tls_server: Any, pki: Any, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The system trust store does not know the test CA; and REQUESTS_CA_BUNDLE must not matter.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca_pem))
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent")
    (exc,) = send(kind, tls_server, pki, GET, ca_bundle=None)
    assert isinstance(exc, TransportError) and "ca_bundle" in str(exc)
    assert sleeps.calls == []  # TLS trust problems are not retried


@pytest.mark.parametrize("kind", KINDS)
def test_untrusted_server_names_the_ignored_ca_variables(
    kind: str, tls_server: Any, pki: Any, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ported script that relied on REQUESTS_CA_BUNDLE: the variables stay ignored (issue #11),
    but the failure says which are set and what to pass instead; one error, not four chained."""
    import ssl

    system = ssl.get_default_verify_paths().openssl_cafile
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca_pem))
    monkeypatch.setenv("AZURE_MANAGEMENT_CA_BUNDLE", str(pki.ca_pem))
    monkeypatch.setenv("CURL_CA_BUNDLE", system)  # the system store's own file: nothing to say
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    (exc,) = send(kind, tls_server, pki, GET, ca_bundle=None)
    text = str(exc)
    assert isinstance(exc, TransportError) and not exc.retryable
    assert "not signed by a trusted CA" in text
    assert f"REQUESTS_CA_BUNDLE and AZURE_MANAGEMENT_CA_BUNDLE='{pki.ca_pem}' are set but ignored" in text
    assert f"pass ca_bundle='{pki.ca_pem}'" in text
    assert "CURL_CA_BUNDLE" not in text and "BEGIN" not in text  # a path, never the file
    assert exc.__cause__ is None and exc.__suppress_context__  # one error in the traceback
    assert exc.cause is not None  # the library's exception, for diagnosis


@pytest.mark.parametrize("kind", KINDS)
def test_untrusted_server_with_a_ca_bundle_names_it_and_the_variables(
    kind: str, tls_server: Any, pki: Any, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from testpki import cert_pem, make_cert, rsa_key

    other = tmp_path / "other-ca.pem"
    other.write_bytes(cert_pem(make_cert(rsa_key(2048, 7), "other-ca", ca=True)))
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_pem))  # with ca_bundle set, OpenSSL's is ignored too
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.delenv("AZURE_MANAGEMENT_CA_BUNDLE", raising=False)
    (exc,) = send(kind, tls_server, pki, GET, ca_bundle=str(other))
    text = str(exc)
    assert f"not signed by a CA of the given ca_bundle ('{other}')" in text
    assert (
        f"SSL_CERT_FILE='{pki.ca_pem}' is set but ignored by this client (it trusts exactly ca_bundle)"
        in text
    )


def test_ssl_cert_file_without_ca_bundle_is_the_system_store(
    tls_server: Any, pki: Any, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """OpenSSL reads SSL_CERT_FILE as the system store, so without ca_bundle it was not ignored:
    the message must not claim it was."""
    empty = tmp_path / "none.pem"
    empty.write_text("")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AZURE_MANAGEMENT_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    (exc,) = send("sync", tls_server, pki, GET, ca_bundle=None)
    assert f"SSL_CERT_FILE='{empty}' is the system store here" in str(exc)
    assert "ignored" not in str(exc)


@pytest.mark.parametrize("kind", KINDS)
def test_trust_env_ignored(kind: str, tls_server: Any, pki: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    (resp,) = send(kind, tls_server, pki, GET)
    assert resp.status == 200


@pytest.mark.parametrize(
    ("text", "expect", "retryable"),
    [
        ("[SSL: CERTIFICATE_VERIFY_FAILED] unable to get local issuer certificate", "ca_bundle", False),
        ("Hostname mismatch, certificate is not valid for 'x'", "not issued for", False),
        ("[SSL: EE_KEY_TOO_SMALL] ee key too small", "rsa:2048", False),
        ("[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca", "registered on the subscription", False),
        ("[Errno 111] Connection refused", "emulator", True),
        ("Failed to resolve 'nohost' ([Errno -2] Name or service not known)", "resolve the host", True),
    ],
)
def test_failures_below_http_are_explained(text: str, expect: str, retryable: bool) -> None:
    message, can_retry = explain_connection_failure("h:1", text, 5.0)
    assert expect in message and can_retry is retryable


@pytest.mark.parametrize("kind", KINDS)
def test_verify_false_warns(kind: str, tls_server: Any, pki: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "airflow_sm_provider.client"):
        (resp,) = send(kind, tls_server, pki, GET, ca_bundle=None, verify=False)
    assert resp.status == 200
    assert [r for r in caplog.records if "verify=False" in r.getMessage()]


def test_debug_log_has_request_id_not_body(
    tls_server: Any, pki: Any, caplog: pytest.LogCaptureFixture
) -> None:
    tls_server.script(Reply(200, b"<Secret>k3y</Secret>", {"x-ms-request-id": "e" * 32}))
    with caplog.at_level(logging.DEBUG, "airflow_sm_provider.client"):
        send("sync", tls_server, pki, ApiRequest("POST", "/x", b"<Password>hunter2</Password>"))
    text = caplog.text
    assert "e" * 32 in text and "POST /x -> 200" in text
    assert "hunter2" not in text and "k3y" not in text


def test_keep_alive_reuses_one_connection(tls_server: Any, pki: Any) -> None:
    send("sync", tls_server, pki, GET, GET, GET)
    assert len(tls_server.seen) == 3
    assert len(tls_server.peers) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_drivers_send_their_librarys_headers_and_keep_no_cookies(
    kind: str, tls_server: Any, pki: Any
) -> None:
    """Both drivers skip their library's session layer (``Session.request``, ``AsyncClient.send``):
    the headers on the wire are still what that layer sent (sync: requests' Accept-Encoding,
    keep-alive, no catch-all Accept; async: httpx's defaults), and no cookie jar exists, so a
    ``Set-Cookie`` is never sent back."""
    import httpx
    import requests

    tls_server.script(Reply(200, b"<a/>", {"Set-Cookie": "affinity=1; Path=/"}), Reply(200, b"<a/>"))
    send(kind, tls_server, pki, GET, GET)
    first, second = tls_server.seen
    defaults = (
        {k.lower(): v for k, v in requests.utils.default_headers().items() if k != "Accept"}
        if kind == "sync"
        else dict(httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200))).headers)
    )
    for seen in (first, second):
        for name, value in defaults.items():
            if name != "user-agent":
                assert seen.headers[name] == value, name
        assert ("accept" in seen.headers) is (kind == "async")
        assert seen.headers["user-agent"].startswith("airflow-sm-provider/")
    assert "cookie" not in second.headers


@pytest.mark.parametrize("kind", KINDS)
def test_a_raw_non_ascii_path_is_percent_encoded_as_utf8(kind: str, tls_server: Any, pki: Any) -> None:
    """perform_* paths are the caller's text: both drivers send them requoted, as requests would."""
    tls_server.script(Reply(200, b"<a/>"))
    send(kind, tls_server, pki, ApiRequest("GET", "/services/hostedservices/名前"))
    assert tls_server.seen[0].path == f"/{SUB}/services/hostedservices/%E5%90%8D%E5%89%8D"


class ConnectProxy:
    """A minimal HTTPS forward proxy: answers CONNECT, then pipes bytes both ways (no TLS here)."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []  # the request line of each CONNECT
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        self.requests.append(head.split(b"\r\n", 1)[0])
        host, _, port = head.split(b" ", 2)[1].decode().rpartition(":")
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)

    def close(self) -> None:
        self._listener.close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for end in (src, dst):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@pytest.mark.parametrize("kind", KINDS)
def test_an_https_proxy_tunnels_the_mutual_tls_request(kind: str, tls_server: Any, pki: Any) -> None:
    """``proxies={"https": ...}`` reaches the driver's pool: one CONNECT to the management host,
    and the request inside the tunnel still carries the client certificate."""
    proxy = ConnectProxy()
    try:
        tls_server.script(Reply(200, b"<HostedServices/>"))
        (got,) = send(kind, tls_server, pki, GET, proxies={"https": proxy.url})
    finally:
        proxy.close()
    assert not isinstance(got, Exception), got
    assert got.body == b"<HostedServices/>"
    assert [line.rsplit(b" ", 1)[0] for line in proxy.requests] == [f"CONNECT {tls_server.host}".encode()]
    assert tls_server.seen[0].client_cert_der == pki.client_cert.public_bytes(Encoding.DER)


def test_the_test_server_serves_others_while_one_client_stalls_in_its_handshake(
    tls_server: Any, pki: Any
) -> None:
    # The harness itself: a connection that never starts TLS must not block the server (it did:
    # the handshake ran in accept(), and a stalled pool-wait client hung `make test` for 300 s).
    host, port = tls_server.host.rsplit(":", 1)
    with socket.create_connection((host, int(port))):
        (resp,) = send("sync", tls_server, pki, GET)
    assert resp.status == 200
