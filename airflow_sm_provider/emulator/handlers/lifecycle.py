"""Role instance life cycles as timelines of absolute times.

An instance carries ``timeline = [[t, InstanceStatus, PowerState], ...]``; its state at time ``now``
is the last step with ``t <= now``. Scheduling new work drops the steps that have not happened yet
and appends the new ones, so a restart of the emulator (or a fast-forwarded fake clock) lands in
the right state without any background thread. The walks follow the recorded and documented
states (asm-wire.md 4.3): PaaS CreatingVM -> StartingVM -> CreatingRole -> StartingRole ->
ReadyRole; not started -> StoppedVM; VMs RoleStateUnknown/Starting -> ReadyRole/Started;
shutdown -> StoppedVM or StoppedDeallocated / Stopped; an upgrade domain being walked: StoppingRole
-> BusyRole -> ReadyRole (or FailedStartingRole when the new configuration's health is fail-start).

The configuration an instance runs shows in its ``health`` timeline, ``[[t, {"*": mode, path: mode}],
...]`` (same rule: the last entry with ``t <= now``), so an upgrade domain switches to the new
configuration exactly when its walk starts, also for walks scheduled in the future (Auto mode).
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


def health_at(inst: Doc, now: float) -> dict[str, str] | None:
    """The health map of the configuration the instance runs at ``now`` (None: the deployment's)."""
    found: dict[str, str] | None = None
    for t, health in inst.get("health") or []:
        if t <= now:
            found = health
        else:
            break
    return found


def set_health(inst: Doc, t: float, health: dict[str, str]) -> None:
    """From ``t`` on the instance runs a configuration with this health (later plans are dropped)."""
    kept = [entry for entry in inst.get("health") or [] if entry[0] < t]
    inst["health"] = [*kept, [t, health]]


def drop_plans(inst: Doc, now: float) -> None:
    """Forget every state and configuration change planned after ``now`` (a cancelled upgrade)."""
    reschedule(inst, now, [])
    inst["health"] = [entry for entry in inst.get("health") or [] if entry[0] <= now]


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


def walk_steps(start: float, end: float, speed: float, *, fail: bool) -> list[tuple[float, str, str]]:
    """An upgrade domain being walked: its instances stop, are busy while updated, then come back."""
    span = max(end - start, 0.0)
    return [
        (start, "StoppingRole", "Started"),
        (start + span * 0.2, "BusyRole", "Started"),
        (end + PAAS_READY_AFTER_START / speed, FAILED_START if fail else READY, "Started"),
    ]


def _ip(seed: str) -> str:
    digest = hashlib.sha1(seed.encode(), usedforsecurity=False).digest()
    return f"10.{digest[0]}.{digest[1]}.{max(digest[2], 4)}"


def new_instance(  # noqa: PLR0917 - positional order kept for the existing call sites
    deployment_key: str,
    role: str,
    index: int,
    timeline: list[Step],
    upgrade_domains: int = 5,
    config: ServiceConfig | None = None,
) -> Doc:
    """Instance ``index`` of ``role``: upgrade domain ``index % upgrade_domains`` (the real fabric
    spread instances round-robin over the domains), fault domain ``index % 2``."""
    name = f"{role}_IN_{index}"
    ud = index % max(upgrade_domains, 1)
    start = float(timeline[0][0]) if timeline else 0.0  # type: ignore[arg-type]
    return {
        "role": role,
        "name": name,
        "size": "Small",
        "ud": ud,
        "health": [[start, config.health_map(role, ud)]] if config is not None else [],
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
    upgrade_domains: int = 5,
    apply_health: bool = True,
) -> list[Doc]:
    """Instances after a configuration change: keep, add (walking from CreatingVM) or retire.

    Retired instances stop and disappear when the operation ends (``gone_at``); kept ones restart
    only when ``restart`` (settings that change the application's behaviour were changed); with
    ``apply_health`` every kept instance runs the new configuration from ``now`` on.
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
                out.append(new_instance(deployment_key, role.name, idx, steps, upgrade_domains, config))
            else:
                if restart and running:
                    reschedule(found, now, restart_steps(now, end, speed, fail=fail))
                if apply_health:
                    set_health(found, now, config.health_map(role.name, int(found.get("ud", 0))))
                out.append(found)
    for extra in alive:
        if not any(extra is kept for kept in out):
            reschedule(extra, now, stop_steps(now, end))
            extra["gone_at"] = end
            out.append(extra)
    return out
