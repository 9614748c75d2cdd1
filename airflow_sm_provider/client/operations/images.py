"""OS images, VM images and disks (asm-wire 4.6). OS image labels are plain text on the wire.

Replicate / unreplicate / share need x-ms-version 2015-04-01, as the old SDK sends; their path is
under ``/services/images/`` (not ``vmimages``), as the old SDK and the REST reference have it.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.models import OSImage
from airflow_sm_provider.client.models_media import (
    UPDATE_VM_IMAGE,
    CaptureRoleAsVMImage,
    Disk,
    OSImageDetails,
    VMImage,
    vm_image_update,
)
from airflow_sm_provider.client.operation import Op, P, Q, State, delete, read
from airflow_sm_provider.client.operations import _checks as c
from airflow_sm_provider.client.operations import _params as common
from airflow_sm_provider.client.validation import InvalidInputError
from airflow_sm_provider.client.xmlmap import MODEL, STRLIST, F, Spec, spec_of
from airflow_sm_provider.client.xmlmodel import subset, values_of, xml_model

IMAGES = "/services/images"
IMAGE = f"{IMAGES}/{{image_name}}"
VMIMAGES = "/services/vmimages"
VMIMAGE = f"{VMIMAGES}/{{vm_image_name}}"
VM_IMAGE_UNDER_IMAGES = f"{IMAGES}/{{vm_image_name}}"  # replicate/unreplicate/share live here
DISKS = "/services/disks"
DISK = f"{DISKS}/{{disk_name}}"
IMAGE_NAME = P("image_name", check=c.name)
VM_IMAGE_NAME = P("vm_image_name", check=c.name)
DISK_NAME = P("disk_name", check=c.name)
OPT = "str | None"
V2015_04 = "2015-04-01"
OS_IMAGE = spec_of(OSImage)  # its written fields: Label, MediaLink, Name, OS
OS_IMAGE_ARGS = (
    common.LABEL,
    P("media_link", check=c.text),
    P("name", check=c.name),
    P("os", check=c.os_type),
)
UPDATE_OS_IMAGE = subset(
    OSImage,
    "label",
    "eula",
    "description",
    "image_family",
    "show_in_gui",
    "published_date",
    "icon_uri",
    "privacy_uri",
    "recommended_vm_size",
    "small_icon_uri",
    "language",
)
DISK_BODY = subset(Disk, "os", "label", "media_link", "name")
#: Capture Role As VM Image: the operation type, then the options model's fields.
CAPTURE_VM_IMAGE = Spec(
    "CaptureRoleAsVMImageOperation",
    [F("OperationType", "operation_type"), *spec_of(CaptureRoleAsVMImage).fields],
)


@xml_model("ComputeImageAttributes")
class _ImageAttributes:
    offer: str
    sku: str
    version: str


def _image_has_media(results: list[Any], args: Any) -> State:
    image = results[0]
    if image is None:
        return "absent"
    return "applied" if image.media_link == args["media_link"] else "unknown"


def _os_image_update(a: dict[str, Any]) -> dict[str, Any]:
    """An empty PublishedDate gets a 400 from the service: it is left out (the old SDK's rule)."""
    image = a["os_image"]
    source = values_of(UPDATE_OS_IMAGE, image)
    if not source.get("published_date"):
        source["published_date"] = None
    return source


def _vm_image_ready(values: dict[str, Any]) -> None:
    image = values["vm_image"]
    os_disk = getattr(image, "os_disk_configuration", None)
    for attr, owner in (
        ("name", image),
        ("label", image),
        ("os_state", os_disk),
        ("os", os_disk),
        ("media_link", os_disk),
    ):
        if getattr(owner, attr, None) in (None, ""):
            where = "vm_image" if owner is image else "vm_image.os_disk_configuration"
            raise InvalidInputError(f"{where}.{attr}", f"{where}.{attr} is required to create a VM image.")


def _capture_ready(values: dict[str, Any]) -> None:
    options = values["options"]
    for attr in ("os_state", "vm_image_name", "vm_image_label"):
        if getattr(options, attr, None) in (None, ""):
            raise InvalidInputError(f"options.{attr}", f"options.{attr} is required to capture a VM image.")


def _capture_source(a: dict[str, Any]) -> dict[str, Any]:
    return {**values_of(CAPTURE_VM_IMAGE, a["options"]), "operation_type": CAPTURE_VM_IMAGE.root}


#: The VM image model a create or update sends.
VM_IMAGE = P("vm_image", "VMImage", check=c.present)

OPS = (
    read("list_os_images", IMAGES, result=OSImage, many=True),
    read("get_os_image", IMAGE, IMAGE_NAME, result=OSImage),
    read("get_os_image_details", IMAGE + "/details", IMAGE_NAME, result=OSImageDetails),
    Op(
        "add_os_image",
        "POST",
        IMAGES,
        OS_IMAGE_ARGS,
        body=OS_IMAGE,
        **common.created("get_os_image", "name", _image_has_media),
    ),
    Op("update_os_image", "PUT", IMAGE, (IMAGE_NAME, *OS_IMAGE_ARGS), body=OS_IMAGE),
    Op(
        "update_os_image_from_image_reference",
        "PUT",
        IMAGE,
        (IMAGE_NAME, P("os_image", "OSImage", check=c.present)),
        body=UPDATE_OS_IMAGE,
        source=_os_image_update,
    ),
    delete("delete_os_image", IMAGE, IMAGE_NAME, media="delete_vhd"),
    # --- VM images ---------------------------------------------------------------------------------------
    read(
        "list_vm_images",
        VMIMAGES,
        *c.optional_texts("location", "publisher", "category"),
        query=(
            Q("location", param="location"),
            Q("publisher", param="publisher"),
            Q("category", param="category"),
        ),
        result=VMImage,
        many=True,
    ),
    Op(
        "create_vm_image",
        "POST",
        VMIMAGES,
        (VM_IMAGE,),
        body=spec_of(VMImage),
        source=lambda a: a["vm_image"],
        validate=_vm_image_ready,
        resend=False,
        target=lambda a: str(getattr(a["vm_image"], "name", "")),
    ),
    Op(
        "update_vm_image",
        "PUT",
        VMIMAGE,
        (VM_IMAGE_NAME, VM_IMAGE),
        body=UPDATE_VM_IMAGE,
        source=lambda a: vm_image_update(a["vm_image"]),
    ),
    delete("delete_vm_image", VMIMAGE, VM_IMAGE_NAME, media="delete_vhd"),
    Op(
        "capture_vm_image",
        "POST",
        "/services/hostedservices/{service_name}/deployments/{deployment_name}/roleinstances/{role_name}/Operations",
        (
            common.SERVICE_NAME,
            common.DEPLOYMENT_NAME,
            common.ROLE_NAME,
            P("options", "CaptureRoleAsVMImage", check=c.present),
        ),
        body=CAPTURE_VM_IMAGE,
        source=_capture_source,
        validate=_capture_ready,
        resend=False,
        target="{service_name}/deployments/{deployment_name}/roles/{role_name}",
    ),
    Op(
        "replicate_vm_image",
        "PUT",
        VM_IMAGE_UNDER_IMAGES + "/replicate",
        (
            VM_IMAGE_NAME,
            P("regions", "Sequence[str]", check=c.regions),
            P("offer", check=c.text),
            P("sku", check=c.text),
            P("version", check=c.text),
        ),
        body=Spec(
            "ReplicationInput",
            [
                F("TargetLocations", "regions", STRLIST, item="Region"),
                F("ComputeImageAttributes", "attributes", MODEL, _ImageAttributes),
            ],
        ),
        source=lambda a: {
            "regions": a["regions"],
            "attributes": _ImageAttributes(a["offer"], a["sku"], a["version"]),
        },
        resend=False,
        x_ms_version=V2015_04,
    ),
    Op(
        "unreplicate_vm_image",
        "PUT",
        VM_IMAGE_UNDER_IMAGES + "/unreplicate",
        (VM_IMAGE_NAME,),
        x_ms_version=V2015_04,
    ),
    Op(
        "share_vm_image",
        "PUT",
        VM_IMAGE_UNDER_IMAGES + "/shareasync",
        (VM_IMAGE_NAME, P("permission", check=c.text)),
        query=(Q("permission", param="permission"),),
        x_ms_version=V2015_04,
    ),
    # --- disks -------------------------------------------------------------------------------------------
    read("list_disks", DISKS, result=Disk, many=True),
    read("get_disk", DISK, DISK_NAME, result=Disk),
    Op(
        "add_disk",
        "POST",
        DISKS,
        (
            P("has_operating_system", "bool | None"),
            common.LABEL,
            P("media_link", check=c.text),
            P("name", check=c.name),
            P("os", check=c.os_type),
        ),
        body=DISK_BODY,
        is_async=False,
        resend=False,
        target="{name}",
    ),
    Op(
        "update_disk",
        "PUT",
        DISK,
        (
            DISK_NAME,
            P("has_operating_system", "bool | None", None),
            P("label", OPT, None, v.label),
            P("media_link", OPT, None),
            P("name", OPT, None),
            P("os", OPT, None),
        ),
        body=DISK_BODY,
        source=lambda a: {"label": a["label"]},
        is_async=False,
        doc="Only the label can be changed (as in the old SDK, the other arguments are not sent).",
    ),
    delete("delete_disk", DISK, DISK_NAME, media="delete_vhd", is_async=False),
)
