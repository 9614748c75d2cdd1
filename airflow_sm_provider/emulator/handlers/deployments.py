"""PaaS deployments: create, get, delete, change configuration, update status, swap (4.3).

Upgrades (Upgrade Deployment, Manual configuration changes, Walk Upgrade Domain, Rollback) live in
``upgrades.py``; role-instance operations in ``instances.py``.

Choices where the sources are silent (asm-wire.md marks them unverified):
* Create into an occupied slot: 409 ConflictError "The specified deployment slot Production is
  occupied." A deployment name already used in the service: 409 ConflictError.
* Create applies at once (the slot is taken, Status is already Running/Suspended as recorded, the
  deployment is Locked); instances then walk their life cycle. A fault-failed create removes the
  deployment when its operation ends (rollback).
* Update Deployment Status shows RunningTransitioning / SuspendedTransitioning until the operation ends.
* Swap applies the slot exchange at once and holds both deployments locked for the operation.
  Staging empty, or names that do not match the occupants: 409 ConflictError. A VM deployment on
  either side: 400 BadRequest. Missing / empty / nil Production with an empty production slot = move.
* Change configuration restarts the kept instances only when the ``Emulator.Health`` setting changed;
  added instances walk from CreatingVM, removed ones stop and vanish when the operation ends.
* While an upgrade or Manual configuration change is in progress (``upgrades.py``), another
  change, upgrade, swap or status change is 409 ConflictError.
"""

from __future__ import annotations

import hashlib
from functools import partial

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.cscfg import ConfigError, ServiceConfig, parse_cscfg
from airflow_sm_provider.emulator.handlers import lifecycle, render
from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    capitalise_slot,
    completion,
    conflict,
    deployment_lock,
    empty,
    ensure_unlocked,
    extended_properties,
    handler,
    hold_deployment,
    label_b64,
    lock_key,
    new_id,
    not_found,
    render_one,
    require_version,
    required,
)
from airflow_sm_provider.emulator.handlers.hosted import DEPLOYMENT, deployments_of, get_service
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc, Operation, Store
from airflow_sm_provider.emulator.timings import duration
from airflow_sm_provider.emulator.xmlio import Node, unb64

MAX_DEPLOYMENT_NAME = 100


def dep_key(dep: Doc) -> str:
    return f"{dep['service']}/{dep['name']}"


def vip_for(seed: str) -> str:
    d = hashlib.sha1(seed.encode(), usedforsecurity=False).digest()
    return f"23.{d[0] % 200 + 20}.{d[1]}.{max(d[2], 1)}"


def find_deployment(ctx: Ctx) -> Doc:
    """The deployment the URL names, by slot or by name (404 texts as recorded)."""
    svc = get_service(ctx, ctx.route.params["service"])
    params = ctx.route.params
    if "slot" in params:
        slot = capitalise_slot(params["slot"])
        dep = next((d for d in deployments_of(ctx, svc["name"]) if d["slot"] == slot), None)
    else:
        dep = ctx.store.get(ctx.sub, DEPLOYMENT, f"{svc['name']}/{params['deployment']}")
    if dep is None:
        raise not_found(p.MSG_DEPLOYMENT_NOT_FOUND)
    return dep


def save(ctx: Ctx, dep: Doc) -> None:
    dep["modified"] = ctx.now
    ctx.store.put(ctx.sub, DEPLOYMENT, dep_key(dep), dep)


def read_configuration(body: Node) -> tuple[str, ServiceConfig]:
    raw = required(body, "Configuration")
    try:
        text = unb64(raw)
    except ValueError as exc:
        raise bad_request("The value of Configuration is not a valid base64 string.") from exc
    try:
        return text, parse_cscfg(text)
    except ConfigError as exc:
        raise bad_request(f"The specified configuration is invalid: {exc}") from exc


def apply_config(dep: Doc, config: ServiceConfig, text: str, *, keep_domains: bool = False) -> None:
    """Make ``text`` the deployment's configuration. ``keep_domains``: an in-place upgrade never
    changes the number of upgrade domains (instances keep theirs)."""
    from airflow_sm_provider.emulator.handlers.seed import os_version_for

    dep["configuration"] = text
    dep["health"] = config.health
    dep["role_names"] = [r.name for r in config.roles]
    dep["os_version"] = os_version_for(config.os_family)
    if not keep_domains or "upgrade_domain_count" not in dep:
        dep["upgrade_domain_count"] = upgrade_domain_count(config)


def reconcile(
    ctx: Ctx,
    dep: Doc,
    config: ServiceConfig,
    end: float,
    *,
    restart: bool,
    upgrade_domains: int,
    apply_health: bool = True,
) -> None:
    """Give ``dep`` the instances ``config`` asks for, their walks running from now to ``end``
    (``lifecycle.reconcile_instances``): a configuration change, or the start of an upgrade."""
    dep["instances"] = lifecycle.reconcile_instances(
        dep_key(dep),
        dep["instances"],
        config,
        ctx.now,
        end,
        ctx.speed,
        running=dep["status"] == "Running",
        restart=restart,
        fail=config.health == "fail-start",
        upgrade_domains=upgrade_domains,
        apply_health=apply_health,
    )


def upgrade_domain_count(config: ServiceConfig) -> int:
    """``Emulator.UpgradeDomainCount`` when set; else as many domains as the largest role has
    instances, at most 5 (the .csdef default the real fabric used)."""
    return config.upgrade_domain_count or max(1, min(5, max((r.count for r in config.roles), default=1)))


def require_certificates(ctx: Ctx, service: str, config: ServiceConfig) -> None:
    """Every certificate the .cscfg names must have been uploaded to the service first."""
    from airflow_sm_provider.emulator.handlers.certificates import KIND, cert_key

    for role in config.roles:
        for algorithm, thumbprint in role.certificates:
            if ctx.store.get(ctx.sub, KIND, cert_key(service, algorithm, thumbprint)) is None:
                raise bad_request(
                    f"Certificate with thumbprint {thumbprint} associated with role {role.name} was not "
                    f"found in the list of certificates of hosted service {service}; add it with Add "
                    "Service Certificate first."
                )


UPGRADE_IN_PROGRESS = (
    "An upgrade or configuration change is in progress on this deployment. Walk its upgrade domains "
    "or roll it back before starting another operation."
)


def ensure_no_upgrade(dep: Doc) -> None:
    if dep.get("upgrade"):
        raise conflict(UPGRADE_IN_PROGRESS)


def open_change(ctx: Ctx, root: str, vm_refusal: str) -> tuple[Doc, Node, list[str], str]:
    """What Change Deployment Configuration and Upgrade Deployment check first, in this order (it
    decides which error a request with several faults gets): the deployment, the body's root, the
    lock, no upgrade under way, not a VM deployment (``vm_refusal``), the Mode.

    Returns the deployment, the body, the locks its operation takes and the Mode."""
    dep = find_deployment(ctx)
    body = ctx.body(root)
    locks = hold_deployment(ctx, dep)
    ensure_no_upgrade(dep)
    if dep.get("kind") == "vm":
        raise bad_request(vm_refusal)
    return dep, body, locks, read_mode(ctx, body)


@handler("get_deployment")
def get(ctx: Ctx) -> Response:
    return render_one("Deployment", partial(render.deployment, ctx), find_deployment(ctx))


@handler("create_deployment")
def create(ctx: Ctx) -> Response:
    svc = get_service(ctx, ctx.route.params["service"])
    slot = capitalise_slot(ctx.route.params["slot"])
    ensure_unlocked(ctx.store, lock_key(ctx.sub, svc["name"]))
    if svc.get("status") == "Deleting":
        raise conflict()
    body = ctx.body("CreateDeployment")
    name = required(body, "Name")
    if len(name) > MAX_DEPLOYMENT_NAME:
        raise bad_request(f"The deployment name is longer than {MAX_DEPLOYMENT_NAME} characters.")
    package_url = required(body, "PackageUrl")
    label = label_b64(body)
    text, config = read_configuration(body)
    require_certificates(ctx, svc["name"], config)
    props = extended_properties(body) or {}
    start = body.bool("StartDeployment")
    existing = deployments_of(ctx, svc["name"])
    if any(d["slot"] == slot for d in existing):
        raise conflict(f"The specified deployment slot {slot} is occupied.")
    if any(d["name"].lower() == name.lower() for d in existing):
        raise conflict(f"A deployment named {name} already exists in hosted service {svc['name']}.")
    end = ctx.now + duration("create_deployment", ctx.speed)
    key = f"{svc['name']}/{name}"
    dep: Doc = {
        "service": svc["name"],
        "name": name,
        "slot": slot,
        "private_id": new_id(),
        "status": "Running" if start else "Suspended",
        "label": label,
        "package_url": package_url,
        "created": ctx.now,
        "modified": ctx.now,
        "extended_properties": props,
        "kind": "paas",
        "vip": vip_for(f"{ctx.sub}/{key}"),
        "instances": [],
    }
    apply_config(dep, config, text)
    domains = dep["upgrade_domain_count"]
    dep["instances"] = [
        lifecycle.new_instance(
            key,
            role.name,
            i,
            lifecycle.paas_create_steps(
                ctx.now, end, ctx.speed, running=start, fail=_fails(config, role.name, i % domains)
            ),
            domains,
            config,
        )
        for role in config.roles
        for i in range(role.count)
    ]
    save(ctx, dep)
    ctx.start_operation(
        "create_deployment",
        locks=[deployment_lock(ctx, dep)],
        on_fail={"action": "remove_deployment", "key": key},
    )
    return empty(202)


def _fails(config: ServiceConfig, role: str, ud: int) -> bool:
    return config.health_map(role, ud).get("*") == "fail-start"


@completion("remove_deployment")
def _remove(store: Store, op: Operation, step: Doc, now: float) -> None:
    """The deployment goes; its disks are detached (deleted with ``comp=media``) and its reserved
    IP is released."""
    from airflow_sm_provider.emulator.handlers.disks import release

    service, _, name = step["key"].partition("/")
    store.delete(op.sub, DEPLOYMENT, step["key"])
    release(store, op.sub, service, name, None, delete=bool(step.get("media")))
    free_reserved_ips(store, op.sub, service, name)


def free_reserved_ips(store: Store, sub: str, service: str, deployment: str) -> None:
    """A deployment that goes (however it goes) leaves its reserved IP reserved but free: it stays
    in the subscription (asm-wire.md 4.3) and can be deleted or associated again."""
    for ip in store.list_docs(sub, "reserved_ip"):
        if (ip.get("service") or "").lower() == service.lower() and (
            ip.get("deployment") or ""
        ).lower() == deployment.lower():
            ip["service"] = ip["deployment"] = None
            store.put(sub, "reserved_ip", ip["name"], ip)


@handler("delete_deployment")
def delete(ctx: Ctx) -> Response:
    dep = find_deployment(ctx)
    locks = hold_deployment(ctx, dep)
    end = ctx.now + duration("delete_deployment", ctx.speed)
    if not ctx.failing():
        dep["status"] = "Deleting"
        for inst in dep["instances"]:
            lifecycle.reschedule(inst, ctx.now, lifecycle.stop_steps(ctx.now, end))
        save(ctx, dep)
    media = ctx.request.query.get("comp", "").lower() == "media"
    ctx.start_operation(
        "delete_deployment",
        {"action": "remove_deployment", "key": dep_key(dep), "media": media},
        locks=locks,
    )
    return empty(202)


@handler("change_deployment_configuration")
def change_configuration(ctx: Ctx) -> Response:
    """Auto / Simultaneous: every instance at once (as before). Manual: an upgrade to walk."""
    dep, body, locks, mode = open_change(
        ctx,
        "ChangeConfiguration",
        "The configuration of a deployment with virtual machines cannot be changed.",
    )
    text, config = read_configuration(body)
    require_certificates(ctx, dep["service"], config)
    props = extended_properties(body)
    if mode == "Manual":
        from airflow_sm_provider.emulator.handlers import upgrades

        return upgrades.start(ctx, dep, mode, text, config, what="update", locks=locks, props=props)
    end = ctx.now + duration("change_deployment_configuration", ctx.speed)
    if not ctx.failing():
        reconcile(
            ctx,
            dep,
            config,
            end,
            restart=config.health != dep.get("health"),
            upgrade_domains=int(dep.get("upgrade_domain_count", 5)),
        )
        apply_config(dep, config, text, keep_domains=True)
        if props:
            dep["extended_properties"] = {**dep.get("extended_properties", {}), **props}
        save(ctx, dep)
    ctx.start_operation("change_deployment_configuration", locks=locks)
    return empty(202)


def read_mode(ctx: Ctx, body: Node, default: str = "Auto") -> str:
    """Mode (Auto | Manual | Simultaneous, any case; absent = Auto) in its canonical spelling;
    Simultaneous came with 2012-12-01 (asm-wire.md 4.3)."""
    mode = body.text("Mode")
    if mode is None or not mode.strip():
        return default
    found = next((m for m in p.CHANGE_CONFIGURATION_MODES if m.lower() == mode.strip().lower()), None)
    if found is None:
        raise bad_request(f"The Mode '{mode}' is not valid. Valid values are Auto, Manual and Simultaneous.")
    if found == "Simultaneous":
        require_version(ctx.version, "2012-12-01")
    return found


@handler("update_deployment_status")
def update_status(ctx: Ctx) -> Response:
    dep = find_deployment(ctx)
    body = ctx.body("UpdateDeploymentStatus")
    wanted = required(body, "Status")
    target = next((s for s in p.SETTABLE_DEPLOYMENT_STATUSES if s.lower() == wanted.lower()), None)
    if target is None:
        raise bad_request(
            f"The deployment status '{wanted}' is not valid. Valid values are Running and Suspended."
        )
    locks = hold_deployment(ctx, dep)
    ensure_no_upgrade(dep)
    end = ctx.now + duration("update_deployment_status", ctx.speed)
    if not ctx.failing() and dep["status"] != target:
        dep["status"] = f"{target}Transitioning"
        fail = dep.get("health") == "fail-start"
        for inst in dep["instances"]:
            if not lifecycle.visible(inst, ctx.now):
                continue
            steps = (
                lifecycle.start_steps(ctx.now, end, ctx.speed, fail=fail)
                if target == "Running"
                else lifecycle.stop_steps(ctx.now, end)
            )
            lifecycle.reschedule(inst, ctx.now, steps)
        save(ctx, dep)
    ctx.start_operation(
        "update_deployment_status",
        {"action": "set_deployment_status", "key": dep_key(dep), "status": target},
        locks=locks,
    )
    return empty(202)


@completion("set_deployment_status")
def _set_status(store: Store, op: Operation, step: Doc, now: float) -> None:
    dep = store.get(op.sub, DEPLOYMENT, step["key"])
    if dep is not None:
        dep["status"] = step["status"]
        dep["modified"] = now
        store.put(op.sub, DEPLOYMENT, step["key"], dep)


@handler("swap_deployment")
def swap(ctx: Ctx) -> Response:
    svc = get_service(ctx, ctx.route.params["service"])
    body = ctx.body("Swap")
    source = required(body, "SourceDeployment")
    production_name = (body.text("Production") or "").strip()
    deps = deployments_of(ctx, svc["name"])
    staging = next((d for d in deps if d["slot"] == p.SLOT_STAGING), None)
    production = next((d for d in deps if d["slot"] == p.SLOT_PRODUCTION), None)
    if staging is None:
        raise conflict("There is no deployment in the staging slot to swap.")
    if staging["name"].lower() != source.lower():
        raise conflict(f"The deployment {source} is not in the staging slot of hosted service {svc['name']}.")
    if production_name:
        if production is None or production["name"].lower() != production_name.lower():
            raise conflict(f"The deployment {production_name} is not in the production slot.")
    elif production is not None:
        raise conflict(f"The production slot is occupied by deployment {production['name']}.")
    pair = [d for d in (production, staging) if d is not None]
    if any(d.get("kind") == "vm" for d in pair):
        raise bad_request("Deployments that contain virtual machines cannot be swapped.")
    keys = [deployment_lock(ctx, d) for d in pair]
    ensure_unlocked(ctx.store, *keys)
    for d in pair:
        ensure_no_upgrade(d)
    if not ctx.failing():
        staging["slot"] = p.SLOT_PRODUCTION
        save(ctx, staging)
        if production is not None:
            production["slot"] = p.SLOT_STAGING
            save(ctx, production)
    ctx.start_operation("swap_deployment", locks=keys)
    return empty(202)
