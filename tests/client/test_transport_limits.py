"""Response-size limit and the one deadline per attempt (docs/reliability.md, fixed defects 1 and 3).

The slow, memory-measuring versions (200 MB streamed, a server dripping bytes) live in
tests/reliability/test_hostile_responses.py; these are the quick contract checks of both transports.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_transport import GET, POST, Reply, send

import airflow_sm_provider.client.transport as tmod
from airflow_sm_provider.client.errors import InvalidResponseError, TransportError
from airflow_sm_provider.client.transport import ApiRequest

KINDS = ["sync", "async"]
LIMIT = 4096


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(tmod.Endpoint, "max_body_bytes", LIMIT)
    return LIMIT


@pytest.mark.parametrize("kind", KINDS)
def test_declared_length_over_limit_refused_and_connection_discarded(
    kind: str, tls_server: Any, pki: Any, small_limit: int
) -> None:
    tls_server.script(Reply(200, b"x" * (small_limit + 1)), Reply(200, b"<Ok/>"))
    too_big, after = send(kind, tls_server, pki, GET, GET)
    assert isinstance(too_big, InvalidResponseError), too_big
    assert f"{small_limit}-byte response limit" in str(too_big) and tls_server.host in str(too_big)
    assert after.body == b"<Ok/>"
    # The half-read connection was closed, not handed back to the pool: the next call reconnected.
    assert len(tls_server.peers) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_body_at_the_limit_read_and_connection_reused(
    kind: str, tls_server: Any, pki: Any, small_limit: int
) -> None:
    body = b"<Ok>" + b"y" * (small_limit - 9) + b"</Ok>"
    assert len(body) == small_limit
    tls_server.script(Reply(200, body), Reply(200, b"<Ok/>"))
    first, second = send(kind, tls_server, pki, GET, GET)
    assert first.body == body and second.body == b"<Ok/>"
    assert len(tls_server.peers) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_error_bodies_are_bounded_too(kind: str, tls_server: Any, pki: Any, small_limit: int) -> None:
    tls_server.script(Reply(500, b"e" * (small_limit * 2)))
    (result,) = send(kind, tls_server, pki, ApiRequest("GET", "/x"), retry=tmod.RetryPolicy.none())
    assert isinstance(result, InvalidResponseError) and result.status_code == 500


@pytest.mark.parametrize("kind", KINDS)
def test_multi_chunk_body_is_joined(kind: str, tls_server: Any, pki: Any) -> None:
    body = b"<Ok>" + bytes(range(256)) * 1024 + b"</Ok>"  # 262 KB: several 64 KiB reads
    tls_server.script(Reply(200, body))
    (result,) = send(kind, tls_server, pki, GET)
    assert result.body == body


def test_deadline_error_is_ambiguous_only_for_non_idempotent_requests(tls_server: Any, pki: Any) -> None:
    core = tmod.Endpoint(tls_server.host, "sub", 2.5, "2014-10-01", None)
    get_err, post_err = core.deadline_error(GET), core.deadline_error(POST)
    for err in (get_err, post_err):
        assert isinstance(err, TransportError) and err.retryable
        assert f"no complete answer from {tls_server.host} within 2.5 s" in str(err)
    assert not get_err.ambiguous
    assert post_err.ambiguous and "not re-sent" in str(post_err)


@pytest.mark.parametrize("kind", KINDS)
def test_slow_answer_stops_at_the_request_timeout(kind: str, tls_server: Any, pki: Any) -> None:
    """A POST answered after the timeout: a TransportError near the deadline, marked ambiguous."""
    tls_server.script(Reply(200, b"<Ok/>", delay=2.0))
    (result,) = send(kind, tls_server, pki, POST, timeout=0.5)
    assert isinstance(result, TransportError) and result.ambiguous, result
    assert "0.5 s" in str(result)
