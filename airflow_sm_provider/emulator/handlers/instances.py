"""Role-instance operations: reboot, reimage, rebuild, delete role instances (asm-wire.md 4.3).

Reboot / reimage / rebuild restart one instance (it keeps its upgrade domain and configuration).
Delete Role Instances (``POST .../roleinstances/?comp=delete``, body ``RoleInstances{Name*}``)
stops the named instances; they vanish when the operation ends and the deployment's configuration
shrinks accordingly (its ``<Instances count>``), as the real service did.

Choices: an unknown instance name is 404 ResourceNotFound "The role instance <name> does not
exist."; deleting every instance of a role (or every VM of a VM deployment) is 400 BadRequest
(delete the deployment instead); duplicate names count once; for VMs the roles go with them and
their disks stay in the repository, detached, as Delete Role leaves them.
"""

from __future__ import annotations

from airflow_sm_provider.emulator.cscfg import with_instance_counts
from airflow_sm_provider.emulator.handlers import lifecycle
from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    completion,
    empty,
    handler,
    hold_deployment,
    not_found,
)
from airflow_sm_provider.emulator.handlers.deployments import (
    dep_key,
    ensure_no_upgrade,
    find_deployment,
    save,
)
from airflow_sm_provider.emulator.handlers.disks import release
from airflow_sm_provider.emulator.handlers.hosted import DEPLOYMENT
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc, Operation, Store
from airflow_sm_provider.emulator.timings import duration


def find_instance(ctx: Ctx, dep: Doc, name: str) -> Doc:
    inst = next((i for i in dep["instances"] if i["name"].lower() == name.strip().lower()), None)
    if inst is None or not lifecycle.visible(inst, ctx.now):
        raise not_found(f"The role instance {name} does not exist.")
    return inst


@handler("reboot_role_instance", "reimage_role_instance", "rebuild_role_instance")
def reboot(ctx: Ctx) -> Response:
    dep = find_deployment(ctx)
    inst = find_instance(ctx, dep, ctx.route.params["role"])
    locks = hold_deployment(ctx, dep)
    end = ctx.now + duration(ctx.route.kind, ctx.speed)
    if not ctx.failing() and dep["status"] == "Running":
        health = lifecycle.health_at(inst, ctx.now) or {"*": dep.get("health", "healthy")}
        fail = health.get("*") == "fail-start"
        lifecycle.reschedule(inst, ctx.now, lifecycle.restart_steps(ctx.now, end, ctx.speed, fail=fail))
        save(ctx, dep)
    ctx.start_operation(ctx.route.kind, locks=locks)
    return empty(202)


@handler("delete_role_instances")
def delete_instances(ctx: Ctx) -> Response:
    dep = find_deployment(ctx)
    body = ctx.body("RoleInstances")
    wanted = [n.element.text or "" for n in body.children("Name")]
    if not wanted:
        raise bad_request("The RoleInstances parameter must name at least one role instance.")
    targets: list[Doc] = []
    for name in wanted:
        inst = find_instance(ctx, dep, name)
        if all(inst is not t for t in targets):
            targets.append(inst)
    locks = hold_deployment(ctx, dep)
    ensure_no_upgrade(dep)
    alive = [i for i in dep["instances"] if lifecycle.visible(i, ctx.now)]
    if dep.get("kind") == "vm":  # each VM is a role of its own: the deployment keeps at least one
        if len(targets) >= len(alive):
            raise bad_request(
                "All virtual machines of a deployment cannot be deleted; delete the deployment."
            )
    else:
        for role in {t["role"] for t in targets}:
            if all(any(i is t for t in targets) for i in alive if i["role"] == role):
                raise bad_request(
                    f"All instances of role {role} cannot be deleted; at least one must remain."
                )
    end = ctx.now + duration("delete_role_instances", ctx.speed)
    if not ctx.failing():
        for inst in targets:
            lifecycle.reschedule(inst, ctx.now, lifecycle.stop_steps(ctx.now, end))
            inst["gone_at"] = end
        save(ctx, dep)
    ctx.start_operation(
        "delete_role_instances",
        {"action": "remove_instances", "key": dep_key(dep), "names": [t["name"] for t in targets]},
        locks=locks,
    )
    return empty(202)


@completion("remove_instances")
def _remove(store: Store, op: Operation, step: Doc, now: float) -> None:
    dep = store.get(op.sub, DEPLOYMENT, step["key"])
    if dep is None:
        return
    gone = {n.lower() for n in step["names"]}
    dep["instances"] = [i for i in dep["instances"] if i["name"].lower() not in gone]
    if dep.get("kind") == "vm":
        dep["roles"] = [r for r in dep.get("roles", []) if r["name"].lower() not in gone]
        for name in step["names"]:  # their disks stay in the repository, detached (as Delete Role)
            release(store, op.sub, dep["service"], dep["name"], name, delete=False)
    else:
        counts: dict[str, int] = {}
        for inst in dep["instances"]:
            counts[inst["role"]] = counts.get(inst["role"], 0) + 1
        dep["configuration"] = with_instance_counts(dep["configuration"], counts)
    dep["modified"] = now
    store.put(op.sub, DEPLOYMENT, step["key"], dep)
