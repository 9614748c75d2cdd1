"""Virtual machines, deployments and hosted services (asm-wire 4.2, 4.3, 4.7).

See ``models`` for the naming and parsing rules every model follows.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any

from airflow_sm_provider.client.configsets import (
    ConfigurationSet,
    LinuxConfigurationSet,
    PublicIP,
    WindowsConfigurationSet,
)
from airflow_sm_provider.client.models_subscription import Certificate
from airflow_sm_provider.client.xmlmap import (
    B64,
)
from airflow_sm_provider.client.xmlmodel import ListOf, xml_field, xml_model

if TYPE_CHECKING:  # the list classes as mypy sees them (xmlmodel binds the names at run time)
    from airflow_sm_provider.client._list_types import (
        Certificates,
        ConfigurationSets,
        DataVirtualHardDisks,
        Deployments,
        InputEndpoints,
        InstanceEndpoints,
        PublicIPs,
        ResourceExtensionParameterValues,
        ResourceExtensionReferences,
        RoleInstanceList,
        RoleList,
        VirtualIPs,
    )


# --- Virtual machines (asm-wire 4.7) ------------------------------------------------------------
@xml_model(
    wire_order="host_caching disk_label disk_name media_link source_image_name os remote_source_image_link"
)
class OSVirtualHardDisk:
    """OS disk of a VM. Positional order is the old SDK's: ``OSVirtualHardDisk(image_name, media_link)``."""

    source_image_name: str | None = xml_field(default=None, absent=None)
    media_link: str | None = xml_field(default=None, absent=None)
    host_caching: str | None = xml_field(default=None, absent=None)
    disk_label: str | None = xml_field(default=None, absent=None)
    disk_name: str | None = xml_field(default=None, absent=None)
    os: str | None = xml_field("OS", default=None, absent=None)
    remote_source_image_link: str | None = xml_field(default=None, absent=None)
    io_type: str | None = xml_field("IOType", write=False, default=None)


@xml_model(
    wire_order="host_caching disk_label disk_name lun logical_disk_size_in_gb media_link source_media_link"
)
class DataVirtualHardDisk:
    """A data disk. Positional order is the old SDK's (``media_link`` first)."""

    media_link: str | None = None
    host_caching: str | None = xml_field(default=None, absent=None)
    disk_label: str | None = None
    disk_name: str | None = None
    lun: int = 0
    logical_disk_size_in_gb: int = xml_field("LogicalDiskSizeInGB", default=0)
    source_media_link: str | None = xml_field(default=None, absent=None)


@xml_model
class ResourceExtensionParameterValue:
    key: str | None = None
    value: str | None = None
    type: str | None = None


@xml_model
class ResourceExtensionReference:
    """A VM extension to install (input of create/add/update role); old SDK positional order."""

    reference_name: str | None = None
    publisher: str | None = None
    name: str | None = None
    version: str | None = None
    resource_extension_parameter_values: ListOf[
        ResourceExtensionParameterValues, ResourceExtensionParameterValue
    ] = xml_field(item="ResourceExtensionParameterValue", default_factory=list)
    state: str | None = xml_field(write=False, default=None)
    #: the old SDK's attribute (a ``Certificates`` list); it never sent it, nor do we
    certificates: ListOf[Certificates, Certificate] = xml_field(
        item="Certificate", write=False, default_factory=list
    )


#: ``i:type`` values of ConfigurationSet elements in responses -> class.
_CONFIG_SET_TYPES: dict[str, type] = {
    "NetworkConfigurationSet": ConfigurationSet,
    "LinuxProvisioningConfigurationSet": LinuxConfigurationSet,
    "WindowsProvisioningConfigurationSet": WindowsConfigurationSet,
}


@xml_model(list_type="RoleList")  # the old SDK's Deployment.role_list.roles
class Role:
    """A role of a deployment; for VMs also the request shape (documented child order)."""

    role_name: str = ""
    os_version: str = xml_field(write=False, default="")
    role_type: str = ""
    configuration_sets: ListOf[ConfigurationSets, Any] = xml_field(
        model=ConfigurationSet, item="ConfigurationSet", poly=_CONFIG_SET_TYPES, default_factory=list
    )
    resource_extension_references: ListOf[ResourceExtensionReferences, ResourceExtensionReference] = (
        xml_field(item="ResourceExtensionReference", default_factory=list)
    )
    vm_image_name: str | None = xml_field("VMImageName", default=None)
    media_location: str | None = None
    availability_set_name: str | None = None
    data_virtual_hard_disks: ListOf[DataVirtualHardDisks, DataVirtualHardDisk] = xml_field(
        default_factory=list
    )
    os_virtual_hard_disk: OSVirtualHardDisk | None = xml_field(
        "OSVirtualHardDisk", optional=True, default_factory=OSVirtualHardDisk
    )
    role_size: str | None = None
    provision_guest_agent: bool | None = None
    default_win_rm_certificate_thumbprint: str = xml_field(write=False, default="")


@xml_model
class PersistentVMRole(Role):
    """What Get Role returns (root element ``PersistentVMRole``)."""


# --- Deployments (asm-wire 4.3) ------------------------------------------------------------------
@xml_model
class InstanceEndpoint:
    name: str = ""
    vip: str = ""
    public_port: str = ""
    local_port: str = ""
    protocol: str = ""
    idle_timeout_in_minutes: int = 0


@xml_model(list_type="RoleInstanceList")  # the old SDK's Deployment.role_instance_list.role_instances
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
    instance_endpoints: ListOf[InstanceEndpoints, InstanceEndpoint] = xml_field(default_factory=list)
    power_state: str = ""
    host_name: str = ""
    remote_access_certificate_thumbprint: str = ""
    fqdn: str = xml_field("FQDN", default="")
    public_ips: ListOf[PublicIPs, PublicIP] = xml_field("PublicIPs", item="PublicIP", default_factory=list)


@xml_model
class UpgradeStatus:
    upgrade_type: str = ""
    current_upgrade_domain_state: str = ""
    current_upgrade_domain: str = ""  # text, as the old SDK parsed it ("1")


@xml_model
class PersistentVMDowntime:
    start_time: str = ""
    end_time: str = ""
    status: str = ""


PersistentVMDowntimeInfo = PersistentVMDowntime  # the old SDK's class name


@xml_model
class VirtualIP:
    address: str = ""
    is_dns_programmed: bool = False
    name: str = ""
    is_reserved: bool = False
    reserved_ip_name: str = xml_field("ReservedIPName", default="")
    type: str = ""


@xml_model
class InputEndpoint:
    role_name: str = ""
    vip: str = ""
    port: str = ""


@xml_model
class Deployment:
    name: str = ""
    deployment_slot: str = ""
    private_id: str = xml_field("PrivateID", default="")
    status: str = ""
    label: str = xml_field(kind=B64, default="")
    url: str = ""
    configuration: str = xml_field(kind=B64, default="")
    role_instance_list: ListOf[RoleInstanceList, RoleInstance] = xml_field(default_factory=list)
    upgrade_status: UpgradeStatus | None = xml_field(optional=True, default=None)
    upgrade_domain_count: str = ""  # text, as the old SDK parsed it ("2")
    role_list: ListOf[RoleList, Role] = xml_field(
        item="Role", poly={"PersistentVMRole": Role}, default_factory=list
    )
    sdk_version: str = ""
    input_endpoint_list: ListOf[InputEndpoints, InputEndpoint] = xml_field(default_factory=list)
    locked: bool = False
    rollback_allowed: bool = False
    created_time: str = ""
    last_modified_time: str = ""
    virtual_network_name: str = ""
    extended_properties: dict[str, str] = field(default_factory=dict)
    persistent_vm_downtime: PersistentVMDowntime | None = xml_field(
        "PersistentVMDowntime", optional=True, default=None
    )
    virtual_ips: ListOf[VirtualIPs, VirtualIP] = xml_field("VirtualIPs", default_factory=list)
    internal_dns_suffix: str = ""

    @property
    def persistent_vm_downtime_info(self) -> PersistentVMDowntime | None:
        """The old SDK's name (which it never filled: it looked for the wrong element)."""
        return self.persistent_vm_downtime


# --- Hosted services (asm-wire 4.2) -----------------------------------------------------------
@xml_model
class HostedServiceProperties:
    description: str = ""
    location: str = ""
    affinity_group: str = ""
    label: str = xml_field(kind=B64, default="")
    status: str = ""
    date_created: str = ""
    date_last_modified: str = ""
    extended_properties: dict[str, str] = field(default_factory=dict)


@xml_model
class HostedService:
    url: str = ""
    service_name: str = ""
    hosted_service_properties: HostedServiceProperties = field(default_factory=HostedServiceProperties)
    deployments: ListOf[Deployments, Deployment] = xml_field(item="Deployment", default_factory=list)
