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
    Outcome,
    PollResult,
    Probe,
    Schedule,
    Sleep,
    all_of,
    deployment_ready_condition,
    deployment_settled_condition,
    format_request_id,
    health_condition,
    operation_condition,
    poll,
    run_async,
    run_sync,
    slot_holds_condition,
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


def op(status: str, code: str = "", msg: str = "", http: str = "") -> Any:
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


FIXED5 = Schedule.fixed(5)


def wait(fetch: Any, clock: Clock, deadline: float, schedule: Schedule = FIXED5, **kw: Any) -> PollResult:
    return run_sync(
        Probe("op", operation_condition, fetch),
        deadline=deadline,
        schedule=schedule,
        clock=clock,
        sleep=clock.sleep,
        **kw,
    )


def test_success_after_progress() -> None:
    clock, seen = Clock(), []
    res = wait(
        script(
            op("InProgress"), op("InProgress"), op("Succeeded", http="200")
        ),  # the model's text, as the old SDK's
        clock,
        clock.now + 100,
        on_progress=seen.append,
    )
    assert res.outcome is Outcome.SUCCESS and res.ok and res.last_seen["http_status_code"] == 200  # an int
    assert clock.sleeps == [5, 5] and len(seen) == 2 and "InProgress" in seen[0]
    # progress lines say what is awaited, elapsed, time left, and whether anything changed
    assert seen[0].startswith("Waiting for op: operation 977b2d2b61d3b0f1952277896459cf7a is InProgress")
    assert "0s elapsed, 100s left" in seen[0] and "(unchanged)" in seen[1] and "5s elapsed" in seen[1]


def test_first_check_soon_then_backing_off_to_the_interval() -> None:
    """A swap ends in ~0.2 s: the first re-check must not wait a whole poll_interval (issue 12)."""
    clock = Clock()
    res = wait(script(*[op("InProgress")] * 6, op("Succeeded")), clock, clock.now + 100, Schedule(15))
    assert res.ok and clock.sleeps == [0.25, 0.5, 1, 2, 4, 8]
    assert list(zip(range(4), Schedule(0.5).delays())) == [(0, 0.25), (1, 0.5), (2, 0.5), (3, 0.5)]
    with pytest.raises(ValueError):
        Schedule(0)


def test_failed_operation() -> None:
    clock = Clock()
    res = wait(
        script(op("Failed", "ConflictError", "The specified DNS name is already taken.", 409)),
        clock,
        clock.now + 100,
    )
    assert res.outcome is Outcome.FAILED and res.reason == "ConflictError" and "already taken" in res.message
    assert clock.sleeps == []


def test_timeout_is_a_typed_outcome_with_the_last_state() -> None:
    clock = Clock()
    res = wait(script(op("InProgress")), clock, clock.now + 12)
    assert res.outcome is Outcome.TIMEOUT and res.timed_out and res.done and not res.ok
    assert (
        "timed out" in res.message and "last state: operation" in res.message and "InProgress" in res.message
    )
    assert res.last_seen["operation_status"] == "InProgress" and res.last_seen["checks"] == 4
    assert clock.sleeps == [5, 5, 2]  # the last sleep is clipped to the deadline


def test_max_checks_ends_as_failed() -> None:
    clock = Clock()
    res = wait(script(op("InProgress")), clock, clock.now + 100, max_checks=3)
    assert (
        res.outcome is Outcome.FAILED and "gave up after 3 checks" in res.message and clock.sleeps == [5, 5]
    )


def test_deadline_already_past_still_checks_once() -> None:
    clock = Clock()
    assert wait(script(op("Succeeded")), clock, clock.now - 60).ok


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
    res = wait(script(exc, exc, op("Succeeded")), clock, clock.now + 100)
    assert res.ok and clock.sleeps == [5, 5]


def test_retry_after_honoured_but_never_faster_than_the_schedule() -> None:
    clock = Clock()
    slow = ThrottledError("slow", status_code=429, retry_after=30)
    quick = ThrottledError("slow", status_code=429, retry_after=1)
    res = wait(script(slow, quick, op("Succeeded")), clock, clock.now + 100)
    assert res.ok and clock.sleeps == [30, 5]


@pytest.mark.parametrize(
    "exc", [NotFoundError("gone", status_code=404), TransportError("x", ambiguous=True), ValueError("bug")]
)
def test_other_errors_are_raised(exc: Exception) -> None:
    clock = Clock()
    with pytest.raises(type(exc)):
        wait(script(exc), clock, clock.now + 100)


def test_generator_protocol_directly() -> None:
    clock = Clock()
    gen = poll(operation_condition, deadline=clock.now + 30, schedule=Schedule(10), clock=clock)
    assert next(gen) is FETCH
    step = gen.send(op("InProgress"))
    assert isinstance(step, Sleep) and step.seconds == 0.25
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
            Probe("op", operation_condition, afetch=fetch),
            deadline=clock.now + 100,
            schedule=FIXED5,
            clock=clock,
            sleep=clock.asleep,
        )
    )
    assert res.ok and clock.sleeps == [20, 5]


def test_a_probe_without_the_right_fetch_is_refused() -> None:
    with pytest.raises(TypeError):
        run_sync(Probe("x", operation_condition), deadline=0, schedule=FIXED5)
    with pytest.raises(TypeError):
        asyncio.run(
            run_async(Probe("x", operation_condition, fetch=lambda: None), deadline=0, schedule=FIXED5)
        )


def test_event_round_trip_keeps_the_typed_outcome() -> None:
    res = PollResult.failed("deployment v2 cannot become ready", "UnresponsiveRole", instances_ready=1)
    event = res.to_event({"service_name": "svc", "instances_ready": None})
    assert event == {
        "service_name": "svc",
        "instances_ready": 1,
        "status": "failed",
        "message": "deployment v2 cannot become ready",
        "error_code": "UnresponsiveRole",
    }
    back = PollResult.from_event(event)
    assert (
        back.outcome is Outcome.FAILED
        and back.reason == "UnresponsiveRole"
        and back.last_seen["service_name"] == "svc"
    )
    assert PollResult.from_event(None).error_type == "BadEvent"
    assert PollResult.from_event({"status": "maybe"}).error_type == "BadEvent"


def dep(status: str, *states: str, locked: bool = False, name: str = "v1") -> Any:
    inst = [
        NS(role_name="WebRole1", instance_name=f"WebRole1_IN_{i}", instance_status=s)
        for i, s in enumerate(states)
    ]
    return NS(name=name, status=status, deployment_slot="Staging", locked=locked, role_instance_list=inst)


def test_deployment_ready_condition() -> None:
    assert deployment_ready_condition(dep("Running", "ReadyRole", "ReadyRole")).ok
    assert not deployment_ready_condition(dep("Running", "ReadyRole", "BusyRole")).done
    assert not deployment_ready_condition(dep("Running")).done  # no instances yet
    assert not deployment_ready_condition(dep("Running", "ReadyRole", locked=True)).done
    assert not deployment_ready_condition(None).done  # an empty slot: not there yet
    failed = deployment_ready_condition(dep("Running", "ReadyRole", "FailedStartingRole"))
    assert failed.done and not failed.ok and "WebRole1_IN_1" in failed.message
    assert failed.reason == "FailedStartingRole"


def test_progress_shows_per_role_counts() -> None:
    d = dep("Running", "ReadyRole", "ReadyRole")
    d.role_instance_list += [
        NS(role_name="WorkerRole", instance_name=f"WorkerRole_IN_{i}", instance_status=s)
        for i, s in enumerate(["ReadyRole", "BusyRole", "BusyRole"])
    ]
    msg = deployment_ready_condition(d).message
    assert "WebRole1 2/2 ReadyRole, WorkerRole 1/3 ReadyRole 2/3 BusyRole" in msg


def test_settled_and_slot_holds_conditions() -> None:
    assert deployment_settled_condition(None).ok
    assert not deployment_settled_condition(dep("Running", locked=True)).done
    assert not deployment_settled_condition(dep("RunningTransitioning")).done
    assert deployment_settled_condition(dep("Suspended")).ok
    holds = slot_holds_condition("v2", deployment_ready_condition)
    assert holds(dep("Running", "ReadyRole", name="v2")).ok
    other = holds(dep("Running", "ReadyRole", name="v1"))
    assert (
        other.outcome is Outcome.FAILED
        and other.reason == "slot_changed"
        and "holds v1, not v2" in other.message
    )
    assert holds(None).outcome is Outcome.FAILED


def test_all_of_needs_every_condition_and_stops_at_the_first_failure() -> None:
    ok, wait_, bad = PollResult.success("a"), PollResult.waiting("b"), PollResult.failed("c", "X")
    assert all_of([ok, ok]).ok
    assert all_of([ok, wait_]).outcome is Outcome.WAITING and all_of([ok, wait_]).message == "b"
    assert all_of([wait_, bad]) is bad


def test_health_condition() -> None:
    cond = health_condition([200, 204], body_contains="ok")
    sample = NS(url="https://x/health", status=200, body='{"status": "ok"}', detail="HTTP 200")
    assert cond(sample).ok
    assert not cond(NS(url="u", status=200, body="degraded", detail="HTTP 200")).done
    assert not cond(NS(url="u", status=503, body="ok", detail="HTTP 503")).done
    assert not cond(NS(url="u", status=None, body="", detail="ConnectionRefusedError")).done


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("977B2D2B-61D3-B0F1-9522-77896459CF7A", "977b2d2b61d3b0f1952277896459cf7a"),
        ("977b2d2b61d3b0f1952277896459cf7a", "977b2d2b61d3b0f1952277896459cf7a"),
        ("not-a-guid", "not-a-guid"),
        (None, "(none)"),
    ],
)
def test_one_request_id_format(given: str | None, shown: str) -> None:
    assert format_request_id(given) == shown
