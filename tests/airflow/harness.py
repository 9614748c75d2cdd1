"""Run real Airflow DAGs in-process against the ASM emulator (shared by hook/sensor/operator tests).

Why a harness: ``dag.test()`` needs a migrated metadata DB, a serialized DAG and connections
supplied as ``AIRFLOW_CONN_*`` variables; every test suite under ``tests/airflow`` needs the same
three steps. ``conftest.py`` prepares the environment (AIRFLOW_HOME, DB) once per session; this
module holds the helpers tests call directly.

Typical use::

    def test_x(asm_conn_id):
        with DAG("t_x", schedule=None, start_date=START) as dag:
            AsmOperationSensor(task_id="wait", request_id="...")
        dr = run_dag(dag)
        assert task_states(dr) == {"wait": "success"}
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.models.dagrun import DagRun
    from airflow.sdk import DAG

__all__ = [
    "START",
    "asm_connection_json",
    "conn_env",
    "run_dag",
    "task_instances",
    "task_states",
    "xcom_value",
]

#: A fixed start date for DAGs built in tests (schedule=None, so it only has to be in the past).
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def asm_connection_json(endpoint: Mapping[str, Any], **extra: Any) -> str:
    """Return the ``AIRFLOW_CONN_*`` JSON for an emulator endpoint.

    :param endpoint: the emulator's ``endpoint`` dict (``host``, ``subscription_id``, ...).
    :param extra: extras to add or override; a value of None removes the key.
    """
    extras: dict[str, Any] = {
        "subscription_id": endpoint["subscription_id"],
        "certificate_path": endpoint["client_pem"],
        "ca_bundle": endpoint["ca_cert"],
    }
    password = extra.pop("password", None)
    host = extra.pop("host", endpoint["host"])
    for key, value in extra.items():
        if value is None:
            extras.pop(key, None)
        else:
            extras[key] = value
    conn: dict[str, Any] = {"conn_type": "azure_service_management", "host": host, "extra": extras}
    if password is not None:
        conn["password"] = password
    return json.dumps(conn)


@contextmanager
def conn_env(conn_id: str, conn_json: str) -> Iterator[str]:
    """Define connection ``conn_id`` through ``AIRFLOW_CONN_<ID>`` for the duration of the block.

    :param conn_id: the Airflow connection id.
    :param conn_json: the connection as JSON (see :func:`asm_connection_json`).
    """
    key = f"AIRFLOW_CONN_{conn_id.upper()}"
    old = os.environ.get(key)
    os.environ[key] = conn_json
    try:
        yield conn_id
    finally:
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


def _serialize(dag: DAG) -> None:
    """Write a DAG built in a test into the metadata DB so ``dag.test()`` accepts it.

    ``dag.test()`` refuses a DAG that was never serialized ("the dag is not serialized");
    DAG files are normally parsed from the DAGs folder, test DAGs are not.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)


def run_dag(dag: DAG, *, run_conf: dict[str, Any] | None = None) -> DagRun:
    """Serialize ``dag`` and run it once with ``dag.test()`` in this process; return the run.

    ``dag.test()`` runs deferred triggers inline, so deferrable tasks work without a
    triggerer. It does not raise when a task fails: check ``dr.state`` / :func:`task_states`.

    :param dag: a DAG object, typically built inside the test.
    :param run_conf: optional ``dag_run.conf``.
    """
    _serialize(dag)
    return dag.test(run_conf=run_conf)


def task_instances(dr: DagRun) -> dict[str, Any]:
    """Return ``{task_id: TaskInstance}`` of a run, freshly read from the DB (mapped: last index)."""
    from airflow import settings
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import select

    with settings.Session() as session:
        rows = session.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == dr.dag_id, TaskInstance.run_id == dr.run_id)
        ).all()
        for ti in rows:
            session.expunge(ti)
    return {ti.task_id: ti for ti in rows}


def task_states(dr: DagRun) -> dict[str, str | None]:
    """Return ``{task_id: state}`` (plain strings) of every task instance of a run."""
    return {
        tid: (str(getattr(ti.state, "value", ti.state)) if ti.state else None)
        for tid, ti in task_instances(dr).items()
    }


def xcom_value(dr: DagRun, task_id: str, key: str = "return_value") -> Any:
    """Return the deserialized XCom ``key`` pushed by ``task_id`` in run ``dr`` (None if absent).

    :param dr: the run returned by :func:`run_dag`.
    :param task_id: the task that pushed the value.
    :param key: the XCom key; ``return_value`` is what ``execute`` returned.
    """
    from airflow import settings
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    with settings.Session() as session:
        row = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == dr.dag_id,
                XComModel.run_id == dr.run_id,
                XComModel.task_id == task_id,
                XComModel.key == key,
            )
        ).first()
        if row is None:
            return None
        return XComModel.deserialize_value(row)
