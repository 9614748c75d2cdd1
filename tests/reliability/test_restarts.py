"""Restarts: the emulator killed under a polling trigger, and a task killed right after it submitted.

1. ``kill -9`` of the emulator (a child process) while ``AsmOperationTrigger.run()`` polls; the
   emulator restarts on the same state dir and port; the trigger's single event is ``success``
   for the very operation it watched (the operation survived in the emulator's durable state).
2. ``SIGKILL`` of a process running the task (``dag.test`` in a child) once the operator stored
   the request id in the task state store; then the scheduler's retry is replayed on the same task
   instance (try 2) in this process: it resumes waiting on the same operation, and the emulator
   received exactly one Create Deployment.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import HERE, admin_get, admin_post, client_for, db_session

CSCFG = (
    '<ServiceConfiguration serviceName="svc" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/'
    'ServiceConfiguration"><Role name="WebRole"><Instances count="1"/></Role></ServiceConfiguration>'
)
PKG = "https://example.blob.core.windows.net/packages/app.cspkg"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _op_status(endpoint: dict[str, Any], request_id: str) -> str | None:
    for op in admin_get(endpoint)["operations"]:
        if op["id"].replace("-", "") == request_id.replace("-", ""):
            return str(op["status"])
    return None


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    """Bounded wait for a condition that another process makes true."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_trigger_survives_emulator_kill_9(asm_emulator_factory: Any, airflow_home: Path) -> None:
    from harness import asm_connection_json, conn_env

    from airflow_sm_provider.triggers.operation import AsmOperationTrigger

    port = _free_port()
    first = asm_emulator_factory(subprocess=True, speed=10, port=port)
    ep = dict(first.endpoint)
    with client_for(ep) as client:
        client.create_hosted_service("restart-svc", "l", location="West Europe").wait(
            timeout=60, poll_interval=0.05
        )
        handle = client.create_deployment(
            "restart-svc", "staging", "v1", PKG, "v1", CSCFG, start_deployment=True
        )
    request_id = str(handle.request_id)
    assert _op_status(ep, request_id) == "InProgress"

    events: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    polling = threading.Event()

    async def run() -> None:
        trigger = AsmOperationTrigger(
            request_id=request_id, asm_conn_id="asm_restart", deadline=time.time() + 180, poll_interval=0.2
        )
        trigger._progress = lambda message: polling.set()  # type: ignore[method-assign]
        async for event in trigger.run():
            events.append(event.payload)

    def thread_main() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # reported below
            errors.append(exc)

    with conn_env("asm_restart", asm_connection_json(ep)):
        worker = threading.Thread(target=thread_main, daemon=True)
        worker.start()
        _wait_for(polling.is_set, 60, "the trigger's first poll")
        first.kill()  # kill -9 while the trigger polls and the operation is in flight
        time.sleep(1.0)  # a few polls fail against the dead endpoint
        assert worker.is_alive() and not events, "the trigger gave up while the endpoint was down"
        second = asm_emulator_factory(subprocess=True, speed=10, port=port, state_dir=first.state_dir)
        assert second.endpoint["host"] == ep["host"]
        worker.join(timeout=120)
    assert not worker.is_alive(), "the trigger did not finish after the restart"
    assert not errors, errors
    assert len(events) == 1, events
    assert events[0]["status"] == "success", events[0]
    assert events[0]["request_id"] == request_id
    assert _op_status(second.endpoint, request_id) == "Succeeded"


def _memo(dag_id: str, task_id: str) -> dict[str, Any] | None:
    import json

    from airflow.models.task_state_store import TaskStateStoreModel
    from sqlalchemy import select

    with db_session() as session:
        row = session.scalars(
            select(TaskStateStoreModel).where(
                TaskStateStoreModel.dag_id == dag_id, TaskStateStoreModel.task_id == task_id
            )
        ).first()
        if row is None:
            return None
        value = json.loads(row.value)
        return value if isinstance(value, dict) else None


@pytest.mark.slow  # a child process that starts Airflow: 20-60 s on a shared machine
def test_task_killed_after_submit_resumes_same_operation(
    asm_emulator_factory: Any, airflow_home: Path
) -> None:
    import crashdag
    from harness import asm_connection_json

    emu = asm_emulator_factory(speed=5)  # create deployment: about 10 s, the window for the kill
    ep = dict(emu.endpoint)
    with client_for(ep) as client:
        client.create_hosted_service("crash-svc", "l", location="West Europe").wait(
            timeout=60, poll_interval=0.05
        )
    admin_post(ep, "faults", {"action": "slow", "delay": 0, "count": 0, "operation": "create_deployment"})

    env = {**os.environ, f"AIRFLOW_CONN_{crashdag.CONN_ID.upper()}": asm_connection_json(ep)}
    log = airflow_home / "crash-child.log"
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, str(HERE / "crashdag.py"), "crash-svc"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_for(
            lambda: (
                (_memo(crashdag.DAG_ID, crashdag.TASK_ID) or {}).get("request_id") is not None
                or child.poll() is not None
            ),
            240,
            "the child to submit",
        )
        assert child.poll() is None, log.read_text()[-3000:]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
    memo = _memo(crashdag.DAG_ID, crashdag.TASK_ID)
    assert memo and memo["phase"] == "submitted", memo
    request_id = memo["request_id"]
    assert _op_status(ep, request_id) == "InProgress", "the kill came too late to test resuming"

    # The scheduler's retry: same task instance, next try, run by a fresh worker (this process).
    from airflow.models.taskinstance import TaskInstance
    from airflow.sdk.definitions.dag import _run_task
    from sqlalchemy import select

    dag = crashdag.build("crash-svc")
    with db_session() as session:
        ti = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == crashdag.DAG_ID, TaskInstance.task_id == crashdag.TASK_ID
            )
        ).one()
        assert str(getattr(ti.state, "value", ti.state)) == "running", ti.state  # the killed try
        ti.try_number += 1
        session.commit()
        os.environ[f"AIRFLOW_CONN_{crashdag.CONN_ID.upper()}"] = asm_connection_json(ep)
        try:
            _run_task(ti=ti, task=dag.get_task(crashdag.TASK_ID))
        finally:
            os.environ.pop(f"AIRFLOW_CONN_{crashdag.CONN_ID.upper()}", None)
    with db_session() as session:
        ti = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == crashdag.DAG_ID, TaskInstance.task_id == crashdag.TASK_ID
            )
        ).one()
        state = str(getattr(ti.state, "value", ti.state))

    faults = admin_get(ep, "faults")["rules"]
    creates = next(int(r["matched"]) for r in faults if r.get("operation") == "create_deployment")
    assert state == "success", (state, log.read_text()[-2000:])
    assert creates == 1, f"Create Deployment sent {creates} times"
    assert _op_status(ep, request_id) == "Succeeded"
    deployments = [d for d in admin_get(ep)["resources"]["deployment"] if d["service"] == "crash-svc"]
    assert [d["name"] for d in deployments] == ["crash-v1"]
    assert _memo(crashdag.DAG_ID, crashdag.TASK_ID) is None, "the memo must be cleared after success"
