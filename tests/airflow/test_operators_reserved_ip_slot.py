"""Reserved-IP association by slot: ``deployment_slot`` ("production"/"staging") instead of
``deployment_name`` (exactly one of the two), resolved by reading the slot before any request."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from airflow.sdk import DAG
from harness import START, create_deployment, create_service, run_dag, task_states, xcom_value
from test_operators_helpers import FAILURES, record_failure, request_counter, requests_seen, unique

from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.operators.reserved_ip import (
    AsmAssociateReservedIpOperator,
    AsmCreateReservedIpOperator,
    AsmDeleteReservedIpOperator,
    AsmDisassociateReservedIpOperator,
)

FAST: dict[str, Any] = {"poll_interval": 0.05, "timeout": 120, "on_failure_callback": record_failure}
INDEPENDENT: dict[str, Any] = {"trigger_rule": "all_done"}
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
