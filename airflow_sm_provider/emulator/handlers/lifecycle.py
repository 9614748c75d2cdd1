"""Role instance life cycles as timelines of absolute times.

An instance carries ``timeline = [[t, InstanceStatus, PowerState], ...]``; its state at time ``now``
is the last step with ``t <= now``. Scheduling new work drops the steps that have not happened yet
and appends the new ones, so a restart of the emulator (or a fast-forwarded fake clock) lands in
the right state without any background thread. The walks follow the recorded and documented
states (asm-wire.md 4.3): PaaS CreatingVM -> StartingVM -> CreatingRole -> StartingRole ->
ReadyRole; not started -> StoppedVM; VMs RoleStateUnknown/Starting -> ReadyRole/Started;
shutdown -> StoppedVM or StoppedDeallocated / Stopped.
"""

from __future__ import annotations

import hashlib

from airflow_sm_provider.emulator.cscfg import ServiceConfig
from airflow_sm_provider.emulator.state import Doc
from airflow_sm_provider.emulator.timings import PAAS_READY_AFTER_OP, PAAS_READY_AFTER_START

Step = list[object]  # [t, status, power]

READY = "ReadyRole"
FAILED_START = "FailedStartingRole"


def current(inst: Doc, now: float) -> tuple[str, str]:
    timeline = inst["timeline"]
    state = timeline[0]
    for step in timeline:
        if step[0] <= now:
            state = step
        else:
            break
    return str(state[1]), str(state[2])


def visible(inst: Doc, now: float) -> bool:
    gone = inst.get("gone_at")
    return gone is None or gone > now


def reschedule(inst: Doc, now: float, steps: list[tuple[float, str, str]]) -> None:
    """Forget what has not happened yet and continue with ``steps`` (keeps the current state first)."""
    status, power = current(inst, now)
    inst["timeline"] = [[now, status, power]] + [[t, s, pw] for t, s, pw in steps]


def paas_create_steps(now: float, end: float, speed: float, *, running: bool, fail: bool) -> list[Step]:
    """Fresh PaaS instance: walks to ReadyRole (or FailedStartingRole) when started, else StoppedVM."""
    span = max(end - now, 0.0)
    if not running:
        return [[now, "CreatingVM", "Stopped"], [end, "StoppedVM", "Stopped"]]
    return [
        [now, "CreatingVM", "Stopped"],
        [now + span * 0.3, "StartingVM", "Starting"],
        [now + span * 0.6, "CreatingRole", "Started"],
        [end, "StartingRole", "Started"],
        [end + PAAS_READY_AFTER_OP / speed, FAILED_START if fail else READY, "Started"],
    ]


def start_steps(now: float, end: float, speed: float, *, fail: bool) -> list[tuple[float, str, str]]:
    span = max(end - now, 0.0)
    return [
        (now, "StartingVM", "Starting"),
        (now + span * 0.5, "StartingRole", "Started"),
        (end + PAAS_READY_AFTER_START / speed, FAILED_START if fail else READY, "Started"),
    ]


def stop_steps(now: float, end: float) -> list[tuple[float, str, str]]:
    span = max(end - now, 0.0)
    return [
        (now, "StoppingRole", "Stopping"),
        (now + span * 0.5, "StoppingVM", "Stopping"),
        (end, "StoppedVM", "Stopped"),
    ]


def restart_steps(now: float, end: float, speed: float, *, fail: bool) -> list[tuple[float, str, str]]:
    span = max(end - now, 0.0)
    return [
        (now, "StoppingRole", "Started"),
        (now + span * 0.3, "StartingRole", "Started"),
        (end + PAAS_READY_AFTER_START / speed, FAILED_START if fail else READY, "Started"),
    ]


def _ip(seed: str) -> str:
    digest = hashlib.sha1(seed.encode(), usedforsecurity=False).digest()
    return f"10.{digest[0]}.{digest[1]}.{max(digest[2], 4)}"


def new_instance(deployment_key: str, role: str, index: int, timeline: list[Step]) -> Doc:
    name = f"{role}_IN_{index}"
    return {
        "role": role,
        "name": name,
        "size": "Small",
        "ud": index % 5,
        "fd": index % 2,
        "ip": _ip(f"{deployment_key}/{name}"),
        "timeline": timeline,
        "gone_at": None,
    }


def reconcile_instances(  # noqa: PLR0917 - one call site, all arguments named there
    deployment_key: str,
    instances: list[Doc],
    config: ServiceConfig,
    now: float,
    end: float,
    speed: float,
    *,
    running: bool,
    restart: bool,
    fail: bool,
) -> list[Doc]:
    """Instances after a configuration change: keep, add (walking from CreatingVM) or retire.

    Retired instances stop and disappear when the operation ends (``gone_at``); kept ones restart
    only when ``restart`` (settings that change the application's behaviour were changed).
    """
    alive = [i for i in instances if visible(i, now)]
    out: list[Doc] = []
    for role in config.roles:
        mine = [i for i in alive if i["role"] == role.name]
        for idx in range(role.count):
            name = f"{role.name}_IN_{idx}"
            found = next((i for i in mine if i["name"] == name), None)
            if found is None:
                steps = paas_create_steps(now, end, speed, running=running, fail=fail)
                out.append(new_instance(deployment_key, role.name, idx, steps))
            else:
                if restart and running:
                    reschedule(found, now, restart_steps(now, end, speed, fail=fail))
                out.append(found)
    for extra in alive:
        if not any(extra is kept for kept in out):
            reschedule(extra, now, stop_steps(now, end))
            extra["gone_at"] = end
            out.append(extra)
    return out
