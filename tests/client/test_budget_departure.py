"""A booked request is admitted as it leaves: senders resumed late never burst past the server's bucket.

Measured in the fleet benchmark (docs/benchmarks.md section 6): 10,000 waits in one triggerer asked
for their first token at once; the budget booked them at 405/s after a burst of 405, but the event
loop, busy starting the triggers, sent the first ~1,000 booked requests up to 1.2 s late and then
back to back (~700/s), and the emulator's bucket at 450/s answered 59-221 of them 429. The fix:
``RequestBudget.departure_wait()`` checks the same bucket at the moment a request really leaves (the
drivers ask right before the wire; the async one inside its connection gate). These tests drive
that rule on a fake clock with the measured lateness and count what the emulator's own limiter (the
server's side) throttles.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from airflow_sm_provider.client.budget import RequestBudget
from airflow_sm_provider.emulator.ratelimit import throttled_count

SERVER_RPS = 450.0
BUDGET_RPS = 405.0  # 90 % of the server's rate, the fleet benchmark's share


def _run(n: int, late: Callable[[float, int], float], *, admit: bool) -> tuple[list[float], float]:
    """``n`` senders book at t=0 (``reserve``) and resume at ``late(booked_at, i)``; then, as the
    async driver does inside its connection gate (one sender at a time here), ``departure_wait``
    holds each until the bucket has a token (``admit``), or it leaves at once (the old rule).
    Returns the sorted departure times and the longest departure wait."""
    clock = [0.0]
    budget = RequestBudget(BUDGET_RPS, clock=lambda: clock[0])
    resumed = sorted(late(budget.reserve(), i) for i in range(n))
    departures: list[float] = []
    longest = 0.0
    gate_free = 0.0
    for at in resumed:
        clock[0] = max(at, gate_free)
        while admit and (wait := budget.departure_wait()) > 0:
            clock[0] += wait
        longest = max(longest, clock[0] - at)
        departures.append(clock[0])
        gate_free = clock[0]
    return departures, longest


def _benchmark_lateness(booked: float, i: int) -> float:
    """The measured shape: released before 1.2 s went out from 1.2 s on at ~700/s."""
    return max(booked, 1.2 + i / 700) if booked < 1.2 else booked


def test_late_senders_are_throttled_without_the_departure_check() -> None:
    """The test can fail: booking alone lets the late ones burst past the server's bucket."""
    departures, _ = _run(10_000, _benchmark_lateness, admit=False)
    assert throttled_count(departures, SERVER_RPS) > 0


def test_late_senders_are_never_throttled_with_the_departure_check() -> None:
    departures, longest = _run(10_000, _benchmark_lateness, admit=True)
    assert len(departures) == 10_000  # every request leaves, none is lost
    assert throttled_count(departures, SERVER_RPS) == 0
    assert throttled_count(departures, BUDGET_RPS * 1.01) == 0  # the budget's own shape, +1 %
    assert 0 < longest < 3.0  # the late ones waited a little, not a whole queue's length


@pytest.mark.parametrize("seed", range(5))
def test_random_lateness_never_runs_ahead_of_the_bucket(seed: int) -> None:
    rng = random.Random(seed)
    spikes = {rng.randrange(2_000) for _ in range(50)}

    def late(booked: float, i: int) -> float:
        return booked + (rng.uniform(0.0, 2.0) if i in spikes or rng.random() < 0.1 else 0.0)

    departures, _ = _run(2_000, late, admit=True)
    assert len(departures) == 2_000
    assert throttled_count(departures, BUDGET_RPS * 1.01) == 0


def test_on_time_senders_never_wait_at_departure() -> None:
    """Without lateness the check costs nothing: every booked request is admitted at its slot."""
    departures, longest = _run(5_000, lambda booked, i: booked, admit=True)
    assert longest == 0.0 and len(departures) == 5_000


def test_unlimited_budget_always_departs() -> None:
    budget = RequestBudget(None)
    assert all(budget.departure_wait() == 0.0 for _ in range(1_000))


def test_retry_after_hold_also_holds_departures() -> None:
    clock = [100.0]
    budget = RequestBudget(10.0, clock=lambda: clock[0])
    budget.hold(5.0)
    assert budget.departure_wait() > 4.9  # nothing leaves during the server's Retry-After
    clock[0] += 5.0
    assert budget.departure_wait() == 0.0
