"""Request specs for storage accounts, affinity groups, OS images and virtual machines.

Pure functions (validated arguments -> ``Call``); asm-wire.md 4.4-4.7. Labels: base64 for storage
and affinity groups; PLAIN text for OS images and for the VM deployment ``Label`` (the service
stores and later returns the latter base64-encoded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from airflow_sm_provider import protocol
from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.configsets import (
    ConfigurationSet,
    LinuxConfigurationSet,
    WindowsConfigurationSet,
)
from airflow_sm_provider.client.models import (
    AffinityGroup,
    AvailabilityResponse,
    DataVirtualHardDisk,
    OSImage,
    OSVirtualHardDisk,
    PersistentVMRole,
    Role,
    StorageService,
)
from airflow_sm_provider.client.ops_base import Call, get, get_list, seg, write
from airflow_sm_provider.client.ops_cloud import deployment_path, hosted_path
from airflow_sm_provider.client.transport import ApiResponse
from airflow_sm_provider.client.xmlmap import B64, BOOL, DICT, LIST, MODEL, F, Spec

STORAGE = "/services/storageservices"
IMAGES = "/services/images"
AFFINITY = "/affinitygroups"

CREATE_STORAGE = Spec(
    "CreateStorageServiceInput",
    [
        F("ServiceName", "service_name"),
        F("Description", "description"),
        F("Label", "label", B64),
        F("AffinityGroup", "affinity_group"),
        F("Location", "location"),
        F("GeoReplicationEnabled", "geo_replication_enabled", BOOL),
        F("ExtendedProperties", "extended_properties", DICT),
        F("AccountType", "account_type"),
    ],
)
CREATE_AFFINITY_GROUP = Spec(
    "CreateAffinityGroup",
    [F("Name", "name"), F("Label", "label", B64), F("Description", "description"), F("Location", "location")],
)


@dataclass
class DnsServer:
    name: str = ""
    address: str = ""

    __xml__: ClassVar[Spec] = Spec("DnsServer", [F("Name", "name"), F("Address", "address")])


@dataclass
class _Dns:
    dns_servers: list[DnsServer] = field(default_factory=list)

    __xml__: ClassVar[Spec] = Spec("Dns", [F("DnsServers", "dns_servers", LIST, DnsServer, item="DnsServer")])


VM_DEPLOYMENT = Spec(
    "Deployment",
    [
        F("Name", "name"),
        F("DeploymentSlot", "deployment_slot"),
        F("Label", "label"),  # plain text here
        F("RoleList", "role_list", LIST, Role, item="Role"),
        F("VirtualNetworkName", "virtual_network_name"),
        F("Dns", "dns", MODEL, _Dns, optional=True),
        F("ReservedIPName", "reserved_ip_name"),
    ],
)
START_ROLE = Spec("StartRoleOperation", [F("OperationType", "operation_type")])
RESTART_ROLE = Spec("RestartRoleOperation", [F("OperationType", "operation_type")])
SHUTDOWN_ROLE = Spec(
    "ShutdownRoleOperation",
    [F("OperationType", "operation_type"), F("PostShutdownAction", "post_shutdown_action")],
)


# --- storage ----------------------------------------------------------------------------------------
def list_storage_accounts() -> Call[list[StorageService]]:
    return get_list(STORAGE, StorageService, "list_storage_accounts")


def get_storage_account_properties(service_name: str) -> Call[StorageService]:
    name = v.resource_name("service_name", service_name)
    return get(f"{STORAGE}/{seg(name)}", StorageService, "get_storage_account_properties")


def get_storage_account_keys(service_name: str) -> Call[StorageService]:
    name = v.resource_name("service_name", service_name)
    return get(f"{STORAGE}/{seg(name)}/keys", StorageService, "get_storage_account_keys")


def check_storage_account_name_availability(service_name: str) -> Call[AvailabilityResponse]:
    name = v.resource_name("service_name", service_name)
    return get(
        f"{STORAGE}/operations/isavailable/{seg(name)}",
        AvailabilityResponse,
        "check_storage_account_name_availability",
    )


def create_storage_account(  # noqa: PLR0917 -- the old SDK's positional API
    service_name: str,
    description: str | None,
    label: str,
    affinity_group: str | None = None,
    location: str | None = None,
    geo_replication_enabled: bool | None = None,
    extended_properties: dict[str, str] | None = None,
    account_type: str = "Standard_GRS",
) -> Call[ApiResponse]:
    source = {
        "service_name": v.storage_name(service_name),
        "description": v.description(description),
        "label": v.label(label),
        "affinity_group": affinity_group,
        "location": location,
        "geo_replication_enabled": geo_replication_enabled,
        "extended_properties": v.extended_properties(extended_properties),
        "account_type": v.one_of(account_type, protocol.STORAGE_ACCOUNT_TYPES, "account_type"),
    }
    v.location_xor_affinity_group(location, affinity_group)
    return write(
        "POST",
        STORAGE,
        kind="create_storage_account",
        target=service_name,
        spec=CREATE_STORAGE,
        source=source,
        idempotent=False,
    )


def delete_storage_account(service_name: str) -> Call[ApiResponse]:
    name = v.resource_name("service_name", service_name)
    return write("DELETE", f"{STORAGE}/{seg(name)}", kind="delete_storage_account", target=name)


# --- affinity groups -----------------------------------------------------------------------------------
def list_affinity_groups() -> Call[list[AffinityGroup]]:
    return get_list(AFFINITY, AffinityGroup, "list_affinity_groups")


def get_affinity_group_properties(affinity_group_name: str) -> Call[AffinityGroup]:
    name = v.resource_name("affinity_group_name", affinity_group_name)
    return get(f"{AFFINITY}/{seg(name)}", AffinityGroup, "get_affinity_group_properties")


def create_affinity_group(
    name: str, label: str, location: str, description: str | None = None
) -> Call[ApiResponse]:
    source = {
        "name": v.resource_name("name", name),
        "label": v.label(label),
        "description": v.description(description),
        "location": v.required("location", location),
    }
    return write(
        "POST",
        AFFINITY,
        kind="create_affinity_group",
        target=name,
        spec=CREATE_AFFINITY_GROUP,
        source=source,
        idempotent=False,
    )


def delete_affinity_group(affinity_group_name: str) -> Call[ApiResponse]:
    name = v.resource_name("affinity_group_name", affinity_group_name)
    return write("DELETE", f"{AFFINITY}/{seg(name)}", kind="delete_affinity_group", target=name)


# --- OS images ---------------------------------------------------------------------------------------
def list_os_images() -> Call[list[OSImage]]:
    return get_list(IMAGES, OSImage, "list_os_images")


def get_os_image(image_name: str) -> Call[OSImage]:
    name = v.resource_name("image_name", image_name)
    return get(f"{IMAGES}/{seg(name)}", OSImage, "get_os_image")


def add_os_image(label: str, media_link: str, name: str, os: str) -> Call[ApiResponse]:
    image = OSImage(
        label=v.label(label) or "",
        media_link=v.required("media_link", media_link),
        name=v.resource_name("name", name),
        os=v.one_of(os, protocol.OS_TYPES, "os"),
    )
    return write(
        "POST", IMAGES, kind="add_os_image", target=name, spec=OSImage.__xml__, source=image, idempotent=False
    )


def delete_os_image(image_name: str, delete_vhd: bool = False) -> Call[ApiResponse]:
    name = v.resource_name("image_name", image_name)
    suffix = "?comp=media" if v.boolean(delete_vhd, "delete_vhd") else ""
    return write("DELETE", f"{IMAGES}/{seg(name)}{suffix}", kind="delete_os_image", target=name)


# --- virtual machines ---------------------------------------------------------------------------------
def get_role(service_name: str, deployment_name: str, role_name: str) -> Call[PersistentVMRole]:
    svc = v.resource_name("service_name", service_name)
    dep = v.resource_name("deployment_name", deployment_name)
    role = v.resource_name("role_name", role_name)
    return get(f"{deployment_path(svc, dep)}/roles/{seg(role)}", PersistentVMRole, "get_role")


def create_virtual_machine_deployment(  # noqa: PLR0917 -- the old SDK's positional API
    service_name: str,
    deployment_name: str,
    deployment_slot: str,
    label: str,
    role_name: str,
    system_config: LinuxConfigurationSet | WindowsConfigurationSet | None,
    os_virtual_hard_disk: OSVirtualHardDisk | None,
    network_config: ConfigurationSet | None = None,
    availability_set_name: str | None = None,
    data_virtual_hard_disks: Sequence[DataVirtualHardDisk] | None = None,
    role_size: str | None = None,
    role_type: str = "PersistentVMRole",
    virtual_network_name: str | None = None,
    resource_extension_references: Any = None,
    provision_guest_agent: bool | None = None,
    vm_image_name: str | None = None,
    media_location: str | None = None,
    dns_servers: Sequence[Any] | None = None,
    reserved_ip_name: str | None = None,
) -> Call[ApiResponse]:
    svc = v.resource_name("service_name", service_name)
    dep = v.resource_name("deployment_name", deployment_name)
    slot = v.slot(deployment_slot)
    if system_config is not None and not isinstance(
        system_config, (LinuxConfigurationSet, WindowsConfigurationSet)
    ):
        raise v.InvalidInputError(
            "system_config", "system_config must be a LinuxConfigurationSet or a WindowsConfigurationSet."
        )
    if network_config is not None and not isinstance(network_config, ConfigurationSet):
        raise v.InvalidInputError("network_config", "network_config must be a ConfigurationSet.")
    if os_virtual_hard_disk is None and not vm_image_name:
        raise v.InvalidInputError(
            "os_virtual_hard_disk",
            "pass os_virtual_hard_disk=OSVirtualHardDisk(image_name, media_link) or vm_image_name.",
        )
    if resource_extension_references:
        raise v.InvalidInputError(
            "resource_extension_references",
            "resource extensions are not supported by this client; omit them.",
        )
    role = Role(
        role_name=v.resource_name("role_name", role_name),
        role_type=v.required("role_type", role_type),
        configuration_sets=[c for c in (system_config, network_config) if c is not None],
        vm_image_name=vm_image_name,
        media_location=media_location,
        availability_set_name=availability_set_name,
        data_virtual_hard_disks=list(data_virtual_hard_disks or []),
        os_virtual_hard_disk=os_virtual_hard_disk,
        role_size=v.role_size(role_size),
        provision_guest_agent=provision_guest_agent,
    )
    dns = (
        _Dns([DnsServer(getattr(d, "name", ""), getattr(d, "address", "")) for d in dns_servers])
        if dns_servers
        else None
    )
    source = {
        "name": dep,
        "deployment_slot": slot,
        "label": v.label(label),
        "role_list": [role],
        "virtual_network_name": virtual_network_name,
        "dns": dns,
        "reserved_ip_name": reserved_ip_name,
    }
    return write(
        "POST",
        f"{hosted_path(svc)}/deployments",
        kind="create_virtual_machine_deployment",
        target=f"{svc}/deployments/{dep}",
        spec=VM_DEPLOYMENT,
        source=source,
        idempotent=False,
    )


def _role_operation(
    service_name: str, deployment_name: str, role_name: str, spec: Spec, kind: str, **extra: Any
) -> Call[ApiResponse]:
    svc = v.resource_name("service_name", service_name)
    dep = v.resource_name("deployment_name", deployment_name)
    role = v.resource_name("role_name", role_name)
    # Start/restart/shutdown converge on a state, so a retry cannot do harm: sent as idempotent.
    return write(
        "POST",
        f"{deployment_path(svc, dep)}/roleinstances/{seg(role)}/Operations",
        kind=kind,
        target=f"{svc}/deployments/{dep}/roles/{role}",
        spec=spec,
        source={"operation_type": spec.root, **extra},
    )


def start_role(service_name: str, deployment_name: str, role_name: str) -> Call[ApiResponse]:
    return _role_operation(service_name, deployment_name, role_name, START_ROLE, "start_role")


def restart_role(service_name: str, deployment_name: str, role_name: str) -> Call[ApiResponse]:
    return _role_operation(service_name, deployment_name, role_name, RESTART_ROLE, "restart_role")


def shutdown_role(
    service_name: str, deployment_name: str, role_name: str, post_shutdown_action: str = "Stopped"
) -> Call[ApiResponse]:
    action = v.one_of(post_shutdown_action, protocol.POST_SHUTDOWN_ACTIONS, "post_shutdown_action")
    return _role_operation(
        service_name, deployment_name, role_name, SHUTDOWN_ROLE, "shutdown_role", post_shutdown_action=action
    )
