"""How long asynchronous work takes, in real-service seconds (divided by ``speed`` at use).

Measured (asm-wire.md 2.1, recordings of the real service): create storage ~21 s, create deployment
~52 s, update deployment status ~5 s, delete deployment ~6 s, create VM deployment ~58 s (then ~120 s
more until the VM is ReadyRole), start roles ~90 s, shutdown role ~21 s, add service certificate ~5 s.
Synchronous calls (create/delete hosted service, delete storage, affinity groups, OS images) are 0:
their operation is already Succeeded on the first poll, as recorded.

Chosen (no recording; plausible orders of magnitude): change configuration 30 s, swap 10 s,
restart role 40 s, delete role 20 s, add role 58 s, reboot/reimage 30/60 s, delete
hosted service with ``comp=media`` 10 s, PaaS instances reach ReadyRole 15 s after the operation
ends (instances keep walking their life cycle after the operation reports Succeeded, like the
recorded VMs), update status to Running: instances ReadyRole 10 s after the operation.
Reserved IPs 5 s (associate 10 s), DNS server, data disk and VM image changes 10 s, update role and
captures 30 s.
Upgrades: walking one upgrade domain 30 s (an Auto upgrade of N domains takes N x 30 s, a
Simultaneous one 30 s), starting a Manual upgrade or rollback 5 s (it only prepares the walk).
"""

from __future__ import annotations

from typing import Final

DURATIONS: Final[dict[str, float]] = {
    "create_hosted_service": 0.0,
    "update_hosted_service": 0.0,
    "delete_hosted_service": 0.0,
    "delete_hosted_service_media": 10.0,
    "create_storage_account": 21.0,
    "update_storage_account": 0.0,
    "delete_storage_account": 0.0,
    "regenerate_storage_account_keys": 0.0,
    "create_affinity_group": 0.0,
    "update_affinity_group": 0.0,
    "delete_affinity_group": 0.0,
    "add_os_image": 0.0,
    "update_os_image": 0.0,
    "delete_os_image": 0.0,
    "create_deployment": 52.0,
    "update_deployment_status": 5.0,
    "delete_deployment": 6.0,
    "change_deployment_configuration": 30.0,
    "swap_deployment": 10.0,
    "upgrade_manual": 5.0,
    "walk_upgrade_domain": 30.0,
    "rollback_update_or_upgrade": 30.0,
    "reboot_role_instance": 30.0,
    "reimage_role_instance": 60.0,
    "rebuild_role_instance": 60.0,
    "delete_role_instances": 20.0,
    "add_service_certificate": 5.0,
    "create_reserved_ip_address": 5.0,
    "delete_reserved_ip_address": 5.0,
    "associate_reserved_ip_address": 10.0,
    "disassociate_reserved_ip_address": 10.0,
    "create_vm_image": 10.0,
    "update_vm_image": 10.0,
    "delete_vm_image": 10.0,
    "capture_vm_image": 30.0,
    "capture_role": 30.0,
    "update_role": 30.0,
    "replicate_vm_image": 10.0,
    "unreplicate_vm_image": 10.0,
    "share_vm_image": 10.0,
    "add_data_disk": 10.0,
    "update_data_disk": 10.0,
    "delete_data_disk": 10.0,
    "add_dns_server": 10.0,
    "update_dns_server": 10.0,
    "delete_dns_server": 10.0,
    "delete_service_certificate": 5.0,
    "create_virtual_machine_deployment": 58.0,
    "add_role": 58.0,
    "delete_role": 20.0,
    "start_role": 90.0,
    "start_roles": 90.0,
    "restart_role": 40.0,
    "shutdown_role": 21.0,
    "shutdown_roles": 21.0,
}

#: After create VM deployment succeeds, the VM stays RoleStateUnknown/Starting this long [REC ~2 min].
VM_BOOT_AFTER_CREATE: Final = 120.0
#: PaaS instances reach ReadyRole this long after a create/start operation has ended (chosen).
PAAS_READY_AFTER_OP: Final = 15.0
#: Running -> instances ReadyRole after update status to Running (chosen).
PAAS_READY_AFTER_START: Final = 10.0


def duration(kind: str, speed: float) -> float:
    return DURATIONS.get(kind, 0.0) / max(speed, 1e-9)
