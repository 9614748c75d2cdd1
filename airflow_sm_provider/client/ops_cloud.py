"""Request specs for the subscription, catalogues, operations, cloud services and deployments.

Pure functions (validated arguments -> ``Call``); asm-wire.md 4.1-4.3 gives paths and element order.
Labels are base64 on the wire here (Create/Update Hosted Service, Create Deployment).
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.models import (
    AvailabilityResponse,
    Deployment,
    HostedService,
    Location,
    OperatingSystem,
    OperatingSystemFamily,
    Operation,
    Subscription,
)
from airflow_sm_provider.client.ops_base import Call, get, get_list, seg, write
from airflow_sm_provider.client.transport import ApiResponse
from airflow_sm_provider.client.xmlmap import B64, BOOL, DICT, F, Spec

HOSTED = "/services/hostedservices"

CREATE_HOSTED_SERVICE = Spec(
    "CreateHostedService",
    [
        F("ServiceName", "service_name"),
        F("Label", "label", B64),
        F("Description", "description"),
        F("Location", "location"),
        F("AffinityGroup", "affinity_group"),
        F("ExtendedProperties", "extended_properties", DICT),
    ],
)
UPDATE_HOSTED_SERVICE = Spec(
    "UpdateHostedService",
    [
        F("Label", "label", B64),
        F("Description", "description"),
        F("ExtendedProperties", "extended_properties", DICT),
    ],
)
CREATE_DEPLOYMENT = Spec(
    "CreateDeployment",
    [
        F("Name", "name"),
        F("PackageUrl", "package_url"),
        F("Label", "label", B64),
        F("Configuration", "configuration"),  # already base64 (validation.configuration)
        F("StartDeployment", "start_deployment", BOOL),
        F("TreatWarningsAsError", "treat_warnings_as_error", BOOL),
        F("ExtendedProperties", "extended_properties", DICT),
    ],
)
CHANGE_CONFIGURATION = Spec(
    "ChangeConfiguration",
    [
        F("Configuration", "configuration"),
        F("TreatWarningsAsError", "treat_warnings_as_error", BOOL),
        F("Mode", "mode"),
        F("ExtendedProperties", "extended_properties", DICT),
    ],
)
UPDATE_DEPLOYMENT_STATUS = Spec("UpdateDeploymentStatus", [F("Status", "status")])
SWAP = Spec("Swap", [F("Production", "production"), F("SourceDeployment", "source_deployment")])


def hosted_path(service_name: str) -> str:
    return f"{HOSTED}/{seg(service_name)}"


def deployment_path(service_name: str, deployment_name: str) -> str:
    return f"{hosted_path(service_name)}/deployments/{seg(deployment_name)}"


def slot_path(service_name: str, deployment_slot: str) -> str:
    return f"{hosted_path(service_name)}/deploymentslots/{seg(deployment_slot)}"


# --- reads ----------------------------------------------------------------------------------------
def get_subscription() -> Call[Subscription]:
    return get("", Subscription, "get_subscription")


def list_locations() -> Call[list[Location]]:
    return get_list("/locations", Location, "list_locations")


def list_operating_systems() -> Call[list[OperatingSystem]]:
    return get_list("/operatingsystems", OperatingSystem, "list_operating_systems")


def list_operating_system_families() -> Call[list[OperatingSystemFamily]]:
    return get_list("/operatingsystemfamilies", OperatingSystemFamily, "list_operating_system_families")


def get_operation_status(request_id: str) -> Call[Operation]:
    rid = v.request_id(request_id)
    return get(f"/operations/{seg(rid)}", Operation, "get_operation_status")


def list_hosted_services() -> Call[list[HostedService]]:
    return get_list(HOSTED, HostedService, "list_hosted_services")


def get_hosted_service_properties(service_name: str, embed_detail: bool = False) -> Call[HostedService]:
    name = v.resource_name("service_name", service_name)
    flag = "true" if v.boolean(embed_detail, "embed_detail") else "false"
    return get(f"{hosted_path(name)}?embed-detail={flag}", HostedService, "get_hosted_service_properties")


def check_hosted_service_name_availability(service_name: str) -> Call[AvailabilityResponse]:
    name = v.resource_name("service_name", service_name)
    return get(
        f"{HOSTED}/operations/isavailable/{seg(name)}",
        AvailabilityResponse,
        "check_hosted_service_name_availability",
    )


def get_deployment_by_slot(service_name: str, deployment_slot: str) -> Call[Deployment]:
    name = v.resource_name("service_name", service_name)
    slot = v.slot(deployment_slot)
    return get(slot_path(name, slot), Deployment, "get_deployment_by_slot")


def get_deployment_by_name(service_name: str, deployment_name: str) -> Call[Deployment]:
    name = v.resource_name("service_name", service_name)
    dep = v.resource_name("deployment_name", deployment_name)
    return get(deployment_path(name, dep), Deployment, "get_deployment_by_name")


# --- writes ---------------------------------------------------------------------------------------
def create_hosted_service(  # noqa: PLR0917 -- the old SDK's positional API
    service_name: str,
    label: str,
    description: str | None = None,
    location: str | None = None,
    affinity_group: str | None = None,
    extended_properties: dict[str, str] | None = None,
) -> Call[ApiResponse]:
    source = {
        "service_name": v.service_name(service_name),
        "label": v.label(label),
        "description": v.description(description),
        "location": location,
        "affinity_group": affinity_group,
        "extended_properties": v.extended_properties(extended_properties),
    }
    v.location_xor_affinity_group(location, affinity_group)
    return write(
        "POST",
        HOSTED,
        kind="create_hosted_service",
        target=service_name,
        spec=CREATE_HOSTED_SERVICE,
        source=source,
        idempotent=False,
    )


def update_hosted_service(
    service_name: str,
    label: str | None = None,
    description: str | None = None,
    extended_properties: dict[str, str] | None = None,
) -> Call[ApiResponse]:
    name = v.resource_name("service_name", service_name)
    source = {
        "label": v.label(label, optional=True),
        "description": v.description(description),
        "extended_properties": v.extended_properties(extended_properties),
    }
    if all(val is None for val in source.values()):
        raise v.InvalidInputError(
            "label", "nothing to update: pass label, description or extended_properties."
        )
    return write(
        "PUT",
        hosted_path(name),
        kind="update_hosted_service",
        target=name,
        spec=UPDATE_HOSTED_SERVICE,
        source=source,
    )


def delete_hosted_service(service_name: str, complete: bool = False) -> Call[ApiResponse]:
    name = v.resource_name("service_name", service_name)
    suffix = "?comp=media" if v.boolean(complete, "complete") else ""
    return write("DELETE", hosted_path(name) + suffix, kind="delete_hosted_service", target=name)


def create_deployment(  # noqa: PLR0917 -- the old SDK's positional API
    service_name: str,
    deployment_slot: str,
    name: str,
    package_url: str,
    label: str,
    configuration: str | bytes,
    start_deployment: bool = False,
    treat_warnings_as_error: bool = False,
    extended_properties: dict[str, str] | None = None,
) -> Call[ApiResponse]:
    svc = v.resource_name("service_name", service_name)
    slot = v.slot(deployment_slot)
    source: dict[str, Any] = {
        "name": v.resource_name("name", name),
        "package_url": v.https_url(package_url),
        "label": v.label(label),
        "configuration": v.configuration(configuration),
        "start_deployment": v.boolean(start_deployment, "start_deployment"),
        "treat_warnings_as_error": v.boolean(treat_warnings_as_error, "treat_warnings_as_error"),
        "extended_properties": v.extended_properties(extended_properties),
    }
    return write(
        "POST",
        slot_path(svc, slot),
        kind="create_deployment",
        target=f"{svc}/deploymentslots/{slot}",
        spec=CREATE_DEPLOYMENT,
        source=source,
        idempotent=False,
    )


def change_deployment_configuration(  # noqa: PLR0917 -- the old SDK's positional API
    service_name: str,
    deployment_name: str,
    configuration: str | bytes,
    treat_warnings_as_error: bool = False,
    mode: str = "Auto",
    extended_properties: dict[str, str] | None = None,
) -> Call[ApiResponse]:
    svc = v.resource_name("service_name", service_name)
    dep = v.resource_name("deployment_name", deployment_name)
    source = {
        "configuration": v.configuration(configuration),
        "treat_warnings_as_error": v.boolean(treat_warnings_as_error, "treat_warnings_as_error"),
        "mode": v.one_of(mode, ("Auto", "Manual", "Simultaneous"), "mode"),
        "extended_properties": v.extended_properties(extended_properties),
    }
    return write(
        "POST",
        deployment_path(svc, dep) + "/?comp=config",
        kind="change_deployment_configuration",
        target=f"{svc}/deployments/{dep}",
        spec=CHANGE_CONFIGURATION,
        source=source,
        idempotent=False,
    )


def update_deployment_status(service_name: str, deployment_name: str, status: str) -> Call[ApiResponse]:
    svc = v.resource_name("service_name", service_name)
    dep = v.resource_name("deployment_name", deployment_name)
    return write(
        "POST",
        deployment_path(svc, dep) + "/?comp=status",
        kind="update_deployment_status",
        target=f"{svc}/deployments/{dep}",
        spec=UPDATE_DEPLOYMENT_STATUS,
        source={"status": v.deployment_status(status)},
        idempotent=False,
    )


def swap_deployment(service_name: str, production: str | None, source_deployment: str) -> Call[ApiResponse]:
    """``production`` None or "" means the production slot is empty: the element is omitted (a move)."""
    svc = v.resource_name("service_name", service_name)
    prod = v.resource_name("production", production) if production else None
    src = v.resource_name("source_deployment", source_deployment)
    return write(
        "POST",
        hosted_path(svc),
        kind="swap_deployment",
        target=svc,
        spec=SWAP,
        source={"production": prod, "source_deployment": src},
        idempotent=False,
    )


def delete_deployment(service_name: str, deployment_name: str, delete_vhd: bool = False) -> Call[ApiResponse]:
    svc = v.resource_name("service_name", service_name)
    dep = v.resource_name("deployment_name", deployment_name)
    suffix = "?comp=media" if v.boolean(delete_vhd, "delete_vhd") else ""
    return write(
        "DELETE",
        deployment_path(svc, dep) + suffix,
        kind="delete_deployment",
        target=f"{svc}/deployments/{dep}",
    )
