"""Reserved IP operators in real DAG runs against the emulator: create, associate, disassociate,
delete; each sends nothing when its goal is already reached, and refuses before sending when the
IP is held by another deployment. Associating and disassociating take the deployment by name or by
slot (``deployment_slot``, exactly one of the two, the slot read before any request)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from airflow.sdk import DAG
from harness import START, create_deployment, create_service, run_dag, task_states, xcom_value
from test_operators_helpers import FAILURES, FAST, request_counter, requests_seen, unique

from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.operators.reserved_ip import (
    AsmAssociateReservedIpOperator,
    AsmCreateReservedIpOperator,
    AsmDeleteReservedIpOperator,
    AsmDisassociateReservedIpOperator,
)

INDEPENDENT: dict[str, Any] = {"trigger_rule": "all_done"}
KINDS = (
    "create_reserved_ip_address",
    "associate_reserved_ip_address",
    "disassociate_reserved_ip_address",
    "delete_reserved_ip_address",
)


def _counters(emulator: Any) -> dict[str, int]:
    return {kind: request_counter(emulator, kind) for kind in KINDS}


def _seen(emulator: Any, counters: dict[str, int]) -> dict[str, int]:
    return {kind: requests_seen(emulator, rule) for kind, rule in counters.items()}


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_reserved_ip_life_cycle_sends_each_request_once(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any, deferrable: bool
) -> None:
    svc, dep = create_deployment(asm_endpoint, slot="production")
    ip = unique("ip")
    common: dict[str, Any] = {"deferrable": deferrable, **FAST}
    where = {"name": ip, "service_name": svc, "deployment_name": dep}
    with DAG(f"ops_rip_flow_{deferrable}", schedule=None, start_date=START) as dag:
        tasks = [
            AsmCreateReservedIpOperator(
                task_id="create", name=ip, location="West US", ip_label="nightly", **common
            ),
            AsmCreateReservedIpOperator(
                task_id="create_again", name=ip, location="West US", if_exists="reuse", **common
            ),
            AsmAssociateReservedIpOperator(task_id="associate", **where, **common),
            AsmAssociateReservedIpOperator(
                task_id="associate_again", **{**where, "service_name": svc.upper()}, **common
            ),
            AsmDisassociateReservedIpOperator(task_id="disassociate", **where, **common),
            AsmDisassociateReservedIpOperator(task_id="disassociate_again", **where, **common),
            AsmDeleteReservedIpOperator(task_id="delete", name=ip, **common),
            AsmDeleteReservedIpOperator(task_id="delete_again", name=ip, **common),
        ]
        for upstream, downstream in itertools.pairwise(tasks):
            upstream >> downstream
    counters = _counters(asm_emulator)

    dr = run_dag(dag)

    states = task_states(dr)
    assert set(states.values()) == {"success"}, (states, FAILURES)
    created = xcom_value(dr, "create")
    assert created["request_id"] and created["status"] == "Succeeded" and created["reused"] is False
    assert created["location"] == "West US" and created["label"] == "nightly" and created["address"]
    assert xcom_value(dr, "create_again")["reused"] is True
    associated = xcom_value(dr, "associate")
    assert associated["status"] == "Succeeded" and associated["in_use"] is True
    assert (associated["service_name"], associated["deployment_name"]) == (svc, dep)
    assert associated["address"] == created["address"]
    assert xcom_value(dr, "associate_again")["status"] == "Associated"
    assert xcom_value(dr, "associate_again")["request_id"] is None
    assert xcom_value(dr, "disassociate")["in_use"] is False
    assert xcom_value(dr, "disassociate_again")["status"] == "NotAssociated"
    assert xcom_value(dr, "delete")["status"] == "Succeeded"
    assert xcom_value(dr, "delete_again")["status"] == "Absent"
    assert _seen(asm_emulator, counters) == dict.fromkeys(KINDS, 1)


def test_reserved_ip_refusals_are_typed_and_send_nothing(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any
) -> None:
    svc, dep = create_deployment(asm_endpoint, slot="production")
    other_svc, other_dep = create_deployment(asm_endpoint, slot="production")
    ip = unique("ip")
    with DAG("ops_rip_refusals", schedule=None, start_date=START) as dag:
        tasks = [
            AsmCreateReservedIpOperator(task_id="create", name=ip, location="West US", **FAST),
            AsmAssociateReservedIpOperator(
                task_id="associate", name=ip, service_name=svc, deployment_name=dep, **FAST
            ),
            AsmCreateReservedIpOperator(task_id="exists", name=ip, location="West US", **FAST, **INDEPENDENT),
            AsmCreateReservedIpOperator(
                task_id="differs",
                name=ip,
                location="East US",
                ip_label="other",
                if_exists="reuse",
                **FAST,
                **INDEPENDENT,
            ),
            AsmDeleteReservedIpOperator(task_id="delete_in_use", name=ip, **FAST, **INDEPENDENT),
            AsmAssociateReservedIpOperator(
                task_id="steal",
                name=ip,
                service_name=other_svc,
                deployment_name=other_dep,
                **FAST,
                **INDEPENDENT,
            ),
            AsmDisassociateReservedIpOperator(
                task_id="wrong_deployment",
                name=ip,
                service_name=other_svc,
                deployment_name=other_dep,
                **FAST,
                **INDEPENDENT,
            ),
            AsmDeleteReservedIpOperator(
                task_id="missing", name=unique("ip"), if_missing="fail", **FAST, **INDEPENDENT
            ),
        ]
        for upstream, downstream in itertools.pairwise(tasks):
            upstream >> downstream
    counters = _counters(asm_emulator)

    dr = run_dag(dag)

    assert task_states(dr) == {
        "create": "success",
        "associate": "success",
        "exists": "failed",
        "differs": "failed",
        "delete_in_use": "failed",
        "steal": "failed",
        "wrong_deployment": "failed",
        "missing": "failed",
    }
    assert "if_exists='reuse'" in str(FAILURES["exists"])
    differs = str(FAILURES["differs"])
    assert "location: requested 'East US', found 'West US'" in differs and "ip_label" in differs
    for task in ("delete_in_use", "steal", "wrong_deployment"):
        err = FAILURES[task]
        assert type(err).__name__ == "ConflictError", task
        assert getattr(err, "before_request", False) is True, task
        assert str(err).startswith("Not sent (ConflictError):"), task
        assert f"deployment {dep!r} of cloud service {svc!r}" in str(err), task
    assert "AsmDisassociateReservedIpOperator" in str(FAILURES["delete_in_use"])
    assert "does not exist" in str(FAILURES["missing"])
    assert _seen(asm_emulator, counters) == {
        "create_reserved_ip_address": 1,
        "associate_reserved_ip_address": 1,
        "disassociate_reserved_ip_address": 0,
        "delete_reserved_ip_address": 0,
    }


SUBMITTED: list[str | None] = []


class CrashAfterAssociateOperator(AsmAssociateReservedIpOperator):
    """The worker dies right after the associate request id was stored (first try only)."""

    def after_submit(self, context: Any, request_id: str | None) -> None:
        if context["ti"].try_number == 1:
            SUBMITTED.append(request_id)
            raise RuntimeError("simulated worker crash right after submission")


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_retry_after_crash_waits_on_the_first_associate(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any, deferrable: bool
) -> None:
    SUBMITTED.clear()
    svc, dep = create_deployment(asm_endpoint, slot="production")
    ip = unique("ip")
    with DAG(f"ops_rip_crash_{deferrable}", schedule=None, start_date=START) as dag:
        create = AsmCreateReservedIpOperator(task_id="create", name=ip, location="West US", **FAST)
        associate = CrashAfterAssociateOperator(
            task_id="associate",
            name=ip,
            service_name=svc,
            deployment_name=dep,
            retries=1,
            retry_delay=timedelta(0),
            deferrable=deferrable,
            **FAST,
        )
        create >> associate
    counter = request_counter(asm_emulator, "associate_reserved_ip_address")

    dr = run_dag(dag)

    assert task_states(dr) == {"create": "success", "associate": "success"}
    assert len(SUBMITTED) == 1 and SUBMITTED[0]
    assert xcom_value(dr, "associate")["request_id"] == SUBMITTED[0]
    assert requests_seen(asm_emulator, counter) == 1


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (lambda: AsmCreateReservedIpOperator(task_id="t", name="ip", location=" "), "location"),
        (lambda: AsmCreateReservedIpOperator(task_id="t", name="a/b", location="West US"), "name"),
        (
            lambda: AsmCreateReservedIpOperator(
                task_id="t", name="ip", location="West US", ip_label="x" * 101
            ),
            "ip_label",
        ),
        (lambda: AsmDeleteReservedIpOperator(task_id="t", name="ip", if_missing="skip"), "if_missing"),
        (
            lambda: AsmAssociateReservedIpOperator(
                task_id="t", name="ip", service_name="bad_name!", deployment_name="d"
            ),
            "service_name",
        ),
        (
            lambda: AsmDisassociateReservedIpOperator(
                task_id="t", name="ip", service_name="svc", deployment_name="d/../x"
            ),
            "deployment_name",
        ),
    ],
)
def test_bad_literal_input_names_the_argument_at_construction(factory: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        factory()
    assert raised.value.field == field


def test_every_user_argument_is_templated() -> None:
    assert {"name", "location", "ip_label", "if_exists"} <= set(AsmCreateReservedIpOperator.template_fields)
    assert {"name", "if_missing"} <= set(AsmDeleteReservedIpOperator.template_fields)
    for cls in (AsmAssociateReservedIpOperator, AsmDisassociateReservedIpOperator):
        assert {"name", "service_name", "deployment_name", "virtual_ip_name"} <= set(cls.template_fields)


# ---------------------------------------------------------------- the deployment by slot
ASSOCIATION = (AsmAssociateReservedIpOperator, AsmDisassociateReservedIpOperator)


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_associate_and_disassociate_by_slot(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any, deferrable: bool
) -> None:
    svc, dep = create_deployment(asm_endpoint, slot="staging")
    ip = unique("ip")
    common: dict[str, Any] = {"deferrable": deferrable, **FAST}
    by_slot: dict[str, Any] = {"name": ip, "service_name": svc, "deployment_slot": "Staging"}
    with DAG(f"ops_rip_slot_{deferrable}", schedule=None, start_date=START) as dag:
        tasks = [
            AsmCreateReservedIpOperator(task_id="create", name=ip, location="West US", **common),
            AsmAssociateReservedIpOperator(task_id="associate", **by_slot, **common),
            AsmAssociateReservedIpOperator(task_id="associate_again", **by_slot, **common),
            AsmAssociateReservedIpOperator(
                task_id="empty_slot", **{**by_slot, "deployment_slot": "production"}, **common, **INDEPENDENT
            ),
            AsmDisassociateReservedIpOperator(task_id="disassociate", **by_slot, **common, **INDEPENDENT),
            AsmDisassociateReservedIpOperator(task_id="disassociate_again", **by_slot, **common),
            AsmDisassociateReservedIpOperator(  # goal reached: an empty slot holds no IP
                task_id="disassociate_empty_slot", **{**by_slot, "deployment_slot": "production"}, **common
            ),
            AsmDeleteReservedIpOperator(task_id="delete", name=ip, **common),
        ]
        for upstream, downstream in itertools.pairwise(tasks):
            upstream >> downstream
    associate = request_counter(asm_emulator, "associate_reserved_ip_address")
    disassociate = request_counter(asm_emulator, "disassociate_reserved_ip_address")

    dr = run_dag(dag)

    states = task_states(dr)
    assert states.pop("empty_slot") == "failed"
    assert set(states.values()) == {"success"}, (states, FAILURES)
    associated = xcom_value(dr, "associate")
    assert associated["status"] == "Succeeded" and associated["in_use"] is True
    assert (associated["service_name"], associated["deployment_name"]) == (svc, dep)
    again = xcom_value(dr, "associate_again")
    assert (again["status"], again["request_id"]) == ("Associated", None)
    err = FAILURES["empty_slot"]
    assert type(err).__name__ == "NotFoundError" and getattr(err, "before_request", False) is True
    assert "production" in str(err) and svc in str(err)
    assert xcom_value(dr, "disassociate")["in_use"] is False
    assert xcom_value(dr, "disassociate_again")["status"] == "NotAssociated"
    assert xcom_value(dr, "disassociate_empty_slot")["status"] == "NotAssociated"
    assert (requests_seen(asm_emulator, associate), requests_seen(asm_emulator, disassociate)) == (1, 1)


def test_a_slot_holding_another_deployment_is_refused_before_sending(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any
) -> None:
    """Disassociating by slot when the slot holds another deployment than the IP's: nothing sent."""
    svc, dep = create_deployment(asm_endpoint, slot="production")
    other_svc, _ = create_deployment(asm_endpoint, slot="staging")
    ip = unique("ip")
    with DAG("ops_rip_slot_other", schedule=None, start_date=START) as dag:
        create = AsmCreateReservedIpOperator(task_id="create", name=ip, location="West US", **FAST)
        associate = AsmAssociateReservedIpOperator(
            task_id="associate", name=ip, service_name=svc, deployment_slot="production", **FAST
        )
        wrong = AsmDisassociateReservedIpOperator(
            task_id="wrong", name=ip, service_name=other_svc, deployment_slot="staging", **FAST
        )
        create >> associate >> wrong
    disassociate = request_counter(asm_emulator, "disassociate_reserved_ip_address")

    dr = run_dag(dag)

    assert task_states(dr) == {"create": "success", "associate": "success", "wrong": "failed"}
    err = FAILURES["wrong"]
    assert type(err).__name__ == "ConflictError" and f"deployment {dep!r} of cloud service {svc!r}" in str(
        err
    )
    assert requests_seen(asm_emulator, disassociate) == 0


def test_templated_name_and_slot_both_given_fail_before_any_request(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any
) -> None:
    svc = create_service(asm_endpoint)
    with DAG("ops_rip_slot_both", schedule=None, start_date=START) as dag:
        AsmAssociateReservedIpOperator(
            task_id="both",
            name=unique("ip"),
            service_name=svc,
            deployment_name="{{ 'v1' }}",
            deployment_slot="{{ 'staging' }}",
            **FAST,
        )
    reads = request_counter(asm_emulator, "get_reserved_ip_address")

    dr = run_dag(dag)

    assert task_states(dr) == {"both": "failed"}
    err = FAILURES["both"]
    assert isinstance(err, InvalidInputError) and err.field == "deployment_name", err
    assert requests_seen(asm_emulator, reads) == 0


@pytest.mark.parametrize("cls", ASSOCIATION, ids=["associate", "disassociate"])
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "deployment_name"),
        ({"deployment_name": "v1", "deployment_slot": "staging"}, "deployment_name"),
        ({"deployment_slot": "prod"}, "deployment_slot"),
    ],
    ids=["neither", "both", "bad_slot"],
)
def test_name_or_slot_is_checked_at_parse(cls: type[Any], kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        cls(task_id="t", name="ip", service_name="svc", **kwargs)
    assert raised.value.field == field


@pytest.mark.parametrize("cls", ASSOCIATION, ids=["associate", "disassociate"])
def test_slot_is_templated_and_a_template_is_not_checked_at_parse(cls: type[Any]) -> None:
    assert "deployment_slot" in cls.template_fields
    cls(task_id="t", name="ip", service_name="svc", deployment_slot="{{ params.slot }}")
