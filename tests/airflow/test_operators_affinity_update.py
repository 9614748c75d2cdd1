"""AsmUpdateAffinityGroupOperator in real DAG runs: only what differs is sent, nothing when nothing
does, and what is not asked for is kept (Update Affinity Group always carries a label)."""

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
from airflow_sm_provider.operators.affinity_group import (
    AsmCreateAffinityGroupOperator,
    AsmUpdateAffinityGroupOperator,
)


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_update_affinity_group_sends_only_differences(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any, deferrable: bool
) -> None:
    group = unique("ag")
    common: dict[str, Any] = {"name": group, "deferrable": deferrable, **FAST}
    with DAG(f"ops_ag_update_{deferrable}", schedule=None, start_date=START) as dag:
        tasks = [
            AsmCreateAffinityGroupOperator(
                task_id="create", location="West US", group_label="first", **common
            ),
            AsmUpdateAffinityGroupOperator(task_id="describe", description="nightly", **common),
            AsmUpdateAffinityGroupOperator(task_id="describe_again", description="nightly", **common),
            AsmUpdateAffinityGroupOperator(task_id="relabel", group_label="second", **common),
            AsmUpdateAffinityGroupOperator(
                task_id="both_again", group_label="second", description="nightly", **common
            ),
            AsmUpdateAffinityGroupOperator(
                task_id="missing",
                description="x",
                **{**common, "name": unique("ag")},
                trigger_rule="all_done",
            ),
        ]
        for upstream, downstream in itertools.pairwise(tasks):
            upstream >> downstream
    counter = request_counter(asm_emulator, "update_affinity_group")

    dr = run_dag(dag)

    states = task_states(dr)
    assert states.pop("missing") == "failed"
    assert set(states.values()) == {"success"}, FAILURES
    described = xcom_value(dr, "describe")
    assert described["status"] == "Succeeded" and described["changed"] == ["description"]
    assert described["label"] == "first"  # the label it had, sent again, not the name
    for task in ("describe_again", "both_again"):
        unchanged = xcom_value(dr, task)
        assert (unchanged["status"], unchanged["changed"], unchanged["request_id"]) == ("Unchanged", [], None)
    assert xcom_value(dr, "relabel")["changed"] == ["group_label"]
    assert requests_seen(asm_emulator, counter) == 2
    props = legacy_sms(asm_endpoint).get_affinity_group_properties(group)
    assert (props.label, props.description) == ("second", "nightly")  # the description was kept
    assert type(FAILURES["missing"]).__name__ == "NotFoundError"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "group_label"),
        ({"group_label": "x" * 101}, "group_label"),
        ({"name": "a/b", "description": "d"}, "name"),
    ],
)
def test_update_affinity_group_bad_literal_input(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        AsmUpdateAffinityGroupOperator(task_id="t", **{"name": "ag", **kwargs})
    assert raised.value.field == field


def test_a_retry_after_an_interrupted_update_reports_what_the_previous_try_changed(
    asm_conn_id: str, asm_endpoint: dict[str, Any], asm_emulator: Any
) -> None:
    """The retry adopts the interrupted update and finds nothing differing: the previous try's
    change, reported as such (not "Unchanged", changed []); one request in all."""
    group = unique("ag")
    result, requests = interrupted_update(
        asm_emulator,
        "ops_ag_update_crash",
        lambda: AsmCreateAffinityGroupOperator(
            task_id="create", name=group, location="West US", group_label="first", **FAST
        ),
        AsmUpdateAffinityGroupOperator,
        "update_affinity_group",
        name=group,
        description="nightly",
        **FAST,
    )

    assert requests == 1
    seen = {k: result.get(k) for k in ("status", "changed", "by_previous_try")}
    assert seen == {"status": "Succeeded", "changed": ["description"], "by_previous_try": True}
