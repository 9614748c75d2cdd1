"""Subscription, locations, the OS catalogue, OS images and small results (asm-wire 4.1, 4.6).

See ``models`` for the naming and parsing rules every model follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from airflow_sm_provider.client.xmlmap import (
    B64,
    BOOL,
    INT,
    LIST,
    MODEL,
    OPTINT,
    STRLIST,
    F,
    Spec,
)


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
