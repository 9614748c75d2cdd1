"""An argument that may hold secrets is never quoted in a reader's error (task log, failed task's error).

``health_headers`` of the release operators is typically ``{"Authorization": "Bearer {{ var... }}"}``;
written as text that renders to bad JSON, the ``mapping`` reader used to quote the rendered text, so the
token reached the exception and the task log. A secret-bearing argument's reader names the field, the
kind and position of the problem and the fix, never the value.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from airflow.sdk import DAG
from harness import START, run_dag, task_states
from test_operators_helpers import FAILURES, record_failure
from test_operators_storage_update import _everything_the_run_left

from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator
from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator

#: A Variable whose name Airflow does not treat as sensitive: its value is not masked by Airflow.
VARIABLE = "s8_probe_credential"


def _release(operator: type, headers: str) -> dict[str, Any]:
    common: dict[str, Any] = {
        "task_id": "release",
        "service_name": "s8svc",
        "health_url": "http://127.0.0.1:9/health",
        "health_headers": headers,
        "retries": 0,
        "retry_delay": timedelta(0),
        "on_failure_callback": record_failure,
    }
    if operator is AsmGuardedSwapOperator:
        common["expected_new_deployment"] = "v2"
    else:
        common.update(
            package_url="https://example.invalid/p.cspkg", configuration="<x/>", deployment_label="l"
        )
    return common


@pytest.mark.parametrize("operator", [AsmGuardedSwapOperator, AsmGuardedRollingUpgradeOperator])
@pytest.mark.parametrize(
    "headers",
    [
        '{"Authorization": "Bearer {{ var.value.s8_probe_credential }}"',  # no closing brace
        '["Authorization", "Bearer {{ var.value.s8_probe_credential }}"]',  # a list, not a mapping
    ],
    ids=["bad_json", "not_a_mapping"],
)
def test_bad_health_headers_never_show_the_token(
    asm_conn_id: str,
    operator: type,
    headers: str,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from airflow.models.variable import Variable

    token = f"tok{uuid.uuid4().hex}"
    Variable.set(VARIABLE, token)
    FAILURES.pop("release", None)
    dag_id = f"secret_args_{operator.__name__}_{uuid.uuid4().hex[:6]}"
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        operator(**_release(operator, headers))
    dr = run_dag(dag)

    assert task_states(dr) == {"release": "failed"}
    error = FAILURES.get("release")
    assert error is not None and "health_headers" in str(error), error
    out, err = capfd.readouterr()
    left = "\n".join((_everything_the_run_left(dr), out, err, caplog.text, str(error), repr(error)))
    assert "health_headers" in left  # the task's error was searched, not missed
    assert token not in left and token[:12] not in left


# --------------------------------------------------------------------------- the class, not one field
#: Argument names that say the value may be a secret: each must be read by a secret-bearing reader.
SECRET_WORDS = ("password", "secret", "token", "header", "credential")
#: Names with such a word whose value is not a secret (each says why).
NOT_SECRET = {
    "disable_ssh_password_authentication": "a boolean",
    "password_variable": "the name of an Airflow Variable, not its value",
}

MARK = "s3cr3tMARK"
#: Malformed values holding ``MARK``: bad JSON, a parsable non-mapping, a non-string key, a wrong type.
BAD_VALUES: list[Any] = [
    f'{{"Authorization": "Bearer {MARK}"',
    f'["Authorization", "Bearer {MARK}"]',
    f"{{1: '{MARK}'}}",
    {1: MARK},
    [MARK],
    123456789,
]


def _secret_arguments() -> list[tuple[str, str, Any]]:
    from test_rendering_readers import _classes

    from airflow_sm_provider._rendering import is_secret

    found = []
    for cls in _classes():
        for field, reader in cls.all_field_readers().items():  # type: ignore[attr-defined]
            named = any(word in field.lower() for word in SECRET_WORDS) and field not in NOT_SECRET
            if is_secret(reader) or named:
                found.append((cls.__name__, field, reader))
    return found


def test_secret_looking_arguments_are_declared_secret_bearing() -> None:
    from airflow_sm_provider._rendering import is_secret

    arguments = _secret_arguments()
    assert {f for _, f, _ in arguments} >= {"health_headers", "admin_password", "password"}
    undeclared = [f"{c}.{f}" for c, f, r in arguments if not is_secret(r)]
    assert not undeclared, f"read by a reader that may quote the value: {undeclared}"


@pytest.mark.parametrize("value", BAD_VALUES, ids=lambda v: type(v).__name__ + str(len(repr(v))))
def test_secret_bearing_readers_never_quote_the_value(value: Any) -> None:
    from airflow_sm_provider.client.errors import InvalidInputError

    for cls_name, field, reader in _secret_arguments():
        try:
            reader(field, value)
        except InvalidInputError as exc:
            texts = [str(exc), repr(exc), repr(exc.__context__), repr(exc.__cause__)]
            assert all(MARK not in t for t in texts), (cls_name, field, texts)
            assert field in str(exc)


def test_the_bad_json_error_names_the_position_and_the_fix() -> None:
    from airflow_sm_provider._rendering import secret_mapping
    from airflow_sm_provider.client.errors import InvalidInputError

    with pytest.raises(InvalidInputError) as info:
        secret_mapping("health_headers", f'{{"Authorization": "Bearer {MARK}"')
    message = str(info.value)
    assert "health_headers" in message and "line 1, column" in message and "valid JSON" in message
    assert "value not shown" in message and MARK not in message
    assert info.value.__context__ is None  # no chained parser error (its traceback prints the line)
