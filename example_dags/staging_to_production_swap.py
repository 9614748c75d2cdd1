"""Manually triggered staging -> production VIP swap, behind the same gates as a release.

Use it when a deployment already sits in staging (deployed by hand or by another pipeline) and
should go live, or -- with ``rollback=True`` -- to bring back the previous production that
``blue_green_release`` left in staging (``keep_previous=True``). A rollback is a swap like any
other, so it gets the same gates: the deployment coming back must still be Running, every instance
ReadyRole, unlocked and healthy; otherwise production is not touched. After the flip production is
checked (``bake_seconds``) and swapped back automatically if unhealthy.

``expected_deployment`` (optional) names the deployment that must be in staging; give it whenever
you know it: then a retry of this task can never flip the slots twice.

``service_name`` is required (no default that could point at a real service). To keep this task
from racing a release, name the one-slot pool of ``blue_green_release`` in ``WRITER_POOL`` (optional;
the pool must exist). Parsing this file reads no environment and makes no network call.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator

#: Optional one-slot pool shared with the other writing DAGs (see ``blue_green_release``).
WRITER_POOL: str | None = None

with DAG(
    dag_id="staging_to_production_swap",
    description="Guarded VIP swap (or rollback) of one cloud service, on demand.",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["asm", "blue-green", "example"],
    doc_md=__doc__,
    params={
        "service_name": Param(
            type="string",
            pattern="^[A-Za-z0-9][A-Za-z0-9-]{1,61}[A-Za-z0-9]$",
            description="The cloud service.",
        ),
        "rollback": Param(
            False,
            type="boolean",
            description="Swap back the previous production kept in staging (production must be occupied).",
        ),
        "expected_deployment": Param(
            "",
            type="string",
            description="Deployment that must be in staging (empty: whatever is there).",
        ),
        "bake_seconds": Param(30, type="integer", minimum=0, description="Watch production this long."),
        "asm_conn_id": Param("asm_default", type="string", minLength=1, description="The ASM connection."),
        "require_approval": Param(False, type="boolean", description="Ask a human before the flip."),
    },
) as dag:
    AsmGuardedSwapOperator(
        task_id="guarded_swap",
        asm_conn_id="{{ params.asm_conn_id }}",
        retries=0,
        pool=WRITER_POOL or "default_pool",
        service_name="{{ params.service_name }}",
        expected_new_deployment="{{ params.expected_deployment }}",
        # The param is optional on purpose: empty means "whatever staging holds" (say so, or an
        # empty rendering fails: a safety argument must not be turned off by accident).
        blank_means_not_given=["expected_new_deployment"],
        rollback="{{ params.rollback }}",
        bake_seconds="{{ params.bake_seconds }}",
        require_approval="{{ params.require_approval }}",
    )
