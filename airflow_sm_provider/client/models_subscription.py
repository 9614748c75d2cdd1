"""Subscription-level results: certificates, the operation log, role sizes (asm-wire 1.4, 4.1).

Attribute names are the old SDK's (``azure.servicemanagement.models``); see ``models`` for the
parsing rules. Collections are lists that also answer to the old SDK's wrapper attribute
(``xmlmap.AliasList``), except where the old SDK returned an object with more than the list
(``SubscriptionOperationCollection`` carries a continuation token).
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

from airflow_sm_provider.client.xmlmodel import ListOf, xml_field, xml_model

if TYPE_CHECKING:  # the list classes as mypy sees them (xmlmodel binds the names at run time)
    from airflow_sm_provider.client._list_types import SubscriptionOperations


@xml_model
class Certificate:
    """A service certificate of a cloud service (List / Get Service Certificate)."""

    certificate_url: str = ""
    thumbprint: str = ""
    thumbprint_algorithm: str = ""
    data: str = ""


@xml_model
class OperationCaller:
    used_service_management_api: bool = False
    user_email_address: str = ""
    subscription_certificate_thumbprint: str = ""
    client_ip: str = xml_field("ClientIP", default="")


@xml_model("OperationStatus")
class SubscriptionOperationStatus:
    status_id: str = xml_field("ID", default="")
    status: str = ""
    http_status_code: int = 0


@xml_model
class SubscriptionOperation:
    """One entry of the subscription's operation log (List Subscription Operations)."""

    operation_id: str = ""
    operation_object_id: str = ""
    operation_name: str = ""
    operation_parameters: dict[str, str] = field(default_factory=dict)
    operation_caller: OperationCaller = field(default_factory=OperationCaller)
    operation_status: SubscriptionOperationStatus = field(default_factory=SubscriptionOperationStatus)
    operation_started_time: str = ""
    operation_completed_time: str = ""
    operation_kind: str = ""


@xml_model
class SubscriptionOperationCollection:
    """A page of the operation log; pass ``continuation_token`` back for the next page."""

    subscription_operations: ListOf[SubscriptionOperations, SubscriptionOperation] = xml_field(
        item="SubscriptionOperation", default_factory=list
    )
    continuation_token: str = ""


@xml_model
class RoleSize:
    name: str = ""
    label: str = ""
    cores: int = 0
    memory_in_mb: int = 0
    supported_by_web_worker_roles: bool = False
    supported_by_virtual_machines: bool = False
    max_data_disk_count: int = 0
    web_worker_resource_disk_size_in_mb: int = 0
    virtual_machine_resource_disk_size_in_mb: int = 0
