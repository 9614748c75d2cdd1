"""One create, waited for IN the worker, with one retry: the DAG of the worker-kill test (tests/cluster).

``deferrable=False`` on purpose: the Celery worker must hold the task while the operation runs, so
the test can ``kill -9`` it right after the create request reached the emulator. The retry (try 2,
on whichever worker gets it) must resume that operation from the task's memo, not send a second
create. Params come from the run's conf (the test picks a fresh service per run).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG, Param

from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

CSCFG = (
    '<ServiceConfiguration serviceName="svc" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/'
    'ServiceConfiguration"><Role name="WebRole"><Instances count="1"/></Role></ServiceConfiguration>'
)

with DAG(
    dag_id="cluster_crash_create",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "service_name": Param("crash", type="string"),
        "deployment_name": Param("crash-v1", type="string"),
    },
) as dag:
    AsmCreateDeploymentOperator(
        task_id="create",
        asm_conn_id=os.environ.get("ASM_CONN_ID", "asm_default"),
        service_name="{{ params.service_name }}",
        deployment_slot="staging",
        deployment_name="{{ params.deployment_name }}",
        package_url="https://example.blob.core.windows.net/packages/crash.cspkg",
        configuration=CSCFG,
        poll_interval=0.5,
        deferrable=False,
        retries=1,
        retry_delay=timedelta(seconds=1),
    )
