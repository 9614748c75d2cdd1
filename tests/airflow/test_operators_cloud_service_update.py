"""AsmUpdateCloudServiceOperator in real DAG runs: the service is read first, only what differs is
sent, nothing when nothing does (extended properties are merged: a given key whose value differs),
and a retry that adopts an interrupted update reports what that try changed."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from airflow.sdk import DAG
from harness import START, legacy_sms, run_dag, task_states, xcom_value
from test_operators_helpers import (
    FAILURES,
    FAST,
    interrupted_update,
    request_counter,
    requests_seen,
    unique,
)

from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.operators.cloud_service import (
    AsmCreateCloudServiceOperator,
    AsmUpdateCloudServiceOperator,
)


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_update_cloud_service_sends_only_differences(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any, deferrable: bool
) -> None:
    svc = unique("svc")
    common: dict[str, Any] = {"service_name": svc, "deferrable": deferrable, **FAST}
    with DAG(f"ops_svc_update_{deferrable}", schedule=None, start_date=START) as dag:
        tasks = [
            AsmCreateCloudServiceOperator(
                task_id="create",
                location="West US",
                service_label="first",
                extended_properties={"owner": "qa"},
                **common,
            ),
            AsmUpdateCloudServiceOperator(task_id="describe", description="nightly", **common),
            AsmUpdateCloudServiceOperator(task_id="describe_again", description="nightly", **common),
            AsmUpdateCloudServiceOperator(
                task_id="same_props", extended_properties={"owner": "qa"}, **common
            ),
            AsmUpdateCloudServiceOperator(
                task_id="new_prop", extended_properties={"owner": "qa", "ttl": "1d"}, **common
            ),
            AsmUpdateCloudServiceOperator(task_id="relabel", service_label="second", **common),
            AsmUpdateCloudServiceOperator(
                task_id="all_again",
                service_label="second",
                description="nightly",
                extended_properties={"ttl": "1d"},
                **common,
            ),
            AsmUpdateCloudServiceOperator(
                task_id="missing",
                description="x",
                **{**common, "service_name": unique("svc")},
                trigger_rule="all_done",
            ),
        ]
        for upstream, downstream in itertools.pairwise(tasks):
            upstream >> downstream
    counter = request_counter(asm_emulator, "update_hosted_service")

    dr = run_dag(dag)

    states = task_states(dr)
    assert states.pop("missing") == "failed"
    assert set(states.values()) == {"success"}, FAILURES
    described = xcom_value(dr, "describe")
    assert described["status"] == "Succeeded" and described["changed"] == ["description"]
    assert described["by_previous_try"] is False
    assert described["label"] == "first"  # not sent, kept
    for task in ("describe_again", "same_props", "all_again"):
        unchanged = xcom_value(dr, task)
        seen = (unchanged["status"], unchanged["changed"], unchanged["request_id"])
        assert seen == ("Unchanged", [], None), task
    assert xcom_value(dr, "new_prop")["changed"] == ["extended_properties"]
    assert xcom_value(dr, "relabel")["changed"] == ["service_label"]
    assert requests_seen(asm_emulator, counter) == 3
    props = legacy_sms(asm_endpoint).get_hosted_service_properties(svc).hosted_service_properties
    assert (props.label, props.description) == ("second", "nightly")
    assert props.extended_properties == {"owner": "qa", "ttl": "1d"}  # merged, none lost
    assert type(FAILURES["missing"]).__name__ == "NotFoundError"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "service_label"),
        ({"service_label": "x" * 101}, "service_label"),
        ({"service_name": "bad_name!", "description": "d"}, "service_name"),
    ],
)
def test_update_cloud_service_bad_literal_input(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        AsmUpdateCloudServiceOperator(task_id="t", **{"service_name": "svc", **kwargs})
    assert raised.value.field == field


def test_a_retry_after_an_interrupted_update_reports_what_the_previous_try_changed(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any
) -> None:
    """The retry adopts the interrupted update and finds nothing differing: that try's change,
    reported as such (not "Unchanged", changed []); one request in all."""
    svc = unique("svc")
    result, requests = interrupted_update(
        asm_emulator,
        "ops_svc_update_crash",
        lambda: AsmCreateCloudServiceOperator(task_id="create", service_name=svc, location="West US", **FAST),
        AsmUpdateCloudServiceOperator,
        "update_hosted_service",
        service_name=svc,
        extended_properties={"ttl": "1d"},
        **FAST,
    )

    assert requests == 1
    seen = {k: result.get(k) for k in ("status", "changed", "by_previous_try")}
    assert seen == {"status": "Succeeded", "changed": ["extended_properties"], "by_previous_try": True}
