"""The waits of a release, as a list of steps run in order -- in the triggerer or in a worker.

A guarded swap waits for: the slots to settle and staging to be ready (the lock wait), staging's
health (the gate), the swap operation, production to hold the new deployment and be ready (the
verification), and production's status and health every ``bake_interval`` for ``bake_seconds``
(the bake). A rolling upgrade waits for each walk, the domain's instances and the domain's bake.
Each wait is one step; a step is JSON (it travels in trigger kwargs), and each is run by the one
polling loop (``client.polling``) with the one set of conditions. The steps stop at the first one
that does not succeed, so one deferral can cover "swap, verify, bake" and the worker only decides
and sends requests.

Step kinds (every step has ``"kind"`` and ``"name"``, the report's check name):

* ``operation``: ``request_id``, ``what``, ``deadline`` -- the operation finished;
* ``deployments``: ``checks`` (as ``AsmDeploymentTrigger``), ``deadline`` -- e.g. settled + ready;
* ``health``: ``slot``, ``health`` (``HealthCheck.as_dict``), ``expected`` (deployment name or None),
  ``upgrade_domain`` -- the application answers as expected within its attempts;
* ``bake``: ``slot``, ``expected``, ``health``, ``seconds``, ``interval``, ``upgrade_domain`` -- every
  sample for ``seconds`` from when the bake starts running: the slot holds ``expected``, it is not
  hopeless, and healthy.

The outcome of each step is a dict ``{"name", "kind", "outcome", "message", "reason", "at",
"target"?, "attempts"?, "samples"?}``; the event carries them as ``"steps"``. A ``deployments`` step
that timed out while a deployment was locked has ``"reason": LOCKED`` (a lock time-out).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_sm_provider._compat import BaseTrigger, TriggerEvent
from airflow_sm_provider.release_report import utcnow_iso

if TYPE_CHECKING:
    import ssl

    from airflow_sm_provider.client.polling import PollResult, Probe

__all__ = ["LOCKED", "AsmReleaseTrigger", "ReleaseIO", "run_steps_async", "run_steps_sync"]

#: Seconds a bake may overrun its end before the wait counts as broken (slow last sample).
BAKE_GRACE = 30.0
#: ``reason`` of a ``deployments`` step that timed out while an operation held (locked) one of its
#: deployments at the last look: a lock time-out, told apart from "not ready yet" by this value,
#: never by the words of a message.
LOCKED = "locked"


@dataclass
class ReleaseIO:
    """What the steps read with: the ASM client (sync in a worker, async in the triggerer) and TLS."""

    service_name: str
    ctx: ssl.SSLContext
    client: Any = None
    aclient: Any = None
    poll_interval: float = 5.0
    log: Any = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    fetches: int = 0
    #: Whether the last look of a ``deployments`` step saw a locked deployment.
    locked: bool = False

    def progress(self, message: str) -> None:
        if self.log is not None:
            self.log.info("%s", message)

    # --- reads: sync and async twins ---------------------------------------------------------------
    def deployment(self, slot: str | None, name: str | None = None) -> Any:
        from airflow_sm_provider.triggers._deployment_target import get_deployment

        return get_deployment(self.client, self.service_name, slot, name)

    async def adeployment(self, slot: str | None, name: str | None = None) -> Any:
        from airflow_sm_provider.triggers._deployment_target import fetch_deployment

        return await fetch_deployment(self.aclient, self.service_name, slot, name)


# --- probes of each step kind --------------------------------------------------------------------
def _operation_probe(step: dict[str, Any], io: ReleaseIO) -> Probe[Any]:
    from airflow_sm_provider.client.polling import Probe, format_request_id, operation_condition

    rid = step["request_id"]
    what = f"{step.get('what') or 'ASM operation'} (request {format_request_id(rid)})"
    return Probe(
        what,
        operation_condition,
        fetch=(lambda: io.client.get_operation_status(rid)) if io.client is not None else None,
        afetch=(lambda: io.aclient.get_operation_status(rid)) if io.aclient is not None else None,
    )


def _deployments_probe(step: dict[str, Any], io: ReleaseIO) -> Probe[Any]:
    from airflow_sm_provider.client.polling import Probe
    from airflow_sm_provider.triggers.deployment import judge_deployments

    checks = step["checks"]
    io.fetches = 0
    io.locked = False

    def condition(values: list[Any]) -> PollResult:
        io.locked = any(getattr(v, "locked", False) for v in values if v is not None)
        return judge_deployments(io.service_name, checks, values)

    def fetch() -> Any:
        io.fetches += 1
        return [io.deployment(c.get("slot"), c.get("name")) for c in checks]

    async def afetch() -> Any:
        io.fetches += 1
        return [await io.adeployment(c.get("slot"), c.get("name")) for c in checks]

    return Probe(
        step.get("what") or step["name"],
        condition,
        fetch=fetch if io.client is not None else None,
        afetch=afetch if io.aclient is not None else None,
    )


@dataclass(frozen=True)
class BakeSample:
    """One bake sample: the slot's verdict, the health verdict, when."""

    slot: PollResult
    health: PollResult
    at: float


def _bake_condition(step: dict[str, Any], io: ReleaseIO) -> Any:
    from airflow_sm_provider.client.polling import PollResult

    until = float(step["until"])
    started = until - float(step.get("seconds") or 0)

    def condition(sample: BakeSample) -> PollResult:
        io.samples.append(
            {
                "at": utcnow_iso(sample.at),
                "ok": sample.slot.outcome.value != "failed" and sample.health.ok,
                "detail": f"{sample.slot.message}; {sample.health.message}",
            }
        )
        if sample.slot.done and not sample.slot.ok:
            return PollResult.failed(
                f"bake sample {len(io.samples)}: {sample.slot.message}", sample.slot.reason or "slot"
            )
        if not sample.health.ok:
            return PollResult.failed(f"bake sample {len(io.samples)}: {sample.health.message}", "unhealthy")
        if sample.at >= until:
            return PollResult.success(
                f"healthy through {len(io.samples)} sample(s) over {max(0.0, until - started):.0f}s"
            )
        return PollResult.waiting(f"bake sample {len(io.samples)} healthy, {until - sample.at:.0f}s to go")

    return condition


def _slot_verdict(step: dict[str, Any], dep: Any) -> PollResult:
    from airflow_sm_provider.client.polling import deployment_ready_condition, slot_holds_condition

    expected = step.get("expected")
    if expected:
        return slot_holds_condition(expected, deployment_ready_condition)(dep)
    return deployment_ready_condition(dep)


def _health_of(step: dict[str, Any], io: ReleaseIO, dep: Any) -> tuple[str, Any]:
    from airflow_sm_provider._sealed import open_health
    from airflow_sm_provider.operators.health import HealthCheck

    client = io.client if io.client is not None else io.aclient
    check = HealthCheck.from_dict(open_health(step["health"], getattr(client, "credentials", None)))
    return check.resolve(dep, io.service_name, step["slot"], step.get("upgrade_domain")), check


def _health_probe(step: dict[str, Any], io: ReleaseIO, dep: Any) -> tuple[Probe[Any], Any]:
    from airflow_sm_provider.operators.health import health_probe

    url, check = _health_of(step, io, dep)
    return health_probe(url, check, io.ctx, f"{step['name']} {url}"), check


def _health_schedule(check: Any) -> Any:
    from airflow_sm_provider.client.polling import Schedule

    return Schedule.fixed(max(float(check.interval), 0.01))


def _health_deadline(check: Any) -> float:
    return time.time() + check.retries * (check.timeout + check.interval) + 5.0


def _outcome(step: dict[str, Any], result: PollResult, **extra: Any) -> dict[str, Any]:
    out = {
        "name": step["name"],
        "kind": step["kind"],
        "outcome": result.outcome.value,
        "ok": result.ok,
        "message": result.message,
        "reason": result.reason,
        "at": utcnow_iso(),
    }
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def _slot_missing(step: dict[str, Any], dep: Any) -> PollResult | None:
    from airflow_sm_provider.client.polling import PollResult, slot_holds_condition

    expected = step.get("expected")
    if dep is None:
        return PollResult.failed(f"the {step['slot']} slot is empty", "slot_empty")
    if expected:
        held = slot_holds_condition(expected)(dep)
        if not held.ok:
            return held
    return None


def _first_look(step: dict[str, Any], dep: Any | None) -> tuple[Any, BakeSample | None]:
    """The slot's verdict, and the whole sample when health need not be probed (no I/O)."""
    from airflow_sm_provider.client.polling import PollResult

    verdict = _slot_verdict(step, dep)
    if dep is None or (verdict.done and not verdict.ok):
        return verdict, BakeSample(verdict, PollResult.failed("not probed"), time.time())
    return verdict, None


def _health_wait(check: Any) -> dict[str, Any]:
    """The keyword arguments of one health check's wait (``run_sync`` / ``run_async``)."""
    return {
        "deadline": _health_deadline(check),
        "schedule": _health_schedule(check),
        "max_checks": check.retries,
    }


def _sampler(step: dict[str, Any], io: ReleaseIO) -> Any:
    """Sync bake sample: the slot's verdict, then (if it still holds the deployment) its health."""
    from airflow_sm_provider.client.polling import run_sync

    def sample() -> BakeSample:
        dep = io.deployment(step["slot"])
        verdict, sampled = _first_look(step, dep)
        if sampled is not None:
            return sampled
        probe, check = _health_probe(step, io, dep)
        return BakeSample(verdict, run_sync(probe, **_health_wait(check)), time.time())

    return sample


def _asampler(step: dict[str, Any], io: ReleaseIO) -> Any:
    """Async twin of :func:`_sampler` (the same non-I/O parts)."""
    from airflow_sm_provider.client.polling import run_async

    async def sample() -> BakeSample:
        dep = await io.adeployment(step["slot"])
        verdict, sampled = _first_look(step, dep)
        if sampled is not None:
            return sampled
        probe, check = _health_probe(step, io, dep)
        return BakeSample(verdict, await run_async(probe, **_health_wait(check)), time.time())

    return sample


# --- the two runners -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Wait:
    """Plan step: run this probe on the polling loop and send its result back."""

    probe: Any
    deadline: float
    schedule: Any
    max_checks: int | None = None

    def options(self, io: ReleaseIO) -> dict[str, Any]:
        """The keyword arguments of ``run_sync`` / ``run_async`` for this wait (one place for both)."""
        return {
            "deadline": self.deadline,
            "schedule": self.schedule,
            "max_checks": self.max_checks,
            "on_progress": io.progress,
        }


@dataclass(frozen=True)
class _Read:
    """Plan step: read the deployment in ``slot`` and send it back (None when empty)."""

    slot: str


def _plan(steps: list[dict[str, Any]], io: ReleaseIO) -> Generator[_Wait | _Read, Any, list[dict[str, Any]]]:
    """The steps as a sans-I/O plan, so the worker and the triggerer run the same logic."""
    from airflow_sm_provider.client.polling import Probe, Schedule

    done: list[dict[str, Any]] = []
    for step in steps:
        kind = step["kind"]
        if kind in ("operation", "deployments"):
            probe = _operation_probe(step, io) if kind == "operation" else _deployments_probe(step, io)
            result = yield _Wait(probe, step["deadline"], Schedule(io.poll_interval))
            checks, reason = None, None
            if kind == "deployments":
                checks, reason = io.fetches, (LOCKED if result.timed_out and io.locked else None)
            done.append(_outcome(step, result, target=step.get("request_id"), checks=checks, reason=reason))
        elif kind == "health":
            dep = yield _Read(step["slot"])
            missing = _slot_missing(step, dep)
            if missing is not None:
                done.append(_outcome(step, missing))
            else:
                probe, check = _health_probe(step, io, dep)
                result = yield _Wait(probe, _health_deadline(check), _health_schedule(check), check.retries)
                done.append(_outcome(step, result, target=result.last_seen.get("url")))
        else:  # bake: "seconds" from the start of this step (a resumed bake starts over, never shorter)
            io.samples = []
            step = {**step, "until": time.time() + float(step.get("seconds") or 0)}  # noqa: PLW2901
            bake = Probe(
                step.get("what") or step["name"],
                _bake_condition(step, io),
                fetch=_sampler(step, io) if io.client is not None else None,
                afetch=_asampler(step, io) if io.aclient is not None else None,
            )
            interval = Schedule.fixed(max(float(step["interval"]), 0.05))
            result = yield _Wait(bake, float(step["until"]) + BAKE_GRACE, interval)
            done.append(_outcome(step, result, samples=list(io.samples)))
        if not done[-1]["ok"]:
            break
    return done


def run_steps_sync(steps: list[dict[str, Any]], io: ReleaseIO) -> list[dict[str, Any]]:
    """Run the steps in a worker; stop at the first that does not succeed."""
    from airflow_sm_provider.client.polling import run_sync

    plan = _plan(steps, io)
    try:
        request = next(plan)
        while True:
            if isinstance(request, _Read):
                request = plan.send(io.deployment(request.slot))
            else:
                request = plan.send(run_sync(request.probe, **request.options(io)))
    except StopIteration as stop:
        outcomes: list[dict[str, Any]] = stop.value
        return outcomes


async def run_steps_async(steps: list[dict[str, Any]], io: ReleaseIO) -> list[dict[str, Any]]:
    """Run the steps in the triggerer (same plan as :func:`run_steps_sync`)."""
    from airflow_sm_provider.client.polling import run_async

    plan = _plan(steps, io)
    try:
        request = next(plan)
        while True:
            if isinstance(request, _Read):
                request = plan.send(await io.adeployment(request.slot))
            else:
                request = plan.send(await run_async(request.probe, **request.options(io)))
    except StopIteration as stop:
        outcomes: list[dict[str, Any]] = stop.value
        return outcomes


def single_look(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps as one look each: deadlines already past (one check), one health attempt."""
    looks = []
    for step in steps:
        look = {**step}
        if "deadline" in look:
            look["deadline"] = 0.0
        if "health" in look:
            look["health"] = {**look["health"], "retries": 1}
        looks.append(look)
    return looks


def steps_event(
    steps: list[dict[str, Any]], done: list[dict[str, Any]], carry: dict[str, Any]
) -> dict[str, Any]:
    """The one event of a release wait: overall status (the last step's), every step's outcome."""
    last = done[-1] if done else {"outcome": "failed", "message": "no step ran", "reason": ""}
    status = "success" if len(done) == len(steps) and all(d["ok"] for d in done) else last["outcome"]
    body = {"status": status, "message": last["message"], "steps": done, **carry}
    if last.get("reason"):
        body["error_code"] = last["reason"]
    return body


async def _opened(steps: list[dict[str, Any]], client: Any, settings: Any) -> list[dict[str, Any]]:
    """The steps with their health headers opened, in memory only.

    The shared client may hold an older certificate than the one the worker sealed with (it lives as
    long as any trigger of the connection uses it, across a rotation): then the connection's
    current certificate, from the freshly read ``settings``, opens them.
    """
    from airflow_sm_provider._sealed import SealedHeadersError, open_steps

    try:
        return open_steps(steps, client.credentials)
    except SealedHeadersError:
        if settings is None:
            raise
    current = await asyncio.to_thread(settings.load_credentials)
    try:
        return open_steps(steps, current)
    finally:
        current.close()


class AsmReleaseTrigger(BaseTrigger):
    """Run a release's steps in the triggerer; yield one event with every step's outcome.

    Only reads (Get Deployment, Get Operation Status, health GETs): a trigger may run twice (triggerer
    HA, restarts) without harm. An exception becomes a ``failed`` event with ``error_type``.

    :param service_name: the cloud service.
    :param steps: the steps (module docstring).
    :param asm_conn_id: the Airflow connection id (ASM client and the health probes' TLS trust).
    :param poll_interval: steady seconds between ASM checks.
    :param carry: JSON-safe data copied into the event (the phase to resume).
    """

    def __init__(
        self,
        service_name: str,
        steps: list[dict[str, Any]],
        *,
        asm_conn_id: str = "asm_default",
        poll_interval: float = 5.0,
        carry: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.service_name = service_name
        self.steps = [dict(s) for s in steps]
        self.asm_conn_id = asm_conn_id
        self.poll_interval = float(poll_interval)
        self.carry = dict(carry or {})

    def serialize(self) -> tuple[str, dict[str, Any]]:
        from airflow_sm_provider.triggers.base import serialize_attributes

        return serialize_attributes(self, ("service_name", "steps", "asm_conn_id", "poll_interval", "carry"))

    def describe(self) -> str:
        names = ", ".join(s["name"] for s in self.steps)
        return f"release steps of {self.service_name}: {names} (connection {self.asm_conn_id})"

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_sm_provider.hooks.service_management import ServiceManagementHook
        from airflow_sm_provider.operators.health import tls_context
        from airflow_sm_provider.triggers.base import shared_async_client

        self.log.info("Waiting for %s", self.describe())
        try:
            settings = await ServiceManagementHook(asm_conn_id=self.asm_conn_id).asettings()
            ctx = await asyncio.to_thread(tls_context, settings)
            async with shared_async_client(self.asm_conn_id) as client:
                steps = await _opened(self.steps, client, settings)
                io = ReleaseIO(
                    self.service_name, ctx, aclient=client, poll_interval=self.poll_interval, log=self.log
                )
                done = await run_steps_async(steps, io)
            body = steps_event(self.steps, done, self.carry)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            body = {
                "status": "failed",
                "message": f"{type(exc).__name__}: {exc}",
                "error_type": type(exc).__name__,
                "steps": [],
                **self.carry,
            }
        self.log.info("Release wait ended (%s): %s", body["status"], body["message"])
        yield TriggerEvent(body)
