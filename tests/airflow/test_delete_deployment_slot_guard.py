"""``AsmDeleteDeploymentOperator(deployment_name=..., deployment_slot=...)``: delete only if it is there.

docs/blue-green.md's retire step is "delete the previous build only if staging still holds it".
It used to be inexpressible: name and slot together were refused at parse ("give exactly one of"),
and a delete by name removed a *production* deployment without a word about the slot. Now name +
slot is a guarded delete (the slot is read first), and every delete says which slot it hit. Real
DAG runs against the emulator; the emulator's request counters prove what was (not) sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import START, run_dag, task_states, xcom_value
from test_blue_green_support import deploy, make_client, new_service, slots, two_slots

from airflow_sm_provider.emulator.sessions import admin_call
from airflow_sm_provider.operators.deployment import (
    AsmDeleteDeploymentOperator,
    AsmUpdateDeploymentStatusOperator,
)


def _deletes(endpoint: dict[str, Any]) -> int:
    return int(admin_call(endpoint, "GET", "stats")["by_operation"].get("delete_deployment", 0))


def _released(client: Any) -> str:
    """After a swap: production v2, staging v1 (the previous production, the one to retire)."""
    service = two_slots(client)
    client.swap_deployment(service, "v1", "v2").wait(timeout=60, poll_interval=0.05)
    return service


def _run(dag_id: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    from airflow.sdk import DAG

    with DAG(dag_id, schedule=None, start_date=START, params=params or {}) as dag:
        AsmDeleteDeploymentOperator(task_id="retire", poll_interval=0.05, retries=0, **kwargs)
    return run_dag(dag)


def test_name_and_slot_deletes_the_deployment_when_the_slot_holds_it(
    asm_endpoint: dict[str, Any], asm_conn_id: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with make_client(asm_endpoint) as client:
        service = _released(client)
        dr = _run("guarded_delete_ok", service_name=service, deployment_name="v1", deployment_slot="staging")
        assert task_states(dr) == {"retire": "success"}
        assert slots(client, service) == {"production": "v2", "staging": None}
    result = xcom_value(dr, "retire")
    assert result["deployment_name"] == "v1" and result["deployment_slot"] == "staging"
    assert result["status"] == "Succeeded"
    out = capfd.readouterr()
    assert "Deleting deployment 'v1' of cloud service" in out.out + out.err
    assert "it is in the staging slot" in out.out + out.err


def test_name_and_slot_refuses_when_the_name_is_in_the_other_slot(
    asm_endpoint: dict[str, Any], asm_conn_id: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """The swap did not happen (v1 still serves): the retire step must not take production down."""
    with make_client(asm_endpoint) as client:
        service = two_slots(client)
        before = _deletes(asm_endpoint)
        dr = _run(
            "guarded_delete_other", service_name=service, deployment_name="v1", deployment_slot="staging"
        )
        assert task_states(dr) == {"retire": "failed"}
        assert _deletes(asm_endpoint) == before
        assert slots(client, service) == {"production": "v1", "staging": "v2"}
    out = capfd.readouterr()
    assert "'v1' of cloud service" in out.out + out.err
    assert "is in the production slot, not staging (which holds 'v2'): not deleting it" in out.out + out.err


@pytest.mark.parametrize(("if_missing", "state"), [("ignore", "success"), ("fail", "failed")])
def test_name_and_slot_leaves_another_deployment_in_the_slot_alone(
    if_missing: str,
    state: str,
    asm_endpoint: dict[str, Any],
    asm_conn_id: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """v0 is long gone and staging holds v1: nothing to retire; v1 is not touched."""
    with make_client(asm_endpoint) as client:
        service = _released(client)
        before = _deletes(asm_endpoint)
        dr = _run(
            f"guarded_delete_gone_{if_missing}",
            service_name=service,
            deployment_name="v0",
            deployment_slot="staging",
            if_missing=if_missing,
        )
        assert task_states(dr) == {"retire": state}
        assert _deletes(asm_endpoint) == before
        assert slots(client, service) == {"production": "v2", "staging": "v1"}
    if if_missing == "ignore":
        assert xcom_value(dr, "retire")["status"] == "Absent"
    out = capfd.readouterr()
    assert "The staging slot of cloud service" in out.out + out.err
    assert "holds 'v1' and no deployment is called 'v0': not deleting anything" in out.out + out.err


def test_name_and_slot_with_an_empty_slot_is_nothing_to_delete(
    asm_endpoint: dict[str, Any], asm_conn_id: str
) -> None:
    with make_client(asm_endpoint) as client:
        service = new_service(client)
        deploy(client, service, "production", "v1")
        before = _deletes(asm_endpoint)
        dr = _run(
            "guarded_delete_empty", service_name=service, deployment_name="v0", deployment_slot="staging"
        )
        assert task_states(dr) == {"retire": "success"}
        assert _deletes(asm_endpoint) == before
        assert slots(client, service) == {"production": "v1", "staging": None}


def test_delete_by_name_says_which_slot_it_was_in(
    asm_endpoint: dict[str, Any], asm_conn_id: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with make_client(asm_endpoint) as client:
        service = _released(client)
        dr = _run("delete_by_name_slot_logged", service_name=service, deployment_name="v2")
        assert task_states(dr) == {"retire": "success"}
        assert slots(client, service) == {"production": None, "staging": "v1"}
    assert xcom_value(dr, "retire")["deployment_slot"] == "production"
    out = capfd.readouterr()
    assert "Deleting deployment 'v2' of cloud service" in out.out + out.err
    assert "it is in the production slot" in out.out + out.err


@pytest.mark.parametrize("blank", ["", None])
def test_a_name_template_rendered_blank_never_deletes_the_slot(
    blank: str | None, asm_endpoint: dict[str, Any], asm_conn_id: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """``deployment_name="{{ params.old }}"`` + slot: blank must not mean "whatever is in staging"."""
    with make_client(asm_endpoint) as client:
        service = _released(client)
        before = _deletes(asm_endpoint)
        dr = _run(
            "guarded_delete_blank",
            params={"old": blank},
            service_name=service,
            deployment_name="{{ params.old }}",
            deployment_slot="staging",
        )
        assert task_states(dr) == {"retire": "failed"}
        assert _deletes(asm_endpoint) == before
        assert slots(client, service) == {"production": "v2", "staging": "v1"}
    out = capfd.readouterr()
    assert "deployment_name: was given (the template '{{ params.old }}') but rendered to" in out.out + out.err


def test_give_exactly_one_says_the_name_rendered_blank(
    asm_endpoint: dict[str, Any], asm_conn_id: str, capfd: pytest.CaptureFixture[str]
) -> None:
    from airflow.sdk import DAG

    with make_client(asm_endpoint) as client:
        service = _released(client)
    with DAG("status_name_blank", schedule=None, start_date=START, params={"name": None}) as dag:
        AsmUpdateDeploymentStatusOperator(
            task_id="stop",
            service_name=service,
            deployment_name="{{ params.name }}",
            status="Suspended",
            retries=0,
        )
    dr = run_dag(dag)
    assert task_states(dr) == {"stop": "failed"}
    out = capfd.readouterr()
    assert (
        "deployment_name: give exactly one of deployment_name or deployment_slot "
        "(deployment_name: the template '{{ params.name }}' rendered to 'None')"
    ) in out.out + out.err


class _CrashAfterDeleteSent(AsmDeleteDeploymentOperator):
    """The worker dies right after the delete's request id was stored (first try only)."""

    def after_submit(self, context: Any, request_id: str | None) -> None:
        if context["ti"].try_number == 1:
            raise RuntimeError("simulated worker crash right after the delete was sent")


def test_a_retry_after_the_guarded_delete_was_sent_waits_on_it_and_sends_nothing_again(
    asm_endpoint: dict[str, Any], asm_conn_id: str
) -> None:
    """The retry does not re-read the slot (v1 may be half gone): it resumes the stored request."""
    from datetime import timedelta

    from airflow.sdk import DAG

    with make_client(asm_endpoint) as client:
        service = _released(client)
        before = _deletes(asm_endpoint)
        with DAG("guarded_delete_crash", schedule=None, start_date=START) as dag:
            _CrashAfterDeleteSent(
                task_id="retire",
                service_name=service,
                deployment_name="v1",
                deployment_slot="staging",
                if_missing="fail",
                poll_interval=0.05,
                retries=1,
                retry_delay=timedelta(0),
            )
        dr = run_dag(dag)
        assert task_states(dr) == {"retire": "success"}
        assert _deletes(asm_endpoint) == before + 1
        assert slots(client, service) == {"production": "v2", "staging": None}
    result = xcom_value(dr, "retire")
    assert result["status"] == "Succeeded" and result["deployment_slot"] == "staging"


def test_a_deferred_delete_by_name_reports_the_slot_it_found(
    asm_endpoint: dict[str, Any], asm_conn_id: str
) -> None:
    """The trigger's resume runs on a fresh instance: the slot ``check_existing`` found is kept with
    the request id (found in review: the XCom said ``deployment_slot: None`` after deferral)."""
    with make_client(asm_endpoint) as client:
        service = _released(client)
        dr = _run("deferred_delete_by_name", service_name=service, deployment_name="v1", deferrable=True)
        assert task_states(dr) == {"retire": "success"}
        assert slots(client, service) == {"production": "v2", "staging": None}
    result = xcom_value(dr, "retire")
    assert (result["deployment_name"], result["deployment_slot"]) == ("v1", "staging"), result
    assert result["status"] == "Succeeded"


def test_name_and_slot_match_the_name_in_any_case(asm_endpoint: dict[str, Any], asm_conn_id: str) -> None:
    """ASM names are case-insensitive: ``V1`` is the ``v1`` staging holds (it was refused as 'in the
    staging slot, not staging')."""
    with make_client(asm_endpoint) as client:
        service = _released(client)
        dr = _run(
            "guarded_delete_case", service_name=service, deployment_name="V1", deployment_slot="staging"
        )
        assert task_states(dr) == {"retire": "success"}
        assert slots(client, service) == {"production": "v2", "staging": None}
