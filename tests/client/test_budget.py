"""The per-subscription request budget: the bucket's arithmetic on a fake clock, one budget shared by
every transport of a (host, subscription) in a process, and -- against a rate-limited server -- no 429
while the budget is below the server's limit (and 429s without it, so the test can fail)."""

from __future__ import annotations

import asyncio
import inspect
import math
import threading
from typing import Any

import pytest
from test_transport import GET, SUB, Reply, err

from airflow_sm_provider.client import budget as bmod
from airflow_sm_provider.client.budget import (
    RequestBudget,
    budget_for,
    configure_budget,
)
from airflow_sm_provider.client.credentials import load_credentials
from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.transport import AsyncTransport, Transport


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


# --- the bucket -------------------------------------------------------------------------------------
def test_burst_then_steady_rate() -> None:
    clock = FakeClock()
    bucket = RequestBudget(4.0, clock=clock)  # burst = one second's worth = 4
    assert [bucket.reserve() for _ in range(4)] == [0.0] * 4
    waits = [bucket.reserve() for _ in range(4)]
    assert waits == pytest.approx([0.25, 0.5, 0.75, 1.0])
    clock.now += 10  # idle: the bucket refills to its burst, not beyond
    assert [bucket.reserve() for _ in range(4)] == [0.0] * 4
    assert bucket.reserve() == pytest.approx(0.25)


def test_unlimited_budget_never_waits() -> None:
    bucket = RequestBudget(None)
    assert {bucket.reserve() for _ in range(10_000)} == {0.0}


def test_hold_stops_everyone_sharing_the_budget() -> None:
    clock = FakeClock()
    bucket = RequestBudget(10.0, clock=clock)
    bucket.hold(3.0)
    assert bucket.reserve() == pytest.approx(3.0)
    bucket.hold(math.nan)  # a hostile Retry-After is ignored, not a crash or an endless wait
    bucket.hold(-1)


def test_configuring_again_keeps_a_retry_after_hold() -> None:
    """The hook configures the budget on every client it builds: that must not cancel a 429's hold."""
    clock = FakeClock()
    bucket = RequestBudget(10.0, clock=clock)
    bucket.hold(30.0)
    bucket.configure(10.0)
    assert bucket.reserve() == pytest.approx(30.0)
    bucket.configure(20.0)  # a new rate applies to what comes after; what is owed stays owed
    assert bucket.reserve() >= 30.0


def test_configure_changes_a_shared_budget_in_place() -> None:
    host = "127.0.0.1:1"
    first = budget_for(host, SUB)
    assert first.rate == bmod.DEFAULT_REQUESTS_PER_SECOND
    try:
        same = configure_budget("https://127.0.0.1:1", SUB.upper(), 2.5)
        assert same is first and first.rate == 2.5 and first.burst == 2.5
    finally:
        configure_budget(host, SUB, bmod.DEFAULT_REQUESTS_PER_SECOND)


@pytest.mark.parametrize("rate", [0, -1, math.nan, math.inf, "10", True])
def test_bad_rates_are_typed_errors(rate: Any) -> None:
    with pytest.raises(InvalidInputError) as ei:
        RequestBudget(rate)
    assert ei.value.field == "requests_per_second"


def test_default_is_below_the_published_management_rate() -> None:
    # budget.py explains the choice: Azure's published management-plane read refill is 25/s.
    assert 0 < bmod.DEFAULT_REQUESTS_PER_SECOND < 25
    assert budget_for("management.core.windows.net", SUB).burst == bmod.DEFAULT_REQUESTS_PER_SECOND


# --- against a rate-limited server -----------------------------------------------------------------
class RateLimitedReplies:
    """Stands in for TlsServer's reply queue: 429 TooManyRequests + Retry-After over ``rate``/s.

    The same GCRA bucket as the emulator's ``--rate-limit`` (burst = max(1, rate)), on real time.
    """

    def __init__(self, rate: float) -> None:
        self.bucket = RequestBudget(rate)
        self.lock = threading.Lock()
        self.ok = 0
        self.throttled = 0

    def get_nowait(self) -> Reply:
        with self.lock:
            if self.bucket.reserve() > 0:
                self.throttled += 1
                return Reply(
                    429, err("TooManyRequests", "The request is being throttled."), {"Retry-After": "1"}
                )
            self.ok += 1
            return Reply(200, b"<Ok/>")


def _args(server: Any, pki: Any, **kw: Any) -> dict[str, Any]:
    return {
        "host": server.host,
        "subscription_id": SUB,
        "credentials": load_credentials(pki.client_pem),
        "ca_bundle": pki.ca_pem,
        "retry": RetryPolicy.none(),  # a 429 would fail the call: we count them, not hide them
        "timeout": 10.0,
        **kw,
    }


async def _burst(server: Any, pki: Any, n: int, **kw: Any) -> list[Any]:
    async with AsyncTransport(**_args(server, pki, **kw)) as t:
        return await asyncio.gather(*(t.send(GET) for _ in range(n)), return_exceptions=True)


def test_without_a_budget_the_server_throttles(tls_server: Any, pki: Any) -> None:
    """The control: proves the limiter fires, so the next test's zero is meaningful."""
    limited = tls_server.replies = RateLimitedReplies(10.0)
    results = asyncio.run(_burst(tls_server, pki, 30, budget=RequestBudget(None)))
    assert (
        limited.throttled > 0
        and sum(getattr(r, "status_code", 0) == 429 for r in results) == limited.throttled
    )


def test_a_budget_under_the_limit_meets_no_429(tls_server: Any, pki: Any) -> None:
    limited = tls_server.replies = RateLimitedReplies(10.0)
    results = asyncio.run(_burst(tls_server, pki, 24, budget=RequestBudget(8.0)))
    assert limited.throttled == 0 and [r.status for r in results] == [200] * 24


def test_sync_and_async_transports_share_one_budget(tls_server: Any, pki: Any) -> None:
    """A worker thread's sync client and a trigger's async client take from the same bucket."""
    limited = tls_server.replies = RateLimitedReplies(10.0)
    configure_budget(tls_server.host, SUB, 8.0)
    try:
        sync_results: list[int] = []

        def worker() -> None:
            with Transport(**_args(tls_server, pki)) as t:
                sync_results.extend(t.send(GET).status for _ in range(12))

        thread = threading.Thread(target=worker)
        thread.start()
        async_results = asyncio.run(_burst(tls_server, pki, 12))
        thread.join()
        with Transport(**_args(tls_server, pki)) as t:
            assert t.budget is budget_for(tls_server.host, SUB)
    finally:
        configure_budget(tls_server.host, SUB, bmod.DEFAULT_REQUESTS_PER_SECOND)
    assert limited.throttled == 0
    assert sync_results == [200] * 12 and [r.status for r in async_results] == [200] * 12


# --- against the emulator's rate limit (after integration with the emulator branch) ---------------
def _emulator_has_rate_limit() -> bool:
    from airflow_sm_provider.emulator import Emulator

    return "rate_limit" in inspect.signature(Emulator).parameters


@pytest.mark.skipif(not _emulator_has_rate_limit(), reason="this emulator has no rate_limit option yet")
def test_budget_keeps_the_emulator_rate_limit_from_firing(asm_emulator_factory: Any) -> None:
    emulator = asm_emulator_factory(rate_limit=10.0)
    ep = emulator.endpoint
    configure_budget(ep["host"], ep["subscription_id"], 8.0)
    try:

        async def main() -> list[Any]:
            from airflow_sm_provider.client.aio import AsyncServiceManagementClient

            async with AsyncServiceManagementClient(
                ep["subscription_id"],
                ep["client_pem"],
                ep["host"],
                ca_bundle=ep["ca_cert"],
                retry=RetryPolicy.none(),
            ) as client:
                return await asyncio.gather(
                    *(client.get_subscription() for _ in range(24)), return_exceptions=True
                )

        results = asyncio.run(main())
    finally:
        configure_budget(ep["host"], ep["subscription_id"], bmod.DEFAULT_REQUESTS_PER_SECOND)
    # With retries off, a single 429 from the emulator would be a ThrottledError here.
    assert not [r for r in results if isinstance(r, Exception)]


class _SpyBudget(RequestBudget):
    """Records, at each departure check, how many of the transport's gate slots were held."""

    def __init__(self, rate: float | None) -> None:
        super().__init__(rate)
        self.transport: AsyncTransport | None = None
        self.gate_free_at_departure: list[int] = []

    def departure_wait(self) -> float:
        gate = self.transport._gate if self.transport is not None else None
        self.gate_free_at_departure.append(gate._value if gate is not None else -1)
        return super().departure_wait()


def test_async_driver_takes_the_departure_token_inside_its_gate(tls_server: Any, pki: Any) -> None:
    """The last check before the wire happens after any queueing for a connection: a request that
    waited in the gate cannot leave in a burst with the others (test_budget_departure.py)."""
    tls_server.replies = RateLimitedReplies(1000.0)
    spy = _SpyBudget(None)

    async def go() -> list[Any]:
        async with AsyncTransport(**_args(tls_server, pki, budget=spy, max_connections=2)) as t:
            spy.transport = t
            return await asyncio.gather(*(t.send(GET) for _ in range(6)))

    results = asyncio.run(go())
    assert [r.status for r in results] == [200] * 6
    assert len(spy.gate_free_at_departure) == 6
    assert all(0 <= free < 2 for free in spy.gate_free_at_departure)  # a slot was held each time
