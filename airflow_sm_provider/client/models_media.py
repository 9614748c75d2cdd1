"""Disks, VM images, OS image details and resource extensions (asm-wire 4.6, 4.7).

Attribute names are the old SDK's (``azure.servicemanagement.models``); see ``models`` for the
parsing rules. Input models (``VMImage``, ``CaptureRoleAsVMImage``) default to ``None`` so that a
request carries only what the caller set, as the old serializer did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_sm_provider.client.models_catalog import OSImage
from airflow_sm_provider.client.xmlmap import spec_of
from airflow_sm_provider.client.xmlmodel import ListOf, subset, values_of, view, xml_field, xml_model

if TYPE_CHECKING:  # the list classes as mypy sees them (xmlmodel binds the names at run time)
    from airflow_sm_provider.client._list_types import DataDiskConfigurations, ReplicationProgress


@xml_model
class AttachedTo:
    hosted_service_name: str = ""
    deployment_name: str = ""
    role_name: str = ""


@xml_model
class Disk:
    affinity_group: str = ""
    attached_to: AttachedTo | None = xml_field(optional=True, default=None)
    has_operating_system: str = ""
    is_corrupted: str = ""
    location: str = ""
    logical_disk_size_in_gb: int = xml_field("LogicalDiskSizeInGB", default=0)
    label: str = ""
    media_link: str = ""
    name: str = ""
    os: str = xml_field("OS", default="")
    source_image_name: str = ""


@xml_model
class OSDiskConfiguration:
    name: str | None = xml_field(write=False, default=None, absent=None)
    host_caching: str | None = xml_field(default=None, absent=None)
    os_state: str | None = xml_field("OSState", default=None, absent=None)
    os: str | None = xml_field("OS", default=None, absent=None)
    media_link: str | None = xml_field(default=None, absent=None)
    logical_disk_size_in_gb: int | None = xml_field(
        "LogicalDiskSizeInGB", write=False, default=None, absent=-1
    )


@xml_model
class DataDiskConfiguration:
    name: str | None = xml_field(write=False, default=None, absent=None)
    host_caching: str | None = xml_field(default=None, absent=None)
    lun: int | None = xml_field(default=None, absent=-1)
    media_link: str | None = xml_field(default=None, absent=None)
    logical_disk_size_in_gb: int | None = xml_field("LogicalDiskSizeInGB", default=None, absent=-1)


@xml_model
class VMImage:
    """A VM image (OS disk plus data disks): the result of List VM Images and the input of create."""

    name: str | None = xml_field(default=None, absent=None)
    label: str | None = xml_field(default=None, absent=None)
    description: str | None = xml_field(default=None, absent=None)  # before category: VMImage(n, l, d)
    category: str | None = xml_field(write=False, default=None, absent=None)
    os_disk_configuration: OSDiskConfiguration = xml_field(
        "OSDiskConfiguration", default_factory=OSDiskConfiguration
    )
    data_disk_configurations: ListOf[DataDiskConfigurations, DataDiskConfiguration] = xml_field(
        item="DataDiskConfiguration", default_factory=list
    )
    service_name: str | None = xml_field(write=False, default=None, absent=None)
    deployment_name: str | None = xml_field(write=False, default=None, absent=None)
    role_name: str | None = xml_field(write=False, default=None, absent=None)
    location: str | None = xml_field(write=False, default=None, absent=None)
    affinity_group: str | None = xml_field(write=False, default=None, absent=None)
    created_time: str | None = xml_field(write=False, default=None, absent=None)
    modified_time: str | None = xml_field(write=False, default=None, absent=None)
    language: str | None = xml_field(default=None, absent=None)
    image_family: str | None = xml_field(default=None, absent=None)
    recommended_vm_size: str | None = xml_field("RecommendedVMSize", default=None, absent=None)
    is_premium: bool = xml_field(write=False, default=False)
    eula: str | None = xml_field(default=None, absent=None)
    icon_uri: str | None = xml_field(default=None, absent=None)
    small_icon_uri: str | None = xml_field(default=None, absent=None)
    privacy_uri: str | None = xml_field(default=None, absent=None)
    publisher_name: str | None = xml_field(write=False, default=None, absent=None)
    published_date: str | None = xml_field(default=None, absent=None)
    show_in_gui: bool = False  # the old SDK sends <ShowInGui>false</ShowInGui> by default
    pricing_detail_link: str | None = xml_field(write=False, default=None, absent=None)


#: The disks as Update VM Image sends them: the OS disk's host caching, data disks by name.
_OSDiskUpdate = view(OSDiskConfiguration, "host_caching")
_DataDiskUpdate = view(DataDiskConfiguration, "name", "host_caching", "lun")

#: Update VM Image: label, description, host caching of the disks, and the descriptive tail.
UPDATE_VM_IMAGE = subset(
    VMImage,
    "label",
    "description",
    "os_disk_configuration",
    "data_disk_configurations",
    "language",
    "image_family",
    "recommended_vm_size",
    "eula",
    "icon_uri",
    "small_icon_uri",
    "privacy_uri",
    "published_date",
    "show_in_gui",
    models={"os_disk_configuration": _OSDiskUpdate, "data_disk_configurations": _DataDiskUpdate},
)


def vm_image_update(image: VMImage) -> dict[str, object]:
    """The source of an Update VM Image body (a list's items are written by their own class)."""
    source = values_of(UPDATE_VM_IMAGE, image)
    source["os_disk_configuration"] = _OSDiskUpdate(
        **values_of(spec_of(_OSDiskUpdate), image.os_disk_configuration)
    )
    source["data_disk_configurations"] = [
        _DataDiskUpdate(**values_of(spec_of(_DataDiskUpdate), d))
        for d in (image.data_disk_configurations or [])
    ]
    return source


@xml_model
class CaptureRoleAsVMImage:
    """Options of ``capture_vm_image`` (old SDK positional order = the request's element order)."""

    os_state: str | None = xml_field("OSState", default=None)
    vm_image_name: str | None = xml_field("VMImageName", default=None)
    vm_image_label: str | None = xml_field("VMImageLabel", default=None)
    description: str | None = None
    language: str | None = None
    image_family: str | None = None
    recommended_vm_size: str | None = xml_field("RecommendedVMSize", default=None)


@xml_model(list_type="ReplicationProgress")  # the old SDK's .replication_progress_elements
class ReplicationProgressElement:
    location: str = ""
    progress: int = 0


@xml_model
class ResourceExtension:
    publisher: str = ""
    name: str = ""
    version: str = ""
    label: str = ""
    description: str = ""
    public_configuration_schema: str = ""
    private_configuration_schema: str = ""
    sample_config: str = ""
    replication_completed: bool = False
    eula: str = ""
    privacy_uri: str = ""
    homepage_uri: str = ""
    is_json_extension: bool = False
    is_internal_extension: bool = False
    disallow_major_version_upgrade: bool = False
    company_name: str = ""
    supported_os: str = xml_field("SupportedOS", default="")
    published_date: str = ""


@xml_model
class OSImageDetails(OSImage):
    """Get OS Image Details: the image plus its replication progress per region."""

    replication_progress: ListOf[ReplicationProgress, ReplicationProgressElement] = xml_field(
        item="ReplicationProgressElement", default_factory=list
    )
