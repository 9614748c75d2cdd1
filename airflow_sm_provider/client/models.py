"""Typed results and inputs of the ASM client, named like azure-servicemanagement-legacy 0.20.8.

Attribute names are the old SDK's, so code written against ``azure.servicemanagement`` keeps working
(``hosted_service.hosted_service_properties.location``, ``deployment.role_instance_list[0].
instance_status``). Each class declares its XML in ``__xml__`` (see ``xmlmap``): field order there is
the documented request element order; parsing fills absent elements with ``""``/``0``/``False``/``[]``
like the old SDK, so ``'Location: ' + x.location`` never meets ``None``.

Deliberate differences from the old SDK (its parser bugs, asm-wire.md 5.3): ``Operation.id`` is
filled from ``<ID>``; ``Operation.http_status_code`` is an ``int`` (``None`` while in progress);
``AvailabilityResponse.reason`` is the server's text, not a bool; ``Deployment.persistent_vm_downtime``
is read from ``<PersistentVMDowntime>`` (the element the server sends). Collections are plain lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from airflow_sm_provider.client.configsets import (
    SSH,
    CertificateSetting,
    ConfigurationSet,
    ConfigurationSetInputEndpoint,
    Credentials,
    DomainJoin,
    KeyPair,
    LinuxConfigurationSet,
    Listener,
    LoadBalancerProbe,
    PublicKey,
    WindowsConfigurationSet,
    WinRM,
)
from airflow_sm_provider.client.xmlmap import (
    B64,
    BOOL,
    DICT,
    INT,
    LIST,
    MODEL,
    OPTINT,
    STRLIST,
    F,
    Spec,
)

__all__ = [
    "SSH",
    "AffinityGroup",
    "AvailabilityResponse",
    "CertificateSetting",
    "ComputeCapabilities",
    "ConfigurationSet",
    "ConfigurationSetInputEndpoint",
    "Credentials",
    "DataVirtualHardDisk",
    "Deployment",
    "DomainJoin",
    "HostedService",
    "HostedServiceProperties",
    "InputEndpoint",
    "InstanceEndpoint",
    "KeyPair",
    "LinuxConfigurationSet",
    "Listener",
    "LoadBalancerProbe",
    "Location",
    "OSImage",
    "OSVirtualHardDisk",
    "OperatingSystem",
    "OperatingSystemFamily",
    "Operation",
    "OperationError",
    "PersistentVMDowntime",
    "PersistentVMDowntimeInfo",
    "PersistentVMRole",
    "PublicKey",
    "Role",
    "RoleInstance",
    "StorageAccountProperties",
    "StorageCapabilities",
    "StorageService",
    "StorageServiceKeys",
    "StorageServiceProperties",
    "Subscription",
    "SubscriptionCertificate",
    "UpgradeStatus",
    "VirtualIP",
    "WinRM",
    "WindowsConfigurationSet",
]


# --- Subscription, locations, OS catalogue (asm-wire 4.1) --------------------------------------
@dataclass
class Subscription:
    subscription_id: str = ""
    subscription_name: str = ""
    subscription_status: str = ""
    account_admin_live_email_id: str = ""
    service_admin_live_email_id: str = ""
    max_core_count: int = 0
    max_storage_accounts: int = 0
    max_hosted_services: int = 0
    current_core_count: int = 0
    current_hosted_services: int = 0
    current_storage_accounts: int = 0
    max_virtual_network_sites: int = 0
    current_virtual_network_sites: int = 0
    max_local_network_sites: int = 0
    max_dns_servers: int = 0
    aad_tenant_id: str = ""
    created_time: str = ""
    max_reserved_ips: int = 0
    current_reserved_ips: int = 0

    __xml__: ClassVar[Spec] = Spec(
        "Subscription",
        [
            F("SubscriptionID", "subscription_id"),
            F("SubscriptionName", "subscription_name"),
            F("SubscriptionStatus", "subscription_status"),
            F("AccountAdminLiveEmailId", "account_admin_live_email_id"),
            F("ServiceAdminLiveEmailId", "service_admin_live_email_id"),
            F("MaxCoreCount", "max_core_count", INT),
            F("MaxStorageAccounts", "max_storage_accounts", INT),
            F("MaxHostedServices", "max_hosted_services", INT),
            F("CurrentCoreCount", "current_core_count", INT),
            F("CurrentHostedServices", "current_hosted_services", INT),
            F("CurrentStorageAccounts", "current_storage_accounts", INT),
            F("MaxVirtualNetworkSites", "max_virtual_network_sites", INT),
            F("CurrentVirtualNetworkSites", "current_virtual_network_sites", INT),
            F("MaxLocalNetworkSites", "max_local_network_sites", INT),
            F("MaxDnsServers", "max_dns_servers", INT),
            F("AADTenantID", "aad_tenant_id"),
            F("CreatedTime", "created_time"),
            F("MaxReservedIPs", "max_reserved_ips", INT),
            F("CurrentReservedIPs", "current_reserved_ips", INT),
        ],
    )


@dataclass
class ComputeCapabilities:
    web_worker_role_sizes: list[str] = field(default_factory=list)
    virtual_machines_role_sizes: list[str] = field(default_factory=list)

    __xml__: ClassVar[Spec] = Spec(
        "ComputeCapabilities",
        [
            F("WebWorkerRoleSizes", "web_worker_role_sizes", STRLIST, item="RoleSize"),
            F("VirtualMachinesRoleSizes", "virtual_machines_role_sizes", STRLIST, item="RoleSize"),
        ],
    )


@dataclass
class StorageCapabilities:
    storage_account_types: list[str] = field(default_factory=list)

    __xml__: ClassVar[Spec] = Spec(
        "StorageCapabilities",
        [F("StorageAccountTypes", "storage_account_types", STRLIST, item="StorageAccountType")],
    )


@dataclass
class Location:
    name: str = ""
    display_name: str = ""
    available_services: list[str] = field(default_factory=list)
    compute_capabilities: ComputeCapabilities = field(default_factory=ComputeCapabilities)
    storage_capabilities: StorageCapabilities = field(default_factory=StorageCapabilities)

    __xml__: ClassVar[Spec] = Spec(
        "Location",
        [
            F("Name", "name"),
            F("DisplayName", "display_name"),
            F("AvailableServices", "available_services", STRLIST, item="AvailableService"),
            F("ComputeCapabilities", "compute_capabilities", MODEL, ComputeCapabilities),
            F("StorageCapabilities", "storage_capabilities", MODEL, StorageCapabilities),
        ],
    )


@dataclass
class OperatingSystem:
    version: str = ""
    label: str = ""
    is_default: bool = False
    is_active: bool = False
    family: int = 0
    family_label: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "OperatingSystem",
        [
            F("Version", "version"),
            F("Label", "label", B64),
            F("IsDefault", "is_default", BOOL),
            F("IsActive", "is_active", BOOL),
            F("Family", "family", INT),
            F("FamilyLabel", "family_label", B64),
        ],
    )


@dataclass
class OperatingSystemFamily:
    name: str = ""
    label: str = ""
    operating_systems: list[OperatingSystem] = field(default_factory=list)

    __xml__: ClassVar[Spec] = Spec(
        "OperatingSystemFamily",
        [
            F("Name", "name"),
            F("Label", "label", B64),
            F("OperatingSystems", "operating_systems", LIST, OperatingSystem, item="OperatingSystem"),
        ],
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


# --- Storage (asm-wire 4.4) ----------------------------------------------------------------------
@dataclass
class StorageServiceProperties:
    description: str = ""
    affinity_group: str = ""
    location: str = ""
    label: str = ""
    status: str = ""
    endpoints: list[str] = field(default_factory=list)
    geo_replication_enabled: bool = False
    geo_primary_region: str = ""
    status_of_primary: str = ""
    geo_secondary_region: str = ""
    status_of_secondary: str = ""
    last_geo_failover_time: str = ""
    creation_time: str = ""
    account_type: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "StorageServiceProperties",
        [
            F("Description", "description"),
            F("AffinityGroup", "affinity_group"),
            F("Location", "location"),
            F("Label", "label", B64),
            F("Status", "status"),
            F("Endpoints", "endpoints", STRLIST, item="Endpoint"),
            F("GeoReplicationEnabled", "geo_replication_enabled", BOOL),
            F("GeoPrimaryRegion", "geo_primary_region"),
            F("StatusOfPrimary", "status_of_primary"),
            F("GeoSecondaryRegion", "geo_secondary_region"),
            F("StatusOfSecondary", "status_of_secondary"),
            F("LastGeoFailoverTime", "last_geo_failover_time"),
            F("CreationTime", "creation_time"),
            F("AccountType", "account_type"),
        ],
    )


StorageAccountProperties = StorageServiceProperties  # the old SDK's class name


@dataclass
class StorageServiceKeys:
    primary: str = field(default="", repr=False)
    secondary: str = field(default="", repr=False)

    __xml__: ClassVar[Spec] = Spec(
        "StorageServiceKeys", [F("Primary", "primary"), F("Secondary", "secondary")]
    )


@dataclass
class StorageService:
    url: str = ""
    service_name: str = ""
    storage_service_properties: StorageServiceProperties = field(default_factory=StorageServiceProperties)
    storage_service_keys: StorageServiceKeys = field(default_factory=StorageServiceKeys)
    extended_properties: dict[str, str] = field(default_factory=dict)
    capabilities: list[str] = field(default_factory=list)

    __xml__: ClassVar[Spec] = Spec(
        "StorageService",
        [
            F("Url", "url"),
            F("ServiceName", "service_name"),
            F("StorageServiceProperties", "storage_service_properties", MODEL, StorageServiceProperties),
            F("StorageServiceKeys", "storage_service_keys", MODEL, StorageServiceKeys),
            F("ExtendedProperties", "extended_properties", DICT),
            F("Capabilities", "capabilities", STRLIST, item="Capability"),
        ],
    )


# --- Affinity groups (asm-wire 4.5) ----------------------------------------------------------------
@dataclass
class AffinityGroup:
    name: str = ""
    label: str = ""
    description: str = ""
    location: str = ""
    hosted_services: list[HostedService] = field(default_factory=list)
    storage_services: list[StorageService] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    created_time: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "AffinityGroup",
        [
            F("Name", "name"),
            F("Label", "label", B64),
            F("Description", "description"),
            F("Location", "location"),
            F("HostedServices", "hosted_services", LIST, HostedService, item="HostedService"),
            F("StorageServices", "storage_services", LIST, StorageService, item="StorageService"),
            F("Capabilities", "capabilities", STRLIST, item="Capability"),
            F("CreatedTime", "created_time"),
        ],
    )


# --- OS images (asm-wire 4.6) ----------------------------------------------------------------------
@dataclass
class OSImage:
    """An OS image. Its ``Label`` is plain text on the wire (not base64), in both directions."""

    affinity_group: str = ""
    category: str = ""
    label: str = ""
    location: str = ""
    logical_size_in_gb: int = 0
    media_link: str = ""
    name: str = ""
    os: str = ""
    eula: str = ""
    description: str = ""
    image_family: str = ""
    show_in_gui: bool = False
    published_date: str = ""
    is_premium: bool = False
    icon_uri: str = ""
    privacy_uri: str = ""
    recommended_vm_size: str = ""
    publisher_name: str = ""
    pricing_detail_link: str = ""
    small_icon_uri: str = ""
    language: str = ""
    os_state: str = ""
    io_type: str = ""

    # Add OS Image sends {Label, MediaLink, Name, OS}: the writable fields, in response order.
    __xml__: ClassVar[Spec] = Spec(
        "OSImage",
        [
            F("AffinityGroup", "affinity_group", write=False),
            F("Category", "category", write=False),
            F("Label", "label"),
            F("Location", "location", write=False),
            F("LogicalSizeInGB", "logical_size_in_gb", INT, write=False),
            F("MediaLink", "media_link"),
            F("Name", "name"),
            F("OS", "os"),
            F("Eula", "eula", write=False),
            F("Description", "description", write=False),
            F("ImageFamily", "image_family", write=False),
            F("ShowInGui", "show_in_gui", BOOL, write=False),
            F("PublishedDate", "published_date", write=False),
            F("IsPremium", "is_premium", BOOL, write=False),
            F("IconUri", "icon_uri", write=False),
            F("PrivacyUri", "privacy_uri", write=False),
            F("RecommendedVMSize", "recommended_vm_size", write=False),
            F("PublisherName", "publisher_name", write=False),
            F("PricingDetailLink", "pricing_detail_link", write=False),
            F("SmallIconUri", "small_icon_uri", write=False),
            F("Language", "language", write=False),
            F("OSState", "os_state", write=False),
            F("IOType", "io_type", write=False),
        ],
    )


# --- Small results -------------------------------------------------------------------------------
@dataclass
class AvailabilityResponse:
    result: bool = False
    reason: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "AvailabilityResponse", [F("Result", "result", BOOL), F("Reason", "reason")]
    )


@dataclass
class OperationError:
    code: str = ""
    message: str = ""

    __xml__: ClassVar[Spec] = Spec("Error", [F("Code", "code"), F("Message", "message")])


@dataclass
class Operation:
    """Get Operation Status. ``id`` comes from ``<ID>`` (dashed GUID); ``error`` only when Failed."""

    id: str = ""
    status: str = ""
    http_status_code: int | None = None
    error: OperationError | None = None

    __xml__: ClassVar[Spec] = Spec(
        "Operation",
        [
            F("ID", "id"),
            F("Status", "status"),
            F("HttpStatusCode", "http_status_code", OPTINT),
            F("Error", "error", MODEL, OperationError, optional=True),
        ],
    )


@dataclass
class SubscriptionCertificate:
    subscription_certificate_public_key: str = ""
    subscription_certificate_thumbprint: str = ""
    subscription_certificate_data: str = ""
    created: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "SubscriptionCertificate",
        [
            F("SubscriptionCertificatePublicKey", "subscription_certificate_public_key"),
            F("SubscriptionCertificateThumbprint", "subscription_certificate_thumbprint"),
            F("SubscriptionCertificateData", "subscription_certificate_data"),
            F("Created", "created", write=False),
        ],
    )
