"""Blue-green release of a classic Cloud Service: stage -> ready -> gate -> flip -> bake -> retire.

Triggered, not scheduled: every run changes staging and production, so it runs only with the
params of the release (``service_name``, ``package_url`` and ``cscfg`` are required, validated).
To release on a schedule, copy this file and give those params defaults you have checked.

What one run does (``docs/blue-green.md`` explains every gate):

1. ``prepare``: checks the params (names, the ``.cscfg`` file) before anything is touched, so a
   typo never deletes staging; its XCom (service and deployment names) feeds every later task.
2. ``clear_staging``: deletes whatever sits in the staging slot (a failed earlier release, or the
   previous production kept for a manual rollback) -- staging is replaced, never merged.
3. ``deploy_to_staging``: submits the new deployment in staging, started, and does not wait:
   ``wait_deployed`` (``AsmOperationSensor``) waits for its request id, an XComArg.
4. ``wait_staging_ready``: sensor, until the deployment is Running and every instance ReadyRole.
5. ``guarded_swap``: refuses unless staging is ready, unlocked and answers its health check; swaps;
   then checks production for ``bake_seconds`` while the previous production waits in staging, and
   swaps back (and fails) if production turns unhealthy. Its XCom is the full report.
6. ``previous_production`` names the previous production (from the swap's report) and
   ``retire_previous`` deletes it, only if staging still holds it (``AsmDeleteDeploymentOperator``
   with both ``deployment_name`` and ``deployment_slot``) -- unless ``keep_previous``, in which
   case ``staging_to_production_swap`` with ``rollback=True`` can bring it back.

The ``.cscfg`` is a template file: ``cscfg`` names a file in ``config/`` next to this file (the
DAG's ``template_searchpath``); Jinja in it is rendered (``{{ params.x }}``, ``{{ var.value.x }}``)
and the result is what Rendered Templates shows. Keep secrets out of it, or reference them so
Airflow masks them (``{{ conn.<id>.password }}``): see docs/reference.md.

Two runs never overlap (``max_active_runs=1``). To also keep other DAGs (``nightly_teardown``...)
from writing to the subscription at the same time, create a one-slot pool and name it in
``WRITER_POOL``; left at None, no pool is needed. Parsing this file reads no environment and makes
no network call: the connection (param ``asm_conn_id``) is used only by tasks.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task
from airflow.sdk.exceptions import AirflowSkipException

from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator
from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator, AsmDeleteDeploymentOperator
from airflow_sm_provider.sensors.deployment import AsmDeploymentReadySensor
from airflow_sm_provider.sensors.operation import AsmOperationSensor

#: ``.cscfg`` files are looked up here (the DAG's ``template_searchpath``), next to this file.
CONFIG_DIR = Path(__file__).resolve().parent / "config"
#: Optional one-slot pool shared by every DAG writing to the subscription. Create it first
#: (``airflow pools set asm_blue_green 1 "one ASM writer at a time"``), then set its name here:
#: a task in a pool that does not exist is never scheduled.
WRITER_POOL: str | None = None
CSCFG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.cscfg$")


def config_file(name: str) -> Path:
    """The ``.cscfg`` file ``name`` in ``CONFIG_DIR``; a plain file name, never a path elsewhere."""
    path = CONFIG_DIR / name
    if not CSCFG_NAME.match(name or "") or not path.is_file():
        raise ValueError(f"cscfg {name!r} is not a .cscfg file in {CONFIG_DIR}")
    return path


with DAG(
    dag_id="blue_green_release",
    description="Deploy to staging, gate, VIP swap, bake, retire the previous production.",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "retry_delay": timedelta(minutes=1), "pool": WRITER_POOL or "default_pool"},
    template_searchpath=[str(CONFIG_DIR)],
    tags=["asm", "blue-green", "example"],
    doc_md=__doc__,
    params={
        "service_name": Param(
            type="string",
            pattern="^[A-Za-z0-9][A-Za-z0-9-]{1,61}[A-Za-z0-9]$",
            description="The cloud service.",
        ),
        "package_url": Param(
            type="string",
            pattern="^https://",
            description="https URL of the .cspkg in a storage account of the subscription.",
        ),
        "cscfg": Param(
            type="string",
            pattern=CSCFG_NAME.pattern,
            description="A .cscfg file name in example_dags/config/ (a Jinja template).",
        ),
        "deployment_name": Param(
            "",
            type="string",
            description="Name of the new deployment; empty = rel-<run date and time>.",
        ),
        "bake_seconds": Param(60, type="integer", minimum=0, description="Watch production this long."),
        "keep_previous": Param(False, type="boolean", description="Keep the old production in staging."),
        "asm_conn_id": Param("asm_default", type="string", minLength=1, description="The ASM connection."),
        "poll_interval": Param(15, type="number", exclusiveMinimum=0, description="Seconds between checks."),
        "require_approval": Param(False, type="boolean", description="Ask a human before the flip."),
    },
) as dag:

    @task(pool="default_pool")
    def prepare(params: dict[str, Any] | None = None, dag_run: Any = None) -> dict[str, str]:
        """Validate the params and fix the deployment name before anything is changed."""
        p = params or {}
        config_file(str(p["cscfg"]))  # missing: fail before clearing staging
        name = str(p.get("deployment_name") or "").strip()
        if not name:
            when = getattr(dag_run, "run_after", None) or datetime.now(timezone.utc)
            name = f"rel-{when:%Y%m%d-%H%M%S}"
        return {"service_name": str(p["service_name"]), "deployment_name": name}

    # An XComArg: prepared["deployment_name"] resolves to that key at run time (typed Any for mypy).
    prepared: Any = prepare()
    # Every ASM task reads these two from the params at run time (never from the environment).
    conn, poll = "{{ params.asm_conn_id }}", "{{ params.poll_interval }}"

    clear_staging = AsmDeleteDeploymentOperator(
        task_id="clear_staging",
        service_name=prepared["service_name"],
        deployment_slot="staging",
        if_missing="ignore",
        asm_conn_id=conn,
        poll_interval=poll,
    )
    deploy = AsmCreateDeploymentOperator(
        task_id="deploy_to_staging",
        service_name=prepared["service_name"],
        deployment_slot="staging",
        deployment_name=prepared["deployment_name"],
        deployment_label=prepared["deployment_name"],
        package_url="{{ params.package_url }}",
        # The file the param names, rendered as a template (a literal "v1.cscfg" works too).
        configuration="{% include params.cscfg %}",
        start_deployment=True,
        wait_for_completion=False,  # wait_deployed waits on its request id
        asm_conn_id=conn,
        poll_interval=poll,
    )
    # deploy's XComArg; each key of the operator's XCom dict is also its own XCom.
    submitted: Any = deploy.output
    deployed = AsmOperationSensor(
        task_id="wait_deployed",
        request_id=submitted["request_id"],
        poke_interval=poll,
        timeout=3600,
        pool="default_pool",  # read-only
        asm_conn_id=conn,
    )
    ready = AsmDeploymentReadySensor(
        task_id="wait_staging_ready",
        service_name=prepared["service_name"],
        deployment_name=prepared["deployment_name"],
        poke_interval=poll,
        timeout=3600,
        pool="default_pool",  # read-only
        asm_conn_id=conn,
    )
    swap = AsmGuardedSwapOperator(
        task_id="guarded_swap",
        service_name=prepared["service_name"],
        expected_new_deployment=prepared["deployment_name"],
        bake_seconds="{{ params.bake_seconds }}",
        asm_conn_id=conn,
        require_approval="{{ params.require_approval }}",
        poll_interval=poll,
        bake_interval=poll,
        health_interval=poll,
    )

    @task(pool="default_pool")
    def previous_production(report: dict[str, Any], params: dict[str, Any] | None = None) -> str:
        """The deployment to retire: the previous production, parked in staging by the swap.

        Skipped (and so is ``retire_previous``) when production was empty, or with ``keep_previous``.
        """
        old = report.get("old_production")
        if not old:
            raise AirflowSkipException("Production was empty before this release: nothing to retire.")
        if (params or {}).get("keep_previous"):
            raise AirflowSkipException(f"keep_previous: {old} stays in staging for a manual rollback.")
        return str(old)

    # Name and slot: delete it only if staging still holds it. Staging empty or holding another
    # deployment: nothing is deleted (a log line says what staging holds); the old production back in
    # production (someone swapped back meanwhile): nothing is deleted and the task fails.
    retired = AsmDeleteDeploymentOperator(
        task_id="retire_previous",
        service_name=prepared["service_name"],
        deployment_name=previous_production(swap.output),  # type: ignore[arg-type]  # the report at run time
        deployment_slot="staging",
        if_missing="ignore",
        asm_conn_id=conn,
        poll_interval=poll,
    )
    # Data flows through XComArgs; these edges only order the steps that share no data.
    clear_staging >> deploy >> deployed >> ready >> swap
