"""Error mapping from real ASM bodies, HTML pages and empty bodies; str() is one sentence."""

from __future__ import annotations

import pytest

from airflow_sm_provider import protocol
from airflow_sm_provider.client.errors import (
    AsmError,
    AuthenticationError,
    BadRequestError,
    CertificateError,
    ConflictError,
    ExclusiveAccessError,
    InvalidInputError,
    NotFoundError,
    ServerError,
    ThrottledError,
    TransportError,
    error_from_response,
    parse_retry_after,
)

NS = 'xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'


def body(code: str, msg: str) -> bytes:
    return f"<Error {NS}><Code>{code}</Code><Message>{msg}</Message></Error>".encode()


RID = "977b2d2b61d3b0f1952277896459cf7a"


@pytest.mark.parametrize(
    ("status", "code", "msg", "cls"),
    [
        (404, "ResourceNotFound", protocol.MSG_HOSTED_SERVICE_NOT_FOUND, NotFoundError),
        (403, "ForbiddenError", protocol.MSG_FORBIDDEN, AuthenticationError),
        (403, "AuthenticationFailed", protocol.MSG_FORBIDDEN, AuthenticationError),
        (403, "SubscriptionDisabled", protocol.MSG_SUBSCRIPTION_DISABLED, AuthenticationError),
        (409, "ConflictError", protocol.MSG_DNS_TAKEN, ConflictError),
        (409, "ConflictError", protocol.MSG_EXCLUSIVE_ACCESS, ExclusiveAccessError),
        (400, "BadRequest", "The image name is invalid.", BadRequestError),
        (400, "MissingOrIncorrectVersionHeader", "The versioning header is missing.", BadRequestError),
        (429, "TooManyRequests", protocol.MSG_THROTTLED, ThrottledError),
        (503, "ServerBusy", protocol.MSG_SERVER_BUSY, ThrottledError),
        (500, "InternalError", protocol.MSG_INTERNAL, ServerError),
        (500, "OperationTimedOut", "Operation timed out.", ServerError),
    ],
)
def test_real_asm_bodies(status: int, code: str, msg: str, cls: type) -> None:
    err = error_from_response(status, body(code, msg), RID, {})
    assert type(err) is cls
    assert (err.status_code, err.code, err.request_id) == (status, code, RID)
    assert err.message.startswith(msg)
    text = str(err)
    assert code in text and RID in text and str(status) in text and "\n" not in text


def test_exclusive_access_variant_with_request_id_still_matches() -> None:
    msg = protocol.MSG_EXCLUSIVE_ACCESS[:-1] + " (x-ms-requestid 0123)."
    assert isinstance(error_from_response(409, body("ConflictError", msg), None, {}), ExclusiveAccessError)


def test_escaped_text_unescaped() -> None:
    err = error_from_response(400, body("BadRequest", "a &amp; b &lt;c&gt;"), None, {})
    assert err.message == "a & b <c>"


def test_html_error_page() -> None:
    html = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    err = error_from_response(502, html, None, {})
    assert isinstance(err, ServerError) and err.code is None
    assert "HTML page" in str(err) and "502 Bad Gateway" in str(err)


@pytest.mark.parametrize(
    ("status", "cls"), [(404, NotFoundError), (500, ServerError), (403, AuthenticationError)]
)
def test_empty_body(status: int, cls: type) -> None:
    err = error_from_response(status, b"", "r1", {})
    assert type(err) is cls and err.code is None
    assert str(err).startswith(f"ASM HTTP {status}: ") and "r1" in str(err)


def test_truncated_and_garbage_bodies() -> None:
    err = error_from_response(500, b"<Error><Code>InternalError</Code><Mess", None, {})
    assert err.code == "InternalError"
    err = error_from_response(418, b"\x00\xff garbage", None, {})
    assert type(err) is AsmError and "unexpected response body" in str(err)


def test_entities_in_error_body_are_not_expanded() -> None:
    evil = b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><Error><Code>BadRequest</Code><Message>&x;</Message></Error>'
    err = error_from_response(400, evil, None, {})
    assert "root:" not in str(err)


def test_retry_after_header() -> None:
    err = error_from_response(429, body("TooManyRequests", "slow"), None, {"retry-after": "12"})
    assert isinstance(err, ThrottledError) and err.retry_after == 12.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("99999") == 3600.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_transport_error_and_value_errors() -> None:
    err = TransportError("the connection failed", ambiguous=True)
    assert err.ambiguous and err.status_code is None and str(err) == "the connection failed."
    assert issubclass(CertificateError, ValueError) and issubclass(InvalidInputError, ValueError)
    e = InvalidInputError(field="service_name", message="must start with a letter")
    assert e.field == "service_name" and "service_name" in str(e)
    assert issubclass(ExclusiveAccessError, ConflictError)
