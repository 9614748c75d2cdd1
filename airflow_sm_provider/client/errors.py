"""The one error hierarchy of the ASM client (design.md section 1.5).

Every failure the client can report is one of these classes, so callers (hooks, operators,
triggers) catch by meaning -- "not found", "throttled", "conflict" -- never by HTTP library
exception or by parsing text. Each carries the HTTP status, the ASM ``<Code>``, the message and
the ``x-ms-request-id`` because support cases with Microsoft (and our own logs) are keyed by the
request id, and ``str()`` is one sentence a user can act on.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import Any

from airflow_sm_provider import protocol

__all__ = [
    "AsmError",
    "AuthenticationError",
    "BadRequestError",
    "CertificateError",
    "ConflictError",
    "ExclusiveAccessError",
    "InvalidInputError",
    "InvalidResponseError",
    "NotFoundError",
    "OperationFailedError",
    "OperationTimeoutError",
    "ServerError",
    "ThrottledError",
    "TransportError",
    "error_from_response",
    "explain_connection_failure",
    "parse_retry_after",
    "untrusted_environment_hint",
]


class AsmError(Exception):
    """Base of every error the service (or talking to it) produced.

    ``status_code`` is None when no HTTP response was received (transport failures, timeouts of
    a wait). ``code`` is ASM's ``<Code>`` (e.g. ``ResourceNotFound``) when the body had one.
    """

    def __new__(
        cls, message: str = "", status_code: int | None = None, *args: Any, **kwargs: Any
    ) -> AsmError:
        # The old ``AzureHttpError(message, 404)`` (an alias of this class) made the 404 / 409
        # subclass; ported code that raises it (test doubles, wrappers) gets the same here.
        status = kwargs.get("status_code", status_code)
        made = _OLD_STATUS_CLASSES.get(status, cls) if cls is AsmError and isinstance(status, int) else cls
        return super().__new__(made, message)

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        *,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        before_request: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        #: The server's Retry-After hint in seconds (429/503/409 may carry one), else None.
        self.retry_after = retry_after
        #: True when the provider refused from the state it read, before sending the request the
        #: service would have refused the same way (a delete of a service that still has deployments).
        self.before_request = before_request

    def __str__(self) -> str:
        if type(self) is AsmError and self.status_code is None and not (self.code or self.request_id):
            # Ported code raising its own ``AzureException('Operation failed. ...')`` (this class):
            # nothing to add, so the message as given, as the old SDK printed it.
            return self.message
        parts = []
        if isinstance(self.status_code, int):  # an operation's status (OperationFailedError) is no HTTP one
            parts.append(f"HTTP {self.status_code}")
        if self.code:
            parts.append(self.code)
        if self.before_request:  # not the service's answer: say so, with the code it would have sent
            prefix = f"Not sent ({self.code}): " if self.code else "Not sent: "
        else:
            prefix = f"ASM {' '.join(parts)}: " if parts else ""
        text = self.message.rstrip() or "no details were given"
        if not text.endswith((".", "!", "?")):
            text += "."
        if self.request_id:
            text += f" (request id {self.request_id})"
        return prefix + text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(AsmError):
    """403: the certificate is not registered for this subscription, or it is disabled."""


class NotFoundError(AsmError):
    """404: the resource (service, deployment, operation, ...) does not exist."""


class ConflictError(AsmError):
    """409: the name is taken, the slot is occupied, swap names do not match, ..."""


class ExclusiveAccessError(ConflictError):
    """409 "requires exclusive access": another operation holds the deployment; retry later."""


class BadRequestError(AsmError):
    """400: the service rejected a parameter; re-sending the same request will not help."""


class ThrottledError(AsmError):
    """429 (and 503 ServerBusy): slow down. ``retry_after`` is the server's hint in seconds."""


class ServerError(AsmError):
    """500 and other 5xx: the service failed; the request may or may not have taken effect."""


class OperationFailedError(AsmError):
    """An asynchronous operation ended ``Failed``; ``operation`` is the final Operation object.

    ``status_code`` is the failed operation's HTTP status (an int) when ``OperationHandle.wait``
    raises it. The ported ``wait_for_operation_status`` raises it as the old SDK raised
    ``AzureAsyncOperationHttpError(message, result.status, result)``: ``status_code`` is then the
    operation's status, ``'Failed'`` (or ``'InProgress'`` after its time-out), a string, as
    ported ``if e.status_code == 'Failed'`` expects. None when neither is known (the operators'
    failures carry ASM's code instead). Hence ``int | str | None``: narrow it
    (``isinstance(e.status_code, int)``) before arithmetic or string methods.
    """

    # Wider than AsmError's HTTP ``int | None`` on purpose: the old SDK's subclass held the text.
    status_code: int | str | None  # type: ignore[assignment]

    def __init__(
        self, message: str, status_code: int | str | None = None, operation: Any = None, **kwargs: Any
    ) -> None:
        # Positional order of the old ``AzureAsyncOperationHttpError(message, status, result)``.
        super().__init__(message, status_code if isinstance(status_code, int) else None, **kwargs)
        self.status_code = status_code
        self.operation = operation

    @property
    def result(self) -> Any:
        """The old ``AzureAsyncOperationHttpError.result``: the final Operation."""
        return self.operation


class OperationTimeoutError(AsmError):
    """The deadline passed while waiting; the operation may still finish on the server."""


class TransportError(AsmError):
    """No usable HTTP response: DNS, TCP, TLS, timeout, dropped connection.

    ``ambiguous`` is True when a non-idempotent request may have reached the server (read
    timeout, connection dropped after the body was sent). The transport never re-sends such a
    request; the caller must read state first to learn whether it took effect.
    ``retryable`` is False for failures that waiting cannot fix (TLS trust or key problems).
    ``cause`` is the HTTP or TLS library's exception it was made from. It is kept as an attribute,
    not chained as ``__cause__``: the library's own chain (ssl -> urllib3 -> requests) made a
    traceback of four errors for one failure, whose sentence this message already is.
    """

    def __init__(
        self,
        message: str,
        *,
        ambiguous: bool = False,
        retryable: bool = True,
        cause: BaseException | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.ambiguous = ambiguous
        self.retryable = retryable
        self.cause = cause


class InvalidResponseError(AsmError):
    """The body is not the XML we expect: HTML, truncated, oversized, hostile (entities)."""


class CertificateError(ValueError):
    """A local certificate problem found before any request: expired, weak, mismatched, ...

    A ``ValueError`` because it is bad input, not a service failure. Messages never contain key
    material or passwords. ``field`` names the setting that held the certificate when the caller
    knows it (the hook: ``certificate_path`` or ``certificate_private_key``), as
    ``InvalidInputError.field`` does; None from the client, whose certificate is one argument.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# Key material must never reach exception text, whatever a message quotes (a PEM pasted into the
# wrong field, a library echoing its input): PEM blocks, even cut off, and long base64 runs are
# replaced. The hook's Test Connection message goes through the same function.
_PEM_RE = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.S)
_B64_RUN_RE = re.compile(r"[A-Za-z0-9+/]{64,}={0,2}")
KEY_MATERIAL_REMOVED = "[key material removed]"


def without_key_material(text: str) -> str:
    """``text`` with PEM blocks and base64-looking runs of 64+ characters replaced."""
    if "-----BEGIN" in text:
        text = _PEM_RE.sub(KEY_MATERIAL_REMOVED, text)
    return _B64_RUN_RE.sub(_key_like, text)


def _key_like(match: re.Match[str]) -> str:
    """A long run that mixes upper case, lower case and digits is base64, not a path or a word."""
    run = match.group(0)
    mixed = any(c.isupper() for c in run) and any(c.islower() for c in run) and any(c.isdigit() for c in run)
    return KEY_MATERIAL_REMOVED if mixed else run


class InvalidInputError(ValueError):
    """An argument failed validation before any request was sent; ``field`` names it.

    The message is stripped of key material (``without_key_material``): validation quotes the
    value it refused, and a refused value may be a certificate pasted into the wrong field.
    """

    def __init__(self, field: str, message: str) -> None:
        message = without_key_material(message)
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


_CODE_RE = re.compile(rb"<(?:\w+:)?Code>\s*([^<]{1,200}?)\s*</(?:\w+:)?Code>")
_MESSAGE_RE = re.compile(rb"<(?:\w+:)?Message>\s*([^<]{0,4000}?)\s*</(?:\w+:)?Message>", re.S)
_TITLE_RE = re.compile(rb"<title>\s*([^<]{1,200}?)\s*</title>", re.I)
_MAX_SNIPPET = 200


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        import time

        seconds = when.timestamp() - time.time()
    if math.isnan(seconds):
        return None
    return max(0.0, min(seconds, 3600.0))


def _unescape(raw: bytes) -> str:
    from html import unescape

    return unescape(raw.decode("utf-8", "replace")).strip()


def _parse_error_body(body: bytes) -> tuple[str | None, str | None]:
    """(code, message) from an ASM ``<Error>`` body, or from whatever else the server sent.

    Regexes, not an XML parser, on purpose: error bodies are small, sometimes HTML from a proxy
    or load balancer, sometimes truncated; a parse failure must never hide the HTTP status.
    Only the ``Code``/``Message`` text is taken, so no entity or DTD is ever processed.
    """
    if not body:
        return None, None
    head = body[:65536]
    code_m = _CODE_RE.search(head)
    msg_m = _MESSAGE_RE.search(head)
    if code_m or msg_m:
        return (
            _unescape(code_m.group(1)) if code_m else None,
            _unescape(msg_m.group(1)) if msg_m else None,
        )
    title = _TITLE_RE.search(head)
    if title:
        return None, f"the server answered with an HTML page titled {_unescape(title.group(1))!r}"
    text = " ".join(head[:_MAX_SNIPPET].decode("utf-8", "replace").split())
    return None, (f"unexpected response body: {text!r}" if text else None)


_REASONS = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def error_from_response(
    status: int, body: bytes, request_id: str | None, headers: Mapping[str, str]
) -> AsmError:
    """Map a non-2xx response to the right ``AsmError`` subclass.

    ``headers`` must have lower-case keys (as ``ApiResponse.headers`` does). Tolerant of HTML,
    empty and truncated bodies: the status alone then decides the class.
    """
    code, message = _parse_error_body(body)
    if not message:
        message = _REASONS.get(status, f"HTTP status {status}")
    kwargs: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "request_id": request_id,
        "retry_after": parse_retry_after(headers.get("retry-after")),
    }
    if status == 403:
        if code in protocol.AUTH_ERROR_CODES or code is None:
            message += (
                " Check that the management certificate's .cer was uploaded to this subscription "
                "and that the subscription id is right."
            )
        return AuthenticationError(message, **kwargs)
    if status == 404:
        return NotFoundError(message, **kwargs)
    if status == 409:
        if protocol.is_exclusive_access_conflict(status, code, message):
            return ExclusiveAccessError(message, **kwargs)
        return ConflictError(message, **kwargs)
    if status == 429 or (status == 503 and code in (None, protocol.ERR_SERVER_BUSY)):
        return ThrottledError(message, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    if status == 400:
        return BadRequestError(message, **kwargs)
    if status == 401:
        return AuthenticationError(message, **kwargs)
    return AsmError(message, **kwargs)


# --- failures below HTTP ---------------------------------------------------------------------------
_UNTRUSTED = (
    "the server's certificate is not signed by a trusted CA; set ca_bundle to the CA that signed it "
    "(for the emulator: its ca_cert from endpoint.json)"
)
_UNTRUSTED_GIVEN = (
    "the server's certificate is not signed by a CA of the given ca_bundle{where}; set ca_bundle to the "
    "CA that signed it (for the emulator: its ca_cert from endpoint.json)"
)
_TLS_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("EE_KEY_TOO_SMALL", "ee key too small", "key too weak"),
        "the client certificate's key is too small for OpenSSL 3 (under 2048 bits); make a new "
        "certificate with `openssl req -x509 -nodes -days 365 -newkey rsa:2048 -subj /CN=mycert "
        "-keyout mycert.pem -out mycert.pem` and upload its .cer",
    ),
    (
        ("Hostname mismatch", "IP address mismatch", "doesn't match", "does not match"),
        "the server's certificate is not issued for {host}; use the host name on its certificate",
    ),
    (
        ("certificate has expired",),
        "the server's certificate has expired",
    ),
    (
        ("CERTIFICATE_VERIFY_FAILED", "unable to get local issuer", "self-signed certificate", "self signed"),
        _UNTRUSTED,
    ),
    (
        ("UNKNOWN_CA", "unknown ca", "CERTIFICATE_UNKNOWN", "BAD_CERTIFICATE", "certificate required"),
        "the server rejected our client certificate during the TLS handshake; check that its "
        ".cer is registered on the subscription",
    ),
)

#: Variables other clients take the CA to trust from. This client reads none of them (issue #11:
#: with ca_bundle, exactly that bundle; without it, the system store), except OpenSSL itself, whose
#: system store is SSL_CERT_FILE when it is set, and AZURE_MANAGEMENT_CA_BUNDLE, read by the
#: constructor only when the host came from AZURE_MANAGEMENT_HOST too (it is then the ca_bundle).
CA_ENVIRONMENT: tuple[str, ...] = (
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    protocol.ENV_CA_BUNDLE,
)


def _shown_path(value: str) -> str:
    """A path as a message may quote it: never file contents or key material, at most 200 chars."""
    text = without_key_material(value.strip())
    return repr(text if len(text) <= 200 else text[:200] + "...")


def untrusted_environment_hint(ca_bundle: str | os.PathLike[str] | None) -> str:
    """The sentence that says which CA variables are set but not what this client trusts.

    Said on a handshake that failed on trust, because a script ported from the old SDK (or any
    requests program) relied on ``REQUESTS_CA_BUNDLE``; silently ignoring it left the user with
    "not signed by a trusted CA" and no idea why the variable they set did not count. A variable
    that names the system store's own file is not mentioned (images set ``REQUESTS_CA_BUNDLE`` to
    it; it adds no CA, and "pass ca_bundle=<the system store>" helps nobody), nor one that names
    the ca_bundle in use. Names and paths only; no file is read. "" when nothing is left to say.
    """
    import ssl

    given = None if ca_bundle is None else os.fspath(ca_bundle).strip()
    system = _real(ssl.get_default_verify_paths().openssl_cafile)  # the distribution's bundle
    ignored: dict[str, list[str]] = {}  # path -> the variables that name it
    in_effect = ""
    for name in CA_ENVIRONMENT:
        value = os.environ.get(name, "").strip()
        if not value or value == given or _real(value) == system:
            continue
        if name == "SSL_CERT_FILE" and given is None:
            in_effect = value  # OpenSSL's default store: it was used, and lacks the CA
            continue
        ignored.setdefault(value, []).append(name)
    parts: list[str] = []
    if ignored:
        names = [name for group in ignored.values() for name in group]
        shown = " and ".join(f"{' and '.join(group)}={_shown_path(path)}" for path, group in ignored.items())
        verb = "is" if len(names) == 1 else "are"
        why = (
            "it trusts exactly ca_bundle"
            if given is not None
            else "without ca_bundle it trusts the system store"
        )
        if protocol.ENV_CA_BUNDLE in names:
            why += f"; {protocol.ENV_CA_BUNDLE} only counts when the host is not given either"
        parts.append(
            f"{shown} {verb} set but ignored by this client ({why}): if that is the server's CA, "
            f"pass ca_bundle={_shown_path(next(iter(ignored)))}"
        )
    if in_effect:
        parts.append(
            f"SSL_CERT_FILE={_shown_path(in_effect)} is the system store here (OpenSSL reads it), and "
            "it does not hold that CA"
        )
    return "; ".join(parts)


def _real(path: str | None) -> str:
    return os.path.realpath(os.path.expanduser(path)) if path else ""


def explain_connection_failure(
    host: str, text: str, timeout: float, *, ca_bundle: str | os.PathLike[str] | None = None
) -> tuple[str, bool]:
    """(sentence, retryable) for a failure below HTTP, from the library's error text.

    Shared by both transports so requests and httpx failures read the same. TLS trust and key
    problems are not retryable: waiting does not fix them. ``ca_bundle`` is what the transport
    trusts (None: the system store); a trust failure names it, and the CA variables of the
    environment this client ignores (``untrusted_environment_hint``).
    """
    for needles, hint in _TLS_HINTS:
        if any(n.lower() in text.lower() for n in needles):
            sentence = f"TLS handshake with {host} failed: {hint.format(host=host)}"
            if hint is _UNTRUSTED:
                sentence = _untrusted(host, ca_bundle)
            return sentence, False
    low = text.lower()
    if "refused" in low or "errno 111" in low or "connect call failed" in low:
        return (
            f"could not connect to {host}: connection refused. Is the host right, and is the "
            "service (or the emulator) running?",
            True,
        )
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
        return f"could not resolve the host name of {host}; check the host setting", True
    if "timed out" in low or "timeout" in low:
        return f"no answer from {host} within {timeout:g} s", True
    if "ssl" in low or "tls" in low or "certificate" in low:
        return f"TLS handshake with {host} failed ({text[:200]})", False
    return f"the connection to {host} failed ({text[:200]})", True


def _untrusted(host: str, ca_bundle: str | os.PathLike[str] | None) -> str:
    if ca_bundle is None:
        hint = _UNTRUSTED
    else:
        given = os.fspath(ca_bundle)
        where = "" if "-----BEGIN" in given else f" ({_shown_path(given)})"
        hint = _UNTRUSTED_GIVEN.format(where=where)
    environment = untrusted_environment_hint(ca_bundle)
    sentence = f"TLS handshake with {host} failed: {hint}"
    return f"{sentence}. {environment}" if environment else sentence


# --- the old SDK's names (azure.common / azure.servicemanagement), as aliases of ours ---------------
#: The old ``AzureHttpError.__new__``'s choice of subclass by status.
_OLD_STATUS_CLASSES: dict[int, type[AsmError]] = {404: NotFoundError, 409: ConflictError}

#: ``except AzureHttpError`` in a ported script catches every service error of this client.
AzureException = AsmError
AzureHttpError = AsmError
AzureMissingResourceHttpError = NotFoundError
AzureConflictHttpError = ConflictError
AzureAsyncOperationHttpError = OperationFailedError
