"""Operators for the subscription's disk repository (the OS and data disks of classic VMs).

Deleting a VM or its deployment without its media detaches its disks and leaves them (and their
VHD blobs, which are billed) in the repository; the nightly teardown deletes them afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import boolean, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import check_name, choice
from airflow_sm_provider.operators.base import IF_MISSING, AsmBaseOperator, get_or_none

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = ["AsmDeleteDiskOperator"]


class AsmDeleteDiskOperator(AsmBaseOperator):
    """Delete a disk from the disk repository, optionally with its VHD blob.

    A disk still attached to a VM is not deleted: the task reads it, sends no request, and fails
    with a ``ConflictError`` ("Not sent (ConflictError): ...") naming the VM role, its deployment
    and cloud service; delete the VM first (``AsmDeleteVirtualMachineOperator``, whose
    ``delete_disks=True`` deletes its disks too) or detach the disk.

    :param disk_name: the disk, as ``list_disks`` / ``get_disk`` name it.
    :param delete_vhd: also delete the VHD blob in storage (``comp=media``); by default the blob
        stays and can be attached again as a new disk.
    :param if_missing: "ignore" (default) or "fail" when the disk does not exist.
    """

    disk_name: str = argument(reader=text, templated=True)
    delete_vhd: bool = argument(False, reader=boolean, templated=True)
    if_missing: str = argument("ignore", reader=choice(IF_MISSING), templated=True)
    operation_name = "delete disk"
    default_poll_interval = 5.0
    default_timeout = 600.0
    #: The disk's VHD URL, read by ``check_existing`` (reported: where the blob is, or was).
    _media_link: str = ""

    def validate_inputs(self) -> None:
        check_name("disk_name", self.disk_name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        disk = get_or_none(client.get_disk, self.disk_name)
        what = f"Disk {self.disk_name!r}"
        if disk is None:
            self.nothing_to_delete(what, adopt=adopt)
            return self._result(None, "Absent")
        attached = disk.attached_to
        if attached is not None and attached.role_name:
            from airflow_sm_provider.client.errors import ConflictError

            raise ConflictError(
                f"{what} is attached to VM role {attached.role_name!r} (deployment "
                f"{attached.deployment_name!r} of cloud service {attached.hosted_service_name!r}); delete "
                "the VM first (AsmDeleteVirtualMachineOperator, delete_disks=True also deletes its disks) "
                "or detach the disk",
                code=protocol.ERR_CONFLICT,
                before_request=True,
            )
        self._media_link = disk.media_link
        return None

    def submitted_facts(self) -> dict[str, Any]:
        return {"media_link": self._media_link}

    def restore_facts(self, facts: Mapping[str, Any]) -> None:
        self._media_link = str(facts.get("media_link") or "")

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_disk(self.disk_name, self.delete_vhd)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return self._result(request_id, status)

    def _result(self, request_id: str | None, status: str) -> dict[str, Any]:
        return {
            "disk_name": self.disk_name,
            "media_link": self._media_link,
            "delete_vhd": self.delete_vhd,
            "request_id": request_id,
            "status": status,
        }
