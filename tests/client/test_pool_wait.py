"""A request that never reached the wire is reported as NOT sent (review finding 2).

The async driver admits ``max_connections`` requests at a time; the wait for a slot counts against
the attempt's deadline (a queue cannot hold a caller forever). A POST queued behind a slow request
whose deadline passed before it was handed to a connection used to fail with "may have reached the
server" (ambiguous: not retried, reconciled by reads). Now the driver reports what it knows -- the
request was not on the wire -- and the plan decides: a timeout, not ambiguous, retryable, said in
plain words; the retry policy may send it (once). Real TLS server, real httpx pool, no patching.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from test_transport import GET, POST, SUB, Reply

from airflow_sm_provider.client.budget import RequestBudget
from airflow_sm_provider.client.credentials import load_credentials
from airflow_sm_provider.client.errors import TransportError
from airflow_sm_provider.client.plan import Endpoint, Lost, request_plan
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.transport import ApiResponse, AsyncTransport


def _queued_behind_a_slow_request(
    tls_server: Any, pki: Any, retry: RetryPolicy, *, second_handshake: float = 0.0, timeout: float = 0.5
) -> list[Any]:
    """A GET holds the only connection past its deadline; a POST waits for that connection.

    The POST's deadline is a few microseconds after the GET's (its step is made right after), so
    the gate usually opens with nothing left. On a loaded machine the gap between the two can be
    tens of ms, in which a new localhost connection gets its headers out: ``second_handshake``
    makes the POST's connection slow, so "never on the wire" does not depend on the scheduler.
    A test whose POST must then get through gives it a longer ``timeout``, for the same reason.
    """
    tls_server.script(Reply(200, b"<Ok/>", delay=4 * timeout))
    if second_handshake:
        tls_server.httpd.delay_handshakes(0.0, second_handshake)

    async def main() -> list[Any]:
        async with AsyncTransport(
            host=tls_server.host,
            subscription_id=SUB,
            credentials=load_credentials(pki.client_pem),
            ca_bundle=pki.ca_pem,
            timeout=timeout,
            retry=retry,
            max_connections=1,
            budget=RequestBudget(None),
        ) as transport:
            return list(
                await asyncio.gather(transport.send(GET), transport.send(POST), return_exceptions=True)
            )

    return asyncio.run(main())


def test_a_post_that_waited_for_a_connection_is_not_sent_and_says_so(tls_server: Any, pki: Any) -> None:
    _slow, queued = _queued_behind_a_slow_request(tls_server, pki, RetryPolicy.none(), second_handshake=2.0)
    assert isinstance(queued, TransportError), queued
    assert not queued.ambiguous and queued.retryable
    assert "was not sent" in str(queued) and "may have reached" not in str(queued)
    assert [seen.method for seen in tls_server.seen] == ["GET"]  # the POST never reached the server


def test_the_retry_policy_sends_it_once_when_a_connection_is_free(tls_server: Any, pki: Any) -> None:
    retry = RetryPolicy(max_attempts=3, base_delay=0.01, jitter=False)
    _slow, queued = _queued_behind_a_slow_request(tls_server, pki, retry, timeout=2.0)
    assert isinstance(queued, ApiResponse) and queued.status == 200
    assert [seen.method for seen in tls_server.seen].count("POST") == 1


@pytest.mark.parametrize(("sent", "ambiguous"), [(False, False), (True, True)])
def test_the_plan_decides_from_what_the_driver_saw(sent: bool, ambiguous: bool) -> None:
    """Sans-I/O: the same timeout is "not sent" or "may have reached the server" by ``Lost.sent``."""
    endpoint = Endpoint("management.core.windows.net", SUB, 5.0, "2014-10-01", RetryPolicy.none())
    plan = request_plan(endpoint, POST, clock=lambda: 0.0)
    next(plan)
    with pytest.raises(TransportError) as err:
        plan.send(Lost("deadline", sent=sent, timed_out=True))
    assert err.value.ambiguous is ambiguous
    assert ("was not sent" in str(err.value)) is not sent


@pytest.fixture
def black_hole() -> Any:
    """A TCP port that accepts connections (the kernel's backlog) and never answers: a TLS
    handshake to it hangs until the client's deadline."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_post_whose_connection_was_never_made_is_not_sent(kind: str, black_hole: str, pki: Any) -> None:
    """Both drivers agree: a deadline passed during the TLS handshake sent nothing."""
    from test_transport import send

    (exc,) = send(
        kind, type("Host", (), {"host": black_hole})(), pki, POST, retry=RetryPolicy.none(), timeout=0.3
    )
    assert isinstance(exc, TransportError) and not exc.ambiguous, exc
