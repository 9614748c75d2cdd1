"""Section 4's control: an Airflow-only DAG shaped like ``blue_green_release`` (schedule, params, tasks).

Parsing it shows what Airflow itself costs for such a DAG, apart from anything the provider imports.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param, task

with DAG(
    dag_id="bench_control",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"service_name": Param("x", type="string"), "bake_seconds": Param(60, type="integer", minimum=0)},
) as dag:

    @task
    def prepare() -> str:
        return "x"

    @task
    def retire(value: str) -> str:
        return value

    retire(prepare())
