"""Storage accounts and affinity groups (asm-wire 4.4, 4.5).

See ``models`` for the naming and parsing rules every model follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from airflow_sm_provider.client.models_compute import HostedService
from airflow_sm_provider.client.xmlmap import (
    B64,
    BOOL,
    DICT,
    LIST,
    MODEL,
    STRLIST,
    F,
    Spec,
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
