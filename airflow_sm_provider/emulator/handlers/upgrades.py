"""In-place upgrades by upgrade domain: Upgrade Deployment, Walk Upgrade Domain, Rollback (4.3).

The model (``dep["upgrade"]``, a JSON document like everything else, so it survives a restart):

* ``type``: the UpgradeType shown in ``UpgradeStatus`` (Auto | Manual | Simultaneous); ``what``:
  ``upgrade`` (Upgrade Deployment), ``update`` (a Manual configuration change) or ``rollback``.
* ``domains``: the upgrade domains to walk, in order; ``schedule``: ``[[domain, start, end], ...]``
  of the walks started so far. ``UpgradeStatus`` is derived from it at each request: the domain
  whose walk runs now is ``During``; otherwise the next domain to walk is ``Before``.
* ``target`` / ``previous``: the configuration, package and label the walked domains run and the
  ones a rollback returns to; ``role``: RoleToUpgrade (only that role's instances are walked).

Auto walks every domain one after another inside the Upgrade Deployment operation (the deployment
stays Locked throughout); Simultaneous walks all at once; Manual ends its operation quickly and
waits for Walk Upgrade Domain calls, one per domain, each an operation that holds the lock while
that domain's instances go StoppingRole -> BusyRole -> ReadyRole (or FailedStartingRole). The
upgrade is over when its last domain has been walked: ``UpgradeStatus`` disappears.

Rollback Update Or Upgrade may interrupt a running Auto walk or a Manual walk (the only write allowed
on a locked deployment, as the real service allowed it): the interrupted operation ends Failed with
409 ConflictError, the domains that had started go back to the previous configuration (Auto: one
after another inside the rollback operation; Manual: a new walk, ``what = rollback``, over exactly
those domains), domains not yet reached never change. RollbackAllowed is true while an upgrade or
update (not a rollback) is in progress.

Choices (no recording): walking a domain other than the next one is 400 BadRequest; walking or
rolling back with no upgrade in progress is 400 BadRequest; a second rollback is 409 ConflictError;
Force is accepted and ignored (the emulator has no local data to lose).
"""

from __future__ import annotations

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.cscfg import ServiceConfig, parse_cscfg
from airflow_sm_provider.emulator.handlers import lifecycle
from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    completion,
    conflict,
    deployment_lock,
    empty,
    extended_properties,
    handler,
    hold_deployment,
    label_b64,
    required,
)
from airflow_sm_provider.emulator.handlers.deployments import (
    apply_config,
    dep_key,
    find_deployment,
    open_change,
    read_configuration,
    read_mode,
    reconcile,
    require_certificates,
    save,
)
from airflow_sm_provider.emulator.handlers.hosted import DEPLOYMENT
from airflow_sm_provider.emulator.handlers.upgrade_state import next_domain, status
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc, Operation, Store
from airflow_sm_provider.emulator.timings import duration
from airflow_sm_provider.emulator.xmlio import whole_number

UPGRADE_KINDS = ("upgrade_deployment", "walk_upgrade_domain", "change_deployment_configuration")
MSG_NO_UPGRADE = "No upgrade or configuration change is in progress on this deployment."
MSG_ROLLED_BACK = "The upgrade was rolled back by a Rollback Update Or Upgrade request."


# --- walking ---------------------------------------------------------------------------------------
def _walk(dep: Doc, up: Doc, domain: int | None, start: float, end: float, speed: float) -> None:  # noqa: PLR0917
    """Plan the walk of ``domain`` (None: every domain at once) between ``start`` and ``end``."""
    config = parse_cscfg(up["target"]["configuration"])
    role = up.get("role")
    running = dep["status"] == "Running"
    for inst in dep["instances"]:
        if not lifecycle.visible(inst, start) or (role and inst["role"].lower() != role.lower()):
            continue
        ud = int(inst.get("ud", 0))
        if domain is not None and ud != domain:
            continue
        health = config.health_map(inst["role"], ud)
        lifecycle.set_health(inst, start, health)
        if running:
            steps = lifecycle.walk_steps(start, end, speed, fail=health.get("*") == "fail-start")
            inst["timeline"] = [s for s in inst["timeline"] if s[0] < start] + [list(s) for s in steps]
    up["schedule"].append([domains_label(up, domain), start, end])


def domains_label(up: Doc, domain: int | None) -> int:
    return int(up["domains"][0]) if domain is None else domain


def _snapshot(dep: Doc) -> Doc:
    return {
        "configuration": dep["configuration"],
        "package_url": dep.get("package_url", ""),
        "label": dep["label"],
    }


def _apply(dep: Doc, version: Doc) -> None:
    apply_config(dep, parse_cscfg(version["configuration"]), version["configuration"], keep_domains=True)
    dep["package_url"] = version["package_url"]
    dep["label"] = version["label"]


def start(
    ctx: Ctx,
    dep: Doc,
    mode: str,
    text: str,
    config: ServiceConfig,
    *,
    what: str,
    locks: list[str],
    props: dict[str, str] | None,
    package_url: str | None = None,
    label: str | None = None,
    role: str | None = None,
) -> Response:
    """Start an upgrade (or a Manual configuration change); the caller has checked the input and
    holds the deployment (``locks``, from ``hold_deployment``)."""
    kind = "upgrade_deployment" if what == "upgrade" else "change_deployment_configuration"
    count = int(dep.get("upgrade_domain_count", 1))
    per_domain = duration("walk_upgrade_domain", ctx.speed)
    length = {"Auto": per_domain * count, "Simultaneous": per_domain}.get(
        mode, duration("upgrade_manual", ctx.speed)
    )
    if ctx.request.operation_seconds is not None:
        length = ctx.request.operation_seconds
    if not ctx.failing():
        previous = _snapshot(dep)
        target = {
            "configuration": text,
            "package_url": package_url if package_url is not None else previous["package_url"],
            "label": label if label is not None else previous["label"],
        }
        end = ctx.now + length
        reconcile(ctx, dep, config, end, restart=False, upgrade_domains=count, apply_health=False)
        up: Doc = {
            "type": mode,
            "what": what,
            "role": role,
            "domains": list(range(count)),
            "schedule": [],
            "target": target,
            "previous": previous,
        }
        _apply(dep, target)
        if props:
            dep["extended_properties"] = {**dep.get("extended_properties", {}), **props}
        if mode == "Simultaneous":
            _walk(dep, up, None, ctx.now, end, ctx.speed)
            up["schedule"] = [[d, ctx.now, end] for d in up["domains"]]
        elif mode == "Auto":
            for i, domain in enumerate(up["domains"]):
                first = ctx.now + i * (length / count)
                _walk(dep, up, domain, first, first + length / count, ctx.speed)
        dep["upgrade"] = up
        save(ctx, dep)
    done = {"action": "upgrade_settled", "key": dep_key(dep)} if mode != "Manual" else None
    ctx.start_operation(kind, done, locks=locks, seconds=length)
    return empty(202)


@completion("upgrade_settled")
def _settled(store: Store, op: Operation, step: Doc, now: float) -> None:
    """An operation of the upgrade ended: when every domain has been walked, the upgrade is over."""
    dep = store.get(op.sub, DEPLOYMENT, step["key"])
    if dep is None or not dep.get("upgrade"):
        return
    if status(dep, now) is None:
        dep["upgrade"] = None
        dep["modified"] = now
        store.put(op.sub, DEPLOYMENT, step["key"], dep)


# --- handlers --------------------------------------------------------------------------------------
@handler("upgrade_deployment")
def upgrade(ctx: Ctx) -> Response:
    dep, body, locks, mode = open_change(
        ctx, "UpgradeDeployment", "A deployment with virtual machines cannot be upgraded."
    )
    package_url = required(body, "PackageUrl")
    text, config = read_configuration(body)
    require_certificates(ctx, dep["service"], config)
    label = label_b64(body, required_=False)
    role = (body.text("RoleToUpgrade") or "").strip() or None
    if role is not None and role.lower() not in [r.lower() for r in dep.get("role_names", [])]:
        raise bad_request(f"The role {role} does not exist in deployment {dep['name']}.")
    force = (body.text("Force") or "false").strip().lower()
    if force not in ("true", "false"):
        raise bad_request(f"The value '{force}' of Force is not valid. Valid values are true and false.")
    props = extended_properties(body)
    return start(
        ctx,
        dep,
        mode,
        text,
        config,
        what="upgrade",
        locks=locks,
        props=props,
        package_url=package_url,
        label=label,
        role=role,
    )


@handler("walk_upgrade_domain")
def walk(ctx: Ctx) -> Response:
    dep = find_deployment(ctx)
    raw = required(ctx.body("WalkUpgradeDomain"), "UpgradeDomain")
    domain = whole_number(raw)
    if domain is None:
        raise bad_request(f"The UpgradeDomain '{raw}' is not valid: an integer from 0 is expected.")
    locks = hold_deployment(ctx, dep)
    up = dep.get("upgrade")
    if not up:
        raise bad_request(MSG_NO_UPGRADE)
    if up["type"] != "Manual":
        raise bad_request(f"The {up['type']} upgrade of this deployment walks its upgrade domains itself.")
    expected = next_domain(up)
    if expected is None or domain != expected:
        raise bad_request(
            f"The upgrade domain {domain} cannot be walked now; the next one to walk is {expected}."
        )
    end = ctx.now + duration("walk_upgrade_domain", ctx.speed)
    if ctx.request.operation_seconds is not None:
        end = ctx.now + ctx.request.operation_seconds
    if not ctx.failing():
        _walk(dep, up, domain, ctx.now, end, ctx.speed)
        save(ctx, dep)
    ctx.start_operation(
        "walk_upgrade_domain",
        {"action": "upgrade_settled", "key": dep_key(dep)},
        locks=locks,
        seconds=end - ctx.now,
    )
    return empty(202)


def _cancel_running(ctx: Ctx, dep: Doc) -> None:
    """End the upgrade's running operation Failed; any other operation on the deployment is a 409."""
    op = ctx.store.locking_operation(deployment_lock(ctx, dep))
    if op is None:
        return
    if op.kind not in UPGRADE_KINDS:
        raise conflict(p.MSG_EXCLUSIVE_ACCESS)
    op.status, op.http_status = p.OP_FAILED, 409
    op.error_code, op.error_message = p.ERR_CONFLICT, MSG_ROLLED_BACK
    ctx.store.update_operation(op)


def _started_domains(up: Doc, now: float) -> list[int]:
    return [int(d) for d, begin, _ in up["schedule"] if begin <= now]


@handler("rollback_update_or_upgrade")
def rollback(ctx: Ctx) -> Response:
    dep = find_deployment(ctx)
    body = ctx.body("RollbackUpdateOrUpgrade")
    mode = read_mode(ctx, body, default="")
    if mode not in ("Auto", "Manual"):
        raise bad_request("The Mode parameter is required: Auto or Manual.")
    up = dep.get("upgrade")
    if not up:
        raise bad_request(MSG_NO_UPGRADE)
    if up["what"] == "rollback":
        raise conflict("A rollback is already in progress on this deployment.")
    _cancel_running(ctx, dep)
    now = ctx.now
    back = _started_domains(up, now) if up["type"] != "Simultaneous" else list(up["domains"])
    for inst in dep["instances"]:  # domains not reached yet never change
        if int(inst.get("ud", 0)) not in back:
            lifecycle.drop_plans(inst, now)
    count = max(len(back), 1)
    per_domain = duration("walk_upgrade_domain", ctx.speed)
    length = per_domain * count if mode == "Auto" else duration("upgrade_manual", ctx.speed)
    undo: Doc = {
        "type": mode,
        "what": "rollback",
        "role": up.get("role"),
        "domains": back,
        "schedule": [],
        "target": up["previous"],
        "previous": up["target"],
    }
    _apply(dep, up["previous"])
    if mode == "Auto":
        for i, domain in enumerate(back):
            _walk(dep, undo, domain, now + i * per_domain, now + (i + 1) * per_domain, ctx.speed)
    dep["upgrade"] = undo if back else None
    save(ctx, dep)
    ctx.start_operation(
        "rollback_update_or_upgrade",
        {"action": "upgrade_settled", "key": dep_key(dep)},
        locks=[deployment_lock(ctx, dep)],
        seconds=length,
    )
    return empty(202)
