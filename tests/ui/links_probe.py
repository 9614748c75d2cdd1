"""Run a real DAG against the emulator with ``dag.test()`` and print the links its tasks persisted.

    ASM_ENDPOINT='{...}' python tests/ui/links_probe.py HOME  ->  JSON {task_id: {xcom key: value}}

Its own process because it points Airflow at a new home (``airflow_sm_provider.testing``). The
task runner computes each operator link when the task ends and stores it in XCom ``_link_<class>``;
this prints those rows and each task's result, read back from the metadata DB. The run's log goes
to the console, where the test reads it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

DAG_FILE = """
import os
from datetime import datetime, timezone

from airflow.sdk import DAG

from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator
from airflow_sm_provider.operators.cloud_service import AsmCreateCloudServiceOperator
from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator
from airflow_sm_provider.operators.swap import AsmSwapDeploymentOperator

SVC = os.environ["LINKS_SVC"]
CSCFG = (
    '<?xml version="1.0" encoding="utf-8"?>\\n'
    f'<ServiceConfiguration serviceName="{SVC}" '
    'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">\\n'
    '  <Role name="WebRole1"><Instances count="1"/><ConfigurationSettings/></Role>\\n'
    "</ServiceConfiguration>\\n"
)
PACKAGE = "https://pkgstore.blob.core.windows.net/packages/app.cspkg"
FAST = {"poll_interval": 0.05, "timeout": 120}

with DAG("asm_links", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    svc = AsmCreateCloudServiceOperator(task_id="svc", service_name=SVC, location="West US", **FAST)
    prod = AsmCreateDeploymentOperator(
        task_id="prod", service_name=SVC, deployment_slot="production", deployment_name="v1",
        package_url=PACKAGE, configuration=CSCFG, start_deployment=True, **FAST)
    stag = AsmCreateDeploymentOperator(
        task_id="stag", service_name=SVC, deployment_slot="staging", deployment_name="v2",
        package_url=PACKAGE, configuration=CSCFG, start_deployment=True, deferrable=True, **FAST)
    swap = AsmSwapDeploymentOperator(task_id="swap", service_name=SVC, **FAST)
    # A deferred release back to v1: the one task with a release report (and a timeline link).
    release = AsmGuardedSwapOperator(
        task_id="release", service_name=SVC, expected_new_deployment="v1", bake_seconds=0,
        health_interval=0.05, deferrable=True, **FAST)
    svc >> prod >> stag >> swap >> release
"""


def main(home: str) -> None:
    from airflow_sm_provider.testing import connection_env, load_dag, use_airflow_home

    use_airflow_home(home)
    os.environ.update(connection_env("asm_default", json.loads(os.environ["ASM_ENDPOINT"])))
    dag_file = Path(home) / "dags" / "asm_links.py"
    dag_file.write_text(DAG_FILE)
    dag = load_dag(dag_file)
    run = dag.test()

    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    out: dict[str, dict[str, object]] = {"_run": {"state": str(run.state), "run_id": run.run_id}}
    with create_session() as session:
        rows = session.scalars(select(XComModel).where(XComModel.dag_id == "asm_links")).all()
        for row in rows:
            out.setdefault(row.task_id, {})[row.key] = XComModel.deserialize_value(row)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
