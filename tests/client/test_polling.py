"""The one polling loop, driven with a fake clock: no real sleeping anywhere."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace as NS
from typing import Any

import pytest

from airflow_sm_provider.client.errors import (
    ExclusiveAccessError,
    NotFoundError,
    ServerError,
    ThrottledError,
    TransportError,
)
from airflow_sm_provider.client.polling import (
    FETCH,
    PollResult,
    Sleep,
    deployment_ready_condition,
    operation_condition,
    poll,
    run_async,
    run_sync,
)


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s

    async def asleep(self, s: float) -> None:
        self.sleep(s)


def op(status: str, code: str = "", msg: str = "", http: int | None = None) -> Any:
    error = NS(code=code, message=msg) if code else None
    return NS(id="977b2d2b-61d3-b0f1-9522-77896459cf7a", status=status, http_status_code=http, error=error)


def script(*items: Any) -> Any:
    """A fetch() returning/raising the items in order (the last repeats)."""
    seq = list(items)

    def fetch() -> Any:
        item = seq.pop(0) if len(seq) > 1 else seq[0]
        if isinstance(item, BaseException):
            raise item
        return item

    return fetch


def test_success_after_progress() -> None:
    clock, seen = Clock(), []
    res = run_sync(
        script(op("InProgress"), op("InProgress"), op("Succeeded", http=200)),
        operation_condition,
        deadline=clock.now + 100,
        interval=5,
        clock=clock,
        sleep=clock.sleep,
        on_progress=seen.append,
    )
    assert res.done and res.ok and res.payload["http_status_code"] == 200
    assert clock.sleeps == [5, 5] and len(seen) == 2 and "InProgress" in seen[0]


def test_failed_operation() -> None:
    clock = Clock()
    res = run_sync(
        script(op("Failed", "ConflictError", "The specified DNS name is already taken.", 409)),
        operation_condition,
        deadline=clock.now + 100,
        interval=5,
        clock=clock,
        sleep=clock.sleep,
    )
    assert res.done and not res.ok
    assert res.payload["error_code"] == "ConflictError" and "already taken" in res.message
    assert clock.sleeps == []


def test_timeout_is_a_result_not_an_exception() -> None:
    clock = Clock()
    res = run_sync(
        script(op("InProgress")),
        operation_condition,
        deadline=clock.now + 12,
        interval=5,
        clock=clock,
        sleep=clock.sleep,
    )
    assert res.done and not res.ok and res.payload["timeout"] is True
    assert "timed out" in res.message
    assert clock.sleeps == [5, 5, 2]  # the last sleep is clipped to the deadline
    assert res.payload["fetches"] == 4  # one final check at the deadline


def test_deadline_already_past_still_checks_once() -> None:
    clock = Clock()
    res = run_sync(
        script(op("Succeeded")),
        operation_condition,
        deadline=clock.now - 60,
        interval=5,
        clock=clock,
        sleep=clock.sleep,
    )
    assert res.ok


@pytest.mark.parametrize(
    "exc",
    [
        ThrottledError("slow down", status_code=429),
        ExclusiveAccessError("busy", status_code=409),
        ServerError("oops", status_code=500),
        TransportError("connection refused"),
    ],
    ids=["429", "409", "500", "transport"],
)
def test_transient_errors_do_not_end_the_wait(exc: Exception) -> None:
    clock = Clock()
    res = run_sync(
        script(exc, exc, op("Succeeded")),
        operation_condition,
        deadline=clock.now + 100,
        interval=5,
        clock=clock,
        sleep=clock.sleep,
    )
    assert res.ok and clock.sleeps == [5, 5]


def test_retry_after_honoured_but_never_faster_than_interval() -> None:
    clock = Clock()
    slow = ThrottledError("slow", status_code=429, retry_after=30)
    quick = ThrottledError("slow", status_code=429, retry_after=1)
    res = run_sync(
        script(slow, quick, op("Succeeded")),
        operation_condition,
        deadline=clock.now + 100,
        interval=5,
        clock=clock,
        sleep=clock.sleep,
    )
    assert res.ok and clock.sleeps == [30, 5]


@pytest.mark.parametrize(
    "exc", [NotFoundError("gone", status_code=404), TransportError("x", ambiguous=True), ValueError("bug")]
)
def test_other_errors_are_raised(exc: Exception) -> None:
    clock = Clock()
    with pytest.raises(type(exc)):
        run_sync(
            script(exc),
            operation_condition,
            deadline=clock.now + 100,
            interval=5,
            clock=clock,
            sleep=clock.sleep,
        )


def test_generator_protocol_directly() -> None:
    clock = Clock()
    gen = poll(operation_condition, deadline=clock.now + 30, interval=10, clock=clock)
    assert next(gen) is FETCH
    step = gen.send(op("InProgress"))
    assert isinstance(step, Sleep) and step.seconds == 10
    assert next(gen) is FETCH
    assert isinstance(gen.throw(ServerError("x", status_code=503)), Sleep)
    assert next(gen) is FETCH
    with pytest.raises(StopIteration) as stop:
        gen.send(op("Succeeded"))
    assert isinstance(stop.value.value, PollResult) and stop.value.value.ok


def test_run_async_same_semantics() -> None:
    clock = Clock()
    items = [ThrottledError("t", status_code=429, retry_after=20), op("InProgress"), op("Succeeded")]

    async def fetch() -> Any:
        item = items.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    res = asyncio.run(
        run_async(
            fetch, operation_condition, deadline=clock.now + 100, interval=5, clock=clock, sleep=clock.asleep
        )
    )
    assert res.ok and clock.sleeps == [20, 5]


def dep(status: str, *states: str, locked: bool = False) -> Any:
    inst = [
        NS(role_name="WebRole1", instance_name=f"WebRole1_IN_{i}", instance_status=s)
        for i, s in enumerate(states)
    ]
    return NS(name="v1", status=status, deployment_slot="Staging", locked=locked, role_instance_list=inst)


def test_deployment_ready_condition() -> None:
    assert deployment_ready_condition(dep("Running", "ReadyRole", "ReadyRole")).ok
    assert not deployment_ready_condition(dep("Running", "ReadyRole", "BusyRole")).done
    assert not deployment_ready_condition(dep("Suspended", "ReadyRole")).done
    assert not deployment_ready_condition(dep("Running")).done  # no instances yet
    assert not deployment_ready_condition(dep("Running", "ReadyRole", locked=True)).done
    failed = deployment_ready_condition(dep("Running", "ReadyRole", "FailedStartingRole"))
    assert failed.done and not failed.ok and "WebRole1_IN_1" in failed.message
    assert failed.payload["error_code"] == "FailedStartingRole"
