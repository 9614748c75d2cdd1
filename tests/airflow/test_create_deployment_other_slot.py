"""Create deployment: the name already in the *other* slot is refused before any request, saying so.

docs/getting-started.md's first DAG could not be re-run: the second run's ``deploy_to_staging``
failed with ASM's bare 409 "A deployment named v1 already exists" (v1 was in production since the
first run's swap), although ``if_exists="reuse"`` suggests re-runnable. Deployment names are
unique in a cloud service, and what follows the task expects the deployment in the slot it names,
so this is not "reuse": it is refused before the request, with where the name is and what to do.
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import START, run_dag, task_states
from test_blue_green_support import CONFIG, PACKAGE, deploy, make_client, new_service, slots

from airflow_sm_provider.emulator.sessions import admin_call
from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator


def test_create_refuses_a_name_already_in_the_other_slot_saying_so(
    asm_endpoint: dict[str, Any], asm_conn_id: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """docs/getting-started.md's first DAG, run twice: v1 is in production since the first run's swap.

    ``if_exists="reuse"`` reuses only the same deployment in the same slot; the name in the other
    slot is refused before any request, saying where it is (it was ASM's bare 409 "A deployment
    named v1 already exists").
    """
    from airflow.sdk import DAG

    with make_client(asm_endpoint) as client:
        service = new_service(client)
        deploy(client, service, "production", "v1")
        creates = int(admin_call(asm_endpoint, "GET", "stats")["by_operation"].get("create_deployment", 0))
        with DAG("create_name_in_other_slot", schedule=None, start_date=START) as dag:
            AsmCreateDeploymentOperator(
                task_id="deploy_to_staging",
                service_name=service,
                deployment_slot="staging",
                deployment_name="v1",
                package_url=PACKAGE.format(v="v1"),
                configuration=(CONFIG / "v1.cscfg").read_text(),
                if_exists="reuse",
                poll_interval=0.05,
                retries=0,
            )
        dr = run_dag(dag)
        assert task_states(dr) == {"deploy_to_staging": "failed"}
        after = int(admin_call(asm_endpoint, "GET", "stats")["by_operation"].get("create_deployment", 0))
        assert after == creates, "the create request was sent"
        assert slots(client, service) == {"production": "v1", "staging": None}
    out = capfd.readouterr()
    assert (
        "in the production slot, not staging (where this task deploys it): "
        "v1 is in production; deploy a new name" in (out.out + out.err)
    )
