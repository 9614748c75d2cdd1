"""Reserved IPs, virtual network sites and resource extensions (old SDK surface).

Associate / disassociate need x-ms-version 2015-02-01, as the old SDK sends.
"""

from __future__ import annotations

from airflow_sm_provider.client.models_media import ResourceExtension
from airflow_sm_provider.client.models_network import ReservedIP, VirtualNetworkSite
from airflow_sm_provider.client.operation import Op, P, delete, read
from airflow_sm_provider.client.operations import _checks as c
from airflow_sm_provider.client.operations import _params as common
from airflow_sm_provider.client.xmlmap import F, Spec
from airflow_sm_provider.client.xmlmodel import subset

RESERVED = "/services/networking/reservedips"
RESERVED_IP = f"{RESERVED}/{{name}}"
NAME = P("name", check=c.name)
V2015_02 = "2015-02-01"
ASSOCIATION = Spec(
    "ReservedIPAssociation",
    [
        F("ServiceName", "service_name"),
        F("DeploymentName", "deployment_name"),
        F("VirtualIPName", "virtual_ip_name"),
    ],
)
ASSOCIATION_ARGS = (
    NAME,
    common.SERVICE_NAME,
    common.DEPLOYMENT_NAME,
    P("virtual_ip_name", "str | None", None, c.opt_name),
)

OPS = (
    read("list_reserved_ip_addresses", RESERVED, result=ReservedIP, many=True),
    read("get_reserved_ip_address", RESERVED_IP, NAME, result=ReservedIP),
    Op(
        "create_reserved_ip_address",
        "POST",
        RESERVED,
        (
            NAME,
            common.OPTIONAL_LABEL,
            common.OPTIONAL_LOCATION,
        ),
        body=subset(ReservedIP, "name", "label", "location"),
        resend=False,
        target="{name}",
    ),
    delete("delete_reserved_ip_address", RESERVED_IP, NAME),
    Op(
        "associate_reserved_ip_address",
        "POST",
        RESERVED_IP + "/operations/associate",
        ASSOCIATION_ARGS,
        body=ASSOCIATION,
        x_ms_version=V2015_02,
        target="{name}",
    ),
    Op(
        "disassociate_reserved_ip_address",
        "POST",
        RESERVED_IP + "/operations/disassociate",
        ASSOCIATION_ARGS,
        body=ASSOCIATION,
        x_ms_version=V2015_02,
        target="{name}",
    ),
    read(
        "list_virtual_network_sites",
        "/services/networking/virtualnetwork",
        result=VirtualNetworkSite,
        many=True,
    ),
    read("list_resource_extensions", "/services/resourceextensions", result=ResourceExtension, many=True),
    read(
        "list_resource_extension_versions",
        "/services/resourceextensions/{publisher_name}/{extension_name}",
        P("publisher_name", check=c.name),
        P("extension_name", check=c.name),
        result=ResourceExtension,
        many=True,
    ),
)
