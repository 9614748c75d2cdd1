"""The one request plan: everything about sending an ``ApiRequest`` that is not I/O.

Retry, redirect, deadline, the request budget and "may this request have been sent?" are decided
here once, as a sans-I/O generator shaped like ``polling.poll``, so the requests-based
``Transport`` and the httpx-based ``AsyncTransport`` (transport.py, the two thin drivers) cannot
disagree on behaviour, and tests drive the plan without a network or a clock.

Protocol of ``request_plan()``: it yields ``Attempt`` (send this HTTP request, read the whole
answer before ``deadline``) and the driver ``send()``s back an ``Answer`` (any status), a ``Lost``
(no answer: built by ``lost()`` from the library's exception through the one ``FAILURES`` table)
or the ``AsmError`` the read raised (body over the limit). It yields ``Pause(seconds)``; the
driver sleeps and sends ``None``. It returns the 2xx ``ApiResponse`` or raises the ``AsmError``.
``PlanRun`` does the generator plumbing for both drivers.

Redirect rule (docs/design.md, transport): a 307/308 is followed only to the configured management
host -- same scheme (https), host and port -- so a request body (a VM's ``<UserPassword>``), the
client certificate and the trust in an answer never cross hosts. A redirect anywhere else is a
``TransportError`` and nothing is sent there.
"""

from __future__ import annotations

import enum
import logging
import os
import re
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

from airflow_sm_provider import __version__, protocol
from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.budget import RequestBudget
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
from airflow_sm_provider.client.retry import RetryPolicy, retry_after_of
from airflow_sm_provider.client.xmlsafe import DEFAULT_MAX_BYTES

__all__ = [
    "FAILURES",
    "MAX_REDIRECTS",
    "Answer",
    "ApiRequest",
    "ApiResponse",
    "Attempt",
    "Delivery",
    "Endpoint",
    "Lost",
    "Pause",
    "PlanRun",
    "lost",
    "request_plan",
    "resolve_host",
]

log = logging.getLogger("airflow_sm_provider.client")

MAX_REDIRECTS = 3
USER_AGENT = f"airflow-sm-provider/{__version__}"
_HOST_RE = re.compile(
    r"^(?:(?P<name>[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*)|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])(?::(?P<port>[0-9]{1,5}))?$"
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

    @property
    def message(self) -> str:
        """The reason phrase of ``status`` (``'OK'``, ``'Created'``): the old ``HTTPResponse.message``."""
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return ""


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
    if "/" in text:  # "host:port/path": the path the URL form above already refuses
        raise InvalidInputError("host", f"{host!r}: give only the host[:port], without a path")
    m = _HOST_RE.match(text)
    port = m.group("port") if m else None
    if m is None or (port is not None and not 0 < int(port) < 65536) or "@" in text:
        clouds = ", ".join(sorted(protocol.MANAGEMENT_HOSTS))
        raise InvalidInputError(
            "host", f"{host!r} is not a host name[:port] nor a known cloud name ({clouds})"
        )
    return text


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute URL, ports made explicit; None if it has userinfo."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)


# --- steps and outcomes ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Attempt:
    """Step: send this request; read its whole answer (at most ``Endpoint.max_body_bytes``) by ``deadline``.

    ``deadline`` is on ``time.monotonic()``; the driver's own socket timeout stays as a guard.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None
    deadline: float


@dataclass(frozen=True, slots=True)
class Pause:
    """Step: sleep ``seconds`` (``reason``: "budget" or "retry"), then send ``None``."""

    seconds: float
    reason: str


@dataclass(frozen=True, slots=True)
class Answer:
    """Outcome: an HTTP answer of any status, its whole body read. ``headers`` keys lower-case."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Lost:
    """Outcome: no (complete) answer. ``sent``: may the request have reached the server? A driver
    says False only when it knows no byte of the request went out (``timed_out`` too: the deadline
    passed while it waited for a connection); the plan turns that into "not sent"."""

    text: str
    sent: bool
    timed_out: bool = False
    #: The library's exception, kept as the TransportError's ``cause`` (diagnosis reads it).
    cause: BaseException | None = field(default=None, compare=False)


class Delivery(enum.Enum):
    """May a failed request have reached the server?"""

    NOT_SENT = "surely not sent"
    SENT = "may have been sent"
    BY_TEXT = "decided by the error text"


#: The one table of both libraries' exceptions, as "<top-level package>.<class>", by what they say
#: about delivery. The most specific class of an exception's MRO that is listed wins. A refused TCP
#: connection or a failed DNS lookup surely sent nothing, and a TLS failure happens before any HTTP
#: byte; a failure once the connection is up may have delivered the request.
FAILURES: Final[Mapping[Delivery, tuple[str, ...]]] = {
    Delivery.NOT_SENT: (
        "requests.ConnectTimeout",
        "requests.SSLError",
        "httpx.ConnectError",
        "httpx.ConnectTimeout",
        "httpx.PoolTimeout",
        "httpx.ProxyError",
    ),
    # requests wraps refused connections and mid-request drops in the same ConnectionError.
    Delivery.BY_TEXT: ("requests.ConnectionError",),
    Delivery.SENT: ("requests.RequestException", "httpx.HTTPError", "urllib3.HTTPError", "builtins.OSError"),
}
_DELIVERY = {name: verdict for verdict, names in FAILURES.items() for name in names}
_NOTHING_SENT_TEXTS = (
    "newconnectionerror",
    "refused",
    "name or service not known",
    "nameresolution",
    "getaddrinfo",
)


#: In an exception's cause chain: the TLS handshake never finished, so no byte of the request went
#: out, whatever the library calls it (urllib3 reports a handshake timeout as a READ timeout).
_HANDSHAKE_UNFINISHED = "handshake operation timed out"


def _handshake_unfinished(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if _HANDSHAKE_UNFINISHED in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def lost(exc: BaseException, text: str) -> Lost:
    """The outcome of a library exception, classified by ``FAILURES``; unknown types re-raise."""
    for cls in type(exc).__mro__:
        verdict = _DELIVERY.get(f"{cls.__module__.partition('.')[0]}.{cls.__name__}")
        if verdict is not None:
            break
    else:
        raise exc
    if verdict is Delivery.BY_TEXT:
        low = text.lower()
        verdict = Delivery.NOT_SENT if any(s in low for s in _NOTHING_SENT_TEXTS) else Delivery.SENT
    if verdict is Delivery.SENT and _handshake_unfinished(exc):
        verdict = Delivery.NOT_SENT
    return Lost(text, sent=verdict is Delivery.SENT, cause=exc)


# --- the endpoint: what every request to one host and subscription shares -------------------------
class Endpoint:
    """Host, subscription, headers, timeout, retry policy and budget of one transport.

    ``max_body_bytes``: a response body (any status) longer than this is refused -- at once when
    its Content-Length says so, else as soon as that many bytes were read -- so an endless or huge
    answer costs bounded memory. It is the parser's own limit (``xmlsafe.DEFAULT_MAX_BYTES``).
    """

    max_body_bytes: int = DEFAULT_MAX_BYTES
    #: What the transport's TLS context trusts (None: the system store); named when trust fails.
    ca_bundle: str | os.PathLike[str] | None = None

    def __init__(
        self,
        host: str,
        subscription_id: str,
        timeout: float,
        x_ms_version: str,
        retry: RetryPolicy | None,
        *,
        budget: RequestBudget | None = None,
    ) -> None:
        if not subscription_id or not subscription_id.strip():
            raise InvalidInputError("subscription_id", "is required (the GUID of the subscription)")
        if "/" in subscription_id or "?" in subscription_id:
            raise InvalidInputError("subscription_id", f"{subscription_id!r} is not a subscription id")
        v.seconds(timeout, "timeout")
        v.x_ms_version(x_ms_version)
        self.host = resolve_host(host)
        self.origin = _origin(f"https://{self.host}/")
        self.root = f"https://{self.host}"
        self.base = f"{self.root}/{subscription_id.strip()}"
        self.timeout = float(timeout)
        self.x_ms_version = x_ms_version
        self.policy = retry if retry is not None else RetryPolicy()
        self.budget = budget
        self.headers = {protocol.HEADER_VERSION: x_ms_version, "User-Agent": USER_AGENT}

    def prepare(self, request: ApiRequest) -> tuple[str, dict[str, str], bytes | None]:
        body = request.body
        if body is None and request.method in ("POST", "PUT", "DELETE"):
            body = b""  # ASM expects Content-Length: 0 on bodiless writes (httpx omits it otherwise)
        headers = self.headers
        if request.x_ms_version or body is not None:
            headers = dict(headers)
            if request.x_ms_version:
                headers[protocol.HEADER_VERSION] = v.x_ms_version(request.x_ms_version)
            if body is not None:
                headers["Content-Length"] = str(len(body))
                if body:
                    headers["Content-Type"] = protocol.CONTENT_TYPE_XML
        base = self.base if request.under_subscription else self.root
        return base + request.path, headers, body

    def redirect(self, url: str, location: str | None, hops: int) -> str:
        """The URL to follow a 307/308 to; only ever this endpoint's own origin (module docstring)."""
        if not location:
            raise TransportError(
                f"the server answered 307 from {self.host} without a Location header", retryable=False
            )
        if hops >= MAX_REDIRECTS:
            raise TransportError(
                f"more than {MAX_REDIRECTS} redirects from {self.host}; giving up", retryable=False
            )
        target = urljoin(url, location)
        origin = _origin(target)
        if origin != self.origin:
            where = "a non-https URL" if origin is not None and origin[0] != "https" else "another host"
            shown = urlsplit(target)._replace(query="", fragment="").geturl()
            raise TransportError(
                f"{self.host} redirected the request to {where} ({shown}); a redirect is followed only "
                f"to the configured management host {self.host}, so nothing (body, client certificate) "
                "was sent there. If that host is the right endpoint, set it as the connection's host",
                retryable=False,
            )
        return target

    def finish(self, request: ApiRequest, answer: Answer, started: float) -> ApiResponse:
        headers = answer.headers
        rid = headers.get("x-ms-request-id")
        status = answer.status
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %s request_id=%s %.1f ms",
                request.method,
                request.path or "/",
                status,
                rid,
                (time.monotonic() - started) * 1000,
            )
        if 200 <= status < 300:
            return ApiResponse(status, headers, answer.body, rid)
        raise error_from_response(status, answer.body, rid, headers)

    def lost_error(self, outcome: Lost, request: ApiRequest) -> TransportError:
        if outcome.timed_out:
            error = self.deadline_error(request, sent=outcome.sent)
            error.cause = outcome.cause
            return error
        message, retryable = explain_connection_failure(
            self.host, outcome.text, self.timeout, ca_bundle=self.ca_bundle
        )
        return _transport_error(message, request, sent=outcome.sent, retryable=retryable, cause=outcome.cause)

    def deadline_error(self, request: ApiRequest, *, sent: bool = True) -> TransportError:
        """The attempt's one deadline (``timeout``: the wait for a connection, connect and the whole
        answer) passed. ``sent`` False: the driver saw the request never reach the wire (it waited
        for a free connection, or the connection was still being made), so nothing can have been
        applied: not ambiguous, and the retry policy may send even a POST again."""
        if not sent:
            message = (
                f"no connection to {self.host} was free or could be made within {self.timeout:g} s, "
                f"so the {request.method} was not sent (the attempt timed out before reaching the "
                "server; safe to retry)"
            )
        else:
            message = f"no complete answer from {self.host} within {self.timeout:g} s (the request timed out)"
        return _transport_error(message, request, sent=sent, retryable=True)

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


def _transport_error(
    message: str, request: ApiRequest, *, sent: bool, retryable: bool, cause: BaseException | None = None
) -> TransportError:
    ambiguous = sent and not request.idempotent
    if ambiguous:
        message += (
            f"; the {request.method} may have reached the server, so it was not re-sent "
            "(read the resource's state before trying again)"
        )
    error = TransportError(message, ambiguous=ambiguous, retryable=retryable, cause=cause)
    setattr(error, "_asm_maybe_sent", sent)  # noqa: B010 -- read by _maybe_applied only
    return error


def _maybe_applied(exc: BaseException, request: ApiRequest) -> bool:
    """Did a failed DELETE perhaps take effect (answer lost, or a 5xx after executing)?

    DELETE is idempotent, so the retry policy re-sends it; if the first one was executed, the
    re-send answers 404 although the caller's wish (the resource gone) came true.
    """
    if request.method != "DELETE" or isinstance(exc, (ThrottledError, NotFoundError)):
        return False
    if isinstance(exc, TransportError):
        return bool(getattr(exc, "_asm_maybe_sent", False))
    return isinstance(exc, ServerError)


# --- the plan --------------------------------------------------------------------------------------
Outcome = Answer | Lost | AsmError | None
Step = Attempt | Pause


def _exchange(
    endpoint: Endpoint, request: ApiRequest, clock: Callable[[], float]
) -> Generator[Step, Outcome, ApiResponse]:
    """One attempt: the request and its same-host redirects, all within one deadline."""
    url, headers, body = endpoint.prepare(request)
    started = clock()
    deadline = started + endpoint.timeout
    for hops in range(MAX_REDIRECTS + 1):
        outcome = yield Attempt(request.method, url, headers, body, deadline)
        if type(outcome) is Answer:
            if outcome.status in (307, 308):
                url = endpoint.redirect(url, outcome.headers.get("location"), hops)
                continue
            return endpoint.finish(request, outcome, started)
        if isinstance(outcome, Lost):
            # Not ``from outcome.cause``: one error, like every other of this client (the library's
            # exception is ``.cause``, for diagnosis), not ssl -> urllib3 -> requests -> ours.
            raise endpoint.lost_error(outcome, request) from None
        if isinstance(outcome, AsmError):
            raise outcome
        raise TypeError(f"an Attempt needs an Answer, Lost or AsmError, not {outcome!r}")
    raise AssertionError("unreachable")  # pragma: no cover


def departure(budget: RequestBudget | None, deadline: float) -> float | Lost | None:
    """The budget's word right before the wire: None = go (a token was taken), seconds = ask again
    after that long, ``Lost(sent=False)`` = that wait would pass the attempt's deadline.

    Both drivers call it as their last step before sending, the async one inside its connection
    gate, so what leaves keeps the bucket's shape however late the sender resumed (budget.py).
    """
    if budget is None:
        return None
    wait = budget.departure_wait()
    if wait <= 0:
        return None
    if time.monotonic() + wait > deadline:
        return Lost("deadline", sent=False, timed_out=True, cause=TimeoutError("request budget"))
    return wait


def request_plan(
    endpoint: Endpoint, request: ApiRequest, *, clock: Callable[[], float] = time.monotonic
) -> Generator[Step, Outcome, ApiResponse]:
    """Send ``request`` with the budget, redirects, deadline and retry policy of ``endpoint``.

    Retries: ``policy.next_delay`` decides, counting every retry's delay -- the first one too --
    against ``max_total`` from the start of the first attempt. A DELETE re-sent after an attempt
    that may have worked, answered 404, is "already deleted": a 200 without request id.
    """
    policy, budget = endpoint.policy, endpoint.budget
    started = clock()
    applied = False
    attempt = 0
    while True:
        attempt += 1
        if budget is not None:  # booked here; admitted right before the wire by the driver
            wait = budget.reserve()
            if wait > 0:
                yield Pause(wait, "budget")
        try:
            return (yield from _exchange(endpoint, request, clock))
        except AsmError as exc:
            if applied and isinstance(exc, NotFoundError):
                return _deleted_already(request)
            applied = applied or _maybe_applied(exc, request)
            hint = retry_after_of(exc)
            if budget is not None and isinstance(exc, ThrottledError) and hint is not None:
                budget.hold(hint)  # the whole process holds off, not only this request
            delay = policy.next_delay(
                exc, idempotent=request.idempotent, attempt=attempt, elapsed=clock() - started
            )
            if delay is None:
                raise
            _log_retry(policy, request, exc, attempt, delay)
        yield Pause(delay, "retry")


def _deleted_already(request: ApiRequest) -> ApiResponse:
    """The answer for a re-sent DELETE that found nothing after a maybe-applied attempt."""
    log.info(
        "ASM %s %s: the re-sent DELETE found nothing; the earlier attempt had deleted it.",
        request.method,
        request.path or "/",
    )
    return ApiResponse(200, {}, b"", None)


def _log_retry(
    policy: RetryPolicy, request: ApiRequest, exc: BaseException, attempt: int, wait: float
) -> None:
    log.warning(
        "ASM %s %s failed (%s); retry %d/%d in %.1f s",
        request.method,
        request.path or "/",
        exc,
        attempt,
        policy.max_attempts - 1,
        wait,
    )


class PlanRun:
    """The generator plumbing both drivers share: ``step`` to do, ``advance(outcome)``, ``result``."""

    __slots__ = ("_gen", "pending", "result", "step")

    def __init__(self, plan: Generator[Step, Outcome, ApiResponse]) -> None:
        self._gen = plan
        self.pending = True
        self.result: Any = None
        self.step: Step = next(plan)

    def advance(self, outcome: Outcome) -> None:
        """Hand the outcome of ``step`` to the plan; afterwards ``step`` or ``result`` is set."""
        try:
            self.step = self._gen.send(outcome)
        except StopIteration as stop:
            self.pending = False
            self.result = stop.value
