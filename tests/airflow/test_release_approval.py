"""The manual promotion gate: Airflow's own ApprovalOperator inside the release, answered through
Airflow's own HITL REST API (the api-server's ``PATCH .../hitlDetails``, in-process via FastAPI's test
client on the same metadata DB) from a thread, once ``dag.test`` has parked the task
(``tests/airflow/hitl.py`` says why only then); a time-out is resolved by the scheduler's own sweep.

Guarded swap. Approve: the swap happens and the report records who approved. Reject, or no answer in
time: production is untouched, the outcome is ``refused`` and the report says why.
Guarded rolling upgrade: asked before each domain after the first; approve walks on, reject rolls the
upgrade back before the domain is walked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from harness import START, run_dag, task_states, xcom_value
from hitl import TIMEOUT, answering
from test_blue_green_support import check_names, ensure_pool, make_client, slots, two_slots
from test_operators_helpers import request_counter, requests_seen
from test_rolling_upgrade import _service as _upgradable_service
from test_rolling_upgrade import _upgrade_dag

# Bounded twice: a run that never parks, or stays parked after its answer, has its parked task failed
# by the responder (tests/airflow/hitl.py); and if dag.test() itself stalls, the thread method ends the
# session with every thread's stack (the signal method does not fire: the task run in dag.test() resets
# the SIGALRM timer pytest-timeout relies on -- seen while reproducing the hang, 2026-12-01).
pytestmark = pytest.mark.timeout(240, method="thread")


@pytest.fixture
def client(asm_endpoint: dict[str, Any], asm_conn_id: str) -> Iterator[Any]:
    ensure_pool()
    with make_client(asm_endpoint) as c:
        yield c


def _release_with_answer(hitl_api: Any, dag: Any, answer: str) -> tuple[Any, dict[str, Any]]:
    """Run the DAG here (``dag.test`` needs the main thread); a human answers from another thread."""
    with answering(hitl_api, [answer]) as answers:
        dr = run_dag(dag)
    answers.check(1)
    body = answers.details[0]
    assert body["options"] == ["Approve", "Reject"] and "Staging URL: https://" in body["body"]
    assert "Gate results:" in body["body"] and "staging_health" in body["body"]
    assert "WebRole/App.Version: v1 -> v2" in body["body"]  # what changed in the .cscfg
    return dr, xcom_value(dr, "guarded_swap", "release_report")


def _dag(dag_id: str, service: str, **kwargs: Any) -> Any:
    from airflow.sdk import DAG

    from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        AsmGuardedSwapOperator(
            task_id="guarded_swap",
            service_name=service,
            expected_new_deployment="v2",
            require_approval=True,
            deferrable=True,
            poll_interval=0.1,
            health_interval=0.1,
            **kwargs,
        )
    return dag


def test_approved_promotion_swaps(client: Any, hitl_api: Any) -> None:
    service = two_slots(client)
    dr, report = _release_with_answer(hitl_api, _dag("bg_approve", service), "Approve")
    assert dr.state == "success", task_states(dr)
    assert slots(client, service) == {"production": "v2", "staging": "v1"}
    assert report["outcome"] == "released" and report["approval"]["approved"] is True
    assert check_names(report)["approval"] and check_names(report)["pre_swap_recheck"]
    steps = [e["step"] for e in report["events"]]
    assert steps.index("approval") < steps.index("flip")


def test_rejected_promotion_leaves_production_untouched(client: Any, hitl_api: Any) -> None:
    service = two_slots(client)
    dr, report = _release_with_answer(hitl_api, _dag("bg_reject", service), "Reject")
    assert dr.state == "failed"
    assert slots(client, service) == {"production": "v1", "staging": "v2"}
    assert report["outcome"] == "refused" and report["approval"]["approved"] is False
    assert "not approved" in report["message"] and "production untouched" in report["message"]
    assert "swap_operation" not in check_names(report)


def test_unanswered_promotion_times_out_and_leaves_production_untouched(client: Any, hitl_api: Any) -> None:
    service = two_slots(client)
    dag = _dag("bg_timeout", service, approval_timeout=1)
    dr, report = _release_with_answer(hitl_api, dag, TIMEOUT)
    assert dr.state == "failed"
    assert slots(client, service) == {"production": "v1", "staging": "v2"}
    assert report["outcome"] == "refused" and report["swap_outcome"] == "refused"
    assert report["approval"] == {
        "approved": False,
        "by": "nobody (timed out)",
        "timed_out": True,
        "chosen": ["Reject"],
    }
    assert "no answer in time" in report["message"] and "production untouched" in report["message"]
    assert "swap_operation" not in check_names(report)


def _upgrade_with_answers(
    hitl_api: Any, client: Any, asm_emulator: Any, dag_id: str, answers: list[str], **kwargs: Any
) -> tuple[Any, dict[str, Any], int, list[dict[str, Any]]]:
    service = _upgradable_service(client)
    walks = request_counter(asm_emulator, "walk_upgrade_domain")
    dag = _upgrade_dag(dag_id, service, "r2.cscfg", require_approval=True, **kwargs)
    with answering(hitl_api, answers) as given:
        dr = run_dag(dag)
    given.check(len(answers))
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    dep = client.get_deployment_by_slot(service, "production")
    assert dep.upgrade_status is None
    report["_label_after"] = dep.label
    return dr, report, requests_seen(asm_emulator, walks), given.details


def test_rolling_upgrade_walks_each_next_domain_once_approved(
    client: Any, hitl_api: Any, asm_emulator: Any
) -> None:
    dr, report, walked, details = _upgrade_with_answers(
        hitl_api, client, asm_emulator, "ru_approve", ["Approve", "Approve"]
    )
    assert dr.state == "success", (task_states(dr), report.get("message"))
    assert report["outcome"] == "released" and report["_label_after"] == "r2" and walked == 3
    # Asked before domains 1 and 2 (never before the first). Airflow keeps one request text per task
    # instance (its upsert does not replace subject and body), so the second shows the first's text;
    # the report and the log name the domain each request was about.
    assert len(details) == 2 and "Walk upgrade domain 1" in details[0]["body"]
    assert "- domain 0: healthy" in details[0]["body"] and "App.Version: r1 -> r2" in details[0]["body"]
    asked = [e["detail"] for e in report["events"] if e["step"] == "approval" and e["outcome"] == "info"]
    assert [a.endswith(f"with domain {d}?") for a, d in zip(asked, (1, 2), strict=True)] == [True, True]
    assert check_names(report)["domain_1_approval"] and check_names(report)["domain_2_approval"]
    steps = [(e["lane"], e["step"]) for e in report["events"]]
    assert steps.index(("domain 1", "approval")) < steps.index(("domain 1", "walk"))


def test_rolling_upgrade_rejected_before_a_domain_is_rolled_back(
    client: Any, hitl_api: Any, asm_emulator: Any
) -> None:
    dr, report, walked, details = _upgrade_with_answers(
        hitl_api, client, asm_emulator, "ru_reject", ["Reject"]
    )
    assert dr.state == "failed"
    assert walked == 1  # domain 1 was never walked
    assert report["outcome"] == "rolled_back" and report["rolled_back"] is True
    assert report["_label_after"] == "r1"  # back on the previous build
    assert check_names(report)["domain_1_approval"] is False
    assert "not approved" in report["message"] and "rolled back" in report["message"]
    assert "Walk upgrade domain 1" in details[0]["body"]


def test_rolling_upgrade_unanswered_before_a_domain_times_out_and_is_rolled_back(
    client: Any, hitl_api: Any, asm_emulator: Any
) -> None:
    """No answer within approval_timeout: Airflow takes "Reject" and the upgrade is rolled back."""
    dr, report, walked, details = _upgrade_with_answers(
        hitl_api, client, asm_emulator, "ru_timeout", [TIMEOUT], approval_timeout=1
    )
    assert dr.state == "failed"
    assert walked == 1  # domain 1 was never walked
    assert report["_label_after"] == "r1"  # production is back on the previous build, no upgrade left
    assert report["outcome"] == "rolled_back" and report["upgrade_outcome"] == "rolled_back"
    assert report["rolled_back"] is True
    assert report["approval"] == {
        "approved": False,
        "by": "nobody (timed out)",
        "timed_out": True,
        "chosen": ["Reject"],
    }
    checks = check_names(report)
    assert checks["domain_1_approval"] is False and "domain_1_walk" not in checks
    assert "not approved (no answer in time)" in report["message"] and "rolled back" in report["message"]
    assert [d["domain"] for d in report["domains"]] == [0]
    assert "Walk upgrade domain 1" in details[0]["body"]


def test_the_answer_survives_a_slow_dag_test(
    client: Any, hitl_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hang's window, widened: the task has parked but dag.test() writes its state 1.5 s later.

    A responder that answered as soon as the DB said ``awaiting_input`` hung here every time (the late
    write parked the answered task again); answering after dag.test()'s task run returned does not.
    """
    import airflow.sdk.execution_time.supervisor as supervisor

    original = supervisor.run_task_in_process

    def slow_to_return(*args: Any, **kwargs: Any) -> Any:
        outcome = original(*args, **kwargs)
        time.sleep(1.5)
        return outcome

    monkeypatch.setattr(supervisor, "run_task_in_process", slow_to_return)
    service = two_slots(client)
    dr, report = _release_with_answer(hitl_api, _dag("bg_slow_dag_test", service), "Approve")
    assert dr.state == "success", task_states(dr)
    assert report["approval"]["approved"] is True
    assert slots(client, service) == {"production": "v2", "staging": "v1"}
