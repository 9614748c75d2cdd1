"""The one polling loop (design.md section 1.6).

Waiting for an ASM operation or a deployment is the same logic everywhere -- ``OperationHandle.
wait``, sensors, deferrable triggers: fetch, judge, sleep, respect the deadline, survive
transient errors, honour Retry-After. It lives here once, as a sans-I/O generator, so the sync
driver (``time.sleep``) and the async driver (``asyncio.sleep``) cannot drift apart, and tests
drive it with a fake clock without any sleeping.

Protocol of ``poll()``: it yields ``FETCH``; the driver fetches and ``send()``s the value, or
``throw()``s the exception the fetch raised. It yields ``Sleep(seconds, message)``; the driver
reports ``message`` and sleeps. It returns (``StopIteration.value``) the final ``PollResult``.
Non-transient exceptions thrown in propagate out of ``throw()`` unchanged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar

from airflow_sm_provider import protocol
from airflow_sm_provider.client.retry import is_transient, retry_after_of

__all__ = [
    "FETCH",
    "Condition",
    "DeploymentLike",
    "Fetch",
    "OperationLike",
    "PollResult",
    "PollStep",
    "Sleep",
    "deployment_ready_condition",
    "operation_condition",
    "poll",
    "run_async",
    "run_sync",
]

T = TypeVar("T")


@dataclass(frozen=True)
class PollResult:
    """The verdict on one fetched value, and the final result of a wait.

    ``payload`` is JSON-serialisable (triggers put it into a TriggerEvent).
    """

    done: bool
    ok: bool
    message: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fetch:
    """Step: fetch the current value and send it in (or throw the fetch's exception in)."""


@dataclass(frozen=True)
class Sleep:
    """Step: sleep ``seconds``; ``message`` says what we are waiting for (progress reporting)."""

    seconds: float
    message: str = ""


FETCH: Final = Fetch()
PollStep = Fetch | Sleep
Condition = Callable[[T], PollResult]


def _fmt_deadline(deadline: float) -> str:
    return dt.datetime.fromtimestamp(deadline, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def poll(
    condition: Callable[[Any], PollResult],
    *,
    deadline: float,
    interval: float,
    clock: Callable[[], float] = time.time,
) -> Generator[PollStep, Any, PollResult]:
    """The waiting logic. ``deadline`` is absolute epoch seconds (survives trigger re-creation).

    At least one fetch always happens, even past the deadline, so a wait resumed late still
    sees an operation that finished meanwhile. A transient error (throttling, exclusive access,
    5xx, non-ambiguous transport failure) does not end the wait; we sleep
    ``max(interval, Retry-After)`` and fetch again.
    """
    if interval <= 0:
        raise ValueError("poll interval must be positive")
    fetches = 0
    transient_errors = 0
    last = "no answer yet"
    while True:
        fetches += 1
        try:
            value = yield FETCH
        except Exception as exc:
            if not is_transient(exc):
                raise
            transient_errors += 1
            hint = retry_after_of(exc)
            wait = max(interval, hint) if hint is not None else interval
            last = f"transient error, will retry: {exc}"
        else:
            result = condition(value)
            if result.done:
                return result
            wait = interval
            last = result.message or "still in progress"
        remaining = deadline - clock()
        if remaining <= 0:
            return PollResult(
                done=True,
                ok=False,
                message=f"timed out at {_fmt_deadline(deadline)} after {fetches} checks; last state: {last}",
                payload={
                    "timeout": True,
                    "last_message": last,
                    "fetches": fetches,
                    "transient_errors": transient_errors,
                },
            )
        yield Sleep(min(wait, remaining), last)


def run_sync(
    fetch: Callable[[], T],
    condition: Callable[[T], PollResult],
    *,
    deadline: float,
    interval: float,
    on_progress: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> PollResult:
    """Run ``poll`` with blocking I/O (client ``wait``, sensors in poke mode)."""
    gen = poll(condition, deadline=deadline, interval=interval, clock=clock)
    step: PollStep = next(gen)
    try:
        while True:
            if isinstance(step, Fetch):
                try:
                    value = fetch()
                except Exception as exc:
                    step = gen.throw(exc)
                else:
                    step = gen.send(value)
            else:
                if on_progress is not None and step.message:
                    on_progress(step.message)
                sleep(step.seconds)
                step = next(gen)
    except StopIteration as stop:
        result: PollResult = stop.value
        return result


async def run_async(
    fetch: Callable[[], Awaitable[T]],
    condition: Callable[[T], PollResult],
    *,
    deadline: float,
    interval: float,
    on_progress: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> PollResult:
    """Run ``poll`` on an event loop (triggers). Same semantics as ``run_sync``."""
    gen = poll(condition, deadline=deadline, interval=interval, clock=clock)
    step: PollStep = next(gen)
    try:
        while True:
            if isinstance(step, Fetch):
                try:
                    value = await fetch()
                except Exception as exc:
                    step = gen.throw(exc)
                else:
                    step = gen.send(value)
            else:
                if on_progress is not None and step.message:
                    on_progress(step.message)
                await sleep(step.seconds)
                step = next(gen)
    except StopIteration as stop:
        result: PollResult = stop.value
        return result


# --- conditions: read attributes only, so they work with any model of the right shape ------------
# Read-only properties, so frozen dataclasses (the models) match these Protocols structurally.
class OperationErrorLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...


class OperationLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def http_status_code(self) -> int | None: ...
    @property
    def error(self) -> OperationErrorLike | None: ...


class RoleInstanceLike(Protocol):
    @property
    def instance_name(self) -> str: ...
    @property
    def role_name(self) -> str: ...
    @property
    def instance_status(self) -> str: ...


class DeploymentLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def deployment_slot(self) -> str: ...
    @property
    def locked(self) -> bool: ...
    @property
    def role_instance_list(self) -> Sequence[RoleInstanceLike]: ...


def operation_condition(op: OperationLike) -> PollResult:
    """Done when the operation left ``InProgress``; ok only for ``Succeeded``."""
    status = getattr(op, "status", "") or ""
    op_id = getattr(op, "id", "") or ""
    payload: dict[str, Any] = {
        "operation_id": op_id,
        "operation_status": status,
        "http_status_code": getattr(op, "http_status_code", None),
    }
    if status == protocol.OP_SUCCEEDED:
        return PollResult(True, True, f"operation {op_id} succeeded", payload)
    if status == protocol.OP_FAILED:
        error = getattr(op, "error", None)
        code = (getattr(error, "code", "") or "") if error is not None else ""
        text = (getattr(error, "message", "") or "") if error is not None else ""
        payload["error_code"] = code
        payload["error_message"] = text
        detail = f"{code}: {text}" if code else (text or "no error details were given")
        return PollResult(
            True, False, f"operation {op_id} failed (HTTP {payload['http_status_code']}): {detail}", payload
        )
    return PollResult(False, False, f"operation {op_id} is {status or 'in an unknown state'}", payload)


def deployment_ready_condition(dep: DeploymentLike) -> PollResult:
    """Done when the deployment is Running, unlocked and every role instance is ReadyRole.

    Fails fast when an instance is in a FailedStarting* state: it will not recover by waiting.
    A deployment without instances is not ready (they appear shortly after creation).
    """
    name = getattr(dep, "name", "") or ""
    slot = getattr(dep, "deployment_slot", "") or ""
    status = getattr(dep, "status", "") or ""
    instances = list(getattr(dep, "role_instance_list", None) or [])
    states = [(i.role_name, i.instance_name, i.instance_status) for i in instances]
    ready = sum(1 for _, _, s in states if s == protocol.INSTANCE_READY)
    payload: dict[str, Any] = {
        "deployment_name": name,
        "deployment_slot": slot,
        "deployment_status": status,
        "instances_ready": ready,
        "instances_total": len(states),
    }
    failed = [(r, n, s) for r, n, s in states if s in protocol.INSTANCE_FAILED_STATES]
    if failed:
        listing = ", ".join(f"{n} ({r}): {s}" for r, n, s in failed)
        payload["error_code"] = failed[0][2]
        return PollResult(True, False, f"deployment {name} ({slot}) cannot become ready: {listing}", payload)
    summary = f"deployment {name} ({slot}) is {status}, {ready}/{len(states)} instances ReadyRole"
    if getattr(dep, "locked", False):
        summary += ", locked by an operation in progress"
    elif status == "Running" and states and ready == len(states):
        return PollResult(True, True, summary, payload)
    return PollResult(False, False, summary, payload)
