"""Changing a VM role: Update Role, Capture Role (to an OS image), Capture Role As VM Image.

Update Role (``PUT .../roles/<role>``, ``PersistentVMRole``) replaces what the body gives: size,
input endpoints (the NetworkConfiguration set), availability set, data disks (one left out is
detached in the disk repository, as Delete Data Disk does), resource extension references, guest
agent, the OS disk's HostCaching; the VM restarts when its size changes. A provisioning set in the
body is ignored: the old SDK's update_role could not send one (it passes no system configuration),
so a Windows ``AdditionalUnattendContent`` reaches a VM only at Create / Add Role (or Capture Role's
ProvisioningConfiguration).
Capture Role (``CaptureRoleOperation{PostCaptureAction Delete | Reprovision, TargetImageName,
TargetImageLabel}``) makes a user OS image of the role's OS disk, then deletes the VM (its disks
stay in the repository; the last VM takes its deployment with it) or reprovisions it.
Capture Role As VM Image (``CaptureRoleAsVMImageOperation``) makes a VM image with the role's OS
and data disks. All asynchronous and holding the deployment's lock (timings.py).
"""

from __future__ import annotations

from airflow_sm_provider.emulator.handlers import lifecycle
from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    completion,
    conflict,
    empty,
    handler,
    hold_deployment,
    required,
)
from airflow_sm_provider.emulator.handlers.deployments import dep_key, free_reserved_ips, save
from airflow_sm_provider.emulator.handlers.disks import attach_data_disk, detach, parse_data_disk, release
from airflow_sm_provider.emulator.handlers.extensions import parse_references
from airflow_sm_provider.emulator.handlers.hosted import DEPLOYMENT
from airflow_sm_provider.emulator.handlers.images import media_location
from airflow_sm_provider.emulator.handlers.vmimages import OS_STATES, image_exists
from airflow_sm_provider.emulator.handlers.vms import parse_endpoints, role_of, vm_deployment
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc, Operation, Store
from airflow_sm_provider.emulator.timings import duration

POST_CAPTURE_ACTIONS = ("Delete", "Reprovision")


def _instance(dep: Doc, role: Doc) -> Doc:
    return next(i for i in dep["instances"] if i["role"] == role["name"])


@handler("update_role")
def update_role(ctx: Ctx) -> Response:
    dep = vm_deployment(ctx)
    role = role_of(dep, ctx.route.params["role"])
    locks = hold_deployment(ctx, dep)
    body = ctx.body("PersistentVMRole")
    os_disk = body.find("OSVirtualHardDisk")
    endpoints = parse_endpoints(body) if body.find("ConfigurationSets") is not None else None
    extensions = parse_references(body) if body.find("ResourceExtensionReferences") is not None else None
    end = ctx.now + duration("update_role", ctx.speed)
    if not ctx.failing():
        size = body.text("RoleSize")
        restart = bool(size) and size != role.get("size")
        if size:
            role["size"] = size
        if endpoints is not None:
            role["endpoints"], role["subnets"] = endpoints
        if body.text("AvailabilitySetName") is not None:
            role["availability_set"] = body.text("AvailabilitySetName")
        if extensions is not None:
            role["extensions"] = extensions
        if body.text("ProvisionGuestAgent") is not None:
            role["provision_guest_agent"] = body.bool("ProvisionGuestAgent")
        if os_disk is not None and os_disk.text("HostCaching") and role.get("os_disk"):
            role["os_disk"]["host_caching"] = os_disk.text("HostCaching")
        if body.find("DataVirtualHardDisks") is not None:
            box = body.find("DataVirtualHardDisks")
            wanted = (
                [parse_data_disk(d) for d in box.children("DataVirtualHardDisk")] if box is not None else []
            )
            known = {d["disk_name"] for d in role.get("data_disks", [])}
            for disk in wanted:
                if disk.get("disk_name") not in known:
                    attach_data_disk(ctx, dep, role, disk)
            kept = {d["disk_name"] for d in wanted}
            for name in known - kept:  # left out: detached, as Delete Data Disk would
                detach(ctx.store, ctx.sub, name)
            role["data_disks"] = wanted
        inst = _instance(dep, role)
        inst["size"] = role["size"]
        inst["endpoints"] = role["endpoints"]
        if restart:
            lifecycle.reschedule(
                inst, ctx.now, [(ctx.now, "RestartingRole", "Starting"), (end, "ReadyRole", "Started")]
            )
        save(ctx, dep)
    ctx.start_operation("update_role", locks=locks)
    return empty(202)


@handler("capture_role", "capture_vm_image")
def capture(ctx: Ctx) -> Response:
    dep = vm_deployment(ctx)
    role = role_of(dep, ctx.route.params["role"])
    locks = hold_deployment(ctx, dep)
    vm_image = ctx.route.kind == "capture_vm_image"
    body = ctx.body()
    if vm_image:
        name, label = required(body, "VMImageName"), required(body, "VMImageLabel")
        state = required(body, "OSState")
        if state not in OS_STATES:
            raise bad_request(
                f"The OSState '{state}' is not valid. Valid values are Generalized and Specialized."
            )
        after = "Stop" if state == "Generalized" else "Keep"
    else:
        name, label = required(body, "TargetImageName"), required(body, "TargetImageLabel")
        after = required(body, "PostCaptureAction")
        if after not in POST_CAPTURE_ACTIONS:
            raise bad_request(
                f"The PostCaptureAction '{after}' is not valid. Valid values are Delete and Reprovision."
            )
        state = "Generalized"
    if image_exists(ctx, name):
        raise conflict(f"An image named {name} already exists.")
    disk = role.get("os_disk") or {}
    image = _image_doc(
        ctx, dep, role, name, label, state, vm_image=vm_image, description=body.text("Description")
    )
    end = ctx.now + duration(ctx.route.kind, ctx.speed)
    if not ctx.failing():
        inst = _instance(dep, role)
        if after in ("Delete", "Stop"):
            lifecycle.reschedule(
                inst, ctx.now, [(ctx.now, "StoppingVM", "Stopping"), (end, "StoppedVM", "Stopped")]
            )
        elif after == "Reprovision":
            steps = [(ctx.now, "StoppingVM", "Stopping"), (end, "RoleStateUnknown", "Starting")]
            lifecycle.reschedule(inst, ctx.now, [*steps, (end + 60 / ctx.speed, "ReadyRole", "Started")])
        save(ctx, dep)
    effect = {
        "action": "captured",
        "kind": "vm_image" if vm_image else "os_image",
        "image": image,
        "key": dep_key(dep),
        "role": role["name"],
        "delete_vm": after == "Delete",
        "os": disk.get("os") or "Linux",
    }
    ctx.start_operation(ctx.route.kind, effect, locks=locks)
    return empty(202)


def _image_doc(  # noqa: PLR0917
    ctx: Ctx,
    dep: Doc,
    role: Doc,
    name: str,
    label: str,
    state: str,
    *,
    vm_image: bool,
    description: str | None,
) -> Doc:
    disk = role.get("os_disk") or {}
    media = disk.get("media_link") or f"https://emulator.blob.core.windows.net/vhds/{name}.vhd"
    if vm_image:
        return {
            "name": name,
            "label": label,
            "description": description,
            "os_disk": {
                "host_caching": disk.get("host_caching"),
                "os_state": state,
                "os": disk.get("os") or "Linux",
                "media_link": media,
            },
            "data_disks": [
                {
                    "lun": d["lun"],
                    "host_caching": d["host_caching"],
                    "media_link": d.get("media_link"),
                    "size": d["size"],
                }
                for d in role.get("data_disks", [])
            ],
            "service": dep["service"],
            "deployment": dep["name"],
            "role": role["name"],
            "created": ctx.now,
            "modified": ctx.now,
        }
    return {
        "name": name,
        "label": label,
        "os": disk.get("os") or "Linux",
        "category": "User",
        "location": media_location(ctx, media),
        "logical_size": 30,
        "media_link": media,
        "affinity_group": None,
        "description": description,
        "eula": None,
        "image_family": None,
        "published": None,
        "publisher": None,
        "os_state": state,
        "io_type": "Standard",
        "show_in_gui": None,
        "is_premium": False,
    }


@completion("captured")
def _captured(store: Store, op: Operation, step: Doc, now: float) -> None:
    store.put(op.sub, step["kind"], step["image"]["name"], step["image"])
    if not step["delete_vm"]:
        return
    dep = store.get(op.sub, DEPLOYMENT, step["key"])
    if dep is None:
        return
    dep["roles"] = [r for r in dep["roles"] if r["name"] != step["role"]]
    dep["instances"] = [i for i in dep["instances"] if i["role"] != step["role"]]
    release(store, op.sub, dep["service"], dep["name"], step["role"], delete=False)
    if dep["roles"]:
        store.put(op.sub, DEPLOYMENT, step["key"], dep)
    else:  # the last VM of its deployment: the deployment goes too
        store.delete(op.sub, DEPLOYMENT, step["key"])
        free_reserved_ips(store, op.sub, dep["service"], dep["name"])
