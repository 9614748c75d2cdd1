"""Failed operations, deadlines and bad input: the task fails with a reason a user can act on."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk import DAG
from harness import START, asm_connection_json, conn_env, run_dag, task_states
from test_operators_helpers import (
    FAILURES,
    FAST,
    PACKAGE_URL,
    cscfg,
    record_failure,
    request_counter,
    requests_seen,
    unique,
)

from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator
from airflow_sm_provider.operators.cloud_service import AsmCreateCloudServiceOperator
from airflow_sm_provider.operators.deployment import (
    AsmCreateDeploymentOperator,
    AsmUpdateDeploymentStatusOperator,
)
from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator
from airflow_sm_provider.operators.storage import AsmCreateStorageAccountOperator
from airflow_sm_provider.operators.virtual_machine import AsmCreateVirtualMachineOperator


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_failed_operation_surfaces_asm_code(asm_conn_id: str, asm_emulator: Any, deferrable: bool) -> None:
    asm_emulator.add_faults(
        {
            "action": "fail_operation",
            "operation": "create_storage_account",
            "count": 1,
            "error_code": "StorageQuotaReached",
        }
    )
    with DAG(f"ops_failed_{deferrable}", schedule=None, start_date=START) as dag:
        AsmCreateStorageAccountOperator(
            task_id="create", service_name=unique("st"), location="West US", deferrable=deferrable, **FAST
        )

    dr = run_dag(dag)

    assert task_states(dr) == {"create": "failed"}
    err = FAILURES["create"]
    assert type(err).__name__ == "OperationFailedError"
    assert err.code == "StorageQuotaReached"  # type: ignore[union-attr]
    assert "StorageQuotaReached" in str(err) and "request id" in str(err)


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_deadline_fails_the_task_without_cancelling(asm_emulator_factory: Any, deferrable: bool) -> None:
    """At speed 1 a storage account takes ~21 s; the task gives up after 0.3 s."""
    slow = asm_emulator_factory(speed=1.0)
    with conn_env("asm_slow", asm_connection_json(slow.endpoint)):
        with DAG(f"ops_deadline_{deferrable}", schedule=None, start_date=START) as dag:
            AsmCreateStorageAccountOperator(
                task_id="create",
                service_name=unique("st"),
                location="West US",
                asm_conn_id="asm_slow",
                deferrable=deferrable,
                poll_interval=0.05,
                timeout=0.3,
                on_failure_callback=record_failure,
            )
        dr = run_dag(dag)

    assert task_states(dr) == {"create": "failed"}
    err = FAILURES["create"]
    assert type(err).__name__ == "OperationTimeoutError"
    assert "did not finish within 0.3s" in str(err) and "cannot cancel" in str(err)


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (
            lambda: AsmCreateStorageAccountOperator(task_id="t", service_name="Bad_Name", location="x"),
            "service_name",
        ),
        (
            lambda: AsmCreateStorageAccountOperator(
                task_id="t", service_name="okname", location="x", affinity_group="g"
            ),
            "location",
        ),
        (
            lambda: AsmCreateStorageAccountOperator(
                task_id="t", service_name="okname", location="x", account_type="Gold"
            ),
            "account_type",
        ),
        (
            lambda: AsmCreateCloudServiceOperator(task_id="t", service_name="-bad", location="x"),
            "service_name",
        ),
        (
            lambda: AsmCreateCloudServiceOperator(
                task_id="t", service_name="ok", location="x", if_exists="maybe"
            ),
            "if_exists",
        ),
        (
            lambda: AsmCreateDeploymentOperator(
                task_id="t",
                service_name="ok",
                deployment_slot="qa",
                deployment_name="v1",
                package_url=PACKAGE_URL,
                configuration=cscfg(),
            ),
            "deployment_slot",
        ),
        (
            lambda: AsmCreateDeploymentOperator(
                task_id="t",
                service_name="ok",
                deployment_slot="staging",
                deployment_name="v1",
                package_url="ftp://x/p.cspkg",  # http:// is accepted, as by the service
                configuration=cscfg(),
            ),
            "package_url",
        ),
        (
            lambda: AsmCreateDeploymentOperator(
                task_id="t",
                service_name="ok",
                deployment_slot="staging",
                deployment_name="v1",
                package_url=PACKAGE_URL,
                configuration=cscfg(),
                configuration_path="/x.cscfg",
            ),
            "configuration",
        ),
        (
            lambda: AsmCreateDeploymentOperator(
                task_id="t",
                service_name="ok",
                deployment_slot="staging",
                deployment_name="v1",
                package_url=PACKAGE_URL,
                configuration="not base64 !",
            ),
            "configuration",
        ),
        (
            lambda: AsmUpdateDeploymentStatusOperator(
                task_id="t", service_name="ok", deployment_name="v1", status="Paused"
            ),
            "status",
        ),
        (
            lambda: AsmUpdateDeploymentStatusOperator(task_id="t", service_name="ok", status="Running"),
            "deployment_name",
        ),
        (
            lambda: AsmCreateVirtualMachineOperator(
                task_id="t",
                service_name="vm",
                os_type="Windows",
                admin_username="u",
                source_image_name="img",
                media_link="https://a/b.vhd",
            ),
            "admin_password",
        ),
        (
            lambda: AsmCreateStorageAccountOperator(
                task_id="t", service_name="okname", location="x", timeout=0
            ),
            "timeout",
        ),
        (
            lambda: AsmGuardedSwapOperator(task_id="t", service_name="svc", deferrable=True, durable=False),
            "durable",
        ),
        (
            lambda: AsmGuardedRollingUpgradeOperator(
                task_id="t",
                service_name="svc",
                deployment_slot="production",
                package_url=PACKAGE_URL,
                deployment_label="r2",
                configuration="<ServiceConfiguration/>",
                require_approval=True,
                deferrable=False,
                durable=False,
            ),
            "durable",
        ),
    ],
)
def test_bad_input_names_the_argument_at_construction(factory: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        factory()
    assert info.value.field == field


def test_templated_bad_input_fails_at_render_before_any_request(asm_conn_id: str, asm_emulator: Any) -> None:
    with DAG("ops_render_check", schedule=None, start_date=START, params={"acct": "Not A Valid Name"}) as dag:
        AsmCreateStorageAccountOperator(
            task_id="create", service_name="{{ params.acct }}", location="West US", **FAST
        )
    counter = request_counter(asm_emulator, "get_storage_account_properties")

    dr = run_dag(dag)

    assert task_states(dr) == {"create": "failed"}
    err = FAILURES["create"]
    assert isinstance(err, InvalidInputError) and err.field == "service_name"
    assert requests_seen(asm_emulator, counter) == 0


def test_password_is_masked_and_not_in_xcom_or_repr() -> None:
    from airflow.sdk._shared.secrets_masker import redact
    from airflow.sdk.log import mask_secret  # noqa: F401  (the masker the operator feeds)

    op = AsmCreateVirtualMachineOperator(
        task_id="t",
        service_name="vm",
        os_type="Linux",
        admin_username="u",
        admin_password="Very-S3cret-Pw",
        source_image_name="img",
        media_link="https://a/b.vhd",
    )
    assert "Very-S3cret-Pw" not in str(redact("password is Very-S3cret-Pw"))
    assert "admin_password" in op.template_fields


def test_execute_complete_rejects_a_missing_event() -> None:
    op = AsmCreateStorageAccountOperator(task_id="t", service_name="okname", location="West US")
    with pytest.raises(RuntimeError, match="no event"):
        op.execute_complete({}, None)
    with pytest.raises(RuntimeError, match="no request id"):
        op.execute_complete({}, {"status": "success"})


def test_on_kill_says_asm_cannot_cancel_and_names_the_request(capsys: pytest.CaptureFixture[str]) -> None:
    op = AsmCreateStorageAccountOperator(task_id="t", service_name="okname", location="West US")
    op._in_flight = "0123456789abcdef0123456789abcdef"
    op.on_kill()  # Airflow's structlog writes to stdout here
    out = capsys.readouterr().out
    assert "cannot cancel" in out and "0123456789abcdef0123456789abcdef" in out


def test_a_refusal_from_read_state_says_it_was_not_sent(
    asm_conn_id: str, asm_emulator: Any, asm_endpoint: dict[str, Any]
) -> None:
    """Found by a new user: deleting a service that still has deployments (delete_deployments
    False) failed as "ASM ConflictError: ...", which reads as the service's answer, though the
    provider refused it from one read and sent no DELETE. The text now says "Not sent"."""
    from harness import create_deployment

    from airflow_sm_provider.operators.cloud_service import AsmDeleteCloudServiceOperator

    service, deployment = create_deployment(asm_endpoint, slot="production")
    deletes = request_counter(asm_emulator, "delete_hosted_service")
    with DAG("ops_refused_not_sent", schedule=None, start_date=START) as dag:
        AsmDeleteCloudServiceOperator(task_id="delete", service_name=service, retries=0, **FAST)

    dr = run_dag(dag)

    assert task_states(dr) == {"delete": "failed"}
    err = FAILURES["delete"]
    assert str(err).startswith("Not sent (ConflictError): ")
    assert deployment in str(err) and "delete_deployments=True" in str(err)
    assert err.before_request is True and err.status_code is None  # type: ignore[union-attr]
    assert requests_seen(asm_emulator, deletes) == 0


def test_a_missing_configuration_path_is_read_on_the_worker_not_when_the_dag_is_parsed(
    asm_conn_id: str, asm_emulator: Any, tmp_path: Any
) -> None:
    """DAG processor and worker may be different machines: the file is the worker's to read."""
    missing = str(tmp_path / "not-on-the-dag-processor.cscfg")
    with pytest.warns(DeprecationWarning), DAG("ops_cscfg_path_late", schedule=None, start_date=START) as dag:
        AsmCreateDeploymentOperator(
            task_id="create",
            service_name=unique("cp"),
            deployment_slot="staging",
            deployment_name="v1",
            package_url=PACKAGE_URL,
            configuration_path=missing,
            **FAST,
        )  # constructing (parsing the DAG file) reads no file
    with pytest.warns(DeprecationWarning):
        AsmGuardedRollingUpgradeOperator(
            task_id="roll",
            service_name="svc",
            deployment_slot="production",
            package_url=PACKAGE_URL,
            deployment_label="r2",
            configuration_path=missing,
        )
    counter = request_counter(asm_emulator, "create_deployment")

    dr = run_dag(dag)

    assert task_states(dr) == {"create": "failed"}
    err = FAILURES["create"]
    assert isinstance(err, InvalidInputError) and err.field == "configuration_path"
    assert missing in str(err) and "not a readable file" in str(err)
    assert requests_seen(asm_emulator, counter) == 0
