"""Disks, VM images, OS image details and resource extensions (asm-wire 4.6, 4.7).

Attribute names are the old SDK's (``azure.servicemanagement.models``); see ``models`` for the
parsing rules. Input models (``VMImage``, ``CaptureRoleAsVMImage``) default to ``None`` so that a
request carries only what the caller set, as the old serializer did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from airflow_sm_provider.client.models_catalog import OSImage
from airflow_sm_provider.client.xmlmap import BOOL, INT, LIST, MODEL, F, Spec


@dataclass
class AttachedTo:
    hosted_service_name: str = ""
    deployment_name: str = ""
    role_name: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "AttachedTo",
        [
            F("HostedServiceName", "hosted_service_name"),
            F("DeploymentName", "deployment_name"),
            F("RoleName", "role_name"),
        ],
    )


@dataclass
class Disk:
    affinity_group: str = ""
    attached_to: AttachedTo | None = None
    has_operating_system: str = ""
    is_corrupted: str = ""
    location: str = ""
    logical_disk_size_in_gb: int = 0
    label: str = ""
    media_link: str = ""
    name: str = ""
    os: str = ""
    source_image_name: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "Disk",
        [
            F("AffinityGroup", "affinity_group"),
            F("AttachedTo", "attached_to", MODEL, AttachedTo, optional=True),
            F("HasOperatingSystem", "has_operating_system"),
            F("IsCorrupted", "is_corrupted"),
            F("Location", "location"),
            F("LogicalDiskSizeInGB", "logical_disk_size_in_gb", INT),
            F("Label", "label"),
            F("MediaLink", "media_link"),
            F("Name", "name"),
            F("OS", "os"),
            F("SourceImageName", "source_image_name"),
        ],
    )


@dataclass
class OSDiskConfiguration:
    name: str | None = None
    host_caching: str | None = None
    os_state: str | None = None
    os: str | None = None
    media_link: str | None = None
    logical_disk_size_in_gb: int | None = None

    __xml__: ClassVar[Spec] = Spec(
        "OSDiskConfiguration",
        [
            F("Name", "name", write=False),
            F("HostCaching", "host_caching"),
            F("OSState", "os_state"),
            F("OS", "os"),
            F("MediaLink", "media_link"),
            F("LogicalDiskSizeInGB", "logical_disk_size_in_gb", INT, write=False),
        ],
    )


@dataclass
class DataDiskConfiguration:
    name: str | None = None
    host_caching: str | None = None
    lun: int | None = None
    media_link: str | None = None
    logical_disk_size_in_gb: int | None = None

    __xml__: ClassVar[Spec] = Spec(
        "DataDiskConfiguration",
        [
            F("Name", "name", write=False),
            F("HostCaching", "host_caching"),
            F("Lun", "lun", INT),
            F("MediaLink", "media_link"),
            F("LogicalDiskSizeInGB", "logical_disk_size_in_gb", INT),
        ],
    )


_IMAGE_TAIL = [
    F("Language", "language"),
    F("ImageFamily", "image_family"),
    F("RecommendedVMSize", "recommended_vm_size"),
    F("Eula", "eula"),
    F("IconUri", "icon_uri"),
    F("SmallIconUri", "small_icon_uri"),
    F("PrivacyUri", "privacy_uri"),
    F("PublishedDate", "published_date"),
    F("ShowInGui", "show_in_gui", BOOL),
]


@dataclass
class VMImage:
    """A VM image (OS disk plus data disks): the result of List VM Images and the input of create."""

    name: str | None = None
    label: str | None = None
    category: str | None = None
    description: str | None = None
    os_disk_configuration: OSDiskConfiguration = field(default_factory=OSDiskConfiguration)
    data_disk_configurations: list[DataDiskConfiguration] = field(default_factory=list)
    service_name: str | None = None
    deployment_name: str | None = None
    role_name: str | None = None
    location: str | None = None
    affinity_group: str | None = None
    created_time: str | None = None
    modified_time: str | None = None
    language: str | None = None
    image_family: str | None = None
    recommended_vm_size: str | None = None
    is_premium: bool = False
    eula: str | None = None
    icon_uri: str | None = None
    small_icon_uri: str | None = None
    privacy_uri: str | None = None
    publisher_name: str | None = None
    published_date: str | None = None
    show_in_gui: bool = False  # the old SDK sends <ShowInGui>false</ShowInGui> by default
    pricing_detail_link: str | None = None

    __xml__: ClassVar[Spec] = Spec(
        "VMImage",
        [
            F("Name", "name"),
            F("Label", "label"),
            F("Category", "category", write=False),
            F("Description", "description"),
            F("OSDiskConfiguration", "os_disk_configuration", MODEL, OSDiskConfiguration),
            F(
                "DataDiskConfigurations",
                "data_disk_configurations",
                LIST,
                DataDiskConfiguration,
                item="DataDiskConfiguration",
            ),
            F("ServiceName", "service_name", write=False),
            F("DeploymentName", "deployment_name", write=False),
            F("RoleName", "role_name", write=False),
            F("Location", "location", write=False),
            F("AffinityGroup", "affinity_group", write=False),
            F("CreatedTime", "created_time", write=False),
            F("ModifiedTime", "modified_time", write=False),
            *_IMAGE_TAIL,
            F("IsPremium", "is_premium", BOOL, write=False),
            F("PublisherName", "publisher_name", write=False),
            F("PricingDetailLink", "pricing_detail_link", write=False),
        ],
    )


@dataclass
class _OSDiskUpdate:
    """The OS disk as Update VM Image sends it (host caching only)."""

    host_caching: str | None = None

    __xml__: ClassVar[Spec] = Spec("OSDiskConfiguration", [F("HostCaching", "host_caching")])


@dataclass
class _DataDiskUpdate:
    """A data disk as Update VM Image sends it (by name)."""

    name: str | None = None
    host_caching: str | None = None
    lun: int | None = None

    __xml__: ClassVar[Spec] = Spec(
        "DataDiskConfiguration", [F("Name", "name"), F("HostCaching", "host_caching"), F("Lun", "lun", INT)]
    )


#: Update VM Image: label, description, host caching of the disks, and the descriptive tail.
UPDATE_VM_IMAGE = Spec(
    "VMImage",
    [
        F("Label", "label"),
        F("Description", "description"),
        F("OSDiskConfiguration", "os_disk_configuration", MODEL, _OSDiskUpdate),
        F(
            "DataDiskConfigurations",
            "data_disk_configurations",
            LIST,
            _DataDiskUpdate,
            item="DataDiskConfiguration",
        ),
        *_IMAGE_TAIL,
    ],
)


def vm_image_update(image: VMImage) -> dict[str, object]:
    """The source of an Update VM Image body."""
    source: dict[str, object] = {f.attr: getattr(image, f.attr, None) for f in _IMAGE_TAIL}
    source["label"] = image.label
    source["description"] = image.description
    source["os_disk_configuration"] = _OSDiskUpdate(
        getattr(image.os_disk_configuration, "host_caching", None)
    )
    source["data_disk_configurations"] = [
        _DataDiskUpdate(d.name, d.host_caching, d.lun) for d in (image.data_disk_configurations or [])
    ]
    return source


@dataclass
class CaptureRoleAsVMImage:
    """Options of ``capture_vm_image`` (old SDK positional order)."""

    os_state: str | None = None
    vm_image_name: str | None = None
    vm_image_label: str | None = None
    description: str | None = None
    language: str | None = None
    image_family: str | None = None
    recommended_vm_size: str | None = None


@dataclass
class ReplicationProgressElement:
    location: str = ""
    progress: int = 0

    __xml__: ClassVar[Spec] = Spec(
        "ReplicationProgressElement", [F("Location", "location"), F("Progress", "progress", INT)]
    )


@dataclass
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
    supported_os: str = ""
    published_date: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "ResourceExtension",
        [
            F("Publisher", "publisher"),
            F("Name", "name"),
            F("Version", "version"),
            F("Label", "label"),
            F("Description", "description"),
            F("PublicConfigurationSchema", "public_configuration_schema"),
            F("PrivateConfigurationSchema", "private_configuration_schema"),
            F("SampleConfig", "sample_config"),
            F("ReplicationCompleted", "replication_completed", BOOL),
            F("Eula", "eula"),
            F("PrivacyUri", "privacy_uri"),
            F("HomepageUri", "homepage_uri"),
            F("IsJsonExtension", "is_json_extension", BOOL),
            F("IsInternalExtension", "is_internal_extension", BOOL),
            F("DisallowMajorVersionUpgrade", "disallow_major_version_upgrade", BOOL),
            F("CompanyName", "company_name"),
            F("SupportedOS", "supported_os"),
            F("PublishedDate", "published_date"),
        ],
    )


@dataclass
class OSImageDetails(OSImage):
    """Get OS Image Details: the image plus its replication progress per region."""

    replication_progress: list[ReplicationProgressElement] = field(default_factory=list)

    __xml__: ClassVar[Spec] = Spec(
        "OSImageDetails",
        [
            *OSImage.__xml__.fields,
            F(
                "ReplicationProgress",
                "replication_progress",
                LIST,
                ReplicationProgressElement,
                item="ReplicationProgressElement",
            ),
        ],
    )
