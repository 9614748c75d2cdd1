"""Virtual machines (PersistentVMRole): create VM deployment, get/add/delete role, start/restart/shutdown.

Recorded behaviour (asm-wire.md 4.3, 4.7): Label is PLAIN in the request and returned base64; the
deployment is Running right after create while the VM stays RoleStateUnknown/Starting for ~2 min,
then ReadyRole/Started with HostName; shutdown -> StoppedVM/Stopped, or StoppedDeallocated with the
shrunken RoleInstance; the provisioning configuration set is never returned.

Choices: only one deployment per service may hold VMs (409 ConflictError otherwise); an unknown
SourceImageName is 400 BadRequest "The image <name> does not exist."; deleting the last role is
400 BadRequest (delete the deployment instead); a role/instance that does not exist is 404
ResourceNotFound; a role made from a VM image gets a copy of the image's OS disk (an unknown VM
image is 400 BadRequest, like an unknown SourceImageName); an OSVirtualHardDisk with only a DiskName
boots from that repository disk (``existing_os_disk``).
"""

from __future__ import annotations

import time as _time

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.handlers import lifecycle, render
from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    capitalise_slot,
    check_label,
    completion,
    conflict,
    deployment_lock,
    empty,
    ensure_unlocked,
    handler,
    hold_deployment,
    lock_key,
    new_id,
    not_found,
    required,
    xml,
)
from airflow_sm_provider.emulator.handlers.deployments import dep_key, find_deployment, save, vip_for
from airflow_sm_provider.emulator.handlers.disks import KIND as DISK_KIND
from airflow_sm_provider.emulator.handlers.disks import (
    attach_data_disk,
    claim,
    new_disk,
    parse_data_disk,
    register,
    release,
)
from airflow_sm_provider.emulator.handlers.extensions import parse_references
from airflow_sm_provider.emulator.handlers.hosted import DEPLOYMENT, deployments_of, get_service
from airflow_sm_provider.emulator.handlers.images import find_image
from airflow_sm_provider.emulator.handlers.vmimages import KIND as VM_IMAGE
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc, Operation, Store
from airflow_sm_provider.emulator.timings import VM_BOOT_AFTER_CREATE, duration
from airflow_sm_provider.emulator.xmlio import Builder, Node, whole_number


def _config_xml(roles: list[Doc]) -> str:
    inner = "".join(f'<Role name="{r["name"]}"><Instances count="1"/></Role>' for r in roles)
    return (
        '<ServiceConfiguration xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration"'
        f' serviceName="">{inner}</ServiceConfiguration>'
    )


def port_number(node: Node, name: str, raw: str) -> int:
    """A TCP/UDP port (1-65535); anything else is the 400 BadRequest ASM answered, naming the field."""
    port = whole_number(raw)
    if port is None or not 1 <= port <= 65535:
        endpoint = node.text("Name") or "?"
        raise bad_request(
            f"The {name} '{raw}' of input endpoint {endpoint} is not valid: a port from 1 to 65535."
        )
    return port


def _config_sets(node: Node) -> list[Node]:
    sets = node.find("ConfigurationSets")
    return list(sets.children("ConfigurationSet")) if sets is not None else []


def provisioned_host_name(node: Node) -> str | None:
    for cs in _config_sets(node):
        kind = (cs.text("ConfigurationSetType") or "").strip()
        if kind == "LinuxProvisioningConfiguration":
            return cs.text("HostName")
        if kind == "WindowsProvisioningConfiguration":
            return cs.text("ComputerName")
    return None


def _in(node: Node | None, wrapper: str, item: str) -> list[Node]:
    box = node.find(wrapper) if node is not None else None
    return list(box.children(item)) if box is not None else []


def parse_unattend(node: Node) -> list[Doc]:
    """The Windows set's AdditionalUnattendContent, by name only: a setting's Content (base64 XML)
    may hold a password (AutoLogon) and the state outlives the request. Never returned (the
    provisioning set is not, recorded); kept so a test can see what arrived."""
    sets = [
        cs
        for cs in _config_sets(node)
        if cs.text("ConfigurationSetType") == "WindowsProvisioningConfiguration"
    ]
    content = sets[0].find("AdditionalUnattendContent") if sets else None
    return [
        {
            "pass": p.text("PassName") or "",
            "components": [
                {
                    "name": c.text("ComponentName") or "",
                    "settings": [
                        s.text("SettingName") or "" for s in _in(c, "ComponentSettings", "ComponentSetting")
                    ],
                }
                for c in _in(p, "Components", "UnattendComponent")
            ],
        }
        for p in _in(content, "Passes", "UnattendPass")
    ]


def parse_endpoints(node: Node) -> tuple[list[Doc], list[str]]:
    """Input endpoints and subnet names of the role's NetworkConfiguration set."""
    endpoints: list[Doc] = []
    subnets: list[str] = []
    for cs in _config_sets(node):
        if (cs.text("ConfigurationSetType") or "").strip() != "NetworkConfiguration":
            continue
        box = cs.find("InputEndpoints")
        for ep in box.children("InputEndpoint") if box is not None else iter(()):
            port = port_number(ep, "Port", required(ep, "Port"))
            endpoints.append(
                {
                    "name": required(ep, "Name"),
                    "port": port,
                    "local_port": port_number(ep, "LocalPort", ep.text("LocalPort") or str(port)),
                    "protocol": (ep.text("Protocol") or "tcp").lower(),
                }
            )
        names = cs.find("SubnetNames")
        subnets = [s.element.text or "" for s in names.children("SubnetName")] if names is not None else []
    return endpoints, subnets


def parse_role(ctx: Ctx, service: str, node: Node) -> Doc:
    name = required(node, "RoleName")
    host_name = provisioned_host_name(node) or name
    endpoints, subnets = parse_endpoints(node)
    disk_node = node.find("OSVirtualHardDisk")
    vm_image = node.text("VMImageName")
    if disk_node is None and not vm_image:
        raise bad_request("The OSVirtualHardDisk parameter is required.")
    disk: Doc = {}
    if disk_node is None and vm_image:
        disk = vm_image_os_disk(ctx, service, name, vm_image, node.text("MediaLocation"))
    elif disk_node is not None:
        source = disk_node.text("SourceImageName")
        remote = disk_node.text("RemoteSourceImageLink")
        os_ = disk_node.text("OS")
        existing: Doc | None = None
        if source:
            image = find_image(ctx, source)
            if image is None:
                raise bad_request(f"The image {source} does not exist.")
            os_ = os_ or image["os"]
        elif not remote:
            existing = existing_os_disk(ctx, disk_node.text("DiskName"))
            os_ = os_ or existing["os"]
        stamp = _time.strftime("%Y%m%d%H%M%S", _time.gmtime(ctx.now))
        disk = {
            "host_caching": disk_node.text("HostCaching"),
            "disk_label": disk_node.text("DiskLabel"),
            "disk_name": (existing or {}).get("name")
            or disk_node.text("DiskName")
            or f"{service}-{name}-0-{stamp}",
            "media_link": disk_node.text("MediaLink") or (existing or {}).get("media_link"),
            "source_image_name": source,
            "remote_source_image_link": remote,
            "os": os_ or "Linux",
        }
    guest = node.text("ProvisionGuestAgent")
    box = node.find("DataVirtualHardDisks")
    data_disks = [
        parse_data_disk(d) for d in (box.children("DataVirtualHardDisk") if box is not None else iter(()))
    ]
    if vm_image and disk_node is None:
        data_disks += vm_image_data_disks(ctx, vm_image, {d["lun"] for d in data_disks}, disk)
    if len({d["lun"] for d in data_disks}) != len(data_disks):
        raise bad_request(f"Two data disks of role {name} use the same Lun.")
    return {
        "name": name,
        "host_name": host_name,
        "endpoints": endpoints,
        "subnets": subnets,
        "os_disk": disk,
        "size": node.text("RoleSize") or "Small",
        "availability_set": node.text("AvailabilitySetName"),
        "provision_guest_agent": None if guest is None else guest.strip().lower() == "true",
        "data_disks": data_disks,
        "extensions": parse_references(node),
        "vm_image": vm_image,
        "unattend": parse_unattend(node),
    }


def existing_os_disk(ctx: Ctx, disk_name: str | None) -> Doc:
    """The repository disk a role boots from when its OSVirtualHardDisk names only a ``DiskName``
    (no image: a VM brought back from the disk its earlier VM left, as the real service allowed).
    Why 400s: no DiskName means no source at all; an unknown or data-only disk cannot boot. One
    attached elsewhere is refused 409 when the role claims it (``register_disks``)."""
    if not disk_name:
        raise bad_request("The SourceImageName or RemoteSourceImageLink parameter is required.")
    disk = ctx.store.get(ctx.sub, DISK_KIND, disk_name)
    if disk is None:
        raise bad_request(f"The disk {disk_name} does not exist.")
    if not disk.get("os"):
        raise bad_request(f"The disk {disk_name} holds no operating system: it cannot be an OS disk.")
    return disk


def vm_image_os_disk(ctx: Ctx, service: str, role: str, image_name: str, media_location: str | None) -> Doc:
    """The OS disk of a role made from a VM image (``VMImageName``, no ``OSVirtualHardDisk``).

    Why: the service copies the image's OS disk for the new VM, so Get Deployment / Get Role show an
    ``OSVirtualHardDisk`` (and List Disks a disk) for it like for any VM; clients read it (libcloud's
    list_nodes parses every role). The copy goes to ``MediaLocation`` when given, else beside the
    image's VHD. An unknown image is 400 like an unknown ``SourceImageName``."""
    image = ctx.store.get(ctx.sub, VM_IMAGE, image_name)
    if image is None:
        raise bad_request(f"The VM image {image_name} does not exist.")
    stamp = _time.strftime("%Y%m%d%H%M%S", _time.gmtime(ctx.now))
    disk_name = f"{service}-{role}-0-{stamp}"
    source = image["os_disk"].get("media_link") or ""
    folder = source.rsplit("/", 1)[0] if "/" in source else "https://emulator.blob.core.windows.net/vhds"
    return {
        "host_caching": image["os_disk"].get("host_caching"),
        "disk_label": None,
        "disk_name": disk_name,
        "media_link": media_location or f"{folder}/{disk_name}.vhd",
        "source_image_name": None,
        "remote_source_image_link": None,
        "os": image["os_disk"]["os"],
    }


def vm_image_data_disks(ctx: Ctx, image_name: str, taken: set[int], os_disk: Doc) -> list[Doc]:
    """The data disks a role made from a VM image gets: a copy of each of the image's, beside the
    role's OS disk copy, at the image's LUN (unless the role brought its own disk at that LUN).

    Why: the service provisions the whole image, data disks included; Get Role and List Disks show
    them like any VM's data disks."""
    image = ctx.store.get(ctx.sub, VM_IMAGE, image_name) or {}
    folder = (os_disk.get("media_link") or "").rsplit("/", 1)[0]
    copies = []
    for data in image.get("data_disks", []):
        if data["lun"] in taken:
            continue
        copies.append(
            {
                "lun": data["lun"],
                "host_caching": data.get("host_caching") or "None",
                "disk_label": None,
                # named after the OS disk copy: a redeploy re-attaches a copy left by a delete
                # without comp=media, as it does the OS disk copy
                "disk_name": f"{os_disk['disk_name']}-lun{data['lun']}",
                "size": data.get("size") or 30,  # the VHD's size is not known here: the OS disk's 30
                "media_link": f"{folder}/{os_disk['disk_name']}-lun{data['lun']}.vhd",
                "source_media_link": None,
            }
        )
    return copies


def register_disks(ctx: Ctx, dep: Doc, role: Doc) -> None:
    """The role's OS disk and data disks become disks of the repository, attached to the role."""
    where = {"service": dep["service"], "deployment": dep["name"], "role": role["name"]}
    disk = role.get("os_disk") or {}
    if disk and claim(ctx, disk["disk_name"], where) is None:
        os_disk = new_disk(
            disk["disk_name"],
            media_link=disk.get("media_link"),
            os_=disk.get("os") or "Linux",
            size=30,
            now=ctx.now,
            attached=where,
            source_image_name=disk.get("source_image_name"),
        )
        register(ctx.store, ctx.sub, os_disk)
    for data in role.get("data_disks", []):
        attach_data_disk(ctx, dep, role, data)


def _instance(key: str, role: Doc, now: float, ready_at: float, index: int) -> Doc:
    steps: list[lifecycle.Step] = [[now, "RoleStateUnknown", "Starting"], [ready_at, "ReadyRole", "Started"]]
    inst = lifecycle.new_instance(key, role["name"], index, steps)
    inst.update(
        name=role["name"], size=role["size"], host_name=role["host_name"], endpoints=role["endpoints"]
    )
    return inst


@handler("create_virtual_machine_deployment")
def create(ctx: Ctx) -> Response:
    svc = get_service(ctx, ctx.route.params["service"])
    ensure_unlocked(ctx.store, lock_key(ctx.sub, svc["name"]))
    body = ctx.body("Deployment")
    name = required(body, "Name")
    slot = capitalise_slot(required(body, "DeploymentSlot"))
    label = check_label(required(body, "Label"))  # PLAIN text for VM deployments (recorded)
    role_list = body.find("RoleList")
    role_nodes = list(role_list.children("Role")) if role_list is not None else []
    if not role_nodes:
        raise bad_request("The RoleList parameter must contain one role.")
    roles = [parse_role(ctx, svc["name"], node) for node in role_nodes]
    existing = deployments_of(ctx, svc["name"])
    if any(d["slot"] == slot for d in existing):
        raise conflict(f"The specified deployment slot {slot} is occupied.")
    if any(d.get("kind") == "vm" for d in existing):
        raise conflict("A deployment with virtual machines already exists in this hosted service.")
    end = ctx.now + duration("create_virtual_machine_deployment", ctx.speed)
    key = f"{svc['name']}/{name}"
    ready = end + VM_BOOT_AFTER_CREATE / ctx.speed
    dep: Doc = {
        "service": svc["name"],
        "name": name,
        "slot": slot,
        "private_id": new_id(),
        "status": "Running",
        "label": label,
        "package_url": "",
        "configuration": _config_xml(roles),
        "created": ctx.now,
        "modified": ctx.now,
        "extended_properties": {},
        "kind": "vm",
        "vip": vip_for(f"{ctx.sub}/{key}"),
        "roles": roles,
        "instances": [_instance(key, r, ctx.now, ready, i) for i, r in enumerate(roles)],
        "health": "healthy",
        "upgrade_domain_count": 1,
        "virtual_network": body.text("VirtualNetworkName"),
        "dns_servers": _dns_servers(body),
    }
    reserved = body.text("ReservedIPName")
    if reserved:
        ip = ctx.store.get(ctx.sub, "reserved_ip", reserved)
        if ip is None:
            raise bad_request(f"The reserved IP {reserved} does not exist.")
        if ip.get("service"):
            raise conflict(f"The reserved IP {reserved} is already in use by deployment {ip['deployment']}.")
        ip["service"], ip["deployment"] = svc["name"], name
        dep["vip"] = ip["address"]
        ctx.store.put(ctx.sub, "reserved_ip", reserved, ip)
    for role in roles:
        register_disks(ctx, dep, role)
    save(ctx, dep)
    ctx.start_operation(
        "create_virtual_machine_deployment",
        locks=[deployment_lock(ctx, dep)],
        on_fail={"action": "remove_deployment", "key": key},
        created=name,
    )
    return empty(202)


def _dns_servers(body: Node) -> list[Doc]:
    dns = body.find("Dns")
    box = dns.find("DnsServers") if dns is not None else None
    servers = list(box.children("DnsServer")) if box is not None else []
    return [{"name": required(s, "Name"), "address": required(s, "Address")} for s in servers]


def vm_deployment(ctx: Ctx) -> Doc:
    dep = find_deployment(ctx)
    if dep.get("kind") != "vm":
        raise bad_request("The deployment does not contain virtual machines.")
    return dep


def role_of(dep: Doc, name: str) -> Doc:
    role = next((r for r in dep.get("roles", []) if r["name"].lower() == name.lower()), None)
    if role is None:
        raise not_found(f"The role {name} does not exist.")
    return role


@handler("get_role")
def get_role(ctx: Ctx) -> Response:
    dep = vm_deployment(ctx)
    root = Builder.root("PersistentVMRole")
    render.vm_role(root, role_of(dep, ctx.route.params["role"]), dep)
    return xml(200, root)


@handler("add_role")
def add_role(ctx: Ctx) -> Response:
    dep = vm_deployment(ctx)
    locks = hold_deployment(ctx, dep)
    role = parse_role(ctx, dep["service"], ctx.body("PersistentVMRole"))
    if any(r["name"].lower() == role["name"].lower() for r in dep["roles"]):
        raise conflict(f"A role named {role['name']} already exists in the deployment.")
    end = ctx.now + duration("add_role", ctx.speed)
    if not ctx.failing():
        register_disks(ctx, dep, role)
        dep["roles"].append(role)
        dep["instances"].append(
            _instance(
                dep_key(dep), role, ctx.now, end + VM_BOOT_AFTER_CREATE / ctx.speed, len(dep["roles"]) - 1
            )
        )
        dep["configuration"] = _config_xml(dep["roles"])
        save(ctx, dep)
    ctx.start_operation("add_role", locks=locks)
    return empty(202)


@handler("delete_role")
def delete_role(ctx: Ctx) -> Response:
    dep = vm_deployment(ctx)
    role = role_of(dep, ctx.route.params["role"])
    locks = hold_deployment(ctx, dep)
    if len(dep["roles"]) == 1:
        raise bad_request("The last role of a deployment cannot be deleted; delete the deployment instead.")
    end = ctx.now + duration("delete_role", ctx.speed)
    if not ctx.failing():
        for inst in dep["instances"]:
            if inst["role"] == role["name"]:
                lifecycle.reschedule(inst, ctx.now, [(ctx.now, "StoppingVM", "Stopping")])
                inst["gone_at"] = end
        save(ctx, dep)
    media = ctx.request.query.get("comp", "").lower() == "media"
    ctx.start_operation(
        "delete_role",
        {"action": "remove_role", "key": dep_key(dep), "role": role["name"], "media": media},
        locks=locks,
    )
    return empty(202)


@completion("remove_role")
def _remove_role(store: Store, op: Operation, step: Doc, now: float) -> None:
    dep = store.get(op.sub, DEPLOYMENT, step["key"])
    if dep is not None:
        dep["roles"] = [r for r in dep["roles"] if r["name"] != step["role"]]
        dep["instances"] = [i for i in dep["instances"] if i["role"] != step["role"]]
        dep["configuration"] = _config_xml(dep["roles"])
        store.put(op.sub, DEPLOYMENT, step["key"], dep)
        release(store, op.sub, dep["service"], dep["name"], step["role"], delete=bool(step.get("media")))


@handler("start_role", "restart_role", "shutdown_role", "start_roles", "shutdown_roles")
def role_operation(ctx: Ctx) -> Response:
    kind = ctx.route.kind
    dep = vm_deployment(ctx)
    body = ctx.body()
    if kind.endswith("_roles"):
        box = body.find("Roles")
        names = [n.element.text or "" for n in box.children("Name")] if box is not None else []
        if not names:
            raise bad_request("The Roles parameter must name at least one role.")
    else:
        names = [ctx.route.params["role"]]
    action = "Stopped"
    if kind.startswith("shutdown"):
        action = body.text("PostShutdownAction") or "Stopped"
        if action not in p.POST_SHUTDOWN_ACTIONS:
            raise bad_request(f"The PostShutdownAction '{action}' is not valid.")
    targets = []
    for name in names:
        inst = next((i for i in dep["instances"] if i["name"].lower() == name.strip().lower()), None)
        if inst is None or not lifecycle.visible(inst, ctx.now):
            raise not_found(f"The role instance {name} does not exist.")
        targets.append(inst)
    locks = hold_deployment(ctx, dep)
    now, end = ctx.now, ctx.now + duration(kind, ctx.speed)
    if not ctx.failing():
        for inst in targets:
            if kind.startswith("shutdown"):
                steps = [
                    (now, "StoppingVM", "Stopping"),
                    (end, "StoppedVM" if action == "Stopped" else action, "Stopped"),
                ]
            elif kind == "restart_role":
                steps = [(now, "RestartingRole", "Starting"), (end, "ReadyRole", "Started")]
            else:
                steps = [(now, "RoleStateUnknown", "Starting"), (end, "ReadyRole", "Started")]
            lifecycle.reschedule(inst, now, steps)
        save(ctx, dep)
    ctx.start_operation(kind, locks=locks)
    return empty(202)
