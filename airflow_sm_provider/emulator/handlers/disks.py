"""Disks (the subscription's disk repository) and the data disks of a VM role (asm-wire.md 5.1).

Every OS and data disk a VM uses is a disk of the repository (``kind = disk``), attached to its role
(``AttachedTo{HostedServiceName, DeploymentName, RoleName}``); deleting the role or the deployment
detaches its disks (they stay, as in the real service, so a script can delete them afterwards), or
deletes them with ``comp=media``. List / Get / Add / Update / Delete Disk act on the repository;
Get / Add / Update / Delete Data Disk (``.../roles/<role>/DataDisks[/<lun>]``) on a role.

Choices (no recording): a new data disk without LogicalDiskSizeInGB is existing media (the old
SDK's docstring: the size is that of an EMPTY disk), a VHD at MediaLink or a copy of
SourceMediaLink, sized as a known disk at that link, else 0 (the emulator sees no blobs); deleting
a disk that is attached is 400 BadRequest "A disk with name <n> is currently in use by virtual
machine <role> running within hosted service <svc>, deployment <dep>.";
a disk name taken is 409; attaching (by DiskName) a disk attached elsewhere is 409; a LUN already
used, or outside 0-31, is 409 / 400; Add Disk answers 200 with the Disk, Update Disk 200 (only the
Label changes), Delete Disk 200 (synchronous, as the old SDK sends them). Data disk changes are
asynchronous operations that hold the deployment's lock.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    ResourceKind,
    bad_request,
    check_label,
    completion,
    conflict,
    empty,
    handler,
    hold_deployment,
    not_found,
    render_one,
    required,
)
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc, Operation, Store
from airflow_sm_provider.emulator.xmlio import Builder, Node, timestamp, whole_number

KIND = "disk"
MAX_LUN = 31
MSG_DISK_NOT_FOUND = "The disk with the specified name does not exist."


# --- the repository ------------------------------------------------------------------------------
def register(store: Store, sub: str, doc: Doc) -> None:
    store.put(sub, KIND, doc["name"], doc)


def new_disk(
    name: str, *, media_link: str | None, os_: str | None, size: int, now: float, **more: Any
) -> Doc:
    return {
        "name": name,
        "label": more.get("label") or name,
        "media_link": media_link or "",
        "os": os_,
        "size": size,
        "location": more.get("location") or "West US",
        "source_image_name": more.get("source_image_name"),
        "attached": more.get("attached"),
        "created": now,
    }


def release(store: Store, sub: str, service: str, deployment: str, role: str | None, *, delete: bool) -> None:
    """Detach (or with ``delete``, remove) the disks of a deployment (or of one of its roles)."""
    for disk in store.list_docs(sub, KIND):
        att = disk.get("attached") or {}
        if (att.get("service", "").lower(), att.get("deployment", "").lower()) != (
            service.lower(),
            deployment.lower(),
        ):
            continue
        if role is not None and att.get("role", "").lower() != role.lower():
            continue
        if delete:
            store.delete(sub, KIND, disk["name"])
        else:
            disk["attached"] = None
            store.put(sub, KIND, disk["name"], disk)


def claim(ctx: Ctx, name: str, attached: Doc) -> Doc | None:
    """Attach an existing disk by name (None when there is none); 409 when attached elsewhere."""
    disk = ctx.store.get(ctx.sub, KIND, name)
    if disk is None:
        return None
    if disk.get("attached"):
        raise conflict(
            f"The disk {disk['name']} is already attached to virtual machine {disk['attached']['role']}."
        )
    disk["attached"] = attached
    ctx.store.put(ctx.sub, KIND, disk["name"], disk)
    return disk


def _render(ctx: Ctx, b: Builder, disk: Doc) -> None:
    b.add("AffinityGroup", None)
    att = disk.get("attached")
    if att:
        box = b.child("AttachedTo")
        box.add("HostedServiceName", att["service"]).add("DeploymentName", att["deployment"])
        box.add("RoleName", att["role"])
    b.add("HasOperatingSystem", disk.get("os") is not None)
    b.add("IsCorrupted", False).add("Location", disk["location"]).add("LogicalDiskSizeInGB", disk["size"])
    b.add("MediaLink", disk["media_link"]).add("Name", disk["name"]).opt("OS", disk.get("os"))
    b.opt("SourceImageName", disk.get("source_image_name")).add("CreatedTime", timestamp(disk["created"]))
    b.add("IOType", "Standard").add("Label", disk["label"])


DISKS = ResourceKind(KIND, "Disk", "Disks", _render, MSG_DISK_NOT_FOUND).serve("list_disks", "get_disk")


@handler("add_disk")
def add_disk(ctx: Ctx) -> Response:
    body = ctx.body("Disk")
    name = required(body, "Name")
    os_ = body.text("OS") or None
    if os_ is not None and os_ not in p.OS_TYPES:
        raise bad_request(f"The OS '{os_}' is not valid. Valid values are Linux and Windows.")
    if ctx.store.get(ctx.sub, KIND, name) is not None:
        raise conflict(f"A disk named {name} already exists.")
    disk = new_disk(
        name,
        media_link=required(body, "MediaLink"),
        os_=os_,
        size=30,
        now=ctx.now,
        label=check_label(required(body, "Label")),
    )
    register(ctx.store, ctx.sub, disk)
    ctx.start_operation("add_disk", created=name)
    return DISKS.answer_one(ctx, disk)


@handler("update_disk")
def update_disk(ctx: Ctx) -> Response:
    disk = DISKS.find(ctx)
    label = ctx.body("Disk").text("Label")
    if label:
        disk["label"] = check_label(label)
    ctx.store.put(ctx.sub, KIND, disk["name"], disk)
    ctx.start_operation("update_disk")
    return empty(200)


@handler("delete_disk")
def delete_disk(ctx: Ctx) -> Response:
    disk = DISKS.find(ctx)
    att = disk.get("attached")
    if att:
        raise bad_request(
            f"A disk with name {disk['name']} is currently in use by virtual machine {att['role']} running "
            f"within hosted service {att['service']}, deployment {att['deployment']}."
        )
    ctx.store.delete(ctx.sub, KIND, disk["name"])
    ctx.start_operation("delete_disk")
    return empty(200)


# --- data disks of a role --------------------------------------------------------------------------
def parse_lun(raw: str) -> int:
    """A data disk's LUN (0-31); anything else is 400 BadRequest naming it."""
    lun = whole_number(raw)
    if lun is None or lun > MAX_LUN:
        raise bad_request(f"The Lun '{raw.strip()}' is not valid: a number from 0 to {MAX_LUN}.")
    return lun


def parse_size(raw: str) -> int:
    """A disk's LogicalDiskSizeInGB; not a whole number is 400 BadRequest naming it."""
    size = whole_number(raw)
    if size is None:
        raise bad_request(f"The LogicalDiskSizeInGB '{raw.strip()}' is not a number.")
    return size


def parse_data_disk(node: Node) -> Doc:
    return {
        "lun": parse_lun(node.text("Lun") or "0"),
        "host_caching": node.text("HostCaching") or "None",
        "disk_label": node.text("DiskLabel"),
        "disk_name": node.text("DiskName"),
        "size": parse_size(node.text("LogicalDiskSizeInGB") or "0"),
        "media_link": node.text("MediaLink"),
        "source_media_link": node.text("SourceMediaLink"),
    }


def attach_data_disk(ctx: Ctx, dep: Doc, role: Doc, disk: Doc) -> None:
    """Register (or claim, by DiskName) the repository disk behind a role's data disk."""
    where = {"service": dep["service"], "deployment": dep["name"], "role": role["name"]}
    if disk.get("disk_name") and claim(ctx, disk["disk_name"], where) is not None:
        existing = ctx.store.get(ctx.sub, KIND, disk["disk_name"]) or {}
        disk["size"] = disk["size"] or existing.get("size", 0)
        disk["media_link"] = disk["media_link"] or existing.get("media_link")
        return
    if not disk.get("media_link"):
        raise bad_request("The MediaLink of a new data disk is required.")
    if not disk["size"]:
        # Not an empty disk but existing media (a VHD at MediaLink, or a copy of SourceMediaLink):
        # it has the blob's size, which the service read and the emulator cannot.
        disk["size"] = _known_size(ctx, disk.get("source_media_link"), disk["media_link"])
    disk["disk_name"] = (
        disk.get("disk_name") or f"{dep['service']}-{role['name']}-{disk['lun']}-{int(ctx.now)}"
    )
    if ctx.store.get(ctx.sub, KIND, disk["disk_name"]) is not None:
        raise conflict(f"A disk named {disk['disk_name']} already exists.")
    register(
        ctx.store,
        ctx.sub,
        new_disk(
            disk["disk_name"],
            media_link=disk["media_link"],
            os_=None,
            size=disk["size"],
            now=ctx.now,
            attached=where,
        ),
    )


def _known_size(ctx: Ctx, *links: str | None) -> int:
    """The size of a repository disk at one of ``links`` (the first that is known), else 0."""
    wanted = [link.lower() for link in links if link]
    for link in wanted:
        for disk in ctx.store.list_docs(ctx.sub, KIND):
            if (disk.get("media_link") or "").lower() == link:
                return int(disk.get("size") or 0)
    return 0


def render_data_disk(b: Builder, disk: Doc) -> None:
    b.add("HostCaching", disk["host_caching"]).opt("DiskLabel", disk.get("disk_label"))
    b.add("DiskName", disk["disk_name"]).add("Lun", disk["lun"]).add("LogicalDiskSizeInGB", disk["size"])
    b.add("MediaLink", disk.get("media_link") or "")
    b.opt("SourceMediaLink", disk.get("source_media_link"))


def _role_and_disk(ctx: Ctx, *, lun_must_exist: bool) -> tuple[Doc, Doc, Doc | None]:
    from airflow_sm_provider.emulator.handlers.vms import role_of, vm_deployment

    dep = vm_deployment(ctx)
    role = role_of(dep, ctx.route.params["role"])
    lun = ctx.route.params.get("lun")
    found = None
    if lun is not None:
        found = next((d for d in role.get("data_disks", []) if str(d["lun"]) == lun.strip()), None)
        if found is None and lun_must_exist:
            raise not_found(f"The data disk at LUN {lun} of role {role['name']} does not exist.")
    return dep, role, found


@handler("get_data_disk")
def get_data_disk(ctx: Ctx) -> Response:
    _, _, disk = _role_and_disk(ctx, lun_must_exist=True)
    return render_one("DataVirtualHardDisk", render_data_disk, disk or {})


@handler("add_data_disk", "update_data_disk", "delete_data_disk")
def change_data_disk(ctx: Ctx) -> Response:
    from airflow_sm_provider.emulator.handlers.deployments import save

    kind = ctx.route.kind
    dep, role, disk = _role_and_disk(ctx, lun_must_exist=kind != "add_data_disk")
    locks = hold_deployment(ctx, dep)
    disks: list[Doc] = role.setdefault("data_disks", [])
    after: Doc = {}
    if kind == "add_data_disk":
        new = parse_data_disk(ctx.body("DataVirtualHardDisk"))
        if any(d["lun"] == new["lun"] for d in disks):
            raise conflict(f"A data disk is already attached at LUN {new['lun']} of role {role['name']}.")
        attach_data_disk(ctx, dep, role, new)
        disks.append(new)
    elif kind == "update_data_disk" and disk is not None:
        body = ctx.body("DataVirtualHardDisk")
        disk["host_caching"] = body.text("HostCaching") or disk["host_caching"]
        disk["disk_label"] = body.text("DiskLabel") or disk.get("disk_label")
        moved = parse_lun(body.text("Lun") or str(disk["lun"]))
        if moved != disk["lun"] and any(d["lun"] == moved for d in disks):
            raise conflict(f"A data disk is already attached at LUN {moved} of role {role['name']}.")
        disk["lun"] = moved
    elif disk is not None:
        disks.remove(disk)
        media = ctx.request.query.get("comp", "").lower() == "media"
        after = {"action": "data_disk_released", "name": disk["disk_name"], "delete": media}
    if not ctx.failing():
        save(ctx, dep)
    ctx.start_operation(kind, after or None, locks=locks)
    return empty(202)


def detach(store: Store, sub: str, name: str, *, delete: bool = False) -> None:
    """Detach (or with ``delete``, remove) the repository disk ``name``, if it is still there."""
    disk = store.get(sub, KIND, name)
    if disk is None:
        return
    if delete:
        store.delete(sub, KIND, name)
    else:
        disk["attached"] = None
        store.put(sub, KIND, name, disk)


@completion("data_disk_released")
def _released(store: Store, op: Operation, step: Doc, now: float) -> None:
    detach(store, op.sub, step["name"], delete=step["delete"])
