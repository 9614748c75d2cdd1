"""A booked request is admitted as it leaves: senders resumed late never burst past the server's bucket.

Measured in the fleet benchmark (docs/benchmarks.md section 6): 10,000 waits in one triggerer asked
for their first token at once; the budget booked them at 405/s after a burst of 405, but the event
loop, busy starting the triggers, sent the first ~1,000 booked requests up to 1.2 s late and then
back to back (~700/s), and the emulator's bucket at 450/s answered 59-221 of them 429. The fix:
``RequestBudget.depart()`` checks the same bucket at the moment a request really leaves, and the
request plan books again when it says "not yet". These tests drive the plan's rule (book, sleep,
depart or book again) on a fake clock with that lateness, and count what the emulator's own limiter
(the server's side) throttles.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable

import pytest

from airflow_sm_provider.client.budget import RequestBudget
from airflow_sm_provider.emulator.ratelimit import RateLimiter

SERVER_RPS = 450.0
BUDGET_RPS = 405.0  # 90 % of the server's rate, the fleet benchmark's share


def _throttled(departures: list[float], rps: float) -> int:
    """How many of ``departures`` (sorted seconds) the emulator's limiter at ``rps`` answers 429."""
    now = [0.0]
    limiter = RateLimiter(rps, clock=lambda: now[0])
    count = 0
    for at in departures:
        now[0] = at
        count += limiter.acquire("sub") is not None
    return count


def _run(n: int, late: Callable[[float, int], float], *, admit: bool) -> tuple[list[float], int]:
    """``n`` senders book at t=0, each resumes at ``late(booked_at, i)`` the first time (on time
    after that); with ``admit`` the plan's rule applies (depart, or book again). Returns the sorted
    departure times and how many senders had to book again."""
    clock = [0.0]
    budget = RequestBudget(BUDGET_RPS, clock=lambda: clock[0])
    resumes: list[tuple[float, int, int]] = []  # (time, sender, tries)
    for i in range(n):
        booked = budget.reserve()
        heapq.heappush(resumes, (late(booked, i), i, 0))
    departures: list[float] = []
    rebooked = 0
    while resumes:
        at, i, tries = heapq.heappop(resumes)
        clock[0] = at
        if not admit or budget.depart():
            departures.append(at)
            continue
        rebooked += tries == 0
        heapq.heappush(resumes, (at + budget.reserve(), i, tries + 1))
    return departures, rebooked


def _benchmark_lateness(booked: float, i: int) -> float:
    """The measured shape: released before 1.2 s went out from 1.2 s on at ~700/s."""
    return max(booked, 1.2 + i / 700) if booked < 1.2 else booked


def test_late_senders_are_throttled_without_the_departure_check() -> None:
    """The test can fail: booking alone lets the late ones burst past the server's bucket."""
    departures, _ = _run(10_000, _benchmark_lateness, admit=False)
    assert _throttled(sorted(departures), SERVER_RPS) > 0


def test_late_senders_are_never_throttled_with_the_departure_check() -> None:
    departures, rebooked = _run(10_000, _benchmark_lateness, admit=True)
    assert len(departures) == 10_000  # every request leaves, none is lost
    assert _throttled(sorted(departures), SERVER_RPS) == 0
    assert _throttled(sorted(departures), BUDGET_RPS * 1.01) == 0  # the budget's own shape, +1 %
    assert 0 < rebooked < 10_000  # the late ones were put back, the on-time ones were not


@pytest.mark.parametrize("seed", range(5))
def test_random_lateness_never_runs_ahead_of_the_bucket(seed: int) -> None:
    rng = random.Random(seed)
    spikes = {rng.randrange(2_000) for _ in range(50)}

    def late(booked: float, i: int) -> float:
        return booked + (rng.uniform(0.0, 2.0) if i in spikes or rng.random() < 0.1 else 0.0)

    departures, _ = _run(2_000, late, admit=True)
    assert len(departures) == 2_000
    assert _throttled(sorted(departures), BUDGET_RPS * 1.01) == 0


def test_on_time_senders_are_never_booked_twice() -> None:
    """Without lateness the check costs nothing: every booked request is admitted at its slot."""
    departures, rebooked = _run(5_000, lambda booked, i: booked, admit=True)
    assert rebooked == 0 and len(departures) == 5_000


def test_unlimited_budget_always_departs() -> None:
    budget = RequestBudget(None)
    assert all(budget.depart() for _ in range(1_000))


def test_retry_after_hold_also_holds_departures() -> None:
    clock = [100.0]
    budget = RequestBudget(10.0, clock=lambda: clock[0])
    budget.hold(5.0)
    assert not budget.depart()  # nothing leaves during the server's Retry-After
    clock[0] += 5.0
    assert budget.depart()
