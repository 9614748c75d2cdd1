"""Typed results and inputs of the ASM client, named like azure-servicemanagement-legacy 0.20.8.

Attribute names are the old SDK's, so code written against ``azure.servicemanagement`` keeps working
(``hosted_service.hosted_service_properties.location``, ``deployment.role_instance_list[0].
instance_status``). Each class is an ``@xml_model`` dataclass (see ``xmlmodel``): every attribute is
declared once, its field is its XML element, and the declaration order (or ``wire_order=`` where the
old SDK's positional order differs) is the documented request element order; an absent element
parses to the old SDK model's default (mostly ``""``/``0``/``False``, so ``'Location: ' +
x.location`` never meets ``None``; ``None``, ``True`` or ``4`` where the old default was that:
``xml_field(absent=...)``), numbers the old SDK kept as text stay text
(``Operation.http_status_code == '200'``), and an absent list is ``[]`` (the old SDK's ``None``).

Deliberate differences from the old SDK (its parser bugs, asm-wire.md 5.3; the whole list, each
with its reason, is ``ALLOWED`` in tests/client/test_result_parity.py): ``Operation.id`` is
filled from ``<ID>``; ``AvailabilityResponse.reason`` is the server's text, not a bool (the same
truth value); ``Deployment.persistent_vm_downtime`` is read from ``<PersistentVMDowntime>`` (the
element the server sends). Collections are lists
that also answer to the old SDK's wrapper attribute (``sms.list_hosted_services().hosted_services``,
``deployment.role_list.roles``: ``xmlmap.AliasList``, named by ``xmlmap.list_name_of``).

The models live in one module per resource family (``models_catalog``: subscription, locations,
OS catalogue and images, small results; ``models_compute``: VMs, deployments, hosted services;
``models_storage``: storage accounts, affinity groups; VM inputs in ``configsets``). This module
re-exports them all.
"""

from __future__ import annotations

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
from airflow_sm_provider.client.models_catalog import (
    AvailabilityResponse,
    ComputeCapabilities,
    Location,
    OperatingSystem,
    OperatingSystemFamily,
    Operation,
    OperationError,
    OSImage,
    StorageCapabilities,
    Subscription,
    SubscriptionCertificate,
)
from airflow_sm_provider.client.models_compute import (
    DataVirtualHardDisk,
    Deployment,
    HostedService,
    HostedServiceProperties,
    InputEndpoint,
    InstanceEndpoint,
    OSVirtualHardDisk,
    PersistentVMDowntime,
    PersistentVMDowntimeInfo,
    PersistentVMRole,
    Role,
    RoleInstance,
    UpgradeStatus,
    VirtualIP,
)
from airflow_sm_provider.client.models_storage import (
    AffinityGroup,
    StorageAccountProperties,
    StorageService,
    StorageServiceKeys,
    StorageServiceProperties,
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
