"""AsmDeleteDiskOperator in real DAG runs against the emulator: the nightly teardown's last step.

A VM's OS disk stays in the repository when the VM is deleted without its disks; the operator
refuses while the disk is attached (naming the role), deletes it once detached, and a second run
finds nothing to do.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from airflow.sdk import DAG
from harness import START, legacy_sms, run_dag, task_states, xcom_value
from test_operators_helpers import FAILURES, FAST, request_counter, requests_seen, unique

from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.operators.disk import AsmDeleteDiskOperator
from airflow_sm_provider.operators.os_image import AsmAddOsImageOperator
from airflow_sm_provider.operators.virtual_machine import (
    AsmCreateVirtualMachineOperator,
    AsmDeleteVirtualMachineOperator,
)

INDEPENDENT: dict[str, Any] = {"trigger_rule": "all_done"}


def _vm_with_an_os_disk(endpoint: dict[str, Any], vm: str) -> str:
    """Create a VM (its OS disk is registered in the repository); return that disk's name."""
    image, acct = unique("img"), unique("st")
    with DAG(f"ops_disk_setup_{vm}", schedule=None, start_date=START) as dag:
        image_task = AsmAddOsImageOperator(
            task_id="image",
            name=image,
            image_label="img",
            media_link=f"https://{acct}.blob.core.windows.net/vhds/img.vhd",
            os="Linux",
            **FAST,
        )
        vm_task = AsmCreateVirtualMachineOperator(
            task_id="vm",
            service_name=vm,
            location="West US",
            os_type="Linux",
            admin_username="azureuser",
            admin_password="S3cret-Passw0rd!",
            source_image_name=image,
            media_link=f"https://{acct}.blob.core.windows.net/vhds/{vm}.vhd",
            **FAST,
        )
        image_task >> vm_task
    assert set(task_states(run_dag(dag)).values()) == {"success"}, FAILURES
    disks = [
        d
        for d in legacy_sms(endpoint).list_disks()
        if d.attached_to and d.attached_to.hosted_service_name == vm
    ]
    assert len(disks) == 1, disks
    return str(disks[0].name)


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_teardown_deletes_the_detached_disk_once(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any, deferrable: bool
) -> None:
    vm = unique("vm")
    disk = _vm_with_an_os_disk(asm_endpoint, vm)
    common: dict[str, Any] = {"deferrable": deferrable, **FAST}
    with DAG(f"ops_disk_teardown_{deferrable}", schedule=None, start_date=START) as dag:
        tasks = [
            AsmDeleteDiskOperator(task_id="attached", disk_name=disk, delete_vhd=True, **common),
            AsmDeleteVirtualMachineOperator(task_id="del_vm", service_name=vm, **common, **INDEPENDENT),
            AsmDeleteDiskOperator(task_id="delete", disk_name=disk, delete_vhd=True, **common),
            AsmDeleteDiskOperator(task_id="again", disk_name=disk, delete_vhd=True, **common),
            AsmDeleteDiskOperator(
                task_id="missing", disk_name=unique("disk"), if_missing="fail", **common, **INDEPENDENT
            ),
        ]
        for upstream, downstream in itertools.pairwise(tasks):
            upstream >> downstream
    counter = request_counter(asm_emulator, "delete_disk")

    dr = run_dag(dag)

    assert task_states(dr) == {
        "attached": "failed",
        "del_vm": "success",
        "delete": "success",
        "again": "success",
        "missing": "failed",
    }
    err = FAILURES["attached"]
    assert type(err).__name__ == "ConflictError" and getattr(err, "before_request", False) is True
    text = str(err)
    assert text.startswith("Not sent (ConflictError):")
    assert f"attached to VM role {vm!r}" in text and f"cloud service {vm!r}" in text
    assert "AsmDeleteVirtualMachineOperator" in text
    deleted = xcom_value(dr, "delete")
    assert deleted["status"] == "Succeeded" and deleted["delete_vhd"] is True
    assert deleted["media_link"].endswith(f"/vhds/{vm}.vhd")
    assert xcom_value(dr, "again")["status"] == "Absent" and xcom_value(dr, "again")["request_id"] is None
    assert "does not exist" in str(FAILURES["missing"]) and "if_missing='fail'" in str(FAILURES["missing"])
    assert requests_seen(asm_emulator, counter) == 1  # only "delete" sent one
    assert disk not in {d.name for d in legacy_sms(asm_endpoint).list_disks()}


def test_delete_vhd_is_read_from_its_template() -> None:
    op = AsmDeleteDiskOperator(task_id="t", disk_name="{{ params.disk }}", delete_vhd="{{ params.vhd }}")
    assert {"disk_name", "delete_vhd", "if_missing"} <= set(op.template_fields)
    with pytest.raises(InvalidInputError) as raised:
        AsmDeleteDiskOperator(task_id="t", disk_name="d", delete_vhd="maybe")
    assert raised.value.field == "delete_vhd"
    with pytest.raises(InvalidInputError) as raised:
        AsmDeleteDiskOperator(task_id="t", disk_name="a/b")
    assert raised.value.field == "disk_name"
