"""Virtual machines, deployments and hosted services (asm-wire 4.2, 4.3, 4.7).

See ``models`` for the naming and parsing rules every model follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from airflow_sm_provider.client.configsets import (
    ConfigurationSet,
    LinuxConfigurationSet,
    PublicIP,
    WindowsConfigurationSet,
)
from airflow_sm_provider.client.xmlmap import (
    B64,
    BOOL,
    DICT,
    INT,
    LIST,
    MODEL,
    F,
    Spec,
)


# --- Virtual machines (asm-wire 4.7) ------------------------------------------------------------
@dataclass
class OSVirtualHardDisk:
    """OS disk of a VM. Positional order is the old SDK's: ``OSVirtualHardDisk(image_name, media_link)``."""

    source_image_name: str | None = None
    media_link: str | None = None
    host_caching: str | None = None
    disk_label: str | None = None
    disk_name: str | None = None
    os: str | None = None
    remote_source_image_link: str | None = None
    io_type: str | None = None

    __xml__: ClassVar[Spec] = Spec(
        "OSVirtualHardDisk",
        [
            F("HostCaching", "host_caching"),
            F("DiskLabel", "disk_label"),
            F("DiskName", "disk_name"),
            F("MediaLink", "media_link"),
            F("SourceImageName", "source_image_name"),
            F("OS", "os"),
            F("RemoteSourceImageLink", "remote_source_image_link"),
            F("IOType", "io_type", write=False),
        ],
    )


@dataclass
class DataVirtualHardDisk:
    """A data disk. Positional order is the old SDK's (``media_link`` first)."""

    media_link: str | None = None
    host_caching: str | None = None
    disk_label: str | None = None
    disk_name: str | None = None
    lun: int = 0
    logical_disk_size_in_gb: int = 0
    source_media_link: str | None = None

    __xml__: ClassVar[Spec] = Spec(
        "DataVirtualHardDisk",
        [
            F("HostCaching", "host_caching"),
            F("DiskLabel", "disk_label"),
            F("DiskName", "disk_name"),
            F("Lun", "lun", INT),
            F("LogicalDiskSizeInGB", "logical_disk_size_in_gb", INT),
            F("MediaLink", "media_link"),
            F("SourceMediaLink", "source_media_link"),
        ],
    )


@dataclass
class ResourceExtensionParameterValue:
    key: str | None = None
    value: str | None = None
    type: str | None = None

    __xml__: ClassVar[Spec] = Spec(
        "ResourceExtensionParameterValue", [F("Key", "key"), F("Value", "value"), F("Type", "type")]
    )


@dataclass
class ResourceExtensionReference:
    """A VM extension to install (input of create/add/update role); old SDK positional order."""

    reference_name: str | None = None
    publisher: str | None = None
    name: str | None = None
    version: str | None = None
    resource_extension_parameter_values: list[ResourceExtensionParameterValue] = field(default_factory=list)
    state: str | None = None

    __xml__: ClassVar[Spec] = Spec(
        "ResourceExtensionReference",
        [
            F("ReferenceName", "reference_name"),
            F("Publisher", "publisher"),
            F("Name", "name"),
            F("Version", "version"),
            F(
                "ResourceExtensionParameterValues",
                "resource_extension_parameter_values",
                LIST,
                ResourceExtensionParameterValue,
                item="ResourceExtensionParameterValue",
            ),
            F("State", "state", read=True, write=False),
        ],
    )


#: ``i:type`` values of ConfigurationSet elements in responses -> class.
_CONFIG_SET_TYPES: dict[str, type] = {
    "NetworkConfigurationSet": ConfigurationSet,
    "LinuxProvisioningConfigurationSet": LinuxConfigurationSet,
    "WindowsProvisioningConfigurationSet": WindowsConfigurationSet,
}


@dataclass
class Role:
    """A role of a deployment; for VMs also the request shape (documented child order)."""

    role_name: str = ""
    os_version: str = ""
    role_type: str = ""
    configuration_sets: list[Any] = field(default_factory=list)
    resource_extension_references: list[ResourceExtensionReference] = field(default_factory=list)
    vm_image_name: str | None = None
    media_location: str | None = None
    availability_set_name: str | None = None
    data_virtual_hard_disks: list[DataVirtualHardDisk] = field(default_factory=list)
    os_virtual_hard_disk: OSVirtualHardDisk | None = field(default_factory=OSVirtualHardDisk)
    role_size: str | None = None
    provision_guest_agent: bool | None = None
    default_win_rm_certificate_thumbprint: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "Role",
        [
            F("RoleName", "role_name"),
            F("OsVersion", "os_version", write=False),
            F("RoleType", "role_type"),
            F(
                "ConfigurationSets",
                "configuration_sets",
                LIST,
                ConfigurationSet,
                item="ConfigurationSet",
                poly=_CONFIG_SET_TYPES,
            ),
            F(
                "ResourceExtensionReferences",
                "resource_extension_references",
                LIST,
                ResourceExtensionReference,
                item="ResourceExtensionReference",
            ),
            F("VMImageName", "vm_image_name"),
            F("MediaLocation", "media_location"),
            F("AvailabilitySetName", "availability_set_name"),
            F("DataVirtualHardDisks", "data_virtual_hard_disks", LIST, DataVirtualHardDisk),
            F("OSVirtualHardDisk", "os_virtual_hard_disk", MODEL, OSVirtualHardDisk, optional=True),
            F("RoleSize", "role_size"),
            F("ProvisionGuestAgent", "provision_guest_agent", BOOL),
            F("DefaultWinRmCertificateThumbprint", "default_win_rm_certificate_thumbprint", write=False),
        ],
    )


@dataclass
class PersistentVMRole(Role):
    """What Get Role returns (root element ``PersistentVMRole``)."""

    __xml__: ClassVar[Spec] = Spec("PersistentVMRole", Role.__xml__.fields)


# --- Deployments (asm-wire 4.3) ------------------------------------------------------------------
@dataclass
class InstanceEndpoint:
    name: str = ""
    vip: str = ""
    public_port: str = ""
    local_port: str = ""
    protocol: str = ""
    idle_timeout_in_minutes: int = 0

    __xml__: ClassVar[Spec] = Spec(
        "InstanceEndpoint",
        [
            F("Name", "name"),
            F("Vip", "vip"),
            F("PublicPort", "public_port"),
            F("LocalPort", "local_port"),
            F("Protocol", "protocol"),
            F("IdleTimeoutInMinutes", "idle_timeout_in_minutes", INT),
        ],
    )


@dataclass
class RoleInstance:
    role_name: str = ""
    instance_name: str = ""
    instance_status: str = ""
    instance_upgrade_domain: int = 0
    instance_fault_domain: int = 0
    instance_size: str = ""
    instance_state_details: str = ""
    instance_error_code: str = ""
    ip_address: str = ""
    instance_endpoints: list[InstanceEndpoint] = field(default_factory=list)
    power_state: str = ""
    host_name: str = ""
    remote_access_certificate_thumbprint: str = ""
    fqdn: str = ""
    public_ips: list[PublicIP] = field(default_factory=list)

    __xml__: ClassVar[Spec] = Spec(
        "RoleInstance",
        [
            F("RoleName", "role_name"),
            F("InstanceName", "instance_name"),
            F("InstanceStatus", "instance_status"),
            F("InstanceUpgradeDomain", "instance_upgrade_domain", INT),
            F("InstanceFaultDomain", "instance_fault_domain", INT),
            F("InstanceSize", "instance_size"),
            F("InstanceStateDetails", "instance_state_details"),
            F("InstanceErrorCode", "instance_error_code"),
            F("IpAddress", "ip_address"),
            F("InstanceEndpoints", "instance_endpoints", LIST, InstanceEndpoint),
            F("PowerState", "power_state"),
            F("HostName", "host_name"),
            F("RemoteAccessCertificateThumbprint", "remote_access_certificate_thumbprint"),
            F("FQDN", "fqdn"),
            F("PublicIPs", "public_ips", LIST, PublicIP, item="PublicIP"),
        ],
    )


@dataclass
class UpgradeStatus:
    upgrade_type: str = ""
    current_upgrade_domain_state: str = ""
    current_upgrade_domain: int = 0

    __xml__: ClassVar[Spec] = Spec(
        "UpgradeStatus",
        [
            F("UpgradeType", "upgrade_type"),
            F("CurrentUpgradeDomainState", "current_upgrade_domain_state"),
            F("CurrentUpgradeDomain", "current_upgrade_domain", INT),
        ],
    )


@dataclass
class PersistentVMDowntime:
    start_time: str = ""
    end_time: str = ""
    status: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "PersistentVMDowntime",
        [F("StartTime", "start_time"), F("EndTime", "end_time"), F("Status", "status")],
    )


PersistentVMDowntimeInfo = PersistentVMDowntime  # the old SDK's class name


@dataclass
class VirtualIP:
    address: str = ""
    is_dns_programmed: bool = False
    name: str = ""
    is_reserved: bool = False
    reserved_ip_name: str = ""
    type: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "VirtualIP",
        [
            F("Address", "address"),
            F("IsDnsProgrammed", "is_dns_programmed", BOOL),
            F("Name", "name"),
            F("IsReserved", "is_reserved", BOOL),
            F("ReservedIPName", "reserved_ip_name"),
            F("Type", "type"),
        ],
    )


@dataclass
class InputEndpoint:
    role_name: str = ""
    vip: str = ""
    port: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "InputEndpoint", [F("RoleName", "role_name"), F("Vip", "vip"), F("Port", "port")]
    )


@dataclass
class Deployment:
    name: str = ""
    deployment_slot: str = ""
    private_id: str = ""
    status: str = ""
    label: str = ""
    url: str = ""
    configuration: str = ""
    role_instance_list: list[RoleInstance] = field(default_factory=list)
    upgrade_status: UpgradeStatus | None = None
    upgrade_domain_count: int = 0
    role_list: list[Role] = field(default_factory=list)
    sdk_version: str = ""
    input_endpoint_list: list[InputEndpoint] = field(default_factory=list)
    locked: bool = False
    rollback_allowed: bool = False
    created_time: str = ""
    last_modified_time: str = ""
    virtual_network_name: str = ""
    extended_properties: dict[str, str] = field(default_factory=dict)
    persistent_vm_downtime: PersistentVMDowntime | None = None
    virtual_ips: list[VirtualIP] = field(default_factory=list)
    internal_dns_suffix: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "Deployment",
        [
            F("Name", "name"),
            F("DeploymentSlot", "deployment_slot"),
            F("PrivateID", "private_id"),
            F("Status", "status"),
            F("Label", "label", B64),
            F("Url", "url"),
            F("Configuration", "configuration", B64),
            F("RoleInstanceList", "role_instance_list", LIST, RoleInstance),
            F("UpgradeStatus", "upgrade_status", MODEL, UpgradeStatus, optional=True),
            F("UpgradeDomainCount", "upgrade_domain_count", INT),
            F("RoleList", "role_list", LIST, Role, item="Role", poly={"PersistentVMRole": Role}),
            F("SdkVersion", "sdk_version"),
            F("InputEndpointList", "input_endpoint_list", LIST, InputEndpoint),
            F("Locked", "locked", BOOL),
            F("RollbackAllowed", "rollback_allowed", BOOL),
            F("CreatedTime", "created_time"),
            F("LastModifiedTime", "last_modified_time"),
            F("VirtualNetworkName", "virtual_network_name"),
            F("ExtendedProperties", "extended_properties", DICT),
            F("PersistentVMDowntime", "persistent_vm_downtime", MODEL, PersistentVMDowntime, optional=True),
            F("VirtualIPs", "virtual_ips", LIST, VirtualIP),
            F("InternalDnsSuffix", "internal_dns_suffix"),
        ],
    )

    @property
    def persistent_vm_downtime_info(self) -> PersistentVMDowntime | None:
        """The old SDK's name (which it never filled: it looked for the wrong element)."""
        return self.persistent_vm_downtime


# --- Hosted services (asm-wire 4.2) -----------------------------------------------------------
@dataclass
class HostedServiceProperties:
    description: str = ""
    location: str = ""
    affinity_group: str = ""
    label: str = ""
    status: str = ""
    date_created: str = ""
    date_last_modified: str = ""
    extended_properties: dict[str, str] = field(default_factory=dict)

    __xml__: ClassVar[Spec] = Spec(
        "HostedServiceProperties",
        [
            F("Description", "description"),
            F("Location", "location"),
            F("AffinityGroup", "affinity_group"),
            F("Label", "label", B64),
            F("Status", "status"),
            F("DateCreated", "date_created"),
            F("DateLastModified", "date_last_modified"),
            F("ExtendedProperties", "extended_properties", DICT),
        ],
    )


@dataclass
class HostedService:
    url: str = ""
    service_name: str = ""
    hosted_service_properties: HostedServiceProperties = field(default_factory=HostedServiceProperties)
    deployments: list[Deployment] = field(default_factory=list)

    __xml__: ClassVar[Spec] = Spec(
        "HostedService",
        [
            F("Url", "url"),
            F("ServiceName", "service_name"),
            F("HostedServiceProperties", "hosted_service_properties", MODEL, HostedServiceProperties),
            F("Deployments", "deployments", LIST, Deployment, item="Deployment"),
        ],
    )
