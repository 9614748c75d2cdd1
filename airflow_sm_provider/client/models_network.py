"""Reserved IPs, virtual network sites and DNS servers (asm-wire 4.7; old SDK models).

Attribute names are the old SDK's; see ``models`` for the parsing rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from airflow_sm_provider.client.xmlmap import BOOL, LIST, F, Spec


@dataclass
class DnsServer:
    """A DNS server of a deployment (input of create_virtual_machine_deployment: ``dns_servers``)."""

    name: str = ""
    address: str = ""

    __xml__: ClassVar[Spec] = Spec("DnsServer", [F("Name", "name"), F("Address", "address")])


@dataclass
class ReservedIP:
    name: str = ""
    address: str = ""
    id: str = ""
    label: str = ""
    state: str = ""
    in_use: bool = False
    service_name: str = ""
    deployment_name: str = ""
    location: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "ReservedIP",
        [
            F("Name", "name"),
            F("Address", "address"),
            F("Id", "id"),
            F("Label", "label"),
            F("State", "state"),
            F("InUse", "in_use", BOOL),
            F("ServiceName", "service_name"),
            F("DeploymentName", "deployment_name"),
            F("Location", "location"),
        ],
    )


@dataclass
class Subnet:
    name: str = ""
    address_prefix: str = ""

    __xml__: ClassVar[Spec] = Spec("Subnet", [F("Name", "name"), F("AddressPrefix", "address_prefix")])


@dataclass
class VirtualNetworkSite:
    name: str = ""
    id: str = ""
    affinity_group: str = ""
    subnets: list[Subnet] = field(default_factory=list)

    __xml__: ClassVar[Spec] = Spec(
        "VirtualNetworkSite",
        [
            F("Name", "name"),
            F("Id", "id"),
            F("AffinityGroup", "affinity_group"),
            F("Subnets", "subnets", LIST, Subnet, item="Subnet"),
        ],
    )
