"""The one waiting concept (design.md section 1.6, docs/blue-green.md "What ready means").

Every wait of the product -- ``OperationHandle.wait``, sensors, deferrable triggers, the operators'
settle waits, the guarded swap's lock wait, health gate, verification and bake, the rolling
upgrade's domain waits -- is the same four things, defined here once:

* a **probe**: how to fetch the current state (sync and/or async) and the condition that judges it;
* a **condition**: a pure function from a fetched value to a :class:`PollResult`. There is ONE set
  of them (operation finished, deployment ready, deployment settled, slot holds X, health), built
  from ``protocol.py`` constants, so a sensor, a trigger and a release gate cannot disagree;
* a **schedule**: the first re-check soon after the request (most swaps and status changes end
  within seconds), then backing off to ``poll_interval``;
* a typed **outcome**: :class:`Outcome` success / failed / timeout (or still waiting), with the
  reason and the last state seen -- never a string to map or a magic payload key.

The loop is a sans-I/O generator (:func:`poll`): it yields ``FETCH``; the driver fetches and
``send()``s the value, or ``throw()``s the fetch's exception. It yields ``Sleep(seconds, message)``;
the driver reports ``message`` and sleeps. It returns (``StopIteration.value``) the final
``PollResult``. :func:`run_sync` and :func:`run_async` are its only two drivers, so blocking and
event-loop waits cannot drift apart, and tests drive it with a fake clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import random
import time
from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Final, Generic, Protocol, TypeVar

from airflow_sm_provider import protocol
from airflow_sm_provider.client.retry import is_transient, retry_after_of

__all__ = [
    "CONDITIONS",
    "FETCH",
    "Condition",
    "DeploymentLike",
    "Fetch",
    "OperationLike",
    "Outcome",
    "PollResult",
    "PollStep",
    "Probe",
    "Readiness",
    "Schedule",
    "Sleep",
    "all_of",
    "deployment_condition",
    "deployment_ready_condition",
    "deployment_settled_condition",
    "format_request_id",
    "health_condition",
    "operation_condition",
    "poll",
    "readiness",
    "role_counts",
    "run_async",
    "run_sync",
    "slot_holds_condition",
    "storage_created_condition",
    "upgrade_domain_ready_condition",
]

T = TypeVar("T")


class Outcome(enum.Enum):
    """Where a wait stands. ``value`` is what trigger events and XCom carry."""

    WAITING = "waiting"
    SUCCESS = "success"
    FAILED = "failed"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class PollResult:
    """The verdict on one fetched value, and the final result of a wait.

    :param outcome: waiting, success, failed or timeout.
    :param message: one human line (what was seen, why it ended).
    :param reason: machine-readable cause of a failure: ASM's error code, the instance state that
        made a deployment hopeless, the health check that failed. Empty on success.
    :param last_seen: JSON-safe snapshot of the last state fetched (ids, statuses, counts); trigger
        events and XCom values carry it.
    :param error_type: set when the wait itself broke (an exception type name: bad connection,
        certificate, authorisation), as opposed to the awaited thing failing.
    """

    outcome: Outcome
    message: str = ""
    reason: str = ""
    last_seen: Mapping[str, Any] = field(default_factory=dict)
    error_type: str = ""

    # --- constructors the conditions use --------------------------------------------------------
    @classmethod
    def waiting(cls, message: str, **seen: Any) -> PollResult:
        return cls(Outcome.WAITING, message, "", seen)

    @classmethod
    def success(cls, message: str, **seen: Any) -> PollResult:
        return cls(Outcome.SUCCESS, message, "", seen)

    @classmethod
    def failed(cls, message: str, reason: str = "", **seen: Any) -> PollResult:
        return cls(Outcome.FAILED, message, reason, seen)

    # --- reading ----------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.outcome is not Outcome.WAITING

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SUCCESS

    @property
    def timed_out(self) -> bool:
        return self.outcome is Outcome.TIMEOUT

    @property
    def payload(self) -> dict[str, Any]:
        """The last seen state as a plain dict (a copy)."""
        return dict(self.last_seen)

    # --- trigger events (the only wire form of an outcome) ----------------------------------------
    def to_event(self, ids: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The JSON-safe event/XCom body: ``ids`` completed by ``last_seen``, plus the outcome.

        ``{"status": "success" | "failed" | "timeout", "message": str, "error_code"?: reason,
        "error_type"?: str, **ids, **last_seen}`` -- the keys documented in docs/reference.md.
        """
        body = dict(ids or {})
        for key, value in self.last_seen.items():
            if key not in body or (value not in (None, "") and body[key] in (None, "")):
                body[key] = value
        body["status"] = self.outcome.value
        body["message"] = self.message
        if self.reason:
            body["error_code"] = self.reason
        else:
            body.pop("error_code", None)
        if self.error_type:
            body["error_type"] = self.error_type
        return body

    @classmethod
    def from_event(cls, event: Mapping[str, Any] | None) -> PollResult:
        """Read a trigger event back; an event that is not one becomes a failed wait."""
        if not isinstance(event, Mapping) or "status" not in event:
            return cls(
                Outcome.FAILED, f"the trigger returned no usable event: {event!r}", error_type="BadEvent"
            )
        try:
            outcome = Outcome(event["status"])
        except ValueError:
            return cls(Outcome.FAILED, f"unknown wait status {event['status']!r}", error_type="BadEvent")
        seen = {k: v for k, v in event.items() if k not in ("status", "message", "error_code", "error_type")}
        return cls(
            outcome,
            str(event.get("message", "")),
            str(event.get("error_code") or ""),
            seen,
            str(event.get("error_type") or ""),
        )


Condition = Callable[[T], PollResult]


@dataclass(frozen=True)
class Probe(Generic[T]):
    """What to wait for: how to fetch it (sync, async or both) and the condition that judges it.

    :param what: human words for the awaited thing, used in every progress line
        (``"swap deployments on svc (request 0f3a...)"``, ``"deployment svc/staging ready"``).
    """

    what: str
    condition: Callable[[T], PollResult]
    fetch: Callable[[], T] | None = None
    afetch: Callable[[], Awaitable[T]] | None = None


#: The spread of the triggers' steady-state polls (``Schedule.jitter``): +/- 20 % of the interval.
WAIT_JITTER: Final = 0.2


@dataclass(frozen=True)
class Schedule:
    """When to check again: soon first, then backing off to ``interval``.

    The first check always happens at once (a wait resumed late still sees an operation that
    finished meanwhile). Between checks that say "not yet" the loop sleeps ``first``, then
    ``first * factor``, ... capped at ``interval``; a Retry-After hint may stretch one sleep.

    :param interval: the steady-state seconds between checks (the operator's ``poll_interval``).
    :param first: the first sleep; most ASM operations (a swap: ~0.2 s) end within seconds, so the
        first re-check comes a quarter second after the request, the next after 0.5 s, 1 s, ...
    :param factor: growth per check.
    :param jitter: spread of the steady-state sleeps, +/- this fraction of ``interval`` (a fresh
        random factor each sleep, mean ``interval``). Triggers use ``WAIT_JITTER``: a triggerer
        restart resumes hundreds of waits at once, and without it they would poll in lock-step, a
        burst each interval instead of a steady flow through the request budget.
    """

    interval: float
    first: float = 0.25
    factor: float = 2.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError("poll interval must be positive")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError("jitter must be a fraction in [0, 1)")

    @classmethod
    def fixed(cls, interval: float) -> Schedule:
        """Every ``interval`` seconds (health attempts, bake samples)."""
        return cls(interval, first=interval, factor=1.0)

    def delays(self) -> Iterator[float]:
        delay = min(self.first, self.interval)
        while True:
            if self.jitter and delay >= self.interval:
                yield self.interval * (1.0 - self.jitter + 2.0 * self.jitter * random.random())
            else:
                yield delay
            delay = min(self.interval, delay * max(self.factor, 1.0))


@dataclass(frozen=True)
class Fetch:
    """Step: fetch the current value and send it in (or throw the fetch's exception in)."""


@dataclass(frozen=True)
class Sleep:
    """Step: sleep ``seconds``; ``message`` is the progress line to report."""

    seconds: float
    message: str = ""


FETCH: Final = Fetch()
PollStep = Fetch | Sleep


def _fmt_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def int_of(value: object) -> int | None:
    """A number the old SDK's models keep as text (``Operation.http_status_code == '200'``,
    ``Deployment.upgrade_domain_count``) as an ``int``; None when empty or not a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        return None


def format_request_id(request_id: str | None) -> str:
    """The one spelling of a request id in logs and messages: as ASM sent it, lower case.

    ASM's ``x-ms-request-id`` is a 32-hex GUID without dashes; a GUID given with dashes is shown
    without them so ``grep`` finds every line of one operation.
    """
    text = (request_id or "").strip().lower()
    bare = text.replace("-", "")
    if len(bare) == 32 and all(c in "0123456789abcdef" for c in bare):
        return bare
    return text or "(none)"


def poll(
    condition: Callable[[Any], PollResult],
    *,
    deadline: float,
    schedule: Schedule,
    what: str = "",
    max_checks: int | None = None,
    clock: Callable[[], float] = time.time,
) -> Generator[PollStep, Any, PollResult]:
    """The waiting logic. ``deadline`` is absolute epoch seconds (survives trigger re-creation).

    At least one fetch always happens, even past the deadline. A transient error (throttling,
    exclusive access, 5xx, non-ambiguous transport failure) does not end the wait; the next sleep
    is at least its Retry-After. ``max_checks`` ends the wait as FAILED after that many "not yet"
    answers (health attempts). Progress lines say what is awaited, the state, what changed,
    elapsed time and time left.
    """
    started = clock()
    delays = schedule.delays()
    checks = 0
    last_state = ""
    last_result: PollResult | None = None
    while True:
        checks += 1
        try:
            value = yield FETCH
        except Exception as exc:
            if not is_transient(exc):
                raise
            hint = retry_after_of(exc)
            wait = next(delays)
            if hint is not None:
                wait = max(wait, hint)
            state = f"transient error, will retry: {exc}"
        else:
            result = condition(value)
            if result.done:
                return result
            last_result = result
            wait = next(delays)
            state = result.message or "still in progress"
        now = clock()
        if max_checks is not None and checks >= max_checks:
            seen = dict(last_result.last_seen) if last_result else {}
            return PollResult(Outcome.FAILED, f"{state} (gave up after {checks} checks)", "", seen)
        remaining = deadline - now
        if remaining <= 0:
            seen = dict(last_result.last_seen) if last_result else {}
            seen["checks"] = checks
            return PollResult(
                Outcome.TIMEOUT,
                f"timed out at {_fmt_time(deadline)} after {checks} checks over {now - started:.0f}s; "
                f"last state: {state}",
                "",
                seen,
            )
        changed = "" if state != last_state else " (unchanged)"
        last_state = state
        prefix = f"Waiting for {what}: " if what else "Waiting: "
        yield Sleep(
            min(wait, remaining),
            f"{prefix}{state}{changed} -- {now - started:.0f}s elapsed, {remaining:.0f}s left "
            f"(until {_fmt_time(deadline)})",
        )


def _start(
    probe: Probe[T], deadline: float, schedule: Schedule, max_checks: int | None, clock: Callable[[], float]
) -> Generator[PollStep, Any, PollResult]:
    """The plan of one wait (no I/O): what :func:`run_sync` and :func:`run_async` both drive."""
    return poll(
        probe.condition,
        deadline=deadline,
        schedule=schedule,
        what=probe.what,
        max_checks=max_checks,
        clock=clock,
    )


def _attempt(fetch: Callable[[], T]) -> tuple[bool, Any]:
    """One sync fetch: ``(True, value)``, or ``(False, exception)`` for the plan to judge."""
    try:
        return True, fetch()
    except Exception as exc:
        return False, exc


async def _aattempt(afetch: Callable[[], Awaitable[T]]) -> tuple[bool, Any]:
    """One async fetch, answered like :func:`_attempt`."""
    try:
        return True, await afetch()
    except Exception as exc:
        return False, exc


def _answer(gen: Generator[PollStep, Any, PollResult], attempt: tuple[bool, Any]) -> PollStep:
    """Hand a fetch's value (or throw its exception) into the plan; the plan's next step."""
    ok, value = attempt
    return gen.send(value) if ok else gen.throw(value)


def _pause(step: Sleep, on_progress: Callable[[str], None] | None) -> float:
    """Report the wait's progress line; the seconds to sleep."""
    if on_progress is not None and step.message:
        on_progress(step.message)
    return step.seconds


def run_sync(
    probe: Probe[T],
    *,
    deadline: float,
    schedule: Schedule,
    max_checks: int | None = None,
    on_progress: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> PollResult:
    """Wait with blocking I/O (client ``wait``, sensors in poke mode, operators not deferring)."""
    fetch = probe.fetch
    if fetch is None:
        raise TypeError(f"probe {probe.what!r} has no sync fetch")
    gen = _start(probe, deadline, schedule, max_checks, clock)
    step: PollStep = next(gen)
    try:
        while True:
            if isinstance(step, Fetch):
                step = _answer(gen, _attempt(fetch))
            else:
                sleep(_pause(step, on_progress))
                step = next(gen)
    except StopIteration as stop:
        result: PollResult = stop.value
        return result


async def run_async(
    probe: Probe[T],
    *,
    deadline: float,
    schedule: Schedule,
    max_checks: int | None = None,
    on_progress: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> PollResult:
    """Wait on an event loop (triggers). Same semantics as :func:`run_sync` (same plan, same answers)."""
    afetch = probe.afetch
    if afetch is None:
        raise TypeError(f"probe {probe.what!r} has no async fetch")
    gen = _start(probe, deadline, schedule, max_checks, clock)
    step: PollStep = next(gen)
    try:
        while True:
            if isinstance(step, Fetch):
                step = _answer(gen, await _aattempt(afetch))
            else:
                await sleep(_pause(step, on_progress))
                step = next(gen)
    except StopIteration as stop:
        result: PollResult = stop.value
        return result


# --- the conditions: read attributes only, so they work with any model of the right shape --------
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
    def http_status_code(self) -> str: ...
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
    """Operation finished: success for ``Succeeded``, failed (reason = ASM's code) for ``Failed``."""
    status = getattr(op, "status", "") or ""
    op_id = format_request_id(getattr(op, "id", "") or "")
    seen: dict[str, Any] = {
        "operation_status": status,
        "http_status_code": int_of(getattr(op, "http_status_code", None)),  # the model's is text
    }
    if status == protocol.OP_SUCCEEDED:
        return PollResult.success(f"operation {op_id} succeeded", **seen)
    if status == protocol.OP_FAILED:
        error = getattr(op, "error", None)
        code = (getattr(error, "code", "") or "") if error is not None else ""
        text = (getattr(error, "message", "") or "") if error is not None else ""
        seen["error_message"] = text
        detail = f"{code}: {text}" if code else (text or "no error details were given")
        return PollResult.failed(
            f"operation {op_id} failed (HTTP {seen['http_status_code']}): {detail}", code, **seen
        )
    return PollResult.waiting(f"operation {op_id} is {status or 'in an unknown state'}", **seen)


# --- what "ready" and "hopeless" mean (docs/blue-green.md, "What ready means") ---------------------
class Readiness(enum.Enum):
    """A deployment's readiness: serve traffic now, wait, or give up (it will not heal alone)."""

    READY = "ready"
    WAIT = "wait"
    HOPELESS = "hopeless"


#: Instance states that move by themselves towards ReadyRole (starting, busy, restarting).
INSTANCE_WAIT_STATES: Final = frozenset(
    {
        "RoleStateUnknown",
        "CreatingVM",
        "StartingVM",
        "CreatingRole",
        "StartingRole",
        "BusyRole",
        "RestartingRole",
        "Preparing",
    }
)
#: Instance states that will not become ReadyRole without someone acting, even while the
#: deployment is locked: the role failed to start.
INSTANCE_FAILED_STATES: Final = frozenset(protocol.INSTANCE_FAILED_STATES)
#: Instance states that are hopeless once no operation holds the deployment: crashed, crash-looping,
#: stopped, stopping or being deleted. While an operation holds the lock (a reboot, a walk, a
#: shutdown) they are part of its work and worth waiting for.
INSTANCE_HOPELESS_WHEN_UNLOCKED: Final = frozenset(
    {
        "UnresponsiveRole",
        "CyclingRole",
        "StoppingRole",
        "StoppingVM",
        "StoppedVM",
        "StoppedDeallocated",
        "DeletingVM",
    }
)
#: Deployment statuses an operation is moving; wait.
DEPLOYMENT_WAIT_STATUSES: Final = frozenset(
    {"RunningTransitioning", "SuspendedTransitioning", "Starting", "Deploying"}
)
#: Deployment statuses that will not become Running by themselves once unlocked.
DEPLOYMENT_HOPELESS_STATUSES: Final = frozenset({"Suspended", "Suspending", "Deleting"})
DEPLOYMENT_RUNNING: Final = "Running"


def role_counts(dep: Any) -> str:
    """Per-role instance counts, e.g. ``WebRole 2/2 ReadyRole, WorkerRole 1/3 ReadyRole 2/3 BusyRole``."""
    roles: dict[str, dict[str, int]] = {}
    for inst in list(getattr(dep, "role_instance_list", None) or []):
        states = roles.setdefault(getattr(inst, "role_name", "") or "?", {})
        states[inst.instance_status] = states.get(inst.instance_status, 0) + 1
    if not roles:
        return "no role instances"
    parts = []
    for role, states in sorted(roles.items()):
        total = sum(states.values())
        ordered = sorted(states.items(), key=lambda kv: (kv[0] != protocol.INSTANCE_READY, kv[0]))
        parts.append(f"{role} " + " ".join(f"{n}/{total} {state}" for state, n in ordered))
    return ", ".join(parts)


def readiness(dep: Any) -> tuple[Readiness, str, str]:
    """Classify a deployment: ``(verdict, reason, detail)``; ``reason`` names the deciding state.

    The one readiness rule of the product, used by the sensor, the trigger, the swap's gates and the
    rolling upgrade's domain waits (the table test in tests/airflow/test_readiness.py holds it):

    * failed to start (``FailedStartingRole`` / ``FailedStartingVM``): hopeless, at once;
    * locked (an operation in progress): wait -- whatever else it shows is that operation's work;
    * unlocked and ``Suspended`` / ``Suspending`` / ``Deleting``: hopeless (nothing starts it again);
    * unlocked and transitioning / starting / deploying: wait;
    * unlocked and Running: hopeless if an instance is unresponsive, crash-looping (``CyclingRole``),
      stopped, stopping or being deleted; wait while any is starting or busy, or none exists yet;
      ready when every instance is ``ReadyRole``.
    """
    name = getattr(dep, "name", "") or "?"
    status = getattr(dep, "status", "") or ""
    instances = list(getattr(dep, "role_instance_list", None) or [])
    counts = role_counts(dep)
    failed = [i for i in instances if i.instance_status in INSTANCE_FAILED_STATES]
    if failed:
        listing = ", ".join(f"{i.instance_name}={i.instance_status}" for i in failed)
        return Readiness.HOPELESS, failed[0].instance_status, f"{name} has failed instances: {listing}"
    if getattr(dep, "locked", False):
        return Readiness.WAIT, "locked", f"{name} is {status}, locked by an operation in progress; {counts}"
    if status in DEPLOYMENT_HOPELESS_STATUSES:
        return Readiness.HOPELESS, status, f"{name} is {status}, not Running, and no operation is changing it"
    if status != DEPLOYMENT_RUNNING:
        return Readiness.WAIT, status or "unknown", f"{name} is {status or 'in an unknown state'}; {counts}"
    broken = [i for i in instances if i.instance_status in INSTANCE_HOPELESS_WHEN_UNLOCKED]
    if broken:
        listing = ", ".join(f"{i.instance_name}={i.instance_status}" for i in broken)
        return Readiness.HOPELESS, broken[0].instance_status, f"{name} has failed instances: {listing}"
    if not instances:
        return Readiness.WAIT, "no_instances", f"{name} is Running with no role instances yet"
    if all(i.instance_status == protocol.INSTANCE_READY for i in instances):
        return Readiness.READY, "", f"{name} is Running: {counts}"
    return Readiness.WAIT, "instances_starting", f"{name} is Running: {counts}"


def _seen(dep: Any) -> dict[str, Any]:
    instances = list(getattr(dep, "role_instance_list", None) or [])
    return {
        "deployment_name": getattr(dep, "name", "") or "",
        "deployment_slot": getattr(dep, "deployment_slot", "") or "",
        "deployment_status": getattr(dep, "status", "") or "",
        "instances_ready": sum(1 for i in instances if i.instance_status == protocol.INSTANCE_READY),
        "instances_total": len(instances),
        "roles": role_counts(dep),
    }


def deployment_ready_condition(dep: Any) -> PollResult:
    """Deployment ready (see :func:`readiness`); None (an empty slot) is "not there yet"."""
    if dep is None:
        return PollResult.waiting("the slot holds no deployment yet", instances_ready=0, instances_total=0)
    verdict, reason, detail = readiness(dep)
    slot = getattr(dep, "deployment_slot", "") or ""
    message = f"deployment {detail}" + (f" ({slot})" if slot else "")
    if verdict is Readiness.READY:
        return PollResult.success(message, **_seen(dep))
    if verdict is Readiness.HOPELESS:
        return PollResult.failed(
            f"{message}: it cannot become ready without intervention", reason, **_seen(dep)
        )
    return PollResult.waiting(message, **_seen(dep))


def deployment_settled_condition(dep: Any) -> PollResult:
    """Deployment settled: no operation holds it and its status is not moving. Empty slot: settled."""
    if dep is None:
        return PollResult.success("the slot is empty: nothing holds it")
    name, status = getattr(dep, "name", "?"), getattr(dep, "status", "") or ""
    if getattr(dep, "locked", False):
        return PollResult.waiting(f"deployment {name} is locked by an operation in progress", **_seen(dep))
    if status in DEPLOYMENT_WAIT_STATUSES:
        return PollResult.waiting(f"deployment {name} is {status}", **_seen(dep))
    return PollResult.success(f"deployment {name} is {status}, unlocked", **_seen(dep))


def slot_holds_condition(
    expected: str, then: Callable[[Any], PollResult] | None = None
) -> Callable[[Any], PollResult]:
    """Slot holds ``expected`` (and then ``then`` holds): another deployment there is a failure."""

    def condition(dep: Any) -> PollResult:
        name = getattr(dep, "name", None) if dep is not None else None
        if name != expected:
            return PollResult.failed(
                f"the slot holds {name or 'nothing'}, not {expected}",
                "slot_changed",
                deployment_name=name or "",
            )
        return (
            then(dep) if then is not None else PollResult.success(f"the slot holds {expected}", **_seen(dep))
        )

    return condition


class HealthSampleLike(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def status(self) -> int | None: ...
    @property
    def body(self) -> str: ...
    @property
    def detail(self) -> str: ...


def health_condition(
    expected_status: Sequence[int], body_contains: str | None = None
) -> Callable[[HealthSampleLike], PollResult]:
    """Health: the answer's status is one of ``expected_status`` and its body holds ``body_contains``.

    "Not healthy yet" is waiting, not failed: a health check retries (``max_checks`` ends it).
    """
    allowed = tuple(int(s) for s in expected_status)

    def condition(sample: HealthSampleLike) -> PollResult:
        seen = {"url": sample.url, "http_status": sample.status}
        if sample.status not in allowed:
            want = " or ".join(str(s) for s in allowed)
            return PollResult.waiting(f"{sample.url}: expected HTTP {want}, got {sample.detail}", **seen)
        if body_contains and body_contains not in sample.body:
            return PollResult.waiting(
                f"{sample.url}: HTTP {sample.status} but the body lacks {body_contains!r}", **seen
            )
        return PollResult.success(f"{sample.url}: {sample.detail}", **seen)

    return condition


def upgrade_domain_ready_condition(domain: int) -> Callable[[Any], PollResult]:
    """Upgrade domain ``domain`` walked and ready: its instances all ``ReadyRole``, nothing locked.

    The same readiness rule as :func:`readiness`, applied to that domain's instances only (the other
    domains keep serving and may still run the old build).
    """

    def condition(dep: Any) -> PollResult:
        if dep is None:
            return PollResult.failed("the deployment is gone", "slot_empty")
        mine = [
            i
            for i in (getattr(dep, "role_instance_list", None) or [])
            if getattr(i, "instance_upgrade_domain", 0) == domain
        ]
        view = SimpleNamespace(
            name=f"{getattr(dep, 'name', '?')} upgrade domain {domain}",
            status=getattr(dep, "status", ""),
            locked=getattr(dep, "locked", False),
            deployment_slot=getattr(dep, "deployment_slot", ""),
            role_instance_list=mine,
        )
        if not mine:
            return PollResult.failed(f"{view.name} has no role instances", "no_instances")
        verdict, reason, detail = readiness(view)
        seen = {**_seen(view), "upgrade_domain": domain}
        if verdict is Readiness.READY:
            return PollResult.success(detail, **seen)
        if verdict is Readiness.HOPELESS:
            return PollResult.failed(f"{detail}: it cannot become ready without intervention", reason, **seen)
        return PollResult.waiting(detail, **seen)

    return condition


#: Storage account statuses that move by themselves towards ``Created``.
STORAGE_WAIT_STATUSES: Final = frozenset({"Creating", "ResolvingDns", "Changing"})


def storage_created_condition(account: Any) -> PollResult:
    """Storage account usable: ``Created``; creating / resolving DNS / changing: wait; else failed."""
    props = getattr(account, "storage_service_properties", None)
    name = getattr(account, "service_name", "") or getattr(props, "label", "") or "?"
    status = getattr(props, "status", "") or ""
    if status == "Created":
        return PollResult.success(f"storage account {name} is Created", storage_status=status)
    if status in STORAGE_WAIT_STATUSES:
        return PollResult.waiting(f"storage account {name} is {status}", storage_status=status)
    return PollResult.failed(
        f"storage account {name} is {status or 'in no known state'}", status, storage_status=status
    )


#: Named deployment conditions (triggers carry the name; the function is looked up here).
CONDITIONS: Final[dict[str, Callable[[Any], PollResult]]] = {
    "ready": deployment_ready_condition,
    "settled": deployment_settled_condition,
}


def deployment_condition(
    name: str, expected: str | None = None, upgrade_domain: int | None = None
) -> Callable[[Any], PollResult]:
    """The named condition (``ready`` | ``settled`` | ``domain_ready`` with ``upgrade_domain``),
    optionally requiring the slot to hold ``expected``."""
    if name == "domain_ready":
        if upgrade_domain is None:
            raise ValueError("the domain_ready condition needs upgrade_domain")
        base = upgrade_domain_ready_condition(int(upgrade_domain))
    else:
        try:
            base = CONDITIONS[name]
        except KeyError:
            names = sorted([*CONDITIONS, "domain_ready"])
            raise ValueError(f"unknown deployment condition {name!r}; use one of {names}") from None
    return slot_holds_condition(expected, base) if expected else base


def all_of(results: Sequence[PollResult]) -> PollResult:
    """Several conditions at once (e.g. staging ready AND production settled): the first failure
    ends the wait, success needs every one; the message lists what is still awaited."""
    for result in results:
        if result.done and not result.ok:
            return result
    if len(results) == 1:
        return results[0]
    seen: dict[str, Any] = {}
    for result in results:
        seen.update(result.last_seen)
    if all(r.ok for r in results):
        return PollResult.success("; ".join(r.message for r in results), **seen)
    return PollResult.waiting("; ".join(r.message for r in results if not r.ok), **seen)
