"""The emulator's network layer: TLS (pyOpenSSL), HTTP/1.1 keep-alive framing, admin API, faults.

Why pyOpenSSL and not ``ssl``: the real ASM front end accepts ANY client certificate in the TLS
handshake and answers 403 ``ForbiddenError`` at the HTTP level for unknown ones. The stdlib cannot
accept an unknown self-signed client certificate (the handshake fails instead), so clients tested
against it would learn the wrong failure mode. Here the verify callback accepts everything and the
peer certificate's DER goes to the App, which decides.

Why hand-written HTTP: one thread per connection, non-blocking sockets waited on with ``poll`` (no
``select`` 1024-fd limit), ``TCP_NODELAY`` (no 44 ms Nagle stalls on keep-alive), and full control of
the fault actions that must misbehave at the connection level (drop before / after the App ran).
"""

from __future__ import annotations

import contextlib
import email.utils
import http
import logging
import select
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL

from airflow_sm_provider import protocol as p

from . import admin
from .admin import ADMIN_PREFIX
from .faults import FaultInjector, asm_error
from .http import App, Request, Response
from .ratelimit import RateLimiter, Stats, retry_after_header

log = logging.getLogger("airflow_sm_provider.emulator")

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Paths of the deployments' applications: public sites, neither throttled nor counted.
APP_PREFIX = "/cloudapp/"
#: Binds that listen everywhere; clients still reach them through 127.0.0.1.
WILDCARD_BINDS = ("", "0.0.0.0", "::")  # noqa: S104 - only used when the user asks for --bind 0.0.0.0


class _Closed(Exception):
    """The peer went away, the server is stopping, or a fault asked us to hang up."""


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def make_tls_context(cert_file: Path, key_file: Path) -> SSL.Context:
    """Server context that requests a client certificate and accepts any (or none)."""
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    ctx.use_certificate_file(str(cert_file))
    ctx.use_privatekey_file(str(key_file))
    ctx.check_privatekey()
    # VERIFY_PEER without FAIL_IF_NO_PEER_CERT: ask for a certificate, accept whatever comes.
    ctx.set_verify(SSL.VERIFY_PEER, lambda _conn, _cert, _errno, _depth, _ok: True)
    ctx.set_session_id(b"asm-emulator")  # session resumption with client auth needs an id context
    return ctx


class _Connection:
    """One accepted TLS connection on a non-blocking socket."""

    def __init__(self, server: EmulatorServer, sock: socket.socket, peer: str) -> None:
        self.server = server
        self.sock = sock
        self.peer = peer
        self.tls = SSL.Connection(server.tls_context, sock)
        self.tls.set_accept_state()
        self.buf = bytearray()
        self.busy = False

    # --- waiting and raw I/O ------------------------------------------------------------------
    def _wait(self, events: int, deadline: float) -> None:
        poller = select.poll()
        poller.register(self.sock.fileno(), events)
        while True:
            if self.server.stopping.is_set() and not self.busy:
                raise _Closed
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Closed  # idle or too slow: hang up, like any front end would
            if poller.poll(min(remaining, 1.0) * 1000):
                return

    def _io(self, fn: Any, *args: Any, deadline: float) -> Any:
        while True:
            try:
                return fn(*args)
            except SSL.WantReadError:
                self._wait(select.POLLIN, deadline)
            except SSL.WantWriteError:
                self._wait(select.POLLOUT, deadline)
            except (SSL.ZeroReturnError, SSL.SysCallError) as exc:
                raise _Closed from exc

    def handshake(self) -> bytes | None:
        self._io(self.tls.do_handshake, deadline=time.monotonic() + self.server.handshake_timeout)
        cert = self.tls.get_peer_certificate(as_cryptography=True)
        return None if cert is None else cert.public_bytes(serialization.Encoding.DER)

    def _fill(self, deadline: float) -> None:
        data = self._io(self.tls.recv, 65536, deadline=deadline)
        if not data:
            raise _Closed
        self.buf += data

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + self.server.request_timeout
        while view:
            sent = self._io(self.tls.send, view, deadline=deadline)
            view = view[sent:]

    # --- HTTP framing -------------------------------------------------------------------------
    def read_request(self, server_host: str, client_cert: bytes | None) -> tuple[Request, bool] | None:
        """Next request and whether the connection stays open after it; None on a clean close."""
        idle_deadline = time.monotonic() + self.server.idle_timeout
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEAD_BYTES:
                raise _BadRequest(431, "Request header fields too large.")
            try:
                self._fill(idle_deadline if not self.buf else time.monotonic() + self.server.request_timeout)
            except _Closed:
                if self.buf:
                    raise
                return None
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
            raise _BadRequest(400, "The request line is not valid HTTP/1.1.")
        method, target, version = parts[0].upper(), parts[1], parts[2]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name.strip() or name != name.strip():
                raise _BadRequest(400, "A request header is not valid.")
            key = name.lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise _BadRequest(411, "Chunked request bodies are not supported; send Content-Length.")
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as exc:
            raise _BadRequest(400, "Content-Length is not a number.") from exc
        if length < 0 or length > MAX_BODY_BYTES:
            raise _BadRequest(413, "The request body is too large.")
        if length and headers.get("expect", "").lower() == "100-continue" and len(self.buf) < length:
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        deadline = time.monotonic() + self.server.request_timeout
        while len(self.buf) < length:
            self._fill(deadline)
        body, self.buf = bytes(self.buf[:length]), self.buf[length:]
        conn_hdr = headers.get("connection", "").lower()
        keep = "close" not in conn_hdr and (version == "HTTP/1.1" or "keep-alive" in conn_hdr)
        host = headers.get("host") or server_host
        request = Request(method, target, headers, body, client_cert, host)
        return request, keep

    def write_response(self, response: Response, keep_alive: bool) -> None:
        status = response.status
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        skip = {"content-length", "connection", "transfer-encoding"}
        headers = {k: v for k, v in response.headers.items() if k.lower() not in skip}
        if not any(k.lower() == "date" for k in headers):
            headers["Date"] = email.utils.formatdate(usegmt=True)
        headers["Content-Length"] = str(len(response.body))
        if not keep_alive:
            headers["Connection"] = "close"
        head = f"HTTP/1.1 {status} {phrase}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.send(head.encode("latin-1") + b"\r\n" + response.body)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()


def listen(bind: str, port: int) -> socket.socket:
    """A non-blocking listening socket on ``bind``:``port``; OSError with a one-line message naming
    both when that address cannot be had (in use, not an address of this host, ...)."""
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be 0-65535, got {port}")
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((bind, port))
        listener.listen(2048)
        listener.setblocking(False)
    except OSError as exc:
        listener.close()
        where = f"[{bind}]:{port}" if ":" in bind else f"{bind}:{port}"
        raise OSError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    return listener


class EmulatorServer:
    """HTTPS server in front of an :class:`App`. ``start()`` returns once it accepts connections."""

    def __init__(
        self,
        app: App,
        *,
        cert_file: Path,
        key_file: Path,
        bind: str = "127.0.0.1",
        port: int = 0,
        faults: FaultInjector | None = None,
        idle_timeout: float = 120.0,
        request_timeout: float = 60.0,
        handshake_timeout: float = 15.0,
        admin_token: str | None = None,
        rate_limit: float | None = None,
    ) -> None:
        self.app = app
        self.faults = faults or FaultInjector()
        #: None only for servers built directly in tests; ``Emulator`` always sets one.
        self.admin_token = admin_token
        self.limiter = RateLimiter(rate_limit)
        self.stats = Stats()
        self.bind = bind
        self.tls_context = make_tls_context(cert_file, key_file)
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.handshake_timeout = handshake_timeout
        self.stopping = threading.Event()
        self._requested_port = port
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._accept_thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._conns: set[_Connection] = set()
        self._threads: set[threading.Thread] = set()

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("server not started")
        return int(self._listener.getsockname()[1])

    @property
    def host(self) -> str:
        """``host:port`` clients should use (a wildcard bind is reached through 127.0.0.1)."""
        name = "127.0.0.1" if self.bind in WILDCARD_BINDS else self.bind
        return f"[{name}]:{self.port}" if ":" in name else f"{name}:{self.port}"

    def start(self, listener: socket.socket | None = None) -> None:
        """Serve on ``listener`` (from :func:`listen`), or on a new one on ``bind``/``port``."""
        self._listener = listener or listen(self.bind, self._requested_port)
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="asm-emulator-accept", daemon=True
        )
        self._accept_thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, let in-flight requests finish (up to ``timeout``), close everything."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        if self._accept_thread is not None:
            self._accept_thread.join(timeout)
        with self._lock:
            threads = list(self._threads)
            idle = [c for c in self._conns if not c.busy]
        for conn in idle:  # wake idle keep-alive connections now; busy ones finish their request
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            for conn in list(self._conns):
                conn.close()
        for sock in (self._wake_r, self._wake_w):
            sock.close()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        poller = select.poll()
        poller.register(self._listener.fileno(), select.POLLIN)
        poller.register(self._wake_r.fileno(), select.POLLIN)
        try:
            while not self.stopping.is_set():
                poller.poll()
                while not self.stopping.is_set():
                    try:
                        sock, addr = self._listener.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        log.exception("accept failed")
                        time.sleep(0.05)  # e.g. EMFILE: back off instead of spinning
                        break
                    self._spawn(sock, f"{addr[0]}:{addr[1]}")
        finally:
            self._listener.close()

    def _spawn(self, sock: socket.socket, peer: str) -> None:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        thread = threading.Thread(target=self._serve, args=(sock, peer), name=f"asm-conn-{peer}", daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _serve(self, sock: socket.socket, peer: str) -> None:
        conn: _Connection | None = None
        try:
            conn = _Connection(self, sock, peer)
            with self._lock:
                self._conns.add(conn)
            cert = conn.handshake()
            keep = True
            while keep and not self.stopping.is_set():
                try:
                    got = conn.read_request(self.host, cert)
                except _BadRequest as bad:
                    conn.write_response(asm_error(bad.status, p.ERR_BAD_REQUEST, str(bad)), keep_alive=False)
                    return
                if got is None:
                    return
                request, keep = got
                conn.busy = True
                try:
                    response, hang_up = self._dispatch(request, peer)
                    if hang_up:
                        return
                    keep = keep and not self.stopping.is_set()
                    conn.write_response(response, keep_alive=keep)
                finally:
                    conn.busy = False
        except (_Closed, SSL.Error, OSError):
            pass  # handshake failures, resets, timeouts: the client's problem, never the server's
        except Exception:
            log.exception("connection %s failed", peer)
        finally:
            if conn is not None:
                conn.close()
                with self._lock:
                    self._conns.discard(conn)
            else:
                sock.close()
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _dispatch(self, request: Request, peer: str) -> tuple[Response, bool]:
        """Admin, rate limit, faults, then the App. Returns the response and whether to hang up."""
        if request.path.startswith(ADMIN_PREFIX):
            return admin.handle(self, request), False
        if request.path.lower().startswith(APP_PREFIX):
            return self._call(request, peer)
        subscription = request.path.strip("/").split("/", 1)[0].lower()
        self.stats.received(subscription, request.headers.get("x-ms-version"))
        wait = self.limiter.acquire(subscription)
        if wait is not None:
            self.stats.answered(429, throttled=True)
            retry = {"Retry-After": retry_after_header(wait)}
            return asm_error(429, p.ERR_TOO_MANY_REQUESTS, p.MSG_THROTTLED, retry), False
        response, hang_up = self._call(request, peer, count=True)
        self.stats.answered(response.status)
        return response, hang_up

    def _call(self, request: Request, peer: str, *, count: bool = False) -> tuple[Response, bool]:
        """Fault rules, then the App (``count``: record the executed operation in the stats)."""
        try:
            operation = self.app.route_name(request) if self.faults.needs_route_name else None
            decision = self.faults.decide(request, operation, peer.rpartition(":")[0])
            if decision is not None:
                log.info(
                    "fault %s (rule %d) on %s %s",
                    decision.rule.action,
                    decision.rule.id,
                    request.method,
                    request.target,
                )
                if decision.drop_before:
                    return asm_error(500, p.ERR_INTERNAL, ""), True
                if decision.response is not None:
                    return decision.response, False
                if decision.delay:
                    time.sleep(decision.delay)
                if decision.fail_operation:
                    request = replace(
                        request,
                        fail_operation=decision.fail_operation,
                        fail_operation_message=decision.fail_message,
                    )
                if decision.operation_seconds is not None:
                    request = replace(request, operation_seconds=decision.operation_seconds)
            response = self.app.handle(request)
            if count:
                self.stats.executed(response.operation)
            return response, bool(decision and decision.drop_after)
        except Exception:
            log.exception("App failed on %s %s", request.method, request.target)
            return asm_error(500, p.ERR_INTERNAL, p.MSG_INTERNAL), False
