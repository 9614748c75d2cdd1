"""Three guarded swaps whose finished run the UI test seeds."""

from datetime import datetime, timezone

from airflow.sdk import DAG

from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator

with DAG("asm_releases", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    AsmGuardedSwapOperator(task_id="release_ok", service_name="shop-web")
    AsmGuardedSwapOperator(task_id="release_refused", service_name="shop-api")
    AsmGuardedSwapOperator(task_id="release_rolled_back", service_name="shop-cart")
