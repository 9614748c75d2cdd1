"""AsyncTransport under many concurrent callers (a triggerer's waits share one client).

What must not regress (docs/benchmarks.md section 3): hundreds of concurrent requests all
complete, never more than ``max_connections`` are in flight or TLS connections opened, and a
second wave reuses the kept-alive connections instead of handshaking again. Counts, not clocks.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_sm_provider.client import credentials as cmod
from airflow_sm_provider.client import transport as tmod
from airflow_sm_provider.client.aio import AsyncServiceManagementClient
from airflow_sm_provider.client.budget import DEFAULT_REQUESTS_PER_SECOND, configure_budget
from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.client.service import ServiceManagementClient
from airflow_sm_provider.client.transport import ApiResponse, AsyncTransport

CALLS = 300


class Counters:
    def __init__(self) -> None:
        self.handshakes = 0  # TLS connections opened (SSLContext.wrap_bio, as anyio/httpcore do)
        self.in_flight = 0
        self.peak_in_flight = 0


@pytest.fixture
def counters(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counters]:
    """Count TLS connections opened by the transports' SSL contexts, and requests in flight."""
    seen = Counters()
    make_context = cmod.Credentials.ssl_context

    def ssl_context(self: Any, **kwargs: Any) -> ssl.SSLContext:
        ctx = make_context(self, **kwargs)
        wrap_bio = ctx.wrap_bio

        def counting_wrap_bio(*args: Any, **kw: Any) -> ssl.SSLObject:
            seen.handshakes += 1
            return wrap_bio(*args, **kw)

        ctx.wrap_bio = counting_wrap_bio  # type: ignore[method-assign]
        return ctx

    gated = AsyncTransport._attempt_gated

    async def counting_attempt(self: AsyncTransport, request: Any) -> ApiResponse:
        seen.in_flight += 1
        seen.peak_in_flight = max(seen.peak_in_flight, seen.in_flight)
        try:
            await asyncio.sleep(0)  # let every other caller reach the gate meanwhile
            return await gated(self, request)
        finally:
            seen.in_flight -= 1

    monkeypatch.setattr(cmod.Credentials, "ssl_context", ssl_context)
    monkeypatch.setattr(AsyncTransport, "_attempt_gated", counting_attempt)
    yield seen


@pytest.fixture(scope="module")
def request_id(asm_emulator: Any) -> Iterator[str]:
    """A finished operation to poll (the emulator's request budget lifted: see below)."""
    ep = asm_emulator.endpoint
    # These tests count connections and requests in flight under 600 concurrent calls; the
    # process-wide request budget (20/s by default, tests/client/test_budget.py) would only make
    # them take 30 s each without changing what they check.
    configure_budget(ep["host"], ep["subscription_id"], None)
    with ServiceManagementClient(
        ep["subscription_id"], ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"]
    ) as sms:
        handle = sms.create_hosted_service("concsvc", "lbl", "desc", "West US")
        handle.wait(timeout=120, poll_interval=0.05)
    yield str(handle.request_id)
    configure_budget(ep["host"], ep["subscription_id"], DEFAULT_REQUESTS_PER_SECOND)


def _client(ep: dict[str, str], **kwargs: Any) -> AsyncServiceManagementClient:
    return AsyncServiceManagementClient(
        ep["subscription_id"], ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"], **kwargs
    )


@pytest.mark.parametrize("limit", [1, 16, None])
def test_many_concurrent_polls_share_few_connections(
    asm_emulator: Any, request_id: str, counters: Counters, limit: int | None
) -> None:
    n = limit or tmod.ASYNC_MAX_CONNECTIONS

    async def main() -> tuple[list[str], int]:
        kwargs = {} if limit is None else {"max_connections": limit}
        client = _client(asm_emulator.endpoint, **kwargs)
        async with client:
            assert client._transport.max_connections == n
            first = await asyncio.gather(*(client.get_operation_status(request_id) for _ in range(CALLS)))
            opened = counters.handshakes
            second = await asyncio.gather(*(client.get_operation_status(request_id) for _ in range(CALLS)))
        return [op.status for op in first + second], opened

    statuses, opened_by_first_wave = asyncio.run(main())

    assert statuses == ["Succeeded"] * (2 * CALLS)
    assert 1 <= opened_by_first_wave <= n
    assert counters.peak_in_flight <= n
    # The second wave re-used the kept-alive connections: no new TLS handshake.
    assert counters.handshakes == opened_by_first_wave


def test_default_limits_are_documented_and_applied(asm_emulator: Any) -> None:
    async def main() -> Any:
        async with _client(asm_emulator.endpoint) as client:
            pool: Any = client._transport._client._transport._pool  # type: ignore[attr-defined]
            return pool._max_connections, pool._max_keepalive_connections, pool._keepalive_expiry

    assert asyncio.run(main()) == (
        tmod.ASYNC_MAX_CONNECTIONS,
        tmod.ASYNC_MAX_CONNECTIONS,
        tmod.ASYNC_KEEPALIVE_EXPIRY,
    )
    assert tmod.ASYNC_KEEPALIVE_EXPIRY > 60  # longer than any sensible poll interval


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"max_connections": 0}, "max_connections"), ({"keepalive_expiry": -1}, "keepalive_expiry")],
)
def test_limits_are_validated(asm_emulator: Any, kwargs: dict[str, Any], field: str) -> None:
    ep = asm_emulator.endpoint
    creds = cmod.load_credentials(ep["client_pem"])
    with pytest.raises(InvalidInputError, match=field):
        AsyncTransport(host=ep["host"], subscription_id=ep["subscription_id"], credentials=creds, **kwargs)


def test_gate_is_made_on_the_loop_that_uses_it(asm_emulator: Any, request_id: str) -> None:
    """Built outside any loop (the hook builds clients in a worker thread), used inside one."""
    client = _client(asm_emulator.endpoint, max_connections=2)
    assert client._transport._gate is None

    async def main() -> str:
        async with client:
            op = await client.get_operation_status(request_id)
        return op.status

    assert asyncio.run(main()) == "Succeeded"
    assert client._transport._gate is not None
