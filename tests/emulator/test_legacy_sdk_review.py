"""Session 6 review findings, driven by the old SDK (azure-servicemanagement-legacy 0.20.8) over mTLS:
what a real client of the time did and the emulator refused or answered wrongly before the fix."""

from __future__ import annotations

from azure.servicemanagement import LinuxConfigurationSet, OSVirtualHardDisk, ServiceManagementService
from legacy_helpers import legacy_wait

IMAGE = "OpenLogic__OpenLogic-CentOS-62-20120531-zh-tw-30GB.vhd"
VHDS = "https://mystorage.blob.core.windows.net/vhds"
wait = legacy_wait


def test_a_vm_comes_back_from_the_disk_its_predecessor_left(sms: ServiceManagementService) -> None:
    """add_role(system_config=None, OSVirtualHardDisk(disk_name=...)): 400 before."""
    sms.create_hosted_service("backsvc", "backsvc", "disk reuse", "West US")
    linux = LinuxConfigurationSet("host1", "azureuser", "S3cret-Passw0rd!", True)
    disk = OSVirtualHardDisk(IMAGE, f"{VHDS}/backsvc-vm1.vhd")
    wait(
        sms,
        sms.create_virtual_machine_deployment(
            "backsvc", "backsvc", "production", "backsvc", "vm1", linux, disk
        ),
    )
    wait(
        sms,
        sms.add_role("backsvc", "backsvc", "vm2", linux, OSVirtualHardDisk(IMAGE, f"{VHDS}/backsvc-vm2.vhd")),
    )
    left = sms.get_role("backsvc", "backsvc", "vm2").os_virtual_hard_disk.disk_name
    wait(sms, sms.delete_role("backsvc", "backsvc", "vm2"))
    assert sms.get_disk(left).attached_to is None
    wait(sms, sms.add_role("backsvc", "backsvc", "vm3", None, OSVirtualHardDisk(disk_name=left)))
    back = sms.get_role("backsvc", "backsvc", "vm3").os_virtual_hard_disk
    assert (back.disk_name, back.os, back.media_link) == (left, "Linux", f"{VHDS}/backsvc-vm2.vhd")
    assert sms.get_disk(left).attached_to.role_name == "vm3"


def test_os_image_details_report_the_replication(sms: ServiceManagementService) -> None:
    """get_os_image_details after replicate_vm_image (which sends x-ms-version 2015-04-01)."""
    sms.add_os_image("replos", f"{VHDS}/replos.vhd", "replos", "Linux")
    assert list(sms.get_os_image_details("replos").replication_progress) == []
    wait(sms, sms.replicate_vm_image("replos", ["West US", "North Europe"], "offer", "sku", "1.0.0"))
    progress = sms.get_os_image_details("replos").replication_progress
    assert [(e.location, e.progress) for e in progress] == [("West US", 100), ("North Europe", 100)]
