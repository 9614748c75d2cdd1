"""Networking: reserved IPs, DNS servers of a deployment, virtual network sites (asm-wire.md 5.1).

Shapes from the old SDK: ``ReservedIP{Name, Address, Id, Label, State, InUse, ServiceName,
DeploymentName, Location}`` (create body ``ReservedIP{Name, Label, Location}``), association body
``ReservedIPAssociation{ServiceName, DeploymentName, VirtualIPName?}`` (x-ms-version 2015-02-01),
``DnsServer{Name, Address}`` under ``.../deployments/<name>/dnsservers``.

Choices (no recording): a reserved IP exists when its ~5 s operation ends; its address is derived
from its name; associating it makes it the deployment's VIP (disassociating gives the deployment a
fresh one); deleting a reserved IP in use, or associating one already in use, is 409
ConflictError; a name taken is 409; an unknown one 404 "The reserved IP <name> does not exist.".
DNS servers are written to the deployment (Get Deployment shows ``Dns``), hold its lock like any
deployment write, and a name already used is 409. Virtual network sites cannot be created through
this API (the network configuration was uploaded as a whole); the list shows one site per
``VirtualNetworkName`` used by the subscription's VM deployments, with the subnets their roles name.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid

from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    ResourceKind,
    bad_request,
    conflict,
    doc_saved,
    empty,
    handler,
    hold_deployment,
    not_found,
    required,
    xml,
)
from airflow_sm_provider.emulator.handlers.deployments import dep_key, find_deployment, save, vip_for
from airflow_sm_provider.emulator.handlers.hosted import DEPLOYMENT, get_service
from airflow_sm_provider.emulator.handlers.seed import location_for
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc
from airflow_sm_provider.emulator.xmlio import Builder

KIND = "reserved_ip"


def _address(seed: str) -> str:
    d = hashlib.sha1(seed.encode(), usedforsecurity=False).digest()
    return f"104.{d[0] % 200 + 20}.{d[1]}.{max(d[2], 1)}"


def _render(ctx: Ctx, b: Builder, ip: Doc) -> None:
    b.add("Name", ip["name"]).add("Address", ip["address"]).add("Id", ip["id"])
    b.add("Label", ip.get("label")).add("State", "Created").add("InUse", bool(ip.get("service")))
    b.add("ServiceName", ip.get("service")).add("DeploymentName", ip.get("deployment"))
    b.add("Location", ip["location"])


RESERVED_IPS = ResourceKind(
    KIND, "ReservedIP", "ReservedIPs", _render, "The reserved IP {name} does not exist."
).serve("list_reserved_ip_addresses", "get_reserved_ip_address")


@handler("create_reserved_ip_address")
def create_ip(ctx: Ctx) -> Response:
    body = ctx.body("ReservedIP")
    name = required(body, "Name")
    raw_location = required(body, "Location")
    location = location_for(raw_location)
    if location is None:
        raise bad_request(f"The location '{raw_location}' is not a valid location.")
    if ctx.store.get(ctx.sub, KIND, name) is not None:
        raise conflict(f"A reserved IP named {name} already exists.")
    doc = {
        "name": name,
        "label": body.text("Label"),
        "location": location,
        "address": _address(f"{ctx.sub}/{name}"),
        "id": str(uuid.uuid4()),
        "service": None,
        "deployment": None,
    }
    ctx.start_operation("create_reserved_ip_address", doc_saved(KIND, doc), created=name)
    return empty(202)


@handler("delete_reserved_ip_address")
def delete_ip(ctx: Ctx) -> Response:
    ip = RESERVED_IPS.find(ctx)
    if ip.get("service"):
        raise conflict(f"The reserved IP {ip['name']} is in use by deployment {ip['deployment']}.")
    if not ctx.failing():
        ctx.store.delete(ctx.sub, KIND, ip["name"])
    ctx.start_operation("delete_reserved_ip_address")
    return empty(202)


@handler("associate_reserved_ip_address", "disassociate_reserved_ip_address")
def associate(ctx: Ctx) -> Response:
    ip = RESERVED_IPS.find(ctx)
    body = ctx.body("ReservedIPAssociation")
    service = get_service(ctx, required(body, "ServiceName"))
    name = required(body, "DeploymentName")
    dep = ctx.store.get(ctx.sub, DEPLOYMENT, f"{service['name']}/{name}")
    if dep is None:
        raise not_found("No deployments were found.")
    locks = hold_deployment(ctx, dep)
    joining = ctx.route.kind == "associate_reserved_ip_address"
    held_here = (ip.get("service") or "").lower() == dep["service"].lower() and (
        ip.get("deployment") or ""
    ).lower() == dep["name"].lower()
    if joining and ip.get("service") and not held_here:
        raise conflict(f"The reserved IP {ip['name']} is already in use by deployment {ip['deployment']}.")
    if not joining and not held_here:
        raise bad_request(f"The reserved IP {ip['name']} is not associated with deployment {dep['name']}.")
    if not ctx.failing():
        ip["service"], ip["deployment"] = (dep["service"], dep["name"]) if joining else (None, None)
        dep["vip"] = ip["address"] if joining else vip_for(f"{ctx.sub}/{dep_key(dep)}/{ctx.request_id}")
        ctx.store.put(ctx.sub, KIND, ip["name"], ip)
        save(ctx, dep)
    ctx.start_operation(ctx.route.kind, locks=locks)
    return empty(202)


# --- DNS servers -----------------------------------------------------------------------------------
def _dns_body(ctx: Ctx) -> tuple[str, str]:
    body = ctx.body("DnsServer")
    name = required(body, "Name")
    address = required(body, "Address")
    try:
        ipaddress.ip_address(address)
    except ValueError as exc:
        raise bad_request(f"The Address '{address}' of DNS server {name} is not an IP address.") from exc
    return name, address


@handler("add_dns_server", "update_dns_server", "delete_dns_server")
def dns_server(ctx: Ctx) -> Response:
    dep = find_deployment(ctx)
    servers: list[Doc] = list(dep.get("dns_servers") or [])
    kind = ctx.route.kind
    if kind == "add_dns_server":
        name, address = _dns_body(ctx)
        if any(s["name"].lower() == name.lower() for s in servers):
            raise conflict(f"A DNS server named {name} already exists in deployment {dep['name']}.")
        servers.append({"name": name, "address": address})
    else:
        target = ctx.route.params["dns"]
        found = next((s for s in servers if s["name"].lower() == target.lower()), None)
        if found is None:
            raise not_found(f"The DNS server {target} does not exist.")
        if kind == "update_dns_server":
            found["address"] = _dns_body(ctx)[1]
        else:
            servers.remove(found)
    locks = hold_deployment(ctx, dep)
    if not ctx.failing():
        dep["dns_servers"] = servers
        save(ctx, dep)
    ctx.start_operation(kind, locks=locks)
    return empty(202)


# --- virtual network sites ----------------------------------------------------------------------
@handler("list_virtual_network_sites")
def list_sites(ctx: Ctx) -> Response:
    sites: dict[str, set[str]] = {}
    for dep in ctx.store.list_docs(ctx.sub, DEPLOYMENT):
        if dep.get("virtual_network"):
            subnets = sites.setdefault(dep["virtual_network"], set())
            for role in dep.get("roles", []):
                subnets.update(role.get("subnets") or [])
    root = Builder.root("VirtualNetworkSites")
    for i, (name, subnets) in enumerate(sorted(sites.items())):
        site = root.child("VirtualNetworkSite").add("Name", name)
        site.add("Id", str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ctx.sub}/{name}"))).add("AffinityGroup", None)
        site.add("State", "Created")
        site.child("AddressSpace").child("AddressPrefixes").add("AddressPrefix", f"10.{i}.0.0/16")
        box = site.child("Subnets")
        for j, subnet in enumerate(sorted(subnets)):
            box.child("Subnet").add("Name", subnet).add("AddressPrefix", f"10.{i}.{j}.0/24")
    return xml(200, root)
