"""The network layer against a stub App: TLS + certificate auth, HTTP framing, keep-alive, admin API."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator import Emulator, read_endpoint
from airflow_sm_provider.emulator.certs import mint_client_certificate
from airflow_sm_provider.emulator.sessions import admin_session

Session = Callable[..., requests.Session]


def _url(ep: dict[str, str], path: str) -> str:
    return f"https://{ep['host']}{path}"


def _forbidden(resp: requests.Response) -> None:
    assert resp.status_code == 403
    assert resp.text == (
        f'<Error xmlns="{p.NS}" xmlns:i="{p.NS_I}"><Code>ForbiddenError</Code>'
        f"<Message>{p.MSG_FORBIDDEN}</Message></Error>"
    )
    assert len(resp.headers[p.HEADER_REQUEST_ID]) == 32


def _tls(ep: dict[str, str], cert: bool = True) -> ssl.SSLSocket:
    ctx = ssl.create_default_context(cafile=ep["ca_cert"])
    if cert:
        ctx.load_cert_chain(ep["client_pem"])
    host, port = ep["host"].rsplit(":", 1)
    return ctx.wrap_socket(socket.create_connection((host, int(port))), server_hostname=host)


def _read_response(sock: ssl.SSLSocket, buf: bytearray) -> tuple[bytes, bytes]:
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before a response"
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    buf[:] = rest[length:]
    return head, rest[:length]


def test_registered_certificate_is_authorised(stub_emulator: Emulator, session_for: Session) -> None:
    ep = stub_emulator.endpoint
    resp = session_for(ep).get(_url(ep, f"/{ep['subscription_id']}"))
    assert resp.status_code == 200
    assert f"<Sub>{ep['subscription_id']}</Sub>" in resp.text
    seen = stub_emulator.app.requests[-1]
    assert seen.client_cert_der is not None and seen.method == "GET"
    assert seen.server_host == ep["host"]


def test_unregistered_certificate_gets_403_not_a_tls_failure(
    stub_emulator: Emulator, session_for: Session, tmp_path: Path
) -> None:
    ep = stub_emulator.endpoint
    stranger = mint_client_certificate(common_name="stranger").write(tmp_path, "stranger")
    _forbidden(session_for(ep, cert=str(stranger)).get(_url(ep, f"/{ep['subscription_id']}")))


def test_expired_certificate_gets_403(stub_emulator: Emulator, session_for: Session, tmp_path: Path) -> None:
    import datetime as dt

    ep = stub_emulator.endpoint
    old = mint_client_certificate(not_after=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
    _forbidden(
        session_for(ep, cert=str(old.write(tmp_path, "old"))).get(_url(ep, f"/{ep['subscription_id']}"))
    )


def test_no_certificate_gets_403(stub_emulator: Emulator, session_for: Session) -> None:
    ep = stub_emulator.endpoint
    _forbidden(session_for(ep, cert=None).get(_url(ep, f"/{ep['subscription_id']}")))
    assert stub_emulator.app.requests[-1].client_cert_der is None


def test_certificate_of_another_subscription_gets_403(
    stub_emulator: Emulator, session_for: Session, tmp_path: Path
) -> None:
    ep = stub_emulator.endpoint
    other = mint_client_certificate(common_name="other")
    other_sub = "11111111-2222-3333-4444-555555555555"
    assert stub_emulator.register_certificate(other.cert_pem, other_sub) == other.thumbprint
    session = session_for(ep, cert=str(other.write(tmp_path, "other")))
    assert session.get(_url(ep, f"/{other_sub}")).status_code == 200
    _forbidden(session.get(_url(ep, f"/{ep['subscription_id']}")))


def test_endpoint_json_matches_endpoint(stub_emulator: Emulator) -> None:
    ep = stub_emulator.endpoint
    assert read_endpoint(stub_emulator.state_dir) == ep
    assert set(ep) == {"host", "subscription_id", "client_pem", "client_cert", "client_key", "ca_cert"} | {
        "thumbprint",
        "admin_url",
        "admin_token",
    }
    assert ep["host"].startswith("127.0.0.1:") and ep["admin_url"] == f"https://{ep['host']}/__admin__/"
    assert len(ep["admin_token"]) >= 32
    path = stub_emulator.state_dir / "endpoint.json"
    assert path.stat().st_mode & 0o077 == 0  # the token is the admin API's only key: owner-only


def test_admin_api_needs_the_token(stub_emulator: Emulator) -> None:
    ep = stub_emulator.endpoint
    plain = requests.Session()
    plain.trust_env, plain.verify = False, ep["ca_cert"]
    for method, what in [("GET", "state"), ("POST", "reset"), ("GET", "faults"), ("GET", "stats")]:
        assert plain.request(method, ep["admin_url"] + what).status_code == 401
        wrong = plain.request(method, ep["admin_url"] + what, headers={"X-Emulator-Admin-Token": "x" * 32})
        assert wrong.status_code == 401
    assert stub_emulator.app.resets == 0  # nothing ran
    assert admin_session(ep).get(ep["admin_url"] + "state").status_code == 200
    plain.close()


def test_admin_token_survives_a_restart_on_the_same_state_dir(tmp_path: Path, stub_app_class: type) -> None:
    with Emulator(tmp_path / "s", app_factory=stub_app_class) as first:
        token = first.endpoint["admin_token"]
    with Emulator(tmp_path / "s", app_factory=stub_app_class) as second:
        assert second.endpoint["admin_token"] == token
    with Emulator(
        tmp_path / "s", app_factory=stub_app_class, admin_token="fixed-token-for-a-cluster"
    ) as third:
        assert third.endpoint["admin_token"] == "fixed-token-for-a-cluster"


def test_keep_alive_reuses_one_connection_with_nagle_off(stub_emulator: Emulator) -> None:
    ep = stub_emulator.endpoint
    sock, buf = _tls(ep), bytearray()
    try:
        for _ in range(3):
            sock.sendall(f"GET /{ep['subscription_id']} HTTP/1.1\r\nHost: {ep['host']}\r\n\r\n".encode())
            head, body = _read_response(sock, buf)
            assert head.startswith(b"HTTP/1.1 200 ") and b"<Stub>" in body
            assert b"connection: close" not in head.lower()
        assert stub_emulator.server is not None
        conns = list(stub_emulator.server._conns)
        assert len(conns) == 1  # the three requests shared the connection
        assert conns[0].sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()


def test_expect_100_continue(stub_emulator: Emulator) -> None:
    ep = stub_emulator.endpoint
    sock, buf = _tls(ep), bytearray()
    try:
        head = f"POST /{ep['subscription_id']}/x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
        sock.sendall(head.encode() + b"Expect: 100-continue\r\n\r\n")
        interim = sock.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        buf += interim[len(b"HTTP/1.1 100 Continue\r\n\r\n") :]
        sock.sendall(b"hello")
        status, _ = _read_response(sock, buf)
        assert status.startswith(b"HTTP/1.1 202 ")
        assert stub_emulator.app.requests[-1].body == b"hello"
    finally:
        sock.close()


def test_garbage_and_plain_http_do_not_kill_the_server(stub_emulator: Emulator, session_for: Session) -> None:
    ep = stub_emulator.endpoint
    host, port = ep["host"].rsplit(":", 1)
    with socket.create_connection((host, int(port))) as raw:  # plain HTTP to a TLS port
        raw.sendall(b"GET / HTTP/1.1\r\n\r\n")
        raw.settimeout(5)
        with contextlib.suppress(OSError):
            raw.recv(1024)
    with socket.create_connection((host, int(port))):  # connects, never handshakes
        sock, buf = _tls(ep), bytearray()
        try:
            sock.sendall(b"NONSENSE\r\n\r\n")
            head, body = _read_response(sock, buf)
            assert head.startswith(b"HTTP/1.1 400 ") and b"<Code>BadRequest</Code>" in body
            assert b"connection: close" in head.lower()
        finally:
            sock.close()
        assert session_for(ep).get(_url(ep, f"/{ep['subscription_id']}")).status_code == 200


def test_app_exception_becomes_asm_500(stub_emulator: Emulator, session_for: Session) -> None:
    ep = stub_emulator.endpoint
    app = stub_emulator.app

    def boom(request: object) -> None:
        raise RuntimeError("bug")

    app.handle, original = boom, app.handle
    try:
        resp = session_for(ep).get(_url(ep, f"/{ep['subscription_id']}"))
    finally:
        app.handle = original
    assert resp.status_code == 500 and "<Code>InternalError</Code>" in resp.text


def test_many_concurrent_keep_alive_clients(stub_emulator: Emulator) -> None:
    ep = stub_emulator.endpoint
    n = 200
    socks = []
    try:
        with ThreadPoolExecutor(32) as pool:
            socks = list(pool.map(lambda _: _tls(ep), range(n)))
        request = f"GET /{ep['subscription_id']} HTTP/1.1\r\nHost: h\r\n\r\n".encode()
        for s in socks:  # every connection is open at once, each with a request in flight
            s.sendall(request)
        with ThreadPoolExecutor(32) as pool:
            heads = list(pool.map(lambda s: _read_response(s, bytearray())[0], socks))
        assert all(h.startswith(b"HTTP/1.1 200 ") for h in heads)
        assert stub_emulator.server is not None and len(stub_emulator.server._conns) == n
    finally:
        for s in socks:
            s.close()


def test_admin_endpoints(stub_emulator: Emulator) -> None:
    ep = stub_emulator.endpoint
    admin = admin_session(ep)  # no client certificate needed; the admin token is
    base = ep["admin_url"]
    rule = {"action": "503", "path": "/nowhere", "count": 1}
    added = admin.post(base + "faults", json=rule)
    assert added.status_code == 201 and added.json()["added"][0]["action"] == "503"
    listed = admin.get(base + "faults").json()
    assert listed["seed"] == 0 and [r["path"] for r in listed["rules"]] == ["/nowhere"]
    assert admin.post(base + "faults", json={"action": "explode"}).status_code == 400
    assert admin.post(base + "faults", data=b"{not json").status_code == 400
    assert admin.delete(base + "faults").status_code == 200
    assert admin.get(base + "faults").json()["rules"] == []
    state = admin.get(base + "state")
    assert state.status_code == 200 and state.json()["subscriptions"] == [ep["subscription_id"]]
    assert admin.post(base + "reset").json() == {"reset": True} and stub_emulator.app.resets == 1
    assert admin.get(base + "nope").status_code == 404
    admin.close()


def test_stop_closes_idle_keep_alive_connections(stub_emulator: Emulator) -> None:
    emu, ep = stub_emulator, stub_emulator.endpoint
    app = emu.app
    sock, buf = _tls(ep), bytearray()
    sock.sendall(f"GET /{ep['subscription_id']} HTTP/1.1\r\nHost: h\r\n\r\n".encode())
    assert _read_response(sock, buf)[0].startswith(b"HTTP/1.1 200 ")
    done = threading.Event()
    threading.Thread(target=lambda: (emu.stop(), done.set()), daemon=True).start()
    assert done.wait(30)
    sock.settimeout(5)
    try:
        data = sock.recv(1024)
    except OSError:  # reset or TLS EOF: closed either way
        data = b""
    sock.close()
    assert data == b""
    assert app.closed and emu.app is None
    with pytest.raises(OSError):
        _tls(ep)


def test_admin_state_is_json_of_app_state(stub_emulator: Emulator, session_for: Session) -> None:
    ep = stub_emulator.endpoint
    session_for(ep).get(_url(ep, f"/{ep['subscription_id']}"))
    resp = admin_session(ep).get(ep["admin_url"] + "state")
    assert resp.headers["Content-Type"] == "application/json"
    assert json.loads(resp.text)["requests"] >= 1


def test_a_second_in_process_emulator_on_the_same_state_dir_is_refused(
    tmp_path: Path, stub_app_class: type
) -> None:
    with Emulator(tmp_path / "s", app_factory=stub_app_class) as first:
        endpoint = (tmp_path / "s" / "endpoint.json").read_bytes()
        second = Emulator(tmp_path / "s", app_factory=stub_app_class)
        with pytest.raises(OSError, match=r"in use by another emulator \(pid \d+, host 127\.0\.0\.1:\d+\)"):
            second.start()
        assert second.server is None
        assert (tmp_path / "s" / "endpoint.json").read_bytes() == endpoint
        assert first.server is not None
    with Emulator(tmp_path / "s", app_factory=stub_app_class) as third:  # the first has stopped
        assert third.endpoint["subscription_id"] == first.endpoint["subscription_id"]


def test_an_in_process_port_out_of_range_is_a_value_error(tmp_path: Path, stub_app_class: type) -> None:
    with pytest.raises(ValueError, match="port must be 0-65535, got 99999"):
        Emulator(tmp_path / "s", port=99999, app_factory=stub_app_class).start()
    assert not (tmp_path / "s").exists()
