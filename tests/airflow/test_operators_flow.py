"""Every action of the tutorial as one operator, in real DAG runs against the emulator (mTLS).

Run twice: waiting in the worker, and deferred (dag.test() runs the trigger inline).
"""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest
from airflow.sdk import DAG
from harness import START, run_dag, task_states, xcom_value
from test_operators_helpers import PACKAGE_URL, cscfg, unique

from airflow_sm_provider.operators.affinity_group import (
    AsmCreateAffinityGroupOperator,
    AsmDeleteAffinityGroupOperator,
)
from airflow_sm_provider.operators.cloud_service import (
    AsmCreateCloudServiceOperator,
    AsmDeleteCloudServiceOperator,
    AsmUpdateCloudServiceOperator,
)
from airflow_sm_provider.operators.deployment import (
    AsmChangeDeploymentConfigurationOperator,
    AsmCreateDeploymentOperator,
    AsmDeleteDeploymentOperator,
    AsmUpdateDeploymentStatusOperator,
)
from airflow_sm_provider.operators.os_image import AsmAddOsImageOperator, AsmDeleteOsImageOperator
from airflow_sm_provider.operators.storage import (
    AsmCreateStorageAccountOperator,
    AsmDeleteStorageAccountOperator,
)
from airflow_sm_provider.operators.swap import AsmSwapDeploymentOperator
from airflow_sm_provider.operators.virtual_machine import (
    AsmCreateVirtualMachineOperator,
    AsmDeleteVirtualMachineOperator,
)

FAST = {"poll_interval": 0.05, "timeout": 120}


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_tutorial_actions_as_operators(asm_conn_id: str, tmp_path: Any, deferrable: bool) -> None:
    group, acct, svc, vm, image = unique("ag"), unique("st"), unique("svc"), unique("vm"), unique("img")
    cfg_file = tmp_path / "ServiceConfiguration.cscfg"
    cfg_file.write_text(cscfg(svc, 2))
    common: dict[str, Any] = {"asm_conn_id": asm_conn_id, "deferrable": deferrable, **FAST}
    with DAG(f"ops_flow_{'def' if deferrable else 'sync'}", schedule=None, start_date=START) as dag:
        tasks = [
            AsmCreateAffinityGroupOperator(task_id="ag", name=group, location="West US", **common),
            AsmCreateStorageAccountOperator(
                task_id="storage",
                service_name=acct,
                affinity_group=group,
                account_type="Standard_LRS",
                **common,
            ),
            AsmCreateCloudServiceOperator(task_id="svc", service_name=svc, location="West US", **common),
            AsmUpdateCloudServiceOperator(
                task_id="svc_update", service_name=svc, description="updated by Airflow", **common
            ),
            AsmCreateDeploymentOperator(
                task_id="dep_v1",
                service_name=svc,
                deployment_slot="production",
                deployment_name="v1",
                package_url=PACKAGE_URL,
                configuration=cscfg(svc),
                start_deployment=True,
                **common,
            ),
            AsmCreateDeploymentOperator(
                task_id="dep_v2",
                service_name=svc,
                deployment_slot="staging",
                deployment_name="v2",
                package_url=PACKAGE_URL,
                configuration=base64.b64encode(cscfg(svc).encode()).decode(),
                **common,
            ),
            AsmChangeDeploymentConfigurationOperator(
                task_id="config",
                service_name=svc,
                deployment_slot="staging",
                configuration_path=str(cfg_file),
                **common,
            ),
            AsmUpdateDeploymentStatusOperator(
                task_id="start_v2", service_name=svc, deployment_name="v2", status="Running", **common
            ),
            AsmSwapDeploymentOperator(
                task_id="swap", service_name=svc, source_deployment="v2", production="v1", **common
            ),
            AsmDeleteDeploymentOperator(
                task_id="del_staging", service_name=svc, deployment_slot="staging", **common
            ),
            AsmDeleteCloudServiceOperator(
                task_id="del_svc", service_name=svc, delete_deployments=True, **common
            ),
            AsmAddOsImageOperator(
                task_id="image",
                name=image,
                image_label="my image",
                media_link=f"https://{acct}.blob.core.windows.net/vhds/img.vhd",
                os="Linux",
                **common,
            ),
            AsmCreateVirtualMachineOperator(
                task_id="vm",
                service_name=vm,
                location="West US",
                os_type="Linux",
                admin_username="azureuser",
                admin_password="S3cret-Passw0rd!",
                source_image_name=image,
                media_link=f"https://{acct}.blob.core.windows.net/vhds/{vm}.vhd",
                endpoints=[{"name": "ssh", "protocol": "tcp", "port": 22}],
                **common,
            ),
            AsmDeleteVirtualMachineOperator(task_id="del_vm", service_name=vm, delete_disks=True, **common),
            AsmDeleteOsImageOperator(task_id="del_image", name=image, **common),
            AsmDeleteStorageAccountOperator(task_id="del_storage", service_name=acct, **common),
            AsmDeleteAffinityGroupOperator(task_id="del_ag", name=group, **common),
        ]
        for upstream, downstream in itertools.pairwise(tasks):
            upstream >> downstream

    dr = run_dag(dag)

    states = task_states(dr)
    assert set(states.values()) == {"success"}, states
    assert xcom_value(dr, "storage")["endpoints"]
    assert "keys" not in str(xcom_value(dr, "storage")).lower()
    dep = xcom_value(dr, "dep_v1")
    assert dep["deployment_name"] == "v1" and dep["deployment_slot"] == "Production" and dep["request_id"]
    assert dep["url"].startswith("https://")
    assert xcom_value(dr, "swap")["production"] == "v2"
    assert xcom_value(dr, "swap")["staging"] == "v1"
    assert xcom_value(dr, "svc_update")["service_name"] == svc
    vm_x = xcom_value(dr, "vm")
    assert vm_x["role_name"] == vm and "S3cret" not in str(vm_x)
    assert xcom_value(dr, "del_svc")["status"] == "Succeeded"
