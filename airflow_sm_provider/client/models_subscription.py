"""Subscription-level results: certificates, the operation log, role sizes (asm-wire 1.4, 4.1).

Attribute names are the old SDK's (``azure.servicemanagement.models``); see ``models`` for the
parsing rules. Collections are plain lists, except where the old SDK returned an object with more
than the list (``SubscriptionOperationCollection`` carries a continuation token).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from airflow_sm_provider.client.xmlmap import BOOL, DICT, INT, LIST, MODEL, F, Spec


@dataclass
class Certificate:
    """A service certificate of a cloud service (List / Get Service Certificate)."""

    certificate_url: str = ""
    thumbprint: str = ""
    thumbprint_algorithm: str = ""
    data: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "Certificate",
        [
            F("CertificateUrl", "certificate_url"),
            F("Thumbprint", "thumbprint"),
            F("ThumbprintAlgorithm", "thumbprint_algorithm"),
            F("Data", "data"),
        ],
    )


@dataclass
class OperationCaller:
    used_service_management_api: bool = False
    user_email_address: str = ""
    subscription_certificate_thumbprint: str = ""
    client_ip: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "OperationCaller",
        [
            F("UsedServiceManagementApi", "used_service_management_api", BOOL),
            F("UserEmailAddress", "user_email_address"),
            F("SubscriptionCertificateThumbprint", "subscription_certificate_thumbprint"),
            F("ClientIP", "client_ip"),
        ],
    )


@dataclass
class SubscriptionOperationStatus:
    status_id: str = ""
    status: str = ""
    http_status_code: int = 0

    __xml__: ClassVar[Spec] = Spec(
        "OperationStatus",
        [F("ID", "status_id"), F("Status", "status"), F("HttpStatusCode", "http_status_code", INT)],
    )


@dataclass
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

    __xml__: ClassVar[Spec] = Spec(
        "SubscriptionOperation",
        [
            F("OperationId", "operation_id"),
            F("OperationObjectId", "operation_object_id"),
            F("OperationName", "operation_name"),
            F("OperationParameters", "operation_parameters", DICT),
            F("OperationCaller", "operation_caller", MODEL, OperationCaller),
            F("OperationStatus", "operation_status", MODEL, SubscriptionOperationStatus),
            F("OperationStartedTime", "operation_started_time"),
            F("OperationCompletedTime", "operation_completed_time"),
            F("OperationKind", "operation_kind"),
        ],
    )


@dataclass
class SubscriptionOperationCollection:
    """A page of the operation log; pass ``continuation_token`` back for the next page."""

    subscription_operations: list[SubscriptionOperation] = field(default_factory=list)
    continuation_token: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "SubscriptionOperationCollection",
        [
            F(
                "SubscriptionOperations",
                "subscription_operations",
                LIST,
                SubscriptionOperation,
                item="SubscriptionOperation",
            ),
            F("ContinuationToken", "continuation_token"),
        ],
    )


@dataclass
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

    __xml__: ClassVar[Spec] = Spec(
        "RoleSize",
        [
            F("Name", "name"),
            F("Label", "label"),
            F("Cores", "cores", INT),
            F("MemoryInMb", "memory_in_mb", INT),
            F("SupportedByWebWorkerRoles", "supported_by_web_worker_roles", BOOL),
            F("SupportedByVirtualMachines", "supported_by_virtual_machines", BOOL),
            F("MaxDataDiskCount", "max_data_disk_count", INT),
            F("WebWorkerResourceDiskSizeInMb", "web_worker_resource_disk_size_in_mb", INT),
            F("VirtualMachineResourceDiskSizeInMb", "virtual_machine_resource_disk_size_in_mb", INT),
        ],
    )
