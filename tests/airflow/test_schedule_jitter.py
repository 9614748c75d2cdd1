"""The triggers' poll schedule is spread (``Schedule.jitter``), so waits resumed together drift apart.

A triggerer restart resumes hundreds of waits at the same instant; with a fixed interval they would
poll in lock-step forever, a burst through the request budget each interval. The early re-checks
(0.25 s, 0.5 s, ...) stay exact: they find most swaps done within a second.
"""

from __future__ import annotations

import itertools

import pytest

from airflow_sm_provider.client.polling import WAIT_JITTER, Schedule
from airflow_sm_provider.triggers.operation import AsmOperationTrigger


def test_steady_sleeps_are_spread_around_the_interval() -> None:
    delays = list(itertools.islice(Schedule(10.0, jitter=WAIT_JITTER).delays(), 5006))
    assert delays[:6] == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]  # the back-off is exact
    steady = delays[6:]
    assert min(steady) >= 10.0 * (1 - WAIT_JITTER) and max(steady) <= 10.0 * (1 + WAIT_JITTER)
    assert sum(steady) / len(steady) == pytest.approx(10.0, rel=0.02)  # the mean rate is unchanged
    assert len({round(d, 6) for d in steady}) > 4000  # really spread, not a few fixed values


def test_without_jitter_the_schedule_is_exact() -> None:
    delays = list(itertools.islice(Schedule(0.5).delays(), 4))
    assert delays == [0.25, 0.5, 0.5, 0.5]


def test_jitter_must_be_a_fraction() -> None:
    for bad in (-0.1, 1.0, 2.0):
        with pytest.raises(ValueError, match="jitter"):
            Schedule(5.0, jitter=bad)


def test_triggers_poll_on_the_spread_schedule() -> None:
    trigger = AsmOperationTrigger(request_id="r1", deadline=2e9, poll_interval=30.0)
    assert trigger.schedule().jitter == WAIT_JITTER
    assert trigger.schedule().interval == 30.0
