"""Sensors inside real ``dag.test()`` runs against the emulator: poke, reschedule and deferrable.

Every mode must reach the same verdict: success, failure with ASM's code (no retry), timeout,
and ``soft_fail`` turning failure or timeout into a skip.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from airflow.sdk import DAG
from harness import (
    START,
    clear_faults,
    create_deployment,
    create_service,
    run_dag,
    start_storage_create,
    task_states,
    xcom_value,
)

from airflow_sm_provider.sensors.deployment import AsmDeploymentReadySensor
from airflow_sm_provider.sensors.operation import AsmOperationSensor

MODES = [
    pytest.param({"mode": "poke", "deferrable": False}, id="poke"),
    pytest.param({"mode": "reschedule", "deferrable": False}, id="reschedule"),
    pytest.param({"deferrable": True}, id="deferrable"),
]
_ids = itertools.count()


def _run(sensor_cls: type, **kwargs: Any) -> tuple[str | None, Any]:
    """Run one sensor task in its own DAG; return (state, xcom return value)."""
    dag_id = f"sensor_{sensor_cls.__name__.lower()}_{next(_ids)}"
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        sensor_cls(task_id="wait", poke_interval=0.1, retries=0, **kwargs)
    dr = run_dag(dag)
    return task_states(dr)["wait"], xcom_value(dr, "wait")


@pytest.fixture(autouse=True)
def _no_faults(asm_endpoint: dict[str, Any]) -> Any:
    clear_faults(asm_endpoint)
    yield
    clear_faults(asm_endpoint)


# --- construction-time validation ----------------------------------------------------------------
def test_operation_sensor_requires_request_id() -> None:
    with pytest.raises(ValueError, match="request_id"):
        AsmOperationSensor(task_id="x", request_id="  ")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"service_name": "s"}, "exactly one"),
        ({"service_name": "s", "deployment_slot": "staging", "deployment_name": "d"}, "exactly one"),
        ({"service_name": "s", "deployment_slot": "green"}, "deployment_slot"),
        ({"service_name": "", "deployment_slot": "staging"}, "service_name"),
    ],
)
def test_deployment_sensor_validates_arguments(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        AsmDeploymentReadySensor(task_id="x", **kwargs)


def test_templated_fields_and_templated_slot_allowed() -> None:
    sensor = AsmDeploymentReadySensor(
        task_id="x", service_name="{{ params.s }}", deployment_slot="{{ params.slot }}"
    )
    assert set(sensor.template_fields) == {
        "asm_conn_id",
        "poke_interval",
        "timeout",
        "service_name",
        "deployment_slot",
        "deployment_name",
    }
    assert set(AsmOperationSensor.template_fields) == {
        "asm_conn_id",
        "poke_interval",
        "timeout",
        "request_id",
    }


def test_deferrable_default_comes_from_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    assert AsmOperationSensor(task_id="x", request_id="r").deferrable is True
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "False")
    assert AsmOperationSensor(task_id="x", request_id="r").deferrable is False


# --- operation sensor ----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_operation_sensor_success(
    mode: dict[str, Any], asm_conn_id: str, asm_endpoint: dict[str, Any]
) -> None:
    request_id = start_storage_create(asm_endpoint)
    state, value = _run(AsmOperationSensor, request_id=request_id, timeout=120, **mode)
    assert state == "success"
    assert value["status"] == "success" and value["request_id"] == request_id


@pytest.mark.parametrize("mode", MODES)
def test_operation_sensor_failed_operation(
    mode: dict[str, Any], asm_conn_id: str, asm_endpoint: dict[str, Any]
) -> None:
    request_id = start_storage_create(asm_endpoint, fail_with="StorageQuotaExceeded")
    state, _ = _run(AsmOperationSensor, request_id=request_id, timeout=120, **mode)
    assert state == "failed"


@pytest.mark.parametrize("mode", MODES)
def test_operation_sensor_failed_soft_fail_skips(
    mode: dict[str, Any], asm_conn_id: str, asm_endpoint: dict[str, Any]
) -> None:
    request_id = start_storage_create(asm_endpoint, fail_with="StorageQuotaExceeded")
    state, _ = _run(AsmOperationSensor, request_id=request_id, timeout=120, soft_fail=True, **mode)
    assert state == "skipped"


def test_operation_sensor_templated_request_id(asm_conn_id: str, asm_endpoint: dict[str, Any]) -> None:
    request_id = start_storage_create(asm_endpoint)
    dag_id = f"sensor_templated_{next(_ids)}"
    with DAG(dag_id, schedule=None, start_date=START, catchup=False, params={"rid": request_id}) as dag:
        AsmOperationSensor(task_id="wait", request_id="{{ params.rid }}", poke_interval=0.1, deferrable=True)
    dr = run_dag(dag)
    assert task_states(dr)["wait"] == "success"
    assert xcom_value(dr, "wait")["request_id"] == request_id


# --- deployment sensor ---------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_deployment_sensor_ready(
    mode: dict[str, Any], asm_conn_id: str, asm_endpoint: dict[str, Any]
) -> None:
    service, name = create_deployment(asm_endpoint, slot="staging", count=2)
    state, value = _run(
        AsmDeploymentReadySensor, service_name=service, deployment_slot="staging", timeout=120, **mode
    )
    assert state == "success"
    assert value["deployment_name"] == name
    assert value["instances_ready"] == value["instances_total"] == 2


@pytest.mark.parametrize("mode", MODES)
def test_deployment_sensor_fails_fast(
    mode: dict[str, Any], asm_conn_id: str, asm_endpoint: dict[str, Any]
) -> None:
    service, name = create_deployment(asm_endpoint, slot="production", health="fail-start")
    state, _ = _run(AsmDeploymentReadySensor, service_name=service, deployment_name=name, timeout=600, **mode)
    assert state == "failed"


@pytest.mark.parametrize("mode", MODES)
def test_deployment_sensor_timeout(
    mode: dict[str, Any], asm_conn_id: str, asm_endpoint: dict[str, Any]
) -> None:
    service = create_service(asm_endpoint)  # nothing will ever appear in its staging slot
    state, _ = _run(
        AsmDeploymentReadySensor, service_name=service, deployment_slot="staging", timeout=1, **mode
    )
    assert state == "failed"


@pytest.mark.parametrize("mode", MODES)
def test_deployment_sensor_timeout_soft_fail_skips(
    mode: dict[str, Any], asm_conn_id: str, asm_endpoint: dict[str, Any]
) -> None:
    service = create_service(asm_endpoint)
    state, _ = _run(
        AsmDeploymentReadySensor,
        service_name=service,
        deployment_slot="staging",
        timeout=1,
        soft_fail=True,
        **mode,
    )
    assert state == "skipped"


# --- what deferrable mode hands to the triggerer -------------------------------------------------
def test_deferrable_defers_with_poke_interval_and_timeout(
    asm_conn_id: str, asm_endpoint: dict[str, Any]
) -> None:
    import time
    from datetime import timedelta

    from airflow.sdk.exceptions import TaskDeferred

    from airflow_sm_provider.triggers.deployment import AsmDeploymentReadyTrigger

    service = create_service(asm_endpoint)  # empty slot: the immediate check is "not ready"
    sensor = AsmDeploymentReadySensor(
        task_id="x",
        service_name=service,
        deployment_slot="staging",
        poke_interval=7,
        timeout=300,
        deferrable=True,
    )
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context={})
    after = time.time()
    deferred = info.value
    assert isinstance(deferred.trigger, AsmDeploymentReadyTrigger)
    assert deferred.trigger.poll_interval == 7.0
    assert before + 300 <= deferred.trigger.deadline <= after + 300
    assert deferred.timeout == timedelta(seconds=300)
    assert deferred.method_name == "execute_complete"


def test_deferrable_returns_at_once_when_already_done(asm_conn_id: str, asm_endpoint: dict[str, Any]) -> None:
    from harness import legacy_sms

    request_id = start_storage_create(asm_endpoint)
    sms = legacy_sms(asm_endpoint)
    for _ in range(200):  # arrange: wait (outside the code under test) until it finished
        if sms.get_operation_status(request_id).status != "InProgress":
            break
        time.sleep(0.05)
    sensor = AsmOperationSensor(task_id="x", request_id=request_id, deferrable=True)
    value = sensor.execute(context={})
    assert value["status"] == "success"


@pytest.mark.parametrize(
    ("event", "exc_name"),
    [
        (None, "AirflowException"),
        ({"status": "failed", "message": "m", "error_code": "Code1"}, "AirflowFailException"),
        ({"status": "timeout", "message": "m"}, "AirflowSensorTimeout"),
        ({"status": "failed", "message": "m", "error_type": "AuthenticationError"}, "AsmWaitError"),
    ],
)
def test_execute_complete_raises_per_status(event: dict[str, Any] | None, exc_name: str) -> None:
    sensor = AsmOperationSensor(task_id="x", request_id="r1")
    with pytest.raises(Exception) as info:
        sensor.execute_complete(context={}, event=event)
    assert type(info.value).__name__ == exc_name
    if event and event.get("error_code"):
        assert "Code1" in str(info.value)


def test_never_fail_skips_a_broken_wait_in_every_mode() -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    sensor = AsmOperationSensor(task_id="x", request_id="r1", never_fail=True)
    event = {"status": "failed", "message": "m", "error_type": "TransportError"}
    with pytest.raises(AirflowSkipException):
        sensor.execute_complete(context={}, event=event)
