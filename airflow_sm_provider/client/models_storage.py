"""Storage accounts and affinity groups (asm-wire 4.4, 4.5).

See ``models`` for the naming and parsing rules every model follows.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

from airflow_sm_provider.client.models_compute import HostedService
from airflow_sm_provider.client.xmlmap import (
    B64,
)
from airflow_sm_provider.client.xmlmodel import ListOf, xml_field, xml_model

if TYPE_CHECKING:  # the list classes as mypy sees them (xmlmodel binds the names at run time)
    from airflow_sm_provider.client._list_types import HostedServices, StorageServices


# --- Storage (asm-wire 4.4) ----------------------------------------------------------------------
@xml_model
class StorageServiceProperties:
    description: str = ""
    affinity_group: str = ""
    location: str = ""
    label: str = xml_field(kind=B64, default="")
    status: str = ""
    endpoints: list[str] = xml_field(item="Endpoint", default_factory=list)
    geo_replication_enabled: bool = False
    geo_primary_region: str = ""
    status_of_primary: str = ""
    geo_secondary_region: str = ""
    status_of_secondary: str = ""
    last_geo_failover_time: str = ""
    creation_time: str = ""
    account_type: str = ""


StorageAccountProperties = StorageServiceProperties  # the old SDK's class name


@xml_model
class StorageServiceKeys:
    primary: str = field(default="", repr=False)
    secondary: str = field(default="", repr=False)


@xml_model
class StorageService:
    url: str = ""
    service_name: str = ""
    #: None when the response has none, as in the old SDK (Get Storage Account Keys sends no
    #: properties, Get Storage Account Properties and List Storage Accounts no keys)
    storage_service_properties: StorageServiceProperties | None = xml_field(
        optional=True, default_factory=StorageServiceProperties
    )
    storage_service_keys: StorageServiceKeys | None = xml_field(
        optional=True, default_factory=StorageServiceKeys
    )
    extended_properties: dict[str, str] = field(default_factory=dict)
    capabilities: list[str] = xml_field(item="Capability", default_factory=list)


# --- Affinity groups (asm-wire 4.5) ----------------------------------------------------------------
@xml_model
class AffinityGroup:
    name: str = ""
    label: str = xml_field(kind=B64, default="")
    description: str = ""
    location: str = ""
    hosted_services: ListOf[HostedServices, HostedService] = xml_field(
        item="HostedService", default_factory=list
    )
    storage_services: ListOf[StorageServices, StorageService] = xml_field(
        item="StorageService", default_factory=list
    )
    capabilities: list[str] = xml_field(item="Capability", default_factory=list)
    created_time: str = ""
