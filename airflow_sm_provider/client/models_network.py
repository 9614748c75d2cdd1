"""Reserved IPs, virtual network sites and DNS servers (asm-wire 4.7; old SDK models).

Attribute names are the old SDK's; see ``models`` for the parsing rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_sm_provider.client.xmlmodel import ListOf, xml_field, xml_model

if TYPE_CHECKING:  # the list classes as mypy sees them (xmlmodel binds the names at run time)
    from airflow_sm_provider.client._list_types import Subnets


@xml_model
class DnsServer:
    """A DNS server of a deployment (input of create_virtual_machine_deployment: ``dns_servers``)."""

    name: str = ""
    address: str = ""


@xml_model
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


@xml_model
class Subnet:
    name: str = ""
    address_prefix: str = ""


@xml_model
class VirtualNetworkSite:
    name: str = ""
    id: str = ""
    affinity_group: str = ""
    subnets: ListOf[Subnets, Subnet] = xml_field(item="Subnet", default_factory=list)
