"""if_exists / if_missing, and retries that resume instead of submitting twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from airflow.sdk import DAG
from harness import START, run_dag, task_states, xcom_value
from test_operators_helpers import (
    FAILURES,
    FAST,
    PACKAGE_URL,
    crash_before_id_stored,
    cscfg,
    request_counter,
    requests_seen,
    unique,
)

from airflow_sm_provider.operators.cloud_service import AsmCreateCloudServiceOperator
from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator, AsmDeleteDeploymentOperator
from airflow_sm_provider.operators.storage import (
    AsmCreateStorageAccountOperator,
    AsmDeleteStorageAccountOperator,
)

INDEPENDENT: dict[str, Any] = {"trigger_rule": "all_done"}


def test_storage_if_exists_reuse_fail_and_mismatch(asm_conn_id: str, asm_emulator: Any) -> None:
    acct = unique("st")
    spec = {"service_name": acct, "location": "West US", "account_type": "Standard_LRS", **FAST}
    with DAG("ops_if_exists_storage", schedule=None, start_date=START) as dag:
        first = AsmCreateStorageAccountOperator(task_id="first", **spec)
        reuse = AsmCreateStorageAccountOperator(task_id="reuse", if_exists="reuse", **spec, **INDEPENDENT)
        fail = AsmCreateStorageAccountOperator(task_id="fail", **spec, **INDEPENDENT)
        differs = AsmCreateStorageAccountOperator(
            task_id="differs",
            if_exists="reuse",
            **{**spec, "account_type": "Standard_GRS", "location": "East US"},
            **INDEPENDENT,
        )
        first >> reuse >> fail >> differs
    counter = request_counter(asm_emulator, "create_storage_account")

    dr = run_dag(dag)

    assert task_states(dr) == {"first": "success", "reuse": "success", "fail": "failed", "differs": "failed"}
    assert xcom_value(dr, "first")["reused"] is False
    assert xcom_value(dr, "reuse")["reused"] is True
    assert "already exists" in str(FAILURES["fail"]) and "if_exists='reuse'" in str(FAILURES["fail"])
    msg = str(FAILURES["differs"])
    assert "account_type" in msg and "location" in msg and "Standard_GRS" in msg
    assert requests_seen(asm_emulator, counter) == 1  # only the first task sent a create


def test_deployment_slot_occupied(asm_conn_id: str) -> None:
    svc = unique("svc")
    dep: dict[str, Any] = {
        "service_name": svc,
        "deployment_slot": "staging",
        "package_url": PACKAGE_URL,
        "configuration": cscfg(svc),
        **FAST,
    }
    with DAG("ops_if_exists_deployment", schedule=None, start_date=START) as dag:
        s = AsmCreateCloudServiceOperator(task_id="svc", service_name=svc, location="West US", **FAST)
        v1 = AsmCreateDeploymentOperator(task_id="v1", deployment_name="v1", **dep)
        again = AsmCreateDeploymentOperator(task_id="again", deployment_name="v1", if_exists="reuse", **dep)
        other = AsmCreateDeploymentOperator(
            task_id="other", deployment_name="v9", if_exists="reuse", **dep, **INDEPENDENT
        )
        s >> v1 >> again >> other

    dr = run_dag(dag)

    assert task_states(dr) == {"svc": "success", "v1": "success", "again": "success", "other": "failed"}
    assert xcom_value(dr, "again")["reused"] is True
    msg = str(FAILURES["other"])
    assert "occupied by deployment 'v1'" in msg and "Delete it" in msg and "swap" in msg


def test_if_missing_ignore_and_fail(asm_conn_id: str) -> None:
    svc = unique("svc")
    with DAG("ops_if_missing", schedule=None, start_date=START) as dag:
        ignore = AsmDeleteStorageAccountOperator(task_id="ignore", service_name=unique("st"), **FAST)
        fail = AsmDeleteStorageAccountOperator(
            task_id="fail", service_name=unique("st"), if_missing="fail", **FAST, **INDEPENDENT
        )
        dep_fail = AsmDeleteDeploymentOperator(
            task_id="dep_fail",
            service_name=svc,
            deployment_slot="staging",
            if_missing="fail",
            **FAST,
            **INDEPENDENT,
        )
        ignore >> fail >> dep_fail

    dr = run_dag(dag)

    assert task_states(dr) == {"ignore": "success", "fail": "failed", "dep_fail": "failed"}
    assert xcom_value(dr, "ignore")["status"] == "Absent"
    assert "does not exist" in str(FAILURES["fail"]) and "ResourceNotFound" in str(FAILURES["fail"])
    assert "in slot 'staging'" in str(FAILURES["dep_fail"])


SUBMITTED: list[str | None] = []


class CrashAfterSubmitOperator(AsmCreateStorageAccountOperator):
    """The worker dies right after the request id was stored (first try only)."""

    def after_submit(self, context: Any, request_id: str | None) -> None:
        if context["ti"].try_number == 1:
            SUBMITTED.append(request_id)
            raise RuntimeError("simulated worker crash right after submission")


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_retry_after_crash_resumes_the_same_operation(
    asm_conn_id: str, asm_emulator: Any, deferrable: bool
) -> None:
    SUBMITTED.clear()
    with DAG(f"ops_crash_{deferrable}", schedule=None, start_date=START) as dag:
        CrashAfterSubmitOperator(
            task_id="create",
            service_name=unique("st"),
            location="West US",
            retries=1,
            retry_delay=timedelta(0),
            deferrable=deferrable,
            **FAST,
        )
    counter = request_counter(asm_emulator, "create_storage_account")

    dr = run_dag(dag)

    assert task_states(dr) == {"create": "success"}
    assert len(SUBMITTED) == 1 and SUBMITTED[0]
    result = xcom_value(dr, "create")
    assert result["request_id"] == SUBMITTED[0]  # the retry waited on try 1's operation
    assert result["status"] == "Succeeded"
    assert requests_seen(asm_emulator, counter) == 1  # no second create was sent


def test_connection_dropped_after_the_request_reached_asm(asm_conn_id: str, asm_emulator: Any) -> None:
    """The answer is lost after ASM acted: the task ends with the account, and one create was sent.

    The client reconciles (reads state) itself; whichever layer notices, no duplicate is sent.
    """
    acct = unique("st")
    with DAG("ops_drop_after", schedule=None, start_date=START) as dag:
        AsmCreateStorageAccountOperator(
            task_id="create",
            service_name=acct,
            location="West US",
            retries=1,
            retry_delay=timedelta(0),
            **FAST,
        )
    counter = request_counter(asm_emulator, "create_storage_account")
    asm_emulator.add_faults({"action": "drop_after", "operation": "create_storage_account", "count": 1})

    dr = run_dag(dag)

    assert task_states(dr) == {"create": "success"}
    assert xcom_value(dr, "create")["service_name"] == acct
    assert requests_seen(asm_emulator, counter) == 1


CrashBeforeIdStoredOperator = crash_before_id_stored(AsmCreateStorageAccountOperator)


def test_crash_before_the_request_id_was_stored_adopts_own_work(asm_conn_id: str, asm_emulator: Any) -> None:
    """The retry sees "was submitting", finds the account it created and adopts it (if_exists='fail')."""
    acct = unique("st")
    with DAG("ops_crash_no_id", schedule=None, start_date=START) as dag:
        CrashBeforeIdStoredOperator(
            task_id="create",
            service_name=acct,
            location="West US",
            retries=1,
            retry_delay=timedelta(0),
            **FAST,
        )
    counter = request_counter(asm_emulator, "create_storage_account")

    dr = run_dag(dag)

    assert task_states(dr) == {"create": "success"}
    result = xcom_value(dr, "create")
    assert result["service_name"] == acct and result["reused"] is True
    assert requests_seen(asm_emulator, counter) == 1


def test_reused_account_still_being_created_is_waited_for(asm_conn_id: str, asm_emulator: Any) -> None:
    """if_exists='reuse' on an account whose create is still running (another run's, or this task's
    own after a crash before the request id was stored): the task returns only once it is Created."""
    from harness import legacy_sms

    acct = unique("st")
    asm_emulator.add_faults(
        {"action": "long_operation", "operation": "create_storage_account", "delay": 15, "count": 1}
    )
    sms = legacy_sms(asm_emulator.endpoint)
    sms.create_storage_account(acct, "made elsewhere", acct, location="West US")
    assert sms.get_storage_account_properties(acct).storage_service_properties.status == "Creating"
    with DAG("ops_reuse_while_creating", schedule=None, start_date=START) as dag:
        AsmCreateStorageAccountOperator(
            task_id="create", service_name=acct, location="West US", if_exists="reuse", **FAST
        )

    dr = run_dag(dag)

    assert task_states(dr) == {"create": "success"}
    assert xcom_value(dr, "create")["reused"] is True
    assert sms.get_storage_account_properties(acct).storage_service_properties.status == "Created"
