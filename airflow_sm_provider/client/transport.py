"""The two thin drivers of the request plan: ``Transport`` (requests, sync) and ``AsyncTransport`` (httpx).

What to send, when to retry, where a redirect may go, the deadline and "may this request have
been sent?" are decided once, without I/O, in ``plan.py``; each driver only does what its HTTP
library must: send an ``Attempt``, read the answer bounded in size and time, sleep a ``Pause``,
and turn the library's exceptions into ``Lost`` outcomes through the one ``plan.FAILURES`` table.
Both take one token per attempt from the process-wide request budget of their host and
subscription (``budget.py``).

Why no environment: requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override an explicit
CA (gotchas.md), so the environment is ignored and CA and proxies are explicit: the sync driver
sends through requests' ``HTTPAdapter`` without a ``Session`` (which is where requests reads the
environment, cookies and netrc); the async one sends through httpx's ``AsyncHTTPTransport``
pool with ``trust_env=False`` (no ``AsyncClient.send``: no cookie jar either). With ``ca_bundle`` set,
exactly that bundle is trusted (``Credentials.ssl_context``).
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.budget import RequestBudget, budget_for
from airflow_sm_provider.client.credentials import Credentials
from airflow_sm_provider.client.errors import AsmError, InvalidInputError
from airflow_sm_provider.client.plan import (
    MAX_REDIRECTS,
    USER_AGENT,
    Answer,
    ApiRequest,
    ApiResponse,
    Attempt,
    Endpoint,
    Lost,
    Outcome,
    PlanRun,
    departure,
    lost,
    request_plan,
    resolve_host,
)
from airflow_sm_provider.client.retry import RetryPolicy

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "ASYNC_KEEPALIVE_EXPIRY",
    "ASYNC_MAX_CONNECTIONS",
    "MAX_REDIRECTS",
    "USER_AGENT",
    "ApiRequest",
    "ApiResponse",
    "AsyncTransport",
    "RetryPolicy",
    "Transport",
    "resolve_host",
]

log = logging.getLogger("airflow_sm_provider.client")

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


def _sleep(seconds: float) -> Outcome:
    """A plan ``Pause`` (retry back-off, budget); its outcome is None. Looked up per call: tests record."""
    time.sleep(seconds)
    return None


async def _asleep(seconds: float) -> Outcome:
    import asyncio

    await asyncio.sleep(seconds)
    return None


def _endpoint(
    host: str,
    subscription_id: str,
    timeout: float,
    x_ms_version: str,
    retry: RetryPolicy | None,
    *,
    budget: RequestBudget | None,
    verify: bool,
    ca: str | os.PathLike[str] | None,
) -> Endpoint:
    endpoint = Endpoint(host, subscription_id, timeout, x_ms_version, retry)
    endpoint.ca_bundle = ca  # named when the handshake fails on trust
    endpoint.budget = budget if budget is not None else budget_for(endpoint.host, subscription_id)
    if not verify:
        log.warning(
            "TLS verification of %s is OFF (verify=False): anyone on the network path can read and "
            "change management traffic. Use ca_bundle instead.",
            endpoint.host,
        )
    return endpoint


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
    """Blocking driver on one requests ``HTTPAdapter``: a keep-alive pool, thread-safe.

    :param budget: the request budget to take from; default: the process-wide one of this host
        and subscription (``budget.budget_for``).
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
        budget: RequestBudget | None = None,
    ) -> None:
        from requests.utils import default_headers

        self._endpoint = _endpoint(
            host, subscription_id, timeout, x_ms_version, retry, budget=budget, verify=verify, ca=ca_bundle
        )
        ctx = credentials.ssl_context(ca_bundle=ca_bundle, verify=verify)
        self._adapter = _make_adapter(ctx, verify)
        self._verify = verify
        self._proxies = dict(proxies or {})
        # What a requests.Session would add to every request (Accept-Encoding, Connection), without
        # its catch-all "Accept: */*"; our User-Agent and x-ms-version come with each attempt.
        wire = default_headers()
        del wire["Accept"]
        self._default_headers = wire

    @property
    def host(self) -> str:
        return self._endpoint.host

    @property
    def budget(self) -> RequestBudget | None:
        return self._endpoint.budget

    def send(self, request: ApiRequest) -> ApiResponse:
        """Send ``request``; a 2xx ``ApiResponse`` or an ``AsmError`` after the retry policy."""
        run = PlanRun(request_plan(self._endpoint, request))
        while run.pending:
            step = run.step
            run.advance(self._attempt(step) if isinstance(step, Attempt) else _sleep(step.seconds))
        result: ApiResponse = run.result
        return result

    def _attempt(self, step: Attempt) -> Outcome:
        while (wait := departure(self._endpoint.budget, step.deadline)) is not None:
            if isinstance(wait, Lost):
                return wait
            _sleep(wait)
        return self._send(step)

    def _send(self, step: Attempt) -> Outcome:
        """Send one attempt through the adapter (connection pool + our TLS context) directly.

        Not ``Session.request``: what it adds -- environment settings, cookies, auth, hooks and
        redirects -- is either turned off here or decided by the plan, and it cost ~0.15 ms of
        CPU per call, more than the whole plan, argument checks and parse of a small answer
        (docs/benchmarks.md section 1). The prepared request is what the session would send.
        """
        from requests import PreparedRequest, RequestException
        from requests.utils import requote_uri

        prepared = PreparedRequest()
        prepared.method = step.method
        headers = self._default_headers.copy()
        headers.update(step.headers)
        prepared.headers = headers
        prepared.body = step.body
        try:
            # As Session.request would: a raw perform_* path or a redirect's Location is requoted
            # (an invalid %-escape raises InvalidURL, a RequestException, here as it did there).
            prepared.url = requote_uri(step.url)
            # stream=True: the body is read below, bounded in size and time. The adapter's own
            # timeout stays as the per-socket-read guard.
            resp = self._adapter.send(
                prepared,
                stream=True,
                timeout=self._endpoint.timeout,
                verify=self._verify,
                proxies=self._proxies,
            )
        except RequestException as exc:
            return lost(exc, str(exc))
        return self._read_body(resp, step.deadline)

    def _read_body(self, resp: Any, deadline: float) -> Outcome:
        """The whole answer, read in chunks of at most ``READ_CHUNK``; bounded in size and time.

        ``read1`` returns what one socket read brought (it never waits to fill the chunk), and
        before each read the socket timeout is cut to the time left, so a server that drips bytes
        or stalls is stopped at the deadline, not when its body ends. A body read to its end hands
        the connection back to the pool (urllib3 does that at EOF, and resets the socket timeout
        on the next request); any failure closes it, so no half-read connection is reused.
        """
        import urllib3.exceptions

        endpoint = self._endpoint
        raw = resp.raw
        limit = endpoint.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            endpoint.check_declared_length(resp.status_code, resp.headers.get("content-length"))
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    resp.close()
                    return Lost("deadline", sent=True, timed_out=True)
                conn = raw.connection  # None once the body was read to its end and released
                if conn is not None and conn.sock is not None:
                    conn.sock.settimeout(remaining)
                chunk = raw.read1(READ_CHUNK, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise endpoint.body_too_large(resp.status_code)
                chunks.append(chunk)
        except AsmError as exc:
            resp.close()
            return exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            resp.close()
            return (
                Lost("deadline", sent=True, timed_out=True, cause=exc)
                if time.monotonic() >= deadline
                else lost(exc, str(exc))
            )
        except BaseException:
            resp.close()
            raise
        headers = dict(resp.headers.lower_items())  # requests' CaseInsensitiveDict, keys lower-cased
        return Answer(resp.status_code, headers, chunks[0] if len(chunks) == 1 else b"".join(chunks))

    def close(self) -> None:
        self._adapter.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- async -------------------------------------------------------------------------------------------
class AsyncTransport:
    """Non-blocking driver on httpx's ``AsyncHTTPTransport`` pool (for triggers); the same plan as
    ``Transport``. An ``httpx.AsyncClient`` over that pool builds each request (its default
    headers, ours, the timeout), which goes to the pool directly.

    The only blocking step is building the SSL context in ``__init__`` (a temp file and key
    decryption, ~ms): create the transport once per trigger run, not per poll.

    Many concurrent callers (a triggerer's 1,000 waits share one client) are admitted
    ``max_connections`` at a time by an ``asyncio.Semaphore``; the rest wait their turn in it, in
    FIFO order, at O(1) each. Without it they queue inside httpcore's pool, whose hand-out is
    O(queued x connections) per request and froze the event loop for ~35 s at 1,000 waits
    (docs/benchmarks.md section 3). The pool holds as many connections as the gate admits and
    keeps them ``keepalive_expiry`` seconds, longer than any poll interval, so polls reuse
    TLS sessions instead of handshaking (~10 ms of CPU on the event loop) each time. Pauses (a
    retry's back-off, the request budget) happen outside the gate. The wait in the gate counts
    against the attempt's deadline; a request whose deadline passes before it went out (in the
    gate, in the pool, while connecting) is reported as not sent (``_Wire``), so the plan neither
    calls it ambiguous nor refuses to retry it.

    :param max_connections: requests in flight and TLS connections at most (default
        ``ASYNC_MAX_CONNECTIONS`` = 4).
    :param keepalive_expiry: seconds an idle connection is kept for reuse (default
        ``ASYNC_KEEPALIVE_EXPIRY`` = 120; ASM's front end closes idle connections after ~4 min).
    :param budget: as for ``Transport``.
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
        budget: RequestBudget | None = None,
    ) -> None:
        import httpx

        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
            raise InvalidInputError("max_connections", f"must be at least 1, got {max_connections!r}")
        keepalive_expiry = v.seconds(keepalive_expiry, "keepalive_expiry", at_least=0)
        self._endpoint = endpoint = _endpoint(
            host, subscription_id, timeout, x_ms_version, retry, budget=budget, verify=verify, ca=ca_bundle
        )
        ctx = credentials.ssl_context(ca_bundle=ca_bundle, verify=verify)
        proxy = (proxies or {}).get("https") or (proxies or {}).get("all")
        # The pool (and the proxy, if any) is the transport; the client only builds requests
        # (default headers, ours, the timeout extension) -- see ``_exchange``.
        self._pool = httpx.AsyncHTTPTransport(
            verify=ctx,
            trust_env=False,
            proxy=proxy,
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=keepalive_expiry,
            ),
        )
        self._client = httpx.AsyncClient(
            transport=self._pool,
            timeout=httpx.Timeout(endpoint.timeout),
            trust_env=False,
            follow_redirects=False,
            headers=endpoint.headers,
        )
        self.max_connections = max_connections
        # Created on first use, on the running loop (this object may be built in a worker thread).
        self._gate: asyncio.Semaphore | None = None

    @property
    def host(self) -> str:
        return self._endpoint.host

    @property
    def budget(self) -> RequestBudget | None:
        return self._endpoint.budget

    async def send(self, request: ApiRequest) -> ApiResponse:
        """Send ``request``; a 2xx ``ApiResponse`` or an ``AsmError`` after the retry policy."""
        run = PlanRun(request_plan(self._endpoint, request))
        while run.pending:
            step = run.step
            run.advance(
                await self._attempt(step) if isinstance(step, Attempt) else await _asleep(step.seconds)
            )
        result: ApiResponse = run.result
        return result

    async def _attempt(self, step: Attempt) -> Outcome:
        """Wait for a slot in the gate, then send. The step's deadline covers the wait (a queue
        never holds a caller past its timeout), but a request still waiting when it passes was
        never sent, and is reported so (``Lost(sent=False)``): the plan may retry even a POST."""
        import asyncio

        gate = self._gate
        if gate is None:
            gate = self._gate = asyncio.Semaphore(self.max_connections)
        waiting = asyncio.timeout(step.deadline - time.monotonic())
        try:
            async with waiting:
                await gate.acquire()
        except TimeoutError as exc:
            if waiting.expired():
                return Lost("deadline", sent=False, timed_out=True, cause=exc)
            raise
        try:
            while (wait := departure(self._endpoint.budget, step.deadline)) is not None:
                if isinstance(wait, Lost):
                    return wait
                await _asleep(wait)
            return await self._attempt_gated(step)
        finally:
            gate.release()

    async def _attempt_gated(self, step: Attempt) -> Outcome:
        import asyncio

        # The step's deadline covers connect, headers and the whole body; httpx's own timeout
        # stays as the per-operation guard. ``wire`` learns (httpcore's trace) whether the request
        # started going out; until then a passed deadline means "not sent" (a pool wait, a connect).
        wire = _Wire()
        deadline = asyncio.timeout(step.deadline - time.monotonic())
        try:
            async with deadline:
                return await self._exchange(step, wire)
        except TimeoutError as exc:
            if deadline.expired():
                return Lost("deadline", sent=wire.sent, timed_out=True, cause=exc)
            raise

    async def _exchange(self, step: Attempt, wire: _Wire) -> Outcome:
        import httpx

        try:
            request = self._client.build_request(
                step.method,
                step.url,
                content=step.body,
                headers=step.headers,
                extensions={"trace": wire.trace},
            )
            # Straight to the pool, not ``AsyncClient.send``: its auth flow, redirects, event
            # hooks, cookie jar and per-request INFO log line are unused here (the plan decides
            # redirects) and cost ~70 us of CPU per request on the triggerer's event loop.
            resp = await self._pool.handle_async_request(request)
        except httpx.HTTPError as exc:
            return lost(exc, _httpx_text(exc))
        try:
            return await self._read_body(resp)
        finally:
            # After a complete body this returns the connection to the pool; after a partial
            # one (limit, deadline, error) httpcore closes it instead.
            await resp.aclose()

    async def _read_body(self, resp: Any) -> Outcome:
        """The whole answer, bounded in size (the deadline is the caller's ``asyncio.timeout``)."""
        import httpx

        endpoint = self._endpoint
        limit = endpoint.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            endpoint.check_declared_length(resp.status_code, resp.headers.get("content-length"))
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise endpoint.body_too_large(resp.status_code)
                chunks.append(chunk)
        except AsmError as exc:
            return exc
        except httpx.HTTPError as exc:
            return lost(exc, _httpx_text(exc))
        headers = {k.lower(): v for k, v in resp.headers.items()}
        return Answer(resp.status_code, headers, chunks[0] if len(chunks) == 1 else b"".join(chunks))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _Wire:
    """Whether a request started going out, from httpcore's ``trace`` request extension (public:
    httpx documents it): the first ``*.send_request_headers.started`` event. A proxy's CONNECT
    counts too, which errs on the safe side ("may have been sent")."""

    __slots__ = ("sent",)

    def __init__(self) -> None:
        self.sent = False

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        if not self.sent and event.endswith(".send_request_headers.started"):
            self.sent = True


def _httpx_text(exc: BaseException) -> str:
    """httpx often has an empty str(); the cause chain holds the ssl/socket reason."""
    parts = [type(exc).__name__, str(exc)]
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(parts) < 8:
        parts.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    return ": ".join(p for p in parts if p)
