"""The sync and async HTTP transports: one request in, one 2xx response or one ``AsmError`` out.

Everything about talking HTTP to ASM lives here and nowhere else: URL and header building,
mutual TLS from in-memory ``Credentials``, 307 redirects, error mapping and the one retry
policy (``retry.py``). ``_Core`` holds the parts both transports share, so the requests-based
``Transport`` and the httpx-based ``AsyncTransport`` cannot disagree on behaviour.

Why ``trust_env = False``: requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override an
explicit CA (gotchas.md), so the environment is ignored and CA and proxies are explicit.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from airflow_sm_provider import __version__, protocol
from airflow_sm_provider.client.credentials import Credentials
from airflow_sm_provider.client.errors import (
    AsmError,
    InvalidInputError,
    InvalidResponseError,
    NotFoundError,
    ServerError,
    ThrottledError,
    TransportError,
    error_from_response,
    explain_connection_failure,
)
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.xmlsafe import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "ASYNC_KEEPALIVE_EXPIRY",
    "ASYNC_MAX_CONNECTIONS",
    "MAX_REDIRECTS",
    "ApiRequest",
    "ApiResponse",
    "AsyncTransport",
    "Transport",
    "resolve_host",
]

log = logging.getLogger("airflow_sm_provider.client")

MAX_REDIRECTS = 3
# Response bodies are streamed in reads of at most this size; the body limit and the request deadline
# are checked after each read (docs/reliability.md, fixed defects 1 and 3).
READ_CHUNK = 64 * 1024
# AsyncTransport: requests in flight (= pooled TLS connections) per client, and how long an idle
# connection is kept. One client serves every trigger of a connection in a triggerer (triggers/base.py),
# so 1,000 waits share these. Why 4 (docs/benchmarks.md section 3): httpcore checks every pooled
# connection's socket twice per request (~2 anyio attribute lookups + a poll() each), so the CPU per
# request grows with the pool: at 1,000 waits 4 beat 8 and 16 on event-loop lag and detection delay.
# 4 connections still carry ~80 requests/s at a 50 ms round trip, i.e. 1,000 waits polled every 15 s.
ASYNC_MAX_CONNECTIONS = 4
ASYNC_KEEPALIVE_EXPIRY = 120.0
USER_AGENT = f"airflow-sm-provider/{__version__}"
_HOST_RE = re.compile(
    r"^(?:(?P<name>[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*)|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])(?::(?P<port>\d{1,5}))?$"
)


@dataclass(frozen=True)
class ApiRequest:
    """One ASM call. ``path`` is relative to the subscription ("" = the subscription itself).

    ``idempotent=False`` (creates, swaps, ...) forbids re-sending after a failure where the
    request may have reached the server; see ``retry.RetryPolicy.should_retry``.
    """

    method: str
    path: str
    body: bytes | None = None
    x_ms_version: str | None = None
    idempotent: bool = True
    operation: str = ""
    #: False for the one ASM call above any subscription (List Subscriptions: ``GET /subscriptions``).
    under_subscription: bool = True


@dataclass(frozen=True)
class ApiResponse:
    """A 2xx answer. ``headers`` has lower-case keys."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    request_id: str | None


def resolve_host(host: str | None) -> str:
    """A management host ``name[:port]`` from a cloud name, a host, or a pasted https URL."""
    if host is None or not host.strip():
        return protocol.PUBLIC_HOST
    text = host.strip()
    alias = protocol.MANAGEMENT_HOSTS.get(text.lower().replace(" ", "").replace("_", ""))
    if alias:
        return alias
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme.lower() != "https":
            raise InvalidInputError("host", f"{text!r}: ASM is only served over https")
        if parts.path.strip("/"):
            raise InvalidInputError("host", f"{text!r}: give only the host, without a path")
        text = parts.netloc
    text = text.rstrip("/")
    m = _HOST_RE.match(text)
    port = m.group("port") if m else None
    if m is None or (port is not None and not 0 < int(port) < 65536) or "@" in text:
        clouds = ", ".join(sorted(protocol.MANAGEMENT_HOSTS))
        raise InvalidInputError(
            "host", f"{host!r} is not a host name[:port] nor a known cloud name ({clouds})"
        )
    return text


# --- shared core -------------------------------------------------------------------------------------
class _Core:
    """Request building, response checking and retry wiring shared by both transports.

    ``max_body_bytes``: a response body (any status) longer than this is refused -- at once when
    its Content-Length says so, else as soon as that many bytes were read -- so an endless or huge
    answer costs bounded memory. It is the parser's own limit (``xmlsafe.DEFAULT_MAX_BYTES``).
    """

    max_body_bytes: int = DEFAULT_MAX_BYTES

    def __init__(
        self,
        host: str,
        subscription_id: str,
        timeout: float,
        x_ms_version: str,
        retry: RetryPolicy | None,
    ) -> None:
        if not subscription_id or not subscription_id.strip():
            raise InvalidInputError("subscription_id", "is required (the GUID of the subscription)")
        if "/" in subscription_id or "?" in subscription_id:
            raise InvalidInputError("subscription_id", f"{subscription_id!r} is not a subscription id")
        if timeout <= 0:
            raise InvalidInputError("timeout", "must be a positive number of seconds")
        self.host = resolve_host(host)
        self.origin = f"https://{self.host}"
        self.base = f"{self.origin}/{subscription_id.strip()}"
        self.timeout = timeout
        self.x_ms_version = x_ms_version
        self.policy = retry if retry is not None else RetryPolicy()
        self.headers = {protocol.HEADER_VERSION: x_ms_version, "User-Agent": USER_AGENT}

    def prepare(self, request: ApiRequest) -> tuple[str, dict[str, str], bytes | None]:
        body = request.body
        if body is None and request.method in ("POST", "PUT", "DELETE"):
            body = b""  # ASM expects Content-Length: 0 on bodiless writes (httpx omits it otherwise)
        headers = self.headers
        if request.x_ms_version or body is not None:
            headers = dict(headers)
            if request.x_ms_version:
                headers[protocol.HEADER_VERSION] = request.x_ms_version
            if body is not None:
                headers["Content-Length"] = str(len(body))
                if body:
                    headers["Content-Type"] = protocol.CONTENT_TYPE_XML
        base = self.base if request.under_subscription else self.origin
        return base + request.path, headers, body

    def redirect(self, url: str, location: str | None, hops: int) -> str:
        if not location:
            raise TransportError(
                f"the server answered 307 from {self.host} without a Location header", retryable=False
            )
        if hops >= MAX_REDIRECTS:
            raise TransportError(
                f"more than {MAX_REDIRECTS} redirects from {self.host}; giving up", retryable=False
            )
        target = urljoin(url, location)
        if urlsplit(target).scheme != "https":
            raise TransportError(
                f"refusing to follow a redirect to a non-https URL ({target})", retryable=False
            )
        return target

    def finish(
        self, request: ApiRequest, status: int, headers: Mapping[str, str], body: bytes, started: float
    ) -> ApiResponse:
        rid = headers.get("x-ms-request-id")
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %s request_id=%s %.1f ms",
                request.method,
                request.path or "/",
                status,
                rid,
                (time.perf_counter() - started) * 1000,
            )
        if 200 <= status < 300:
            return ApiResponse(status, headers, body, rid)
        raise error_from_response(status, body, rid, headers)

    def transport_error(self, text: str, request: ApiRequest, *, sent: bool) -> TransportError:
        message, retryable = explain_connection_failure(self.host, text, self.timeout)
        return self._transport_error(message, request, sent=sent, retryable=retryable)

    def deadline_error(self, request: ApiRequest) -> TransportError:
        """The attempt's one deadline (``timeout``, connect + whole answer) passed."""
        message = f"no complete answer from {self.host} within {self.timeout:g} s (the request timed out)"
        return self._transport_error(message, request, sent=True, retryable=True)

    @staticmethod
    def _transport_error(message: str, request: ApiRequest, *, sent: bool, retryable: bool) -> TransportError:
        ambiguous = sent and not request.idempotent
        if ambiguous:
            message += (
                f"; the {request.method} may have reached the server, so it was not re-sent "
                "(read the resource's state before trying again)"
            )
        error = TransportError(message, ambiguous=ambiguous, retryable=retryable)
        setattr(error, "_asm_maybe_sent", sent)  # noqa: B010 -- read by maybe_applied only
        return error

    @staticmethod
    def maybe_applied(exc: BaseException, request: ApiRequest) -> bool:
        """Did a failed DELETE perhaps take effect (answer lost, or a 5xx after executing)?

        DELETE is idempotent, so the retry policy re-sends it; if the first one was executed, the
        re-send answers 404 although the caller's wish (the resource gone) came true.
        """
        if request.method != "DELETE" or isinstance(exc, (ThrottledError, NotFoundError)):
            return False
        if isinstance(exc, TransportError):
            return bool(getattr(exc, "_asm_maybe_sent", False))
        return isinstance(exc, ServerError)

    @staticmethod
    def deleted_already(request: ApiRequest) -> ApiResponse:
        """The answer for a re-sent DELETE that found nothing after a maybe-applied attempt."""
        log.info(
            "ASM %s %s: the re-sent DELETE found nothing; the earlier attempt had deleted it.",
            request.method,
            request.path or "/",
        )
        return ApiResponse(200, {}, b"", None)

    def check_declared_length(self, status: int, declared: str | None) -> None:
        """Refuse a body whose Content-Length is over the limit before reading any of it."""
        # A malformed Content-Length is the HTTP library's to reject; the read limit still holds.
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise InvalidResponseError(
                f"{self.host} announced a {declared}-byte answer, over the {self.max_body_bytes}-byte "
                "response limit; refusing to read it",
                status_code=status,
            )

    def body_too_large(self, status: int) -> InvalidResponseError:
        return InvalidResponseError(
            f"{self.host} answered more than {self.max_body_bytes} bytes (the response limit); "
            "refusing to read further",
            status_code=status,
        )

    def first_retry_delay(self, exc: AsmError, request: ApiRequest) -> float | None:
        """Seconds to wait before the 2nd attempt, or None when ``exc`` must be raised."""
        if self.policy.max_attempts < 2 or not self.policy.should_retry(exc, idempotent=request.idempotent):
            return None
        delay = self.policy.delay(1, exc)
        self._log_retry(request, exc, 1, delay)
        return delay

    def before_sleep(self, state: Any) -> None:
        """tenacity hook; its attempt numbers start after the first, untracked attempt."""
        exc = state.outcome.exception() if state.outcome is not None else None
        self._log_retry(state.kwargs.get("request"), exc, state.attempt_number + 1, state.upcoming_sleep)

    def _log_retry(self, request: Any, exc: BaseException | None, attempt: int, wait: float) -> None:
        log.warning(
            "ASM %s %s failed (%s); retry %d/%d in %.1f s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?") or "/",
            exc,
            attempt,
            self.policy.max_attempts - 1,
            wait,
        )


def _sleep(seconds: float) -> None:
    """Retry sleeps go through here (looked up per call) so tests can record them."""
    time.sleep(seconds)


async def _asleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def _warn_unverified(host: str) -> None:
    log.warning(
        "TLS verification of %s is OFF (verify=False): anyone on the network path can read and "
        "change management traffic. Use ca_bundle instead.",
        host,
    )


# --- sync --------------------------------------------------------------------------------------------
def _make_adapter(ctx: Any, verify: bool) -> Any:
    from requests.adapters import HTTPAdapter

    cert_reqs = "CERT_REQUIRED" if verify else "CERT_NONE"

    class _ContextAdapter(HTTPAdapter):
        """Uses our SSLContext (client cert from memory); ignores requests' CA-file plumbing."""

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = ctx
            super().init_poolmanager(*args, **kwargs)

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            kwargs["ssl_context"] = ctx
            return super().proxy_manager_for(proxy, **kwargs)

        def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
            host_params, _ = super().build_connection_pool_key_attributes(request, True, None)
            return host_params, {"ssl_context": ctx, "cert_reqs": cert_reqs}

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            conn.cert_reqs = cert_reqs
            conn.ca_certs = None
            conn.ca_cert_dir = None

    return _ContextAdapter(pool_connections=4, pool_maxsize=10, max_retries=0)


class Transport:
    """Blocking transport on one keep-alive ``requests.Session`` (thread-safe enough for a pool)."""

    def __init__(
        self,
        *,
        host: str,
        subscription_id: str,
        credentials: Credentials,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        timeout: float = 65.0,
        x_ms_version: str = protocol.DEFAULT_X_MS_VERSION,
        retry: RetryPolicy | None = None,
        proxies: dict[str, str] | None = None,
    ) -> None:
        import requests
        import tenacity

        self._core = core = _Core(host, subscription_id, timeout, x_ms_version, retry)
        if not verify:
            _warn_unverified(core.host)
        ctx = credentials.ssl_context(ca_bundle=ca_bundle, verify=verify)
        session = requests.Session()
        session.trust_env = False
        session.verify = verify
        session.proxies = dict(proxies or {})
        session.headers.pop("Accept", None)
        adapter = _make_adapter(ctx, verify)
        session.mount("https://", adapter)
        self._session = session
        self._retrying = tenacity.Retrying(
            before_sleep=core.before_sleep,
            **core.policy.tenacity_kwargs(lambda s: _sleep(s), attempt_offset=1),  # noqa: PLW0108 (late binding)
        )
        self._send: Callable[..., ApiResponse] = (
            self._attempt if core.policy.max_attempts == 1 else self._send_with_retry
        )

    @property
    def host(self) -> str:
        return self._core.host

    def send(self, request: ApiRequest) -> ApiResponse:
        """Send ``request``; a 2xx ``ApiResponse`` or an ``AsmError`` after the retry policy."""
        return self._send(request=request)

    def _send_with_retry(self, *, request: ApiRequest) -> ApiResponse:
        core = self._core
        try:
            return self._attempt(request=request)
        except AsmError as exc:
            # Happy path costs no tenacity machinery; a failure hands over to it.
            delay = core.first_retry_delay(exc, request)
            if delay is None:
                raise
            applied = [core.maybe_applied(exc, request)]

        def attempt(*, request: ApiRequest) -> ApiResponse:
            try:
                return self._attempt(request=request)
            except AsmError as exc:
                applied[0] = applied[0] or core.maybe_applied(exc, request)
                raise

        _sleep(delay)
        try:
            result: ApiResponse = self._retrying(attempt, request=request)
        except NotFoundError:
            if applied[0]:  # a DELETE re-sent after it may have worked: 404 = already gone
                return core.deleted_already(request)
            raise
        return result

    def _attempt(self, *, request: ApiRequest) -> ApiResponse:
        import requests

        core = self._core
        url, headers, body = core.prepare(request)
        started = time.perf_counter()
        deadline = started + core.timeout  # one deadline for the attempt, redirects included
        for hops in range(MAX_REDIRECTS + 1):
            try:
                # stream=True: the body is read below, bounded in size and time. requests' own
                # timeout stays as the per-socket-read guard.
                resp = self._session.request(
                    request.method,
                    url,
                    data=body,
                    headers=headers,
                    timeout=core.timeout,
                    allow_redirects=False,
                    stream=True,
                )
            except (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError) as exc:
                raise core.transport_error(str(exc), request, sent=False) from exc
            except requests.exceptions.ConnectionError as exc:
                raise core.transport_error(str(exc), request, sent=_maybe_sent(exc)) from exc
            except requests.exceptions.RequestException as exc:
                raise core.transport_error(str(exc), request, sent=True) from exc
            content = self._read_body(resp, request, deadline)
            if resp.status_code in (307, 308):
                url = core.redirect(url, resp.headers.get("location"), hops)
                continue
            lower = {k.lower(): v for k, v in resp.headers.items()}
            return core.finish(request, resp.status_code, lower, content, started)
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_body(self, resp: Any, request: ApiRequest, deadline: float) -> bytes:
        """The whole body, read in chunks of at most ``READ_CHUNK``; bounded in size and time.

        ``read1`` returns what one socket read brought (it never waits to fill the chunk), and
        before each read the socket timeout is cut to the time left, so a server that drips bytes
        or stalls is stopped at the deadline, not when its body ends. A body read to its end hands
        the connection back to the pool (urllib3 does that at EOF, and resets the socket timeout
        on the next request); any failure closes it, so no half-read connection is reused.
        """
        import urllib3.exceptions

        core = self._core
        raw = resp.raw
        limit = core.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            core.check_declared_length(resp.status_code, resp.headers.get("content-length"))
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise core.deadline_error(request)
                conn = raw.connection  # None once the body was read to its end and released
                if conn is not None and conn.sock is not None:
                    conn.sock.settimeout(remaining)
                chunk = raw.read1(READ_CHUNK, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise core.body_too_large(resp.status_code)
                chunks.append(chunk)
        except AsmError:
            resp.close()
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            resp.close()
            if time.perf_counter() >= deadline:
                raise core.deadline_error(request) from exc
            raise core.transport_error(str(exc), request, sent=True) from exc
        except BaseException:
            resp.close()
            raise
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _maybe_sent(exc: BaseException) -> bool:
    """False when the failure surely happened before the request left (refused, DNS)."""
    text = str(exc).lower()
    return not any(
        s in text
        for s in (
            "newconnectionerror",
            "refused",
            "name or service not known",
            "nameresolution",
            "getaddrinfo",
        )
    )


# --- async -------------------------------------------------------------------------------------------
class AsyncTransport:
    """Non-blocking twin of ``Transport`` on ``httpx.AsyncClient`` (for triggers).

    Shares ``_Core`` (request building, error mapping, retry decision). The only blocking step
    is building the SSL context in ``__init__`` (a temp file and key decryption, ~ms): create the
    transport once per trigger run, not per poll.

    Many concurrent callers (a triggerer's 1,000 waits share one client) are admitted
    ``max_connections`` at a time by an ``asyncio.Semaphore``; the rest wait their turn in it, in
    FIFO order, at O(1) each. Without it they queue inside httpcore's pool, whose hand-out is
    O(queued x connections) per request and froze the event loop for ~35 s at 1,000 waits
    (docs/benchmarks.md section 3). The pool holds as many connections as the gate admits and
    keeps them ``keepalive_expiry`` seconds, longer than any poll interval, so polls reuse
    TLS sessions instead of handshaking (~10 ms of CPU on the event loop) each time. A retry's
    back-off sleep happens outside the gate.

    :param max_connections: requests in flight and TLS connections at most (default
        ``ASYNC_MAX_CONNECTIONS`` = 4).
    :param keepalive_expiry: seconds an idle connection is kept for reuse (default
        ``ASYNC_KEEPALIVE_EXPIRY`` = 120; ASM's front end closes idle connections after ~4 min).
    """

    def __init__(
        self,
        *,
        host: str,
        subscription_id: str,
        credentials: Credentials,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        timeout: float = 65.0,
        x_ms_version: str = protocol.DEFAULT_X_MS_VERSION,
        retry: RetryPolicy | None = None,
        proxies: dict[str, str] | None = None,
        max_connections: int = ASYNC_MAX_CONNECTIONS,
        keepalive_expiry: float = ASYNC_KEEPALIVE_EXPIRY,
    ) -> None:
        import httpx
        import tenacity

        if max_connections < 1:
            raise InvalidInputError("max_connections", f"must be at least 1, got {max_connections!r}")
        if keepalive_expiry < 0:
            raise InvalidInputError("keepalive_expiry", f"must not be negative, got {keepalive_expiry!r}")

        self._core = core = _Core(host, subscription_id, timeout, x_ms_version, retry)
        if not verify:
            _warn_unverified(core.host)
        ctx = credentials.ssl_context(ca_bundle=ca_bundle, verify=verify)
        proxy = (proxies or {}).get("https") or (proxies or {}).get("all")
        self._client = httpx.AsyncClient(
            verify=ctx,
            timeout=httpx.Timeout(timeout),
            trust_env=False,
            follow_redirects=False,
            proxy=proxy,
            headers=core.headers,
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=keepalive_expiry,
            ),
        )
        self.max_connections = max_connections
        # Created on first use, on the running loop (this object may be built in a worker thread).
        self._gate: asyncio.Semaphore | None = None
        self._retrying = tenacity.AsyncRetrying(
            before_sleep=core.before_sleep,
            **core.policy.tenacity_kwargs(lambda s: _asleep(s), attempt_offset=1),  # noqa: PLW0108
        )

    @property
    def host(self) -> str:
        return self._core.host

    async def send(self, request: ApiRequest) -> ApiResponse:
        """Send ``request``; a 2xx ``ApiResponse`` or an ``AsmError`` after the retry policy."""
        core = self._core
        try:
            return await self._attempt(request=request)
        except AsmError as exc:
            delay = core.first_retry_delay(exc, request)
            if delay is None:
                raise
            applied = [core.maybe_applied(exc, request)]

        async def attempt(*, request: ApiRequest) -> ApiResponse:
            try:
                return await self._attempt(request=request)
            except AsmError as exc:
                applied[0] = applied[0] or core.maybe_applied(exc, request)
                raise

        await _asleep(delay)
        try:
            result: ApiResponse = await self._retrying(attempt, request=request)
        except NotFoundError:
            if applied[0]:  # a DELETE re-sent after it may have worked: 404 = already gone
                return core.deleted_already(request)
            raise
        return result

    async def _attempt(self, *, request: ApiRequest) -> ApiResponse:
        gate = self._gate
        if gate is None:
            import asyncio

            gate = self._gate = asyncio.Semaphore(self.max_connections)
        async with gate:
            return await self._attempt_gated(request)

    async def _attempt_gated(self, request: ApiRequest) -> ApiResponse:
        import asyncio

        core = self._core
        url, headers, body = core.prepare(request)
        started = time.perf_counter()
        # One deadline for the attempt (connect, redirects, headers and the whole body); httpx's
        # own timeout stays as the per-operation guard. Waiting in the gate is not part of it.
        deadline = asyncio.timeout(core.timeout)
        try:
            async with deadline:
                return await self._exchange(request, url, headers, body, started)
        except TimeoutError as exc:
            if deadline.expired():
                raise core.deadline_error(request) from exc
            raise

    async def _exchange(
        self, request: ApiRequest, url: str, headers: dict[str, str], body: bytes | None, started: float
    ) -> ApiResponse:
        import httpx

        core = self._core
        client = self._client
        for hops in range(MAX_REDIRECTS + 1):
            try:
                resp = await client.send(
                    client.build_request(request.method, url, content=body, headers=headers), stream=True
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError) as exc:
                raise core.transport_error(_httpx_text(exc), request, sent=False) from exc
            except httpx.HTTPError as exc:
                raise core.transport_error(_httpx_text(exc), request, sent=True) from exc
            try:
                content = await self._read_body(resp, request)
            finally:
                # After a complete body this returns the connection to the pool; after a partial
                # one (limit, deadline, error) httpcore closes it instead.
                await resp.aclose()
            if resp.status_code in (307, 308):
                url = core.redirect(url, resp.headers.get("location"), hops)
                continue
            lower = {k.lower(): v for k, v in resp.headers.items()}
            return core.finish(request, resp.status_code, lower, content, started)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _read_body(self, resp: Any, request: ApiRequest) -> bytes:
        """The whole body, bounded in size (the deadline is the caller's ``asyncio.timeout``)."""
        import httpx

        core = self._core
        core.check_declared_length(resp.status_code, resp.headers.get("content-length"))
        limit = core.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise core.body_too_large(resp.status_code)
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise core.transport_error(_httpx_text(exc), request, sent=True) from exc
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _httpx_text(exc: BaseException) -> str:
    """httpx often has an empty str(); the cause chain holds the ssl/socket reason."""
    parts = [type(exc).__name__, str(exc)]
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(parts) < 8:
        parts.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    return ": ".join(p for p in parts if p)
