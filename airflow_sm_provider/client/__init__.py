"""The ASM client.

``from airflow_sm_provider.client import *`` ports ``from azure.servicemanagement import *``: only the
import line changes.

Imports no Airflow, and nothing at all until a name is used: every export is resolved on first
access (PEP 562 module ``__getattr__``; star-imports go through it too). Operators import
``client.validation`` while a DAG file is parsed, and that must not pull in requests, lxml,
cryptography or httpx (issue 6: parse cost under 50 ms).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_sm_provider.client.aio import AsyncServiceManagementClient
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

#: export name -> submodule of airflow_sm_provider.client that defines it
_EXPORTS: dict[str, str] = {
    "AffinityGroup": "models",
    "AsmError": "errors",
    "AsyncServiceManagementClient": "aio",
    "AuthenticationError": "errors",
    "AvailabilityResponse": "models",
    "BadRequestError": "errors",
    "CertificateError": "errors",
    "CertificateSetting": "models",
    "ConfigurationSet": "models",
    "ConfigurationSetInputEndpoint": "models",
    "ConflictError": "errors",
    "Credentials": "credentials",
    "DataVirtualHardDisk": "models",
    "Deployment": "models",
    "DomainJoin": "models",
    "ExclusiveAccessError": "errors",
    "HostedService": "models",
    "HostedServiceProperties": "models",
    "InstanceEndpoint": "models",
    "InvalidInputError": "errors",
    "InvalidResponseError": "errors",
    "KeyPair": "models",
    "LinuxConfigurationSet": "models",
    "Listener": "models",
    "LoadBalancerProbe": "models",
    "Location": "models",
    "NotFoundError": "errors",
    "OSImage": "models",
    "OSVirtualHardDisk": "models",
    "OperatingSystem": "models",
    "OperatingSystemFamily": "models",
    "Operation": "models",
    "OperationError": "models",
    "OperationFailedError": "errors",
    "OperationHandle": "handle",
    "OperationTimeoutError": "errors",
    "PersistentVMDowntime": "models",
    "PersistentVMRole": "models",
    "PublicKey": "models",
    "RetryPolicy": "retry",
    "Role": "models",
    "RoleInstance": "models",
    "SSH": "models",
    "ServerError": "errors",
    "ServiceManagementClient": "service",
    "ServiceManagementService": "service",
    "StorageService": "models",
    "StorageServiceKeys": "models",
    "StorageServiceProperties": "models",
    "Subscription": "models",
    "ThrottledError": "errors",
    "TransportError": "errors",
    "VirtualIP": "models",
    "WinRM": "models",
    "WindowsConfigurationSet": "models",
    "load_credentials": "credentials",
}

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
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
