"""The harness itself: a DAG built in a test runs through dag.test() and its results are readable."""

from __future__ import annotations

from airflow.sdk import DAG, task
from harness import START, run_dag, task_states, xcom_value


def test_run_dag_runs_tasks_and_reads_xcom() -> None:
    with DAG("harness_smoke", schedule=None, start_date=START, catchup=False) as dag:

        @task
        def produce() -> dict[str, int]:
            return {"n": 3}

        @task
        def boom() -> None:
            raise RuntimeError("expected failure")

        produce()
        boom()

    dr = run_dag(dag)
    assert task_states(dr) == {"produce": "success", "boom": "failed"}
    assert xcom_value(dr, "produce") == {"n": 3}
    assert dr.state == "failed"
    # A second run of the same DAG in the same process works too.
    dr2 = run_dag(dag)
    assert task_states(dr2)["produce"] == "success"
