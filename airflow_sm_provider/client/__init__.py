"""The ASM client.

``from airflow_sm_provider.client import *`` ports ``from azure.servicemanagement import *``: only the
import line changes.

Imports no Airflow. The async client is loaded on first use (module ``__getattr__``) so that the
sync path never pays for it; httpx itself is only imported when an async client is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider.client.credentials import Credentials, load_credentials
from airflow_sm_provider.client.errors import (
    AsmError,
    AuthenticationError,
    BadRequestError,
    CertificateError,
    ConflictError,
    ExclusiveAccessError,
    InvalidInputError,
    InvalidResponseError,
    NotFoundError,
    OperationFailedError,
    OperationTimeoutError,
    ServerError,
    ThrottledError,
    TransportError,
)
from airflow_sm_provider.client.handle import OperationHandle
from airflow_sm_provider.client.models import (
    SSH,
    AffinityGroup,
    AvailabilityResponse,
    CertificateSetting,
    ConfigurationSet,
    ConfigurationSetInputEndpoint,
    DataVirtualHardDisk,
    Deployment,
    DomainJoin,
    HostedService,
    HostedServiceProperties,
    InstanceEndpoint,
    KeyPair,
    LinuxConfigurationSet,
    Listener,
    LoadBalancerProbe,
    Location,
    OperatingSystem,
    OperatingSystemFamily,
    Operation,
    OperationError,
    OSImage,
    OSVirtualHardDisk,
    PersistentVMDowntime,
    PersistentVMRole,
    PublicKey,
    Role,
    RoleInstance,
    StorageService,
    StorageServiceKeys,
    StorageServiceProperties,
    Subscription,
    VirtualIP,
    WindowsConfigurationSet,
    WinRM,
)
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.service import ServiceManagementClient, ServiceManagementService

if TYPE_CHECKING:
    from airflow_sm_provider.client.aio import AsyncServiceManagementClient

__all__ = [
    "SSH",
    "AffinityGroup",
    "AsmError",
    "AsyncServiceManagementClient",
    "AuthenticationError",
    "AvailabilityResponse",
    "BadRequestError",
    "CertificateError",
    "CertificateSetting",
    "ConfigurationSet",
    "ConfigurationSetInputEndpoint",
    "ConflictError",
    "Credentials",
    "DataVirtualHardDisk",
    "Deployment",
    "DomainJoin",
    "ExclusiveAccessError",
    "HostedService",
    "HostedServiceProperties",
    "InstanceEndpoint",
    "InvalidInputError",
    "InvalidResponseError",
    "KeyPair",
    "LinuxConfigurationSet",
    "Listener",
    "LoadBalancerProbe",
    "Location",
    "NotFoundError",
    "OSImage",
    "OSVirtualHardDisk",
    "OperatingSystem",
    "OperatingSystemFamily",
    "Operation",
    "OperationError",
    "OperationFailedError",
    "OperationHandle",
    "OperationTimeoutError",
    "PersistentVMDowntime",
    "PersistentVMRole",
    "PublicKey",
    "RetryPolicy",
    "Role",
    "RoleInstance",
    "ServerError",
    "ServiceManagementClient",
    "ServiceManagementService",
    "StorageService",
    "StorageServiceKeys",
    "StorageServiceProperties",
    "Subscription",
    "ThrottledError",
    "TransportError",
    "VirtualIP",
    "WinRM",
    "WindowsConfigurationSet",
    "load_credentials",
]


def __getattr__(name: str) -> Any:
    if name == "AsyncServiceManagementClient":
        from airflow_sm_provider.client.aio import AsyncServiceManagementClient

        return AsyncServiceManagementClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
