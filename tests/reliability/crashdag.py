"""The one-task DAG of the task-crash test, importable by the test and by its child process.

The child runs it with ``dag.test()`` and is killed with SIGKILL right after the operator stored
its request id; the test then runs the same task instance again as the scheduler's retry would.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from typing import Any

DAG_ID = "rel_task_crash"
TASK_ID = "create"
CONN_ID = "asm_crash"
LOGICAL_DATE = datetime(2026, 1, 2, tzinfo=timezone.utc)
PACKAGE = "https://example.blob.core.windows.net/packages/crash.cspkg"
CSCFG = (
    '<ServiceConfiguration serviceName="svc" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/'
    'ServiceConfiguration"><Role name="WebRole"><Instances count="1"/></Role></ServiceConfiguration>'
)


def build(service: str) -> Any:
    from airflow.sdk import DAG

    from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

    with DAG(DAG_ID, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
        AsmCreateDeploymentOperator(
            task_id=TASK_ID,
            asm_conn_id=CONN_ID,
            service_name=service,
            deployment_slot="staging",
            deployment_name="crash-v1",
            package_url=PACKAGE,
            configuration=CSCFG,
            poll_interval=0.2,
            timeout=300,
            retries=1,
        )
    return dag


def main() -> None:
    """Child process: serialize and run the DAG (the parent kills us mid-wait)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "airflow"))
    from harness import _serialize

    dag = build(sys.argv[1])
    _serialize(dag)
    print("CHILD-STARTED", flush=True)
    dag.test(logical_date=LOGICAL_DATE)


if __name__ == "__main__":
    main()
