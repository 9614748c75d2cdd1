"""Scheduled blue-green release of a classic Cloud Service: stage -> ready -> gate -> flip -> bake -> retire.

What one run does (``docs/blue-green.md`` explains every gate):

1. ``prepare``: checks the params (package URL, ``.cscfg`` path or XML, names) before anything is
   touched, so a typo never deletes staging.
2. ``clear_staging``: deletes whatever sits in the staging slot (a failed earlier release, or the
   previous production kept for a manual rollback) -- staging is replaced, never merged.
3. ``deploy_to_staging``: creates the new deployment in staging, started.
4. ``wait_staging_ready``: sensor, until the deployment is Running and every instance ReadyRole.
5. ``guarded_swap``: refuses unless staging is ready, unlocked and answers its health check; swaps;
   then checks production for ``bake_seconds`` while the previous production waits in staging, and
   swaps back (and fails) if production turns unhealthy. Its XCom is the full report.
6. ``retire_previous``: deletes the previous production from staging -- unless ``keep_previous``,
   in which case ``staging_to_production_swap`` with ``rollback=True`` can bring it back.

Two runs must never write to one cloud service at once (ASM allows one mutating operation per
deployment and a swap racing a delete is a bad day), hence ``max_active_runs=1`` and the pool
``asm_blue_green`` (1 slot) on every writing task, so this DAG also never overlaps with
``nightly_teardown`` or other DAGs using the pool. Create it once::

    airflow pools set asm_blue_green 1 "one ASM writer at a time"

(``ASM_RELEASE_POOL`` renames it, e.g. one pool per cloud service.) Parsing this file makes no
network call: the connection (``ASM_CONN_ID``, default ``asm_default``) is used only by tasks.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task
from airflow.sdk.exceptions import AirflowSkipException

from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator
from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator, AsmDeleteDeploymentOperator
from airflow_sm_provider.sensors.deployment import AsmDeploymentReadySensor

CONN_ID = os.environ.get("ASM_CONN_ID", "asm_default")
POOL = os.environ.get("ASM_RELEASE_POOL", "asm_blue_green")
#: Seconds between status checks; the demo and tests shorten it for the fast emulator.
POLL = float(os.environ.get("ASM_EXAMPLE_POLL_INTERVAL", "15"))
#: Relative ``.cscfg`` paths are looked up here (and only here: a param must not read any file).
CONFIG_DIR = Path(os.environ.get("ASM_EXAMPLE_CONFIG_DIR", Path(__file__).parent / "config")).resolve()


def cscfg_text(value: str) -> str:
    """A Jinja filter: the ``.cscfg`` XML itself, or the file it names under ``CONFIG_DIR``."""
    text = (value or "").strip()
    if text.startswith("<"):
        return text
    path = (CONFIG_DIR / text).resolve()
    if CONFIG_DIR not in path.parents or not path.is_file():
        raise ValueError(f"cscfg {value!r} is neither XML nor a file under {CONFIG_DIR}")
    return path.read_text(encoding="utf-8-sig")


with DAG(
    dag_id="blue_green_release",
    description="Deploy to staging, gate, VIP swap, bake, retire the previous production.",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "pool": POOL, "retry_delay": timedelta(minutes=1)},
    user_defined_filters={"cscfg": cscfg_text},
    tags=["asm", "blue-green", "example"],
    doc_md=__doc__,
    params={
        "service_name": Param("bluegreen-demo", type="string", description="The cloud service."),
        "package_url": Param(
            "https://examplestore.blob.core.windows.net/packages/app.cspkg",
            type="string",
            pattern="^https://",
            description="https URL of the .cspkg in a storage account of the subscription.",
        ),
        "cscfg": Param(
            "v1.cscfg",
            type="string",
            description="The .cscfg XML, or a file name under example_dags/config/.",
        ),
        "deployment_name": Param(
            "",
            type="string",
            description="Name of the new deployment; empty = rel-<run date and time>.",
        ),
        "bake_seconds": Param(60, type="integer", minimum=0, description="Watch production this long."),
        "keep_previous": Param(False, type="boolean", description="Keep the old production in staging."),
        "require_approval": Param(False, type="boolean", description="Ask a human before the flip."),
    },
) as dag:

    @task(pool="default_pool")
    def prepare(params: dict[str, Any] | None = None, dag_run: Any = None) -> dict[str, str]:
        """Validate the params and fix the deployment name before anything is changed."""
        p = params or {}
        cscfg_text(str(p["cscfg"]))  # unreadable or outside CONFIG_DIR: fail before clearing staging
        name = str(p.get("deployment_name") or "").strip()
        if not name:
            when = getattr(dag_run, "run_after", None) or datetime.now(timezone.utc)
            name = f"rel-{when:%Y%m%d-%H%M%S}"
        return {"service_name": str(p["service_name"]), "deployment_name": name}

    prepared = prepare()
    name = "{{ ti.xcom_pull(task_ids='prepare')['deployment_name'] }}"

    clear_staging = AsmDeleteDeploymentOperator(
        task_id="clear_staging",
        asm_conn_id=CONN_ID,
        service_name="{{ params.service_name }}",
        deployment_slot="staging",
        if_missing="ignore",
        poll_interval=POLL,
    )
    deploy = AsmCreateDeploymentOperator(
        task_id="deploy_to_staging",
        asm_conn_id=CONN_ID,
        service_name="{{ params.service_name }}",
        deployment_slot="staging",
        deployment_name=name,
        deployment_label=name,
        package_url="{{ params.package_url }}",
        configuration="{{ params.cscfg | cscfg }}",
        start_deployment=True,
        poll_interval=POLL,
    )
    ready = AsmDeploymentReadySensor(
        task_id="wait_staging_ready",
        asm_conn_id=CONN_ID,
        service_name="{{ params.service_name }}",
        deployment_name=name,
        poke_interval=POLL,
        timeout=3600,
        pool="default_pool",  # read-only
    )
    swap = AsmGuardedSwapOperator(
        task_id="guarded_swap",
        asm_conn_id=CONN_ID,
        service_name="{{ params.service_name }}",
        expected_new_deployment=name,
        bake_seconds="{{ params.bake_seconds }}",
        bake_interval=max(POLL, 1.0),
        poll_interval=POLL,
        health_interval=min(POLL, 2.0),
        require_approval="{{ params.require_approval }}",
    )

    @task
    def retire_previous(report: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Delete the previous production, parked in staging since the swap -- only if it is still there.

        If someone swapped back or deployed to staging meanwhile, nothing is deleted (skip).
        """
        from airflow_sm_provider.client.errors import NotFoundError
        from airflow_sm_provider.hooks.service_management import ServiceManagementHook

        p = params or {}
        old = report.get("old_production")
        if not old:
            raise AirflowSkipException("Production was empty before this release: nothing to retire.")
        if p.get("keep_previous"):
            raise AirflowSkipException(f"keep_previous: {old} stays in staging for a manual rollback.")
        client = ServiceManagementHook(asm_conn_id=CONN_ID).get_conn()
        service = report["service_name"]
        try:
            staging = client.get_deployment_by_slot(service, "staging")
        except NotFoundError:
            raise AirflowSkipException(f"Staging is empty; {old} is already gone.") from None
        if staging.name != old:
            raise AirflowSkipException(f"Staging holds {staging.name!r}, not {old!r}: deleting nothing.")
        client.delete_deployment(service, old).wait(timeout=1800, poll_interval=POLL)
        return {"service_name": service, "retired": old}

    retired = retire_previous(swap.output)  # type: ignore[arg-type]  # resolves to the report at run time
    prepared >> clear_staging >> deploy >> ready >> swap
