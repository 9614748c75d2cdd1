"""The strict reading of rendered values (``airflow_sm_provider._rendering``), and that it covers everything.

The readers are tested as a table; then a guard: every templated field of every operator and sensor
declares a reader and has a case in ``test_rendering_templates.CASES`` (a new operator or field
without either fails here). Last, ``.cscfg`` template files: found through ``template_searchpath``,
rendered with Jinja, sent to the emulator, shown in Rendered Templates with secrets masked.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import math
import pkgutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import airflow_sm_provider.operators
import airflow_sm_provider.sensors
from airflow_sm_provider._rendering import (
    boolean,
    duration,
    list_of_mappings,
    mapping,
    number,
    optional,
    secret,
    text,
)
from airflow_sm_provider.client.errors import InvalidInputError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True), (False, False), ("True", True), ("False", False), ("true", True), ("false", False),
        ("TRUE", True), (" no ", False), ("yes", True), ("Yes", True), ("NO", False), ("1", True),
        ("0", False), (1, True), (0, False),
    ],
)  # fmt: skip
def test_boolean_accepts(value: Any, expected: bool) -> None:
    assert boolean("delete_vhd", value) is expected


@pytest.mark.parametrize(
    "value", ["maybe", "", "None", "on", "off", "y", "2", 2, -1, 0.5, None, [], "False!"]
)
def test_boolean_refuses_with_the_field_name(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="delete_vhd: must be a boolean") as info:
        boolean("delete_vhd", value)
    assert info.value.field == "delete_vhd"


def test_one_invalid_input_error_for_readers_and_operator_checks() -> None:
    """The readers and the operators' checks raise through one function (it used to be two)."""
    from airflow_sm_provider import _rendering
    from airflow_sm_provider.operators import _checks

    assert _checks.invalid is _rendering.invalid
    assert not hasattr(_rendering, "_invalid")
    with pytest.raises(InvalidInputError, match=r"^upgrade_domain: must be at least 0") as info:
        _rendering.invalid("upgrade_domain", "must be at least 0")
    assert (info.value.field, info.value.message) == ("upgrade_domain", "must be at least 0")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(30, 30.0), ("30", 30.0), (" 0.5 ", 0.5), ("90s", 90.0), ("5m", 300.0), ("2h", 7200.0),
     (timedelta(minutes=2), 120.0), (1.5, 1.5)],
)  # fmt: skip
def test_duration_accepts(value: Any, seconds: float) -> None:
    assert duration()("timeout", value) == seconds


@pytest.mark.parametrize(
    "value", ["abc", "", "-1", -1, 0, "0", "5 minutes", True, "nan", math.inf, None, "1e400"]
)
def test_duration_refuses(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="timeout: must be a positive number of seconds"):
        duration()("timeout", value)


def test_duration_may_allow_zero() -> None:
    assert duration(positive=False)("poke_interval", "0") == 0.0


def test_a_negative_duration_is_told_it_must_not_be() -> None:
    """Found by a new user: bake_seconds="-5" said only "must be a number of seconds"."""
    with pytest.raises(InvalidInputError, match=r"bake_seconds: must be a number of seconds, 0 or more"):
        duration(positive=False)("bake_seconds", "-5")


def test_numbers() -> None:
    assert number(integer=True)("count", "3") == 3
    assert number()("ratio", "0.25") == 0.25
    for bad in ("3.5", "x", True, "nan"):
        with pytest.raises(InvalidInputError, match="count"):
            number(integer=True)("count", bad)
    with pytest.raises(InvalidInputError, match="at least 1"):
        number(minimum=1)("count", "0")


def test_mappings_and_lists_read_their_printed_form() -> None:
    assert mapping("props", "{'env': 'test'}") == {"env": "test"}
    assert mapping("props", '{"env": "test"}') == {"env": "test"}
    assert mapping("props", {"a": "b"}) == {"a": "b"}
    printed = str([{"name": "ssh", "port": 22}])
    assert list_of_mappings("endpoints", printed) == [{"name": "ssh", "port": 22}]
    for bad in ("[1, 2]", "not python", "{1: 2}", "__import__('os')"):
        with pytest.raises(InvalidInputError):
            (list_of_mappings if bad.startswith("[") else mapping)("props", bad)


def test_optional_means_none_for_blank_and_none() -> None:
    for blank in (None, "", "  ", "None"):
        assert optional(text)("deployment_name", blank) is None
        assert optional(boolean)("flag", blank) is None
    assert optional(text)("deployment_name", "v1") == "v1"


def test_text_and_secret() -> None:
    assert text("name", "x") == "x"
    with pytest.raises(InvalidInputError, match="name: must be a string, got int 5"):
        text("name", 5)
    with pytest.raises(InvalidInputError) as info:
        secret("admin_password", 123456789)
    assert "123456789" not in str(info.value)


# --------------------------------------------------------------------------- coverage guard
def _classes() -> list[type]:
    from airflow.sdk import BaseOperator

    found: dict[str, type] = {}
    for pkg in (airflow_sm_provider.operators, airflow_sm_provider.sensors):
        for info in pkgutil.iter_modules(pkg.__path__):
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            for name, obj in vars(module).items():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, BaseOperator)
                    and obj.__module__ == module.__name__
                    and name.startswith("Asm")
                    and not inspect.isabstract(obj)
                    and "template_fields" in vars(obj)
                    and not name.startswith(("AsmBase", "AsmTyped"))
                ):
                    found[name] = obj
    return sorted(found.values(), key=lambda c: c.__name__)


def test_the_guard_sees_the_operators() -> None:
    names = {c.__name__ for c in _classes()}
    assert {"AsmDeleteDeploymentOperator", "AsmOperationSensor", "AsmGuardedSwapOperator"} <= names


@pytest.mark.parametrize("cls", _classes(), ids=lambda c: c.__name__)
def test_every_templated_field_declares_a_reader_and_has_a_case(cls: type) -> None:
    from test_rendering_templates import CASES

    readers = cls.all_field_readers()  # type: ignore[attr-defined]
    missing = [f for f in cls.template_fields if f not in readers]  # type: ignore[attr-defined]
    assert not missing, f"{cls.__name__}: templated field(s) without a reader: {missing}"
    assert any(case.cls is cls for case in CASES), f"{cls.__name__}: no case in test_rendering_templates"


# --------------------------------------------------------------------------- .cscfg template files
APP_CSCFG = """<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="app" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="WebRole">
    <Instances count="{{ params.instances }}" />
    <ConfigurationSettings>
      <Setting name="Emulator.Health" value="healthy" />
      <Setting name="StorageKey" value="{{ conn.app_storage.password }}" />
    </ConfigurationSettings>
  </Role>
</ServiceConfiguration>
"""


def test_cscfg_template_file_is_found_rendered_sent_and_masked(
    tmp_path: Path, asm_endpoint: dict[str, Any], asm_conn_id: str
) -> None:
    import json

    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.sdk import DAG
    from harness import PACKAGE_URL, START, _session, conn_env, run_dag, task_states
    from sqlalchemy import select
    from test_blue_green_support import make_client, new_service

    from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

    (tmp_path / "app.cscfg").write_text(APP_CSCFG)
    storage_key = "Zm9vYmFyLXN0b3JhZ2Uta2V5"
    conn = json.dumps({"conn_type": "generic", "password": storage_key})
    with make_client(asm_endpoint) as client, conn_env("app_storage", conn):
        service = new_service(client)
        with DAG(
            "render_cscfg_file",
            schedule=None,
            start_date=START,
            template_searchpath=[str(tmp_path)],
            params={"instances": 2},
        ) as dag:
            AsmCreateDeploymentOperator(
                task_id="deploy",
                service_name=service,
                deployment_slot="staging",
                deployment_name="v1",
                package_url=PACKAGE_URL,
                configuration="app.cscfg",
                poll_interval=0.05,
            )
        dr = run_dag(dag)
        assert task_states(dr) == {"deploy": "success"}
        sent = client.get_deployment_by_name(service, "v1").configuration
    sent = sent if "<" in sent else base64.b64decode(sent).decode()
    assert 'count="2"' in sent and storage_key in sent  # ASM gets the real value
    with _session() as session:
        row = session.scalars(
            select(RenderedTaskInstanceFields).where(
                RenderedTaskInstanceFields.dag_id == dr.dag_id, RenderedTaskInstanceFields.run_id == dr.run_id
            )
        ).one()
    shown = row.rendered_fields["configuration"]
    assert 'count="2"' in shown and "<ServiceConfiguration" in shown  # the XML, not a file name
    assert storage_key not in shown and "***" in shown  # the secret is masked in Rendered Templates


def test_static_values_are_read_at_construction_and_garbage_fails_at_parse_time() -> None:
    from airflow_sm_provider.operators.deployment import AsmDeleteDeploymentOperator
    from airflow_sm_provider.sensors.operation import AsmOperationSensor

    op = AsmDeleteDeploymentOperator(
        task_id="d", service_name="svc", deployment_slot="staging", delete_vhd="no", poll_interval="5m"
    )
    assert op.delete_vhd is False and op.poll_interval == 300.0
    with pytest.raises(InvalidInputError, match="delete_vhd: must be a boolean"):
        AsmDeleteDeploymentOperator(
            task_id="d", service_name="svc", deployment_slot="staging", delete_vhd="on"
        )
    with pytest.raises(InvalidInputError, match="poll_interval"):
        AsmDeleteDeploymentOperator(
            task_id="d", service_name="svc", deployment_slot="staging", poll_interval=0
        )
    templated = AsmDeleteDeploymentOperator(
        task_id="t", service_name="svc", deployment_slot="staging", delete_vhd="{{ params.d }}"
    )
    assert templated.delete_vhd == "{{ params.d }}"  # read once rendered
    assert AsmOperationSensor(task_id="s", request_id="r", poke_interval="{{ params.p }}").poke_interval == (
        "{{ params.p }}"
    )


def test_expected_status_reads_its_rendered_list() -> None:
    """Bug found: a templated ``[200, 204]`` renders as the text "[200, 204]", which the health check
    refused (``int("[200, 204]")``); the reader turns it back into the list."""
    from airflow_sm_provider.operators.health import expected_statuses

    assert expected_statuses("expected_status", "[200, 204]") == [200, 204]
    assert expected_statuses("expected_status", " 204 ") == 204
    assert expected_statuses("expected_status", (200,)) == [200]
    for bad in ("ok", "[200, 'x']", True, "2.5"):
        with pytest.raises(InvalidInputError, match="expected_status"):
            expected_statuses("expected_status", bad)
