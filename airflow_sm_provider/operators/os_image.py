"""Operators for user OS images (a VHD in a storage account registered as an image)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import boolean, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import check_name, check_text, choice, invalid, is_template
from airflow_sm_provider.operators.base import IF_EXISTS, IF_MISSING, AsmBaseOperator, diff, get_or_none

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = ["AsmAddOsImageOperator", "AsmDeleteOsImageOperator"]


def _image_result(image: Any, name: str, status: str, request_id: str | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "label": getattr(image, "label", ""),
        "os": getattr(image, "os", ""),
        "media_link": getattr(image, "media_link", ""),
        "category": getattr(image, "category", ""),
        "request_id": request_id,
        "status": status,
    }


class AsmAddOsImageOperator(AsmBaseOperator):
    """Register a VHD blob as an OS image, usable as ``source_image_name`` of a VM.

    :param name: image name, unique in the subscription.
    :param image_label: display label (plain text, up to 100 characters).
    :param media_link: URL of the VHD blob in a storage account of this subscription.
    :param os: "Linux" or "Windows".
    :param if_exists: "fail" (default) or "reuse" an image with the same label, media link and
        OS; a differing one is an error naming the fields.
    """

    name: str = argument(reader=text, templated=True)
    image_label: str = argument(reader=text, templated=True)
    media_link: str = argument(reader=text, templated=True)
    os: str = argument(reader=choice(protocol.OS_TYPES), templated=True)
    if_exists: str = argument("fail", reader=choice(IF_EXISTS), templated=True)
    operation_name = "add OS image"
    default_poll_interval = 15.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        check_name("name", self.name)
        check_text("image_label", self.image_label, protocol.LABEL_MAX_CHARS, required=True)
        link = self.media_link
        if not is_template(link) and not (isinstance(link, str) and link.startswith(("https://", "http://"))):
            invalid("media_link", f"must be the URL of a VHD blob, got {link!r}")

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        image = get_or_none(client.get_os_image, self.name)
        if image is None:
            return None
        what = f"OS image {self.name!r}"
        differing = diff(
            {
                "image_label": (self.image_label, image.label),
                "media_link": (self.media_link, image.media_link),
                "os": (self.os, image.os),
            }
        )
        self.reuse_existing(what, differing, adopt=adopt)
        return {**_image_result(image, self.name, "Exists"), "reused": True}

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.add_os_image(self.image_label, self.media_link, self.name, self.os)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        image = get_or_none(client.get_os_image, self.name)
        return {**_image_result(image, self.name, status, request_id), "reused": False}


class AsmDeleteOsImageOperator(AsmBaseOperator):
    """Remove an OS image from the repository, optionally with its VHD blob.

    :param name: the image.
    :param delete_vhd: also delete the VHD blob.
    :param if_missing: "ignore" (default) or "fail" when it does not exist.
    """

    name: str = argument(reader=text, templated=True)
    delete_vhd: bool = argument(False, reader=boolean, templated=True)
    if_missing: str = argument("ignore", reader=choice(IF_MISSING), templated=True)
    operation_name = "delete OS image"
    default_poll_interval = 15.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        check_name("name", self.name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        if get_or_none(client.get_os_image, self.name) is not None:
            return None
        self.nothing_to_delete(f"OS image {self.name!r}", adopt=adopt)
        return {"name": self.name, "request_id": None, "status": "Absent"}

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_os_image(self.name, delete_vhd=self.delete_vhd)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {"name": self.name, "request_id": request_id, "status": status}
