"""The manual promotion gate: Airflow's own ApprovalOperator inside the release, answered through
Airflow's own HITL REST API (the api-server's ``PATCH .../hitlDetails``, in-process via FastAPI's test
client on the same metadata DB), while ``dag.test`` keeps the run alive in another thread.

Approve: the swap happens and the report records who approved. Reject: production is untouched, the
outcome is ``refused`` and the report says the promotion was not approved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from harness import START, run_dag, task_states, xcom_value
from test_blue_green_support import check_names, deploy, ensure_pool, make_client, new_service, slots

# Under `make soak`, not `make test`: dag.test() parked on a HITL task plus an answering thread was
# seen to hang for minutes on this 2-core machine (even alone, 2026-12-01), and CI must stay short.
pytestmark = pytest.mark.slow


@pytest.fixture
def client(asm_endpoint: dict[str, Any], asm_conn_id: str) -> Iterator[Any]:
    ensure_pool()
    with make_client(asm_endpoint) as c:
        yield c


@pytest.fixture(scope="module")
def hitl_api() -> Any:
    """Airflow's core API app (simple auth manager, every user an admin) as a test client."""
    from airflow.configuration import conf
    from fastapi.testclient import TestClient

    conf.set("core", "simple_auth_manager_all_admins", "True")
    from airflow.api_fastapi.app import create_app

    with TestClient(create_app(apps="core")) as api:
        yield api


def _awaiting(dag_id: str, task_id: str) -> tuple[str, str] | None:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        ti = session.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.task_id == task_id)
        ).first()
        if ti is not None and str(getattr(ti.state, "value", ti.state)) == "awaiting_input":
            return ti.run_id, str(ti.id)
    return None


def _fail_waiting(dag_id: str) -> None:
    """End a run parked on a HITL task (dag.test() waits for an answer otherwise)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    with create_session() as session:
        for ti in session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag_id)):
            if str(getattr(ti.state, "value", ti.state)) == "awaiting_input":
                ti.state = TaskInstanceState.FAILED


def _release_with_answer(hitl_api: Any, dag: Any, answer: str) -> tuple[Any, dict[str, Any]]:
    """Run the DAG here (``dag.test`` needs the main thread); a human answers from another thread."""
    seen: dict[str, Any] = {}

    def human() -> None:
        try:
            from airflow import settings

            if settings.Session is None:  # a later dag.test() may leave this thread without an ORM
                settings.configure_orm()
            deadline = time.monotonic() + 120
            while (found := _awaiting(dag.dag_id, "guarded_swap")) is None:
                if time.monotonic() > deadline:
                    raise TimeoutError("the task never reached awaiting_input")
                time.sleep(0.2)
            base = f"/api/v2/dags/{dag.dag_id}/dagRuns/{found[0]}/taskInstances/guarded_swap/-1/hitlDetails"
            seen["detail"] = hitl_api.get(base)
            seen["answer"] = hitl_api.patch(base, json={"chosen_options": [answer], "params_input": {}})
            if seen["answer"].status_code != 200:
                raise RuntimeError(seen["answer"].text)
        except Exception as exc:  # never leave dag.test() waiting for an answer forever
            seen["error"] = repr(exc)
            _fail_waiting(dag.dag_id)

    responder = threading.Thread(target=human, daemon=True)
    responder.start()
    dr = run_dag(dag)
    responder.join(timeout=10)
    assert "error" not in seen, seen["error"]
    detail, answered = seen.get("detail"), seen.get("answer")
    assert detail is not None and answered is not None, "the swap never asked for approval"
    assert detail.status_code == 200 and answered.status_code == 200, (detail.text, answered.text)
    body = detail.json()
    assert body["options"] == ["Approve", "Reject"] and "Staging URL: https://" in body["body"]
    assert "Gate results:" in body["body"] and "staging_health" in body["body"]
    assert "WebRole/App.Version: v1 -> v2" in body["body"]  # what changed in the .cscfg
    return dr, xcom_value(dr, "guarded_swap", "release_report")


def _dag(dag_id: str, service: str) -> Any:
    from airflow.sdk import DAG

    from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        AsmGuardedSwapOperator(
            task_id="guarded_swap",
            service_name=service,
            expected_new_deployment="v2",
            require_approval=True,
            deferrable=True,
            poll_interval=0.1,
            health_interval=0.1,
        )
    return dag


def _two_slots(client: Any) -> str:
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    deploy(client, service, "staging", "v2", "v2.cscfg")
    return service


def test_approved_promotion_swaps(client: Any, hitl_api: Any) -> None:
    service = _two_slots(client)
    dr, report = _release_with_answer(hitl_api, _dag("bg_approve", service), "Approve")
    assert dr.state == "success", task_states(dr)
    assert slots(client, service) == {"production": "v2", "staging": "v1"}
    assert report["outcome"] == "released" and report["approval"]["approved"] is True
    assert check_names(report)["approval"] and check_names(report)["pre_swap_recheck"]
    steps = [e["step"] for e in report["events"]]
    assert steps.index("approval") < steps.index("flip")


def test_rejected_promotion_leaves_production_untouched(client: Any, hitl_api: Any) -> None:
    service = _two_slots(client)
    dr, report = _release_with_answer(hitl_api, _dag("bg_reject", service), "Reject")
    assert dr.state == "failed"
    assert slots(client, service) == {"production": "v1", "staging": "v2"}
    assert report["outcome"] == "refused" and report["approval"]["approved"] is False
    assert "not approved" in report["message"] and "production untouched" in report["message"]
    assert "swap_operation" not in check_names(report)
