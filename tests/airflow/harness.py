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
    :param extra: extras to add or override; a value of None removes the key (``password``, ``login``
        and ``host`` are the connection's own fields).
    """
    extras: dict[str, Any] = {
        "subscription_id": endpoint["subscription_id"],
        "certificate_path": endpoint["client_pem"],
        "ca_bundle": endpoint["ca_cert"],
    }
    password = extra.pop("password", None)
    login = extra.pop("login", None)
    host = extra.pop("host", endpoint["host"])
    for key, value in extra.items():
        if value is None:
            extras.pop(key, None)
        else:
            extras[key] = value
    conn: dict[str, Any] = {"conn_type": "azure_service_management", "host": host, "extra": extras}
    if password is not None:
        conn["password"] = password
    if login is not None:
        conn["login"] = login
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


def _session() -> Any:
    """A new ORM session (``settings.Session`` is configured once Airflow is initialised)."""
    from airflow import settings

    factory = settings.Session
    if factory is None:
        raise RuntimeError("Airflow's ORM is not configured; is tests/airflow/conftest.py loaded?")
    return factory()


def task_instances(dr: DagRun) -> dict[str, Any]:
    """Return ``{task_id: TaskInstance}`` of a run, freshly read from the DB (mapped: last index)."""
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import select

    with _session() as session:
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
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    with _session() as session:
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


# --- emulator set-up helpers (independent of our client, so a client bug cannot hide here) -------
CSCFG = (
    '<ServiceConfiguration serviceName="svc" osFamily="4" osVersion="*" '
    'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">'
    '<Role name="WebRole"><Instances count="{count}"/><ConfigurationSettings>'
    '<Setting name="Emulator.Health" value="{health}"/></ConfigurationSettings></Role>'
    "</ServiceConfiguration>"
)
PACKAGE_URL = "https://example.blob.core.windows.net/packages/app.cspkg"


def legacy_sms(endpoint: Mapping[str, Any]) -> Any:
    """The old SDK's ``ServiceManagementService`` on the emulator, for arranging test state."""
    from azure.servicemanagement import ServiceManagementService

    from airflow_sm_provider.emulator.pytest_plugin import legacy_session

    return ServiceManagementService(
        endpoint["subscription_id"], request_session=legacy_session(dict(endpoint)), host=endpoint["host"]
    )


def add_fault(endpoint: Mapping[str, Any], **rule: Any) -> dict[str, Any]:
    """POST a fault rule to the emulator's admin endpoint (``{admin_url}faults``); return it."""
    from airflow_sm_provider.emulator.pytest_plugin import admin_session

    with admin_session(dict(endpoint)) as session:
        resp = session.post(endpoint["admin_url"].rstrip("/") + "/faults", json=rule, timeout=10)
    resp.raise_for_status()
    added: dict[str, Any] = resp.json()["added"][0]
    return added


def clear_faults(endpoint: Mapping[str, Any]) -> None:
    """Remove every fault rule of the emulator."""
    from airflow_sm_provider.emulator.pytest_plugin import admin_session

    with admin_session(dict(endpoint)) as session:
        session.delete(endpoint["admin_url"].rstrip("/") + "/faults", timeout=10)


def unique(prefix: str) -> str:
    """A resource name unused in this session's shared emulator (lower case, <= 24 chars)."""
    import uuid

    return f"{prefix}{uuid.uuid4().hex[: 20 - len(prefix)]}"


def start_storage_create(endpoint: Mapping[str, Any], *, fail_with: str | None = None) -> str:
    """Submit Create Storage Account (an async operation); return its request id.

    :param endpoint: the emulator endpoint.
    :param fail_with: make this operation end ``Failed`` with this ASM error code.
    """
    if fail_with:
        add_fault(
            endpoint,
            action="fail_operation",
            operation="create_storage_account",
            count=1,
            error_code=fail_with,
        )
    result = legacy_sms(endpoint).create_storage_account(unique("st"), "test", "test", location="West US")
    return str(result.request_id)


def create_deployment(
    endpoint: Mapping[str, Any], *, slot: str = "staging", health: str = "healthy", count: int = 2
) -> tuple[str, str]:
    """Create a cloud service and a started deployment in ``slot``; return (service, deployment).

    :param endpoint: the emulator endpoint.
    :param slot: production or staging.
    :param health: the ``Emulator.Health`` setting (``fail-start`` ends in FailedStartingRole).
    :param count: role instances.
    """
    import base64

    sms = legacy_sms(endpoint)
    service, name = unique("svc"), unique("dep")
    sms.create_hosted_service(service, "test", location="West US")
    cfg = base64.b64encode(CSCFG.format(count=count, health=health).encode()).decode()
    sms.create_deployment(service, slot, name, PACKAGE_URL, "test", cfg, start_deployment=True)
    return service, name


def create_service(endpoint: Mapping[str, Any]) -> str:
    """Create an empty cloud service (no deployments); return its name."""
    service = unique("svc")
    legacy_sms(endpoint).create_hosted_service(service, "test", location="West US")
    return service
