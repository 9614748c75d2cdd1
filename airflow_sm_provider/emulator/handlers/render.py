"""Response XML of hosted services and deployments, in the recorded element order (asm-wire.md 4.2, 4.3).

Deployments and instances are rendered from their stored documents at the request's ``now``, so a
deployment's instance states and ``Locked`` flag are always derived from the clock, never cached.
"""

from __future__ import annotations

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.handlers.common import Ctx, deployment_lock
from airflow_sm_provider.emulator.handlers.disks import render_data_disk
from airflow_sm_provider.emulator.handlers.extensions import render_references
from airflow_sm_provider.emulator.handlers.lifecycle import current, visible
from airflow_sm_provider.emulator.handlers.upgrade_state import render_status, rollback_allowed
from airflow_sm_provider.emulator.state import Doc
from airflow_sm_provider.emulator.xmlio import Builder, b64, timestamp

#: Shown for VMs once ready (recorded: appears with HostName when the VM reaches ReadyRole).
REMOTE_ACCESS_THUMBPRINT = "8F1F2B43C6B5A2E1D6D83A1B56E21E33C0FCE7A9"


def deployment_dns(dep: Doc) -> str:
    """The name the deployment's app answers under: service name in production, PrivateID in staging."""
    return str(dep["service"]).lower() if dep["slot"] == p.SLOT_PRODUCTION else str(dep["private_id"])


def deployment_url(ctx: Ctx, dep: Doc) -> str:
    return f"https://{ctx.host}/cloudapp/{deployment_dns(dep)}/"


def hosted_service_properties(b: Builder, svc: Doc) -> None:
    props = b.child("HostedServiceProperties")
    props.add("Description", svc.get("description"))
    if svc.get("affinity_group"):
        props.add("AffinityGroup", svc["affinity_group"])
    else:
        props.add("Location", svc.get("location"))
    props.add("Label", b64(svc["label"]))
    props.add("Status", svc.get("status", "Created"))
    props.add("DateCreated", timestamp(svc["created"]))
    props.add("DateLastModified", timestamp(svc["modified"]))
    props.extended_properties(svc.get("extended_properties", {}))


def hosted_service(ctx: Ctx, b: Builder, svc: Doc) -> None:
    b.add("Url", ctx.mgmt_url("services", "hostedservices", svc["name"]))
    b.add("ServiceName", svc["name"])
    hosted_service_properties(b, svc)


def deployment(ctx: Ctx, b: Builder, dep: Doc) -> None:
    """Children of a ``<Deployment>`` (Get Deployment root or an embed-detail entry)."""
    now = ctx.now
    vm = dep.get("kind") == "vm"
    b.add("Name", dep["name"])
    b.add("DeploymentSlot", dep["slot"])
    b.add("PrivateID", dep["private_id"])
    b.add("Status", dep["status"])
    b.add("Label", b64(dep["label"]))
    b.add("Url", deployment_url(ctx, dep))
    b.add("Configuration", b64(dep["configuration"]))
    instances = b.child("RoleInstanceList")
    for inst in dep.get("instances", []):
        if visible(inst, now):
            role_instance(instances.child("RoleInstance"), inst, dep, now)
    render_status(b, dep, now)
    b.add("UpgradeDomainCount", dep.get("upgrade_domain_count", 1))
    roles = b.child("RoleList")
    if vm:
        for role in dep.get("roles", []):
            vm_role(roles.child("Role", "PersistentVMRole"), role, dep)
    else:
        for role_name in dep.get("role_names", []):
            role = roles.child("Role")
            role.add("RoleName", role_name).add("OsVersion", dep.get("os_version", "")).child(
                "ConfigurationSets"
            )
    b.add("SdkVersion", "" if vm else "2.6.6496.10")
    locked = ctx.store.locking_operation(deployment_lock(ctx, dep)) is not None
    b.add("Locked", locked)
    b.add("RollbackAllowed", rollback_allowed(dep))
    b.add("CreatedTime", timestamp(dep["created"]))
    b.add("LastModifiedTime", timestamp(dep["modified"]))
    b.opt("VirtualNetworkName", dep.get("virtual_network"))
    if dep.get("dns_servers"):
        servers = b.child("Dns").child("DnsServers")
        for server in dep["dns_servers"]:
            servers.child("DnsServer").add("Name", server["name"]).add("Address", server["address"])
    b.extended_properties(dep.get("extended_properties", {}))
    if vm:
        downtime = b.child("PersistentVMDowntime")
        downtime.add("StartTime", "2015-07-13T09:00:00Z").add("EndTime", "2015-07-15T09:00:00Z")
        downtime.add("Status", "PersistentVMUpdateCompleted")
    vips = b.child("VirtualIPs")
    vips.child("VirtualIP").add("Address", dep["vip"]).add("IsDnsProgrammed", True).add(
        "Name", f"{dep['service']}ContractContract"
    )
    if vm:
        b.add("InternalDnsSuffix", f"{dep['private_id'][:12]}.dx.internal.cloudapp.net")
    b.child("LoadBalancers")


def role_instance(b: Builder, inst: Doc, dep: Doc, now: float) -> None:
    status, power = current(inst, now)
    vm = dep.get("kind") == "vm"
    b.add("RoleName", inst["role"]).add("InstanceName", inst["name"]).add("InstanceStatus", status)
    if status == "StoppedDeallocated":
        # Recorded: a deallocated VM's RoleInstance shrinks to these five elements.
        b.add("PowerState", power).add("RemoteAccessCertificateThumbprint", REMOTE_ACCESS_THUMBPRINT)
        return
    b.add("InstanceUpgradeDomain", inst["ud"]).add("InstanceFaultDomain", inst["fd"])
    b.add("InstanceSize", inst["size"])
    details = b.child("InstanceStateDetails")
    if status == "FailedStartingRole":
        details.element.text = "The role failed to start: the application exited during startup."
        b.add("InstanceErrorCode", "RoleFailedToStart")
    b.add("IpAddress", inst["ip"])
    endpoints = inst.get("endpoints") or []
    if endpoints:
        box = b.child("InstanceEndpoints")
        for ep in endpoints:
            e = box.child("InstanceEndpoint")
            e.add("Name", ep["name"]).add("Vip", dep["vip"]).add("PublicPort", ep["port"])
            e.add("LocalPort", ep["local_port"]).add("Protocol", ep["protocol"]).add(
                "IdleTimeoutInMinutes", 4
            )
    b.add("PowerState", power)
    if vm and status == "ReadyRole":
        b.add("HostName", inst.get("host_name") or inst["role"])
        b.add("RemoteAccessCertificateThumbprint", REMOTE_ACCESS_THUMBPRINT)


def vm_role(b: Builder, role: Doc, dep: Doc) -> None:
    """A PersistentVMRole; the provisioning configuration set is never returned (recorded)."""
    b.add("RoleName", role["name"]).add("OsVersion", "").add("RoleType", "PersistentVMRole")
    sets = b.child("ConfigurationSets")
    net = sets.child("ConfigurationSet", "NetworkConfigurationSet")
    net.add("ConfigurationSetType", "NetworkConfiguration")
    inputs = net.child("InputEndpoints")
    for ep in role.get("endpoints", []):
        e = inputs.child("InputEndpoint")
        e.add("LocalPort", ep["local_port"]).add("Name", ep["name"]).add("Port", ep["port"])
        e.add("Protocol", ep["protocol"]).add("Vip", dep["vip"]).add("EnableDirectServerReturn", False)
    subnets = net.child("SubnetNames")
    for subnet in role.get("subnets", []):
        subnets.add("SubnetName", subnet)
    render_references(b, role.get("extensions") or [])
    b.opt("VMImageName", role.get("vm_image"))
    if role.get("availability_set"):
        b.add("AvailabilitySetName", role["availability_set"])
    data = b.child("DataVirtualHardDisks")
    for disk in sorted(role.get("data_disks") or [], key=lambda d: d["lun"]):
        render_data_disk(data.child("DataVirtualHardDisk"), disk)
    disk = role["os_disk"]
    osd = b.child("OSVirtualHardDisk")
    osd.add("HostCaching", disk.get("host_caching") or "ReadWrite")
    osd.opt("DiskLabel", disk.get("disk_label"))
    osd.add("DiskName", disk["disk_name"]).add("MediaLink", disk.get("media_link") or "")
    if disk.get("remote_source_image_link"):
        osd.add("RemoteSourceImageLink", disk["remote_source_image_link"])
    elif disk.get("source_image_name") or not role.get("vm_image"):
        osd.add("SourceImageName", disk.get("source_image_name") or "")
    osd.add("OS", disk.get("os") or "Linux").add("IOType", "Standard")
    b.add("RoleSize", role.get("size") or "Small")
    if role.get("provision_guest_agent") is not None:
        b.add("ProvisionGuestAgent", role["provision_guest_agent"])
