"""The guarded blue-green swap end to end: real Airflow (dag.test) against the real emulator over mTLS.

Each test starts from its own cloud service and a known slot layout, runs the example release DAG
(or a one-task DAG around :class:`AsmGuardedSwapOperator`), and checks three things: the DAG run's
verdict, the slots afterwards (read straight from the emulator), and the swap report in XCom.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from harness import START, run_dag, task_states, xcom_value
from test_blue_green_support import check_names, deploy, ensure_pool, make_client, new_service, release, slots


@pytest.fixture
def client(asm_endpoint: dict[str, Any], asm_conn_id: str) -> Iterator[Any]:
    ensure_pool()
    with make_client(asm_endpoint) as c:
        yield c


def test_first_release_moves_staging_into_empty_production(client: Any) -> None:
    service = new_service(client)
    dr, report = release(service, "v1", "v1.cscfg")
    states = task_states(dr)
    assert dr.state == "success", states
    assert states["retire_previous"] == "skipped"  # nothing was in production before
    assert slots(client, service) == {"production": "v1", "staging": None}
    assert report["swap_outcome"] == "swapped" and report["old_production"] is None
    assert report["new_production"] == "v1" and report["swapped"] and not report["rolled_back"]
    assert report["before"]["production"] is None
    assert report["after"]["production"]["name"] == "v1"
    checks = check_names(report)
    for gate in (
        "staging_occupied",
        "no_operation_in_flight",
        "staging_ready",
        "staging_health",
        "swap_operation",
    ):
        assert checks[gate], gate
    assert checks["production_health"]
    assert "moved into the empty production slot" in report["message"]


def test_release_swaps_bakes_and_retires_previous(client: Any) -> None:
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    dr, report = release(service, "v2", "v2.cscfg", bake_seconds=1)
    assert dr.state == "success", task_states(dr)
    assert task_states(dr)["retire_previous"] == "success"
    assert slots(client, service) == {"production": "v2", "staging": None}
    assert report["old_production"] == "v1" and report["new_production"] == "v2"
    assert report["before"]["production"]["name"] == "v1"
    assert report["swap_request_id"] and report["swapped_at"] and report["finished_at"]
    assert any(c["name"].startswith("bake_health_") and c["ok"] for c in report["checks"])
    assert check_names(report)["bake"]
    # no secrets in the report: no key material, no certificate paths
    text = repr(report)
    assert "PRIVATE KEY" not in text and "client_pem" not in text and ".pem" not in text


def test_keep_previous_leaves_old_production_in_staging(client: Any) -> None:
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    dr, _ = release(service, "v2", "v2.cscfg", keep_previous=True)
    assert dr.state == "success"
    assert task_states(dr)["retire_previous"] == "skipped"
    assert slots(client, service) == {"production": "v2", "staging": "v1"}


def test_unhealthy_staging_is_refused_and_production_unchanged(client: Any) -> None:
    service = new_service(client)
    deploy(client, service, "staging", "v2")
    client.swap_deployment(service, None, "v2").wait(timeout=60, poll_interval=0.05)
    dr, report = release(service, "v3", "v3-broken.cscfg")
    states = task_states(dr)
    assert dr.state == "failed"
    assert states["guarded_swap"] == "failed" and states["retire_previous"] == "upstream_failed"
    assert slots(client, service) == {"production": "v2", "staging": "v3"}
    assert report["swap_outcome"] == "refused" and not report["swapped"] and not report["rolled_back"]
    assert check_names(report)["staging_health"] is False
    assert "swap_operation" not in check_names(report)
    assert "503" in next(c["detail"] for c in report["checks"] if c["name"] == "staging_health")


def test_failure_after_swap_swaps_back_automatically(client: Any) -> None:
    service = new_service(client)
    deploy(client, service, "staging", "v2")
    client.swap_deployment(service, None, "v2").wait(timeout=60, poll_interval=0.05)
    dr, report = release(service, "v3b", "v3-fails-in-production.cscfg")
    assert dr.state == "failed"
    assert task_states(dr)["guarded_swap"] == "failed"
    assert slots(client, service) == {"production": "v2", "staging": "v3b"}
    assert report["swap_outcome"] == "rolled_back" and report["swapped"] and report["rolled_back"]
    checks = check_names(report)
    assert checks["staging_health"] and checks["swap_operation"]
    assert checks["production_health"] is False
    assert checks["swap_back_operation"] and checks["rollback_restored"]
    assert checks["restored_production_health"]
    assert report["rollback_request_id"] and report["after"]["production"]["name"] == "v2"
    # The failed task keeps its links (computed from the report it kept, operators/links.py).
    timeline = xcom_value(dr, "guarded_swap", "_link_AsmReleaseTimelineLink")
    assert timeline.endswith("/tasks/guarded_swap/plugin/asm-release-timeline"), timeline
    assert "/asm-sm/operation?" in xcom_value(dr, "guarded_swap", "_link_AsmOperationLink")
    production = report["after"]["production"]["url"]
    assert xcom_value(dr, "guarded_swap", "_link_AsmProductionUrlLink") == production


def test_failure_after_first_release_is_reported_not_hidden(client: Any) -> None:
    service = new_service(client)
    dr, report = release(service, "v1bad", "v3-fails-in-production.cscfg")
    assert dr.state == "failed"
    # Production was empty: there is nothing to swap back to, and the report says so.
    assert slots(client, service) == {"production": "v1bad", "staging": None}
    assert report["swap_outcome"] == "failed_after_swap" and not report["rolled_back"]
    assert "nothing to swap back to" in report["message"]


def _swap_dag(dag_id: str, service: str, **kwargs: Any) -> Any:
    from airflow.sdk import DAG

    from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        AsmGuardedSwapOperator(
            task_id="guarded_swap",
            service_name=service,
            poll_interval=0.1,
            health_interval=0.1,
            **kwargs,
        )
    return dag


def _warm_up() -> None:
    """Pay Airflow's one-time in-process API start-up (seconds under load) before timing matters."""
    from airflow.sdk import DAG, task

    with DAG("bg_warm_up", schedule=None, start_date=START, catchup=False) as dag:

        @task
        def noop() -> None:
            return None

        noop()
    assert run_dag(dag).state == "success"


def _hold_lock(emulator: Any, client: Any, service: str, seconds: float) -> None:
    """Start Update Deployment Status on staging under a ``long_operation`` fault rule, so that
    operation (and the deployment's lock) lasts ``seconds``; other requests keep the normal speed."""
    emulator.add_faults(
        {"action": "long_operation", "operation": "update_deployment_status", "delay": seconds, "count": 1}
    )
    client.update_deployment_status(service, "v2", "Running")
    assert client.get_deployment_by_slot(service, "staging").locked


def test_lock_held_by_another_operation_refuses_without_swapping(client: Any, asm_emulator: Any) -> None:
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    deploy(client, service, "staging", "v2")
    _hold_lock(asm_emulator, client, service, seconds=100)  # outlasts any start-up
    dr = run_dag(_swap_dag("bg_lock_refused", service, lock_wait_timeout=0.5))
    report = xcom_value(dr, "guarded_swap", "swap_report")
    assert dr.state == "failed"
    assert slots(client, service) == {"production": "v1", "staging": "v2"}
    assert report["swap_outcome"] == "refused" and not report["swapped"]
    lock_check = next(c for c in report["checks"] if c["name"] == "no_operation_in_flight")
    assert not lock_check["ok"] and "locked" in lock_check["detail"]
    assert "not swapping over it" in report["message"]


def test_lock_held_by_another_operation_is_waited_for(client: Any, asm_emulator: Any) -> None:
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    deploy(client, service, "staging", "v2")
    _warm_up()  # so the 10 s lock below is still held when the swap task starts
    _hold_lock(asm_emulator, client, service, seconds=10)
    dr = run_dag(_swap_dag("bg_lock_waited", service, lock_wait_timeout=120, expected_new_deployment="v2"))
    report = xcom_value(dr, "guarded_swap", "swap_report")
    assert dr.state == "success", report
    assert slots(client, service) == {"production": "v2", "staging": "v1"}
    lock_check = next(c for c in report["checks"] if c["name"] == "no_operation_in_flight")
    assert lock_check["ok"] and "waited" in lock_check["detail"]


def test_retry_after_swap_does_not_swap_twice(client: Any) -> None:
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    deploy(client, service, "staging", "v2")
    # A previous try swapped v2 in and then died before reporting.
    client.swap_deployment(service, "v1", "v2").wait(timeout=60, poll_interval=0.05)
    dr = run_dag(_swap_dag("bg_reconcile", service, expected_new_deployment="v2"))
    report = xcom_value(dr, "guarded_swap", "swap_report")
    assert dr.state == "success"
    assert slots(client, service) == {"production": "v2", "staging": "v1"}  # not flipped back
    assert report["swap_outcome"] == "already_promoted" and report["swap_request_id"] is None
    assert check_names(report)["reconcile"] and check_names(report)["production_health"]


def test_empty_staging_is_refused(client: Any) -> None:
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    dr = run_dag(_swap_dag("bg_empty_staging", service))
    report = xcom_value(dr, "guarded_swap", "swap_report")
    assert dr.state == "failed"
    assert report["swap_outcome"] == "refused" and "staging slot is empty" in report["message"]
    assert slots(client, service) == {"production": "v1", "staging": None}


def test_staging_with_failed_instances_is_refused_at_once(client: Any) -> None:
    import time

    from test_blue_green_support import CONFIG, PACKAGE

    from airflow_sm_provider.client.polling import Probe, Schedule, deployment_ready_condition, run_sync

    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    config = (CONFIG / "v1.cscfg").read_text().replace('value="healthy"', 'value="fail-start"')
    client.create_deployment(
        service, "staging", "v2", PACKAGE.format(v="v2"), "v2", config, start_deployment=True
    ).wait(timeout=60, poll_interval=0.05)
    verdict = run_sync(
        Probe("ready", deployment_ready_condition, lambda: client.get_deployment_by_name(service, "v2")),
        deadline=time.time() + 60,
        schedule=Schedule(0.05),
    )
    assert not verdict.ok  # the instances ended FailedStartingRole
    # A long lock_wait_timeout: the gate must refuse at once, not wait for a deployment that cannot heal.
    dr = run_dag(_swap_dag("bg_failed_instances", service, lock_wait_timeout=600))
    report = xcom_value(dr, "guarded_swap", "swap_report")
    assert dr.state == "failed"
    ready = next(c for c in report["checks"] if c["name"] == "staging_ready")
    assert not ready["ok"] and "failed instances" in ready["detail"]
    assert slots(client, service) == {"production": "v1", "staging": "v2"}
