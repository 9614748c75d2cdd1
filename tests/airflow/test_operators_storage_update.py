"""AsmUpdateStorageAccountOperator and AsmRegenerateStorageKeysOperator in real DAG runs.

Update sends only what differs, nothing when nothing does, and never changes the account type
by accident (the wire always carries one). Key rotation: the keys reach no log line, no XCom and no
exception; a retry of an interrupted try does not rotate the key a second time.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import DAG
from harness import START, legacy_sms, run_dag, task_states, xcom_value
from test_operators_helpers import (
    FAILURES,
    FAST,
    crash_before_id_stored,
    request_counter,
    requests_seen,
    unique,
)

from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.operators.storage import (
    AsmRegenerateStorageKeysOperator,
    AsmUpdateStorageAccountOperator,
)


def _account(endpoint: dict[str, Any]) -> str:
    """A Standard_LRS storage account made with the old SDK (independent of the code under test)."""
    name = unique("st")
    sms = legacy_sms(endpoint)
    result = sms.create_storage_account(name, "test", name, location="West US", account_type="Standard_LRS")
    sms.wait_for_operation_status(result.request_id, timeout=60, sleep_interval=0.05)
    return name


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_update_sends_only_differences_and_keeps_the_account_type(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any, deferrable: bool
) -> None:
    acct = _account(asm_endpoint)
    common: dict[str, Any] = {"service_name": acct, "deferrable": deferrable, **FAST}
    with DAG(f"ops_storage_update_{deferrable}", schedule=None, start_date=START) as dag:
        tasks = [
            AsmUpdateStorageAccountOperator(task_id="describe", description="nightly", **common),
            AsmUpdateStorageAccountOperator(task_id="describe_again", description="nightly", **common),
            AsmUpdateStorageAccountOperator(task_id="not_geo", geo_replication_enabled=False, **common),
            AsmUpdateStorageAccountOperator(
                task_id="relabel", account_label="rotated", account_type="Standard_RAGRS", **common
            ),
            AsmUpdateStorageAccountOperator(task_id="geo", geo_replication_enabled=True, **common),
            AsmUpdateStorageAccountOperator(
                task_id="props", extended_properties={"team": "release"}, description="nightly", **common
            ),
            AsmUpdateStorageAccountOperator(
                task_id="props_again", extended_properties='{"team": "release"}', **common
            ),
        ]
        for upstream, downstream in itertools.pairwise(tasks):
            upstream >> downstream
    counter = request_counter(asm_emulator, "update_storage_account")

    dr = run_dag(dag)

    assert set(task_states(dr).values()) == {"success"}, FAILURES
    described = xcom_value(dr, "describe")
    assert described["status"] == "Succeeded" and described["changed"] == ["description"]
    assert described["account_type"] == "Standard_LRS"  # not the old SDK's default Standard_GRS
    for task in ("describe_again", "not_geo", "geo", "props_again"):
        unchanged = xcom_value(dr, task)
        assert (unchanged["status"], unchanged["changed"], unchanged["request_id"]) == ("Unchanged", [], None)
    relabelled = xcom_value(dr, "relabel")
    assert relabelled["changed"] == ["account_label", "account_type"]
    assert relabelled["account_type"] == "Standard_RAGRS"
    assert xcom_value(dr, "props")["changed"] == ["extended_properties"]
    assert requests_seen(asm_emulator, counter) == 3
    props = legacy_sms(asm_endpoint).get_storage_account_properties(acct)
    assert props.storage_service_properties.description == "nightly"
    assert props.storage_service_properties.account_type == "Standard_RAGRS"
    assert props.extended_properties["team"] == "release"


def test_update_turns_geo_replication_off_as_the_old_sdk_did(
    asm_conn_id: str, asm_endpoint: dict[str, Any]
) -> None:
    acct = _account(asm_endpoint)
    with DAG("ops_storage_update_geo", schedule=None, start_date=START) as dag:
        geo = AsmUpdateStorageAccountOperator(
            task_id="geo", service_name=acct, account_type="Standard_GRS", **FAST
        )
        off = AsmUpdateStorageAccountOperator(
            task_id="off", service_name=acct, geo_replication_enabled=False, **FAST
        )
        geo >> off

    dr = run_dag(dag)

    assert task_states(dr) == {"geo": "success", "off": "success"}, FAILURES
    assert xcom_value(dr, "off")["changed"] == ["account_type"]
    assert xcom_value(dr, "off")["account_type"] == "Standard_LRS"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "account_label"),
        ({"geo_replication_enabled": True, "account_type": "Standard_LRS"}, "geo_replication_enabled"),
        ({"account_type": "Standard_XYZ"}, "account_type"),
        ({"geo_replication_enabled": "perhaps"}, "geo_replication_enabled"),
        ({"description": "x" * 1025}, "description"),
    ],
)
def test_update_bad_literal_input_names_the_argument(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        AsmUpdateStorageAccountOperator(task_id="t", service_name="acct", **kwargs)
    assert raised.value.field == field


def _keys(endpoint: dict[str, Any], acct: str) -> tuple[str, str]:
    keys = legacy_sms(endpoint).get_storage_account_keys(acct).storage_service_keys
    return keys.primary, keys.secondary


def _rendered_fields(dr: Any, task_id: str) -> str:
    """The rendered template fields Airflow stored for a task (what the UI's Rendered tab shows)."""
    from airflow import settings
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from sqlalchemy import select

    with settings.Session() as session:  # type: ignore[misc]
        rows = session.scalars(
            select(RenderedTaskInstanceFields).where(
                RenderedTaskInstanceFields.dag_id == dr.dag_id,
                RenderedTaskInstanceFields.run_id == dr.run_id,
                RenderedTaskInstanceFields.task_id == task_id,
            )
        ).all()
        return "\n".join(repr(row.rendered_fields) for row in rows)


def _everything_the_run_left(dr: Any) -> str:
    """Every XCom value of the run and every task log file, as one text (``dag.test()`` writes the
    task logs to the process's output, which the test captures; files, when a handler wrote any)."""
    from airflow import settings
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    with settings.Session() as session:  # type: ignore[misc]
        rows = session.scalars(
            select(XComModel).where(XComModel.dag_id == dr.dag_id, XComModel.run_id == dr.run_id)
        ).all()
        texts = [f"{row.key}={XComModel.deserialize_value(row)!r}" for row in rows]
    logs = Path(settings.AIRFLOW_HOME) / "logs"
    texts += [p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file() and dr.dag_id in str(p)]
    return "\n".join(texts)


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_regenerated_key_reaches_no_log_xcom_or_template(
    asm_conn_id: str,
    asm_endpoint: dict[str, Any],
    asm_emulator: Any,
    deferrable: bool,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    acct = _account(asm_endpoint)
    before = _keys(asm_endpoint, acct)
    with DAG(f"ops_storage_keys_{deferrable}", schedule=None, start_date=START) as dag:
        AsmRegenerateStorageKeysOperator(
            task_id="rotate",
            service_name="{{ params.account }}",
            key_type="{{ params.key }}",
            deferrable=deferrable,
            params={"account": acct, "key": "Secondary"},
            **FAST,
        )
    counter = request_counter(asm_emulator, "regenerate_storage_account_keys")

    dr = run_dag(dag)

    assert task_states(dr) == {"rotate": "success"}, FAILURES
    after = _keys(asm_endpoint, acct)
    assert after[0] == before[0] and after[1] != before[1]  # only the secondary key changed
    assert requests_seen(asm_emulator, counter) == 1
    result = xcom_value(dr, "rotate")
    assert set(result) == {
        "service_name",
        "key_type",
        "regenerated_at",
        "by_previous_try",
        "request_id",
        "status",
    }
    assert (result["key_type"], result["status"], result["by_previous_try"]) == (
        "Secondary",
        "Succeeded",
        False,
    )
    assert result["regenerated_at"].endswith("+00:00")
    out, err = capfd.readouterr()
    left = "\n".join((_everything_the_run_left(dr), out, err, caplog.text))
    assert "Regenerated the Secondary key" in left  # the task's log was searched, not missed
    rendered = _rendered_fields(dr, "rotate")
    assert acct in rendered and "Secondary" in rendered  # the templates were rendered and stored
    for key in {*before, *after}:
        assert key not in left and key[:24] not in left
        assert key not in rendered


class CrashAfterRegenerateOperator(AsmRegenerateStorageKeysOperator):
    """The worker dies right after ASM answered the regenerate (first try only)."""

    def after_submit(self, context: Any, request_id: str | None) -> None:
        if context["ti"].try_number == 1:
            raise RuntimeError("simulated worker crash right after the key was regenerated")


class CrashBeforeSendingOperator(AsmRegenerateStorageKeysOperator):
    """The worker dies after the fingerprint was kept, before the request left (first try only)."""

    def submit(self, client: Any) -> Any:
        if self._try == 1:
            raise RuntimeError("simulated worker crash before the request left")
        return super().submit(client)

    def execute(self, context: Any) -> Any:
        self._try = context["ti"].try_number
        return super().execute(context)


@pytest.mark.parametrize(
    ("operator", "by_previous_try"),
    [(CrashAfterRegenerateOperator, True), (CrashBeforeSendingOperator, False)],
    ids=["crash_after_sending", "crash_before_sending"],
)
def test_a_retry_rotates_the_key_exactly_once(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any, operator: type, by_previous_try: bool
) -> None:
    """After sending, the retry finds the key changed and sends nothing; before, it sends it."""
    acct = _account(asm_endpoint)
    before = _keys(asm_endpoint, acct)
    with DAG(f"ops_storage_keys_{operator.__name__}", schedule=None, start_date=START) as dag:
        operator(
            task_id="rotate",
            service_name=acct,
            key_type="Primary",
            retries=1,
            retry_delay=timedelta(0),
            **FAST,
        )
    counter = request_counter(asm_emulator, "regenerate_storage_account_keys")

    dr = run_dag(dag)

    assert task_states(dr) == {"rotate": "success"}, FAILURES
    assert requests_seen(asm_emulator, counter) == 1
    assert xcom_value(dr, "rotate")["by_previous_try"] is by_previous_try
    after = _keys(asm_endpoint, acct)
    assert after[0] != before[0] and after[1] == before[1]


class _GarbledKeysTransport:
    """The real client's transport answering every key call with a truncated keys document."""

    LEAK = "c2VjcmV0LWtleS1tYXRlcmlhbA=="

    def send(self, request: Any) -> Any:
        from airflow_sm_provider.client.transport import ApiResponse

        body = (
            '<StorageService xmlns="http://schemas.microsoft.com/windowsazure"><StorageServiceKeys>'
            f"<Primary>{self.LEAK}"
        )
        return ApiResponse(200, {"x-ms-request-id": "r1"}, body.encode(), "r1")


def test_a_malformed_keys_answer_is_reported_without_quoting_it() -> None:
    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.errors import InvalidResponseError

    op = AsmRegenerateStorageKeysOperator(task_id="t", service_name="acct", key_type="Primary")
    client = ServiceManagementClient(
        "11111111-2222-3333-4444-555555555555", transport=_GarbledKeysTransport()
    )
    for step in (lambda: op.check_existing(client, adopt=False), lambda: op.submit(client)):
        with pytest.raises(InvalidResponseError) as raised:
            step()
        assert "not well-formed XML" in str(raised.value)
        leak = _GarbledKeysTransport.LEAK
        assert leak not in str(raised.value) and leak not in repr(raised.value)
        assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_retry_after_an_interrupted_update_reports_what_the_previous_try_changed(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any
) -> None:
    """The reviewer's finding: the retry adopts the interrupted update, finds nothing differing and
    said "Unchanged", changed []; it is the previous try's change: reported as such, sent once."""
    acct = _account(asm_endpoint)
    with DAG("ops_storage_update_crash", schedule=None, start_date=START) as dag:
        crash_before_id_stored(AsmUpdateStorageAccountOperator)(
            task_id="update",
            service_name=acct,
            description="nightly",
            retries=1,
            retry_delay=timedelta(0),
            **FAST,
        )
    counter = request_counter(asm_emulator, "update_storage_account")

    dr = run_dag(dag)

    assert task_states(dr) == {"update": "success"}, FAILURES
    assert requests_seen(asm_emulator, counter) == 1
    result = xcom_value(dr, "update")
    seen = {k: result.get(k) for k in ("status", "changed", "by_previous_try")}
    assert seen == {"status": "Succeeded", "changed": ["description"], "by_previous_try": True}


@pytest.mark.parametrize("how", ["argument", "default_args"])
def test_key_rotation_refuses_durable_false_at_parse(how: str) -> None:
    """Without the task state store the fingerprint is lost, so a retry after an interrupted try could
    rotate the key twice: ``durable=False`` is refused while the DAG file is parsed, naming it."""
    kwargs: dict[str, Any] = {"durable": False} if how == "argument" else {"default_args": {"durable": False}}
    dag = DAG(f"ops_storage_keys_not_durable_{how}", schedule=None, start_date=START)
    with dag, pytest.raises(InvalidInputError) as raised:
        AsmRegenerateStorageKeysOperator(task_id="rotate", service_name="acct", key_type="Primary", **kwargs)
    assert raised.value.field == "durable"
    assert "durable=True" in str(raised.value) and "twice" in str(raised.value)
