"""Safety arguments given as templates that render blank fail; they never turn their check off.

The rendering rule (``_rendering.py``) reads an optional argument rendered to ``""`` or ``"None"``
as "not given". For most arguments that is right (a label defaults to the name), but some
arguments turn a safety check on: ``expected_new_deployment`` is the guarded swap's "staging holds
the expected build" gate. A new user's trial: ``expected_new_deployment="{{ params.svc }}"`` with
``params.svc == ""`` swapped without the gate, and said nothing. Such arguments are declared with
``guard(...)``: given as a template (or an XComArg) that renders blank, the task fails before any
request, naming the argument and what it rendered to.

The DAG runs are real (``dag.test`` against the emulator); the table at the end checks every
safety argument the same way on the operator itself (the mechanism is one, so one check each).
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import START, run_dag, task_states
from test_blue_green_support import CONFIG, PACKAGE, make_client, slots, two_slots

from airflow_sm_provider._rendering import Guard, TypedFields
from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.emulator.sessions import admin_call
from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator
from airflow_sm_provider.operators.deployment import AsmDeleteDeploymentOperator
from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator
from airflow_sm_provider.operators.swap import AsmSwapDeploymentOperator
from airflow_sm_provider.operators.upgrade import AsmUpgradeDeploymentOperator

#: Emulator operations that change something (the stats' ``by_operation`` names).
MUTATING = ("swap_deployment", "delete_deployment", "upgrade_deployment", "walk_upgrade_domain")


def _sent(endpoint: dict[str, Any]) -> dict[str, int]:
    stats = admin_call(endpoint, "GET", "stats")["by_operation"]
    return {op: int(stats.get(op, 0)) for op in MUTATING}


@pytest.mark.parametrize(
    ("template", "params", "rendered"),
    [
        ("{{ params.svc }}", {"svc": ""}, "''"),
        ("{{ params.svc }}", {"svc": None}, "'None'"),
        ("{{ ti.xcom_pull(task_ids='nothing_here') }}", {}, "'None'"),
    ],
    ids=["empty_param", "none_param", "xcom_found_nothing"],
)
def test_expected_new_deployment_rendered_blank_fails_before_the_swap(
    template: str,
    params: dict[str, Any],
    rendered: str,
    asm_endpoint: dict[str, Any],
    asm_conn_id: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from airflow.sdk import DAG

    with make_client(asm_endpoint) as client:
        service = two_slots(client)
        before = _sent(asm_endpoint)
        with DAG("guard_expected_blank", schedule=None, start_date=START, params=params) as dag:
            AsmGuardedSwapOperator(
                task_id="swap",
                service_name=service,
                expected_new_deployment=template,
                health_interval=0.1,
                poll_interval=0.1,
                retries=0,
            )
        dr = run_dag(dag)
        out = capfd.readouterr()
        assert task_states(dr) == {"swap": "failed"}
        assert _sent(asm_endpoint) == before, "a request was sent"
        assert slots(client, service) == {"production": "v1", "staging": "v2"}
    text = out.out + out.err
    assert "InvalidInputError: expected_new_deployment: was given" in text
    assert f"rendered to {rendered}" in text
    assert "staging holds the expected build" in text


def test_expected_new_deployment_rendered_to_a_name_still_gates(
    asm_endpoint: dict[str, Any], asm_conn_id: str
) -> None:
    """The same template rendered to a name that staging does not hold: refused, as before."""
    from airflow.sdk import DAG

    with make_client(asm_endpoint) as client:
        service = two_slots(client)
        with DAG("guard_expected_other", schedule=None, start_date=START, params={"svc": "v9"}) as dag:
            AsmGuardedSwapOperator(
                task_id="swap",
                service_name=service,
                expected_new_deployment="{{ params.svc }}",
                health_interval=0.1,
                poll_interval=0.1,
                retries=0,
            )
        dr = run_dag(dag)
        assert task_states(dr) == {"swap": "failed"}
        assert slots(client, service) == {"production": "v1", "staging": "v2"}


def test_a_mapped_delete_whose_expanded_name_is_none_deletes_nothing(
    asm_endpoint: dict[str, Any], asm_conn_id: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """``expand()`` hands the operator resolved values: an XCom list holding None arrived as a plain
    None, was not seen as given, and name None + slot meant "delete whatever staging holds"."""
    from airflow.sdk import DAG, task

    with make_client(asm_endpoint) as client:
        service = two_slots(client)
        before = _sent(asm_endpoint)
        with DAG("guard_mapped_delete", schedule=None, start_date=START) as dag:

            @task
            def names() -> list[str | None]:
                return [None]

            AsmDeleteDeploymentOperator.partial(
                task_id="retire", service_name=service, deployment_slot="staging", retries=0
            ).expand(deployment_name=names())
        dr = run_dag(dag)
        out = capfd.readouterr()
        assert task_states(dr)["retire"] == "failed", task_states(dr)
        assert _sent(asm_endpoint) == before, "a request was sent"
        assert slots(client, service) == {"production": "v1", "staging": "v2"}
    assert "deployment_name: was given (a value given through partial() or expand())" in out.out + out.err


def test_a_mapped_guarded_swap_whose_partial_template_renders_blank_fails(
    asm_endpoint: dict[str, Any], asm_conn_id: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """A mapped task is rendered without ``render_template_fields``: the release operator now reads
    (and guards) its arguments when it runs."""
    from airflow.sdk import DAG

    with make_client(asm_endpoint) as client:
        service = two_slots(client)
        before = _sent(asm_endpoint)
        with DAG("guard_mapped_swap", schedule=None, start_date=START, params={"build": ""}) as dag:
            AsmGuardedSwapOperator.partial(
                task_id="swap",
                expected_new_deployment="{{ params.build }}",
                health_interval=0.1,
                poll_interval=0.1,
                retries=0,
            ).expand(service_name=[service])
        dr = run_dag(dag)
        out = capfd.readouterr()
        assert task_states(dr)["swap"] == "failed", task_states(dr)
        assert _sent(asm_endpoint) == before, "a request was sent"
        assert slots(client, service) == {"production": "v1", "staging": "v2"}
    assert "InvalidInputError: expected_new_deployment: was given" in out.out + out.err


# --------------------------------------------------------------------------- every safety argument
_SWAP = {"service_name": "svc"}
_DELETE = {"service_name": "svc", "deployment_name": "v1", "deployment_slot": "staging"}
_UPGRADE = {
    "service_name": "svc",
    "deployment_slot": "production",
    "package_url": PACKAGE.format(v="r2"),
    "configuration": (CONFIG / "r2.cscfg").read_text(),
    "deployment_label": "r2",
}

#: (operator, fixed arguments, safety argument): the safety arguments of the release operators.
GUARDED: list[tuple[type[TypedFields], dict[str, Any], str]] = [
    (AsmGuardedSwapOperator, _SWAP, "expected_new_deployment"),
    (AsmGuardedSwapOperator, _SWAP, "health_url"),
    (AsmGuardedSwapOperator, _SWAP, "health_path"),
    (AsmGuardedSwapOperator, _SWAP, "health_headers"),
    (AsmGuardedSwapOperator, _SWAP, "health_body_contains"),
    (AsmSwapDeploymentOperator, _SWAP, "source_deployment"),
    (AsmSwapDeploymentOperator, _SWAP, "production"),
    (AsmDeleteDeploymentOperator, _DELETE, "deployment_name"),
    (AsmDeleteDeploymentOperator, _DELETE, "deployment_slot"),
    (AsmGuardedRollingUpgradeOperator, _UPGRADE, "role_to_upgrade"),
    (AsmGuardedRollingUpgradeOperator, _UPGRADE, "health_url"),
    (AsmGuardedRollingUpgradeOperator, _UPGRADE, "health_headers"),
    (AsmGuardedRollingUpgradeOperator, _UPGRADE, "health_body_contains"),
    (AsmUpgradeDeploymentOperator, {**_UPGRADE, "mode": "Auto"}, "role_to_upgrade"),
]


@pytest.mark.parametrize(("cls", "fixed", "field"), GUARDED, ids=[f"{c.__name__}.{f}" for c, _, f in GUARDED])
@pytest.mark.parametrize("blank", ["", "None", None])
def test_a_safety_argument_given_as_a_template_may_not_render_blank(
    cls: type[TypedFields], fixed: dict[str, Any], field: str, blank: str | None
) -> None:
    assert isinstance(cls.all_field_readers()[field], Guard), f"{cls.__name__}.{field} is not a guard"
    op: Any = cls(task_id="op", **{**fixed, field: "{{ params.x }}"})
    setattr(op, field, blank)  # what Airflow's rendering leaves (an XComArg resolving to None: None)
    with pytest.raises(
        InvalidInputError, match=rf"^{field}: was given \(the template '{{{{ params.x }}}}'\)"
    ):
        op.read_fields()


@pytest.mark.parametrize(("cls", "fixed", "field"), GUARDED, ids=[f"{c.__name__}.{f}" for c, _, f in GUARDED])
def test_a_safety_argument_left_out_or_none_is_not_given_but_blank_text_fails(
    cls: type[TypedFields], fixed: dict[str, Any], field: str
) -> None:
    """``None`` written in the DAG (or the argument left out) means "no check". Blank TEXT fails at
    construction: it is how ``f"{prev}"`` of a None reads (``'None'``), and a guarded delete given
    it deleted whatever the slot held (a verification run found this after the template case)."""
    op: Any = cls(task_id="op", **{**fixed, field: None})
    op.read_fields()
    assert getattr(op, field) is None
    for text in ("", "None", " "):
        with pytest.raises(InvalidInputError, match=rf"^{field}: is {text!r}: blank text does not mean"):
            cls(task_id="op", **{**fixed, field: text})
    relaxed: Any = cls(task_id="op", blank_means_not_given=[field], **{**fixed, field: ""})
    relaxed.read_fields()
    assert getattr(relaxed, field) is None


def test_an_ordinary_optional_argument_rendered_blank_is_still_not_given() -> None:
    """The rule itself is unchanged for arguments that guard nothing (a label defaults to the name)."""
    from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

    op: Any = AsmCreateDeploymentOperator(
        task_id="op",
        service_name="svc",
        deployment_slot="staging",
        deployment_name="v1",
        package_url=PACKAGE.format(v="v1"),
        configuration=(CONFIG / "v1.cscfg").read_text(),
        deployment_label="{{ params.label }}",
    )
    op.deployment_label = ""
    op.read_fields()
    assert op.deployment_label is None


def test_blank_means_not_given_lets_a_dag_make_a_safety_argument_optional_on_purpose() -> None:
    """An optional param ("empty: whatever staging holds") is a DAG author's choice: said explicitly."""
    op: Any = AsmGuardedSwapOperator(
        task_id="op",
        service_name="svc",
        expected_new_deployment="{{ params.expected }}",
        blank_means_not_given=["expected_new_deployment"],
    )
    op.expected_new_deployment = ""
    op.read_fields()
    assert op.expected_new_deployment is None
    other: Any = AsmGuardedSwapOperator(
        task_id="op2",
        service_name="svc",
        health_body_contains="{{ params.body }}",
        blank_means_not_given=["expected_new_deployment"],
    )
    other.health_body_contains = ""
    with pytest.raises(InvalidInputError, match=r"^health_body_contains: was given"):
        other.read_fields()


def test_blank_means_not_given_names_only_safety_arguments() -> None:
    with pytest.raises(
        InvalidInputError, match=r"^blank_means_not_given: 'deployment_label' is not a safety"
    ):
        AsmDeleteDeploymentOperator(
            task_id="op",
            service_name="svc",
            deployment_slot="staging",
            blank_means_not_given=["deployment_label"],
        )
