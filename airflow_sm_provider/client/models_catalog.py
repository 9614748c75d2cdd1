"""Subscription, locations, the OS catalogue, OS images and small results (asm-wire 4.1, 4.6).

See ``models`` for the naming and parsing rules every model follows.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

from airflow_sm_provider.client.xmlmap import (
    B64,
)
from airflow_sm_provider.client.xmlmodel import ListOf, xml_field, xml_model

if TYPE_CHECKING:  # the list classes as mypy sees them (xmlmodel binds the names at run time)
    from airflow_sm_provider.client._list_types import OperatingSystems


# --- Subscription, locations, OS catalogue (asm-wire 4.1) --------------------------------------
@xml_model
class Subscription:
    subscription_id: str = xml_field("SubscriptionID", default="")
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
    aad_tenant_id: str = xml_field("AADTenantID", default="")
    created_time: str = ""
    max_reserved_ips: int = xml_field("MaxReservedIPs", default=0)
    current_reserved_ips: int = xml_field("CurrentReservedIPs", default=0)


@xml_model
class ComputeCapabilities:
    web_worker_role_sizes: list[str] = xml_field(item="RoleSize", default_factory=list)
    virtual_machines_role_sizes: list[str] = xml_field(item="RoleSize", default_factory=list)


@xml_model
class StorageCapabilities:
    storage_account_types: list[str] = xml_field(item="StorageAccountType", default_factory=list)


@xml_model
class Location:
    name: str = ""
    display_name: str = ""
    available_services: list[str] = xml_field(item="AvailableService", default_factory=list)
    compute_capabilities: ComputeCapabilities = field(default_factory=ComputeCapabilities)
    storage_capabilities: StorageCapabilities = field(default_factory=StorageCapabilities)


@xml_model
class OperatingSystem:
    version: str = ""
    label: str = xml_field(kind=B64, default="")
    is_default: bool = xml_field(default=False, absent=True)
    is_active: bool = xml_field(default=False, absent=True)
    family: int = 0
    #: None when absent, as in the old SDK: List OS Families' nested systems carry no FamilyLabel
    family_label: str | None = xml_field(kind=B64, default="", absent=None)


@xml_model
class OperatingSystemFamily:
    name: str = ""
    label: str = xml_field(kind=B64, default="")
    operating_systems: ListOf[OperatingSystems, OperatingSystem] = xml_field(
        item="OperatingSystem", default_factory=list
    )


# --- OS images (asm-wire 4.6) ----------------------------------------------------------------------
@xml_model(list_name="images")  # the old SDK's Images.images
class OSImage:
    """An OS image. Its ``Label`` is plain text on the wire (not base64), in both directions.

    Add OS Image sends the written fields ``Label, MediaLink, Name, OS``, in this order; the rest
    are server-filled (``write=False``).
    """

    affinity_group: str = xml_field(write=False, default="")
    category: str = xml_field(write=False, default="")
    label: str = ""
    location: str = xml_field(write=False, default="")
    logical_size_in_gb: int = xml_field("LogicalSizeInGB", write=False, default=0)
    media_link: str = ""
    name: str = ""
    os: str = xml_field("OS", default="")
    eula: str = xml_field(write=False, default="")
    description: str = xml_field(write=False, default="")
    image_family: str = xml_field(write=False, default="")
    show_in_gui: bool = xml_field(write=False, default=False, absent=True)  # user images have none
    published_date: str = xml_field(write=False, default="")
    is_premium: bool = xml_field(write=False, default=False, absent=True)
    icon_uri: str = xml_field(write=False, default="")
    privacy_uri: str = xml_field(write=False, default="")
    recommended_vm_size: str = xml_field("RecommendedVMSize", write=False, default="")
    publisher_name: str = xml_field(write=False, default="")
    pricing_detail_link: str = xml_field(write=False, default="")
    small_icon_uri: str = xml_field(write=False, default="")
    language: str = xml_field(write=False, default="")
    os_state: str = xml_field("OSState", write=False, default="")
    io_type: str = xml_field("IOType", write=False, default="")


# --- Small results -------------------------------------------------------------------------------
@xml_model
class AvailabilityResponse:
    result: bool = False
    reason: str = ""


@xml_model("Error")
class OperationError:
    code: str = ""
    message: str = ""


@xml_model
class Operation:
    """Get Operation Status. ``id`` comes from ``<ID>`` (dashed GUID); ``http_status_code`` is the
    old SDK's text (``'200'``; ``''`` while in progress), so a ported ``== '200'`` still holds.

    ``error`` is exactly the old SDK's: parsed, it is ``None`` unless ASM sent ``<Error>`` (only when
    Failed), so ``if op.error:`` and ``hasattr(op.error, "code")`` tell failure as ported code
    expects; a hand-built ``Operation()`` holds an empty ``OperationError``, as the old one did.
    """

    id: str = xml_field("ID", default="")
    status: str = ""
    http_status_code: str = ""
    error: OperationError | None = xml_field(optional=True, default_factory=OperationError)


@xml_model
class SubscriptionCertificate:
    subscription_certificate_public_key: str = ""
    subscription_certificate_thumbprint: str = ""
    subscription_certificate_data: str = ""
    created: str = xml_field(write=False, default="")
