"""Get Subscription and the catalogues: locations, operating systems and families, role sizes (4.1).

Counters (CurrentHostedServices, CurrentStorageAccounts, CurrentCoreCount, CurrentReservedIPs) are
computed from the subscription's state on each request, so they can never drift from it.
"""

from __future__ import annotations

from airflow_sm_provider.emulator.handlers import seed
from airflow_sm_provider.emulator.handlers.common import Ctx, handler, xml
from airflow_sm_provider.emulator.handlers.lifecycle import visible
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.xmlio import Builder, b64, timestamp

_CORES = {"ExtraSmall": 1, "Small": 1, "Medium": 2, "Large": 4, "ExtraLarge": 8}


@handler("get_subscription")
def get_subscription(ctx: Ctx) -> Response:
    doc = ctx.store.subscription(ctx.sub) or seed.subscription_doc(ctx.sub, ctx.now)
    services = ctx.store.list_docs(ctx.sub, "hosted_service")
    accounts = ctx.store.list_docs(ctx.sub, "storage")
    reserved_ips = len(ctx.store.list_docs(ctx.sub, "reserved_ip"))
    cores = 0
    for dep in ctx.store.list_docs(ctx.sub, "deployment"):
        for inst in dep.get("instances", []):
            if visible(inst, ctx.now):
                cores += _CORES.get(inst.get("size", "Small"), 1)
    b = Builder.root("Subscription")
    b.add("SubscriptionID", doc["id"]).add("SubscriptionName", doc["name"]).add(
        "SubscriptionStatus", doc["status"]
    )
    b.add("AccountAdminLiveEmailId", doc["admin_email"]).add("ServiceAdminLiveEmailId", doc["admin_email"])
    b.add("MaxCoreCount", doc["max_cores"]).add("MaxStorageAccounts", doc["max_storage"])
    b.add("MaxHostedServices", doc["max_hosted"]).add("CurrentCoreCount", cores)
    b.add("CurrentHostedServices", len(services)).add("CurrentStorageAccounts", len(accounts))
    b.add("MaxVirtualNetworkSites", 10).add("MaxLocalNetworkSites", 10).add("MaxDnsServers", 9)
    b.add("OfferCategories", "MS-AZR-0003P").add("AADTenantID", "00000000-0000-0000-0000-000000000000")
    b.add("CreatedTime", timestamp(doc["created"])).add("MaxReservedIPs", 20)
    b.add("CurrentReservedIPs", reserved_ips)
    b.add("MaxPublicIPCount", 5).add("CurrentNetworkSecurityGroups", 0).add("MaxNetworkSecurityGroups", 100)
    b.add("MaxNetworkSecurityRulesPerGroup", 200).add("MaxRouteTables", 100).add(
        "MaxRoutesPerRouteTable", 100
    )
    return xml(200, b)


@handler("list_locations")
def list_locations(ctx: Ctx) -> Response:
    root = Builder.root("Locations")
    for name, display, services in seed.LOCATIONS:
        doc = seed.location_doc(name, display, services)
        loc = root.child("Location").add("Name", name).add("DisplayName", display)
        avail = loc.child("AvailableServices")
        for service in services:
            avail.add("AvailableService", service)
        compute = loc.child("ComputeCapabilities")
        web = compute.child("WebWorkerRoleSizes")
        for size in doc["web_worker_sizes"]:
            web.add("RoleSize", size)
        vms = compute.child("VirtualMachinesRoleSizes")
        for size in doc["vm_sizes"]:
            vms.add("RoleSize", size)
        if doc["storage_types"] is not None:
            types = loc.child("StorageCapabilities").child("StorageAccountTypes")
            for kind in doc["storage_types"]:
                types.add("StorageAccountType", kind)
    return xml(200, root)


@handler("list_operating_systems")
def list_operating_systems(ctx: Ctx) -> Response:
    root = Builder.root("OperatingSystems")
    for family, family_label, versions in seed.OS_FAMILIES:
        for version, label, is_default, is_active in versions:
            os_ = root.child("OperatingSystem").add("Version", version).add("Label", b64(label))
            os_.add("IsDefault", is_default).add("IsActive", is_active)
            os_.add("Family", family).add("FamilyLabel", b64(family_label))
    return xml(200, root)


@handler("list_operating_system_families")
def list_operating_system_families(ctx: Ctx) -> Response:
    root = Builder.root("OperatingSystemFamilies")
    for family, family_label, versions in seed.OS_FAMILIES:
        fam = root.child("OperatingSystemFamily").add("Name", family).add("Label", b64(family_label))
        box = fam.child("OperatingSystems")
        for version, label, is_default, is_active in versions:
            box.child("OperatingSystem").add("Version", version).add("Label", b64(label)).add(
                "IsDefault", is_default
            ).add("IsActive", is_active)
    return xml(200, root)


_ROLE_SIZES = [
    # name, label, cores, memory MB, web/worker, vm, max data disks
    ("ExtraSmall", "ExtraSmall (1 cores, 768 MB)", 1, 768, True, True, 1),
    ("Small", "Small (1 cores, 1792 MB)", 1, 1792, True, True, 2),
    ("Medium", "Medium (2 cores, 3584 MB)", 2, 3584, True, True, 4),
    ("Large", "Large (4 cores, 7168 MB)", 4, 7168, True, True, 8),
    ("ExtraLarge", "ExtraLarge (8 cores, 14336 MB)", 8, 14336, True, True, 16),
    ("Basic_A0", "Basic_A0 (1 cores, 768 MB)", 1, 768, False, True, 1),
]


@handler("list_role_sizes")
def list_role_sizes(ctx: Ctx) -> Response:
    root = Builder.root("RoleSizes")
    for name, label, cores, memory, web, vm, disks in _ROLE_SIZES:
        size = root.child("RoleSize").add("Name", name).add("Label", label).add("Cores", cores)
        size.add("MemoryInMb", memory).add("SupportedByWebWorkerRoles", web)
        size.add("SupportedByVirtualMachines", vm).add("MaxDataDiskCount", disks)
        size.add("WebWorkerResourceDiskSizeInMb", 20480 * cores).add(
            "VirtualMachineResourceDiskSizeInMb", 20480 * cores
        )
    return xml(200, root)
