"""A retry of the plain upgrade operators after an interrupted try adopts that try's work, not another's.

The worker dies after the request reached ASM but before its request id was stored (the "submitting"
mark is all the retry finds). Then the retry must not send Upgrade Deployment / Walk Upgrade Domain /
Rollback again: it waits for the running operation (the deployment's ``UpgradeStatus`` and ``Locked``)
or reports the finished one as the previous try's; an upgrade that is not the one this task asked for
fails clearly; a request that never left is sent. Real Airflow ``dag.test`` against the emulator over
mutual TLS; requests counted by the emulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from harness import START, run_dag, task_states, xcom_value
from test_blue_green_support import CONFIG, PACKAGE, deploy, make_client, new_service
from test_operators_helpers import FAILURES, record_failure, request_counter, requests_seen

from airflow_sm_provider.operators.upgrade import (
    AsmRollbackUpgradeOperator,
    AsmUpgradeDeploymentOperator,
    AsmWalkUpgradeDomainOperator,
)

RETRY: dict[str, Any] = {
    "retries": 1,
    "retry_delay": timedelta(0),
    "poll_interval": 0.1,
    "on_failure_callback": record_failure,
}
#: One long operation (seconds, not scaled by the emulator's speed): still running when the retry looks.
LONG = 4


@pytest.fixture
def client(asm_endpoint: dict[str, Any], asm_conn_id: str) -> Iterator[Any]:
    with make_client(asm_endpoint) as c:
        yield c


def _service(client: Any) -> str:
    """Production r1: two roles, three upgrade domains."""
    service = new_service(client, prefix="ua")
    deploy(client, service, "production", "r1", "r1.cscfg")
    return service


def interrupted(operator: type, when: str, between: Callable[[Any], None] | None = None) -> type:
    """``operator`` whose first try dies in ``submit``: ``"before"`` sending, ``"after"`` sending (the
    request id is lost), or ``"after_done"`` once the sent operation ended. ``between`` runs just before
    the crash (someone else's work between the two tries)."""

    class Interrupted(operator):  # type: ignore[misc, valid-type]
        def submit(self, client: Any) -> Any:
            first = self._try == 1
            if first and when == "before":
                if between:
                    between(client)
                raise RuntimeError("simulated worker crash before the request left")
            handle = super().submit(client)
            if first:
                if when == "after_done":
                    handle.wait(timeout=60, poll_interval=0.05)
                if between:
                    between(client)
                raise RuntimeError("simulated worker crash before the request id was stored")
            return handle

        def execute(self, context: Any) -> Any:
            self._try = context["ti"].try_number
            return super().execute(context)

    Interrupted.__name__ = Interrupted.__qualname__ = f"Interrupted{operator.__name__}"
    return Interrupted


def _upgrade_dag(dag_id: str, service: str, cls: type, **kwargs: Any) -> Any:
    from airflow.sdk import DAG

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        cls(
            task_id="upgrade",
            service_name=service,
            deployment_slot="production",
            configuration=(CONFIG / "r2.cscfg").read_text(),
            deployment_label="r2",
            **{"mode": "Auto", "package_url": PACKAGE.format(v="r2"), **RETRY, **kwargs},
        )
    return dag


# --- Upgrade Deployment ----------------------------------------------------------------------------------
@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_a_retry_waits_for_the_upgrade_its_interrupted_try_started(
    client: Any, asm_emulator: Any, deferrable: bool
) -> None:
    """(a) The request left, the upgrade still runs: the retry sends nothing and waits for it to end."""
    service = _service(client)
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    asm_emulator.add_faults(
        {"action": "long_operation", "operation": "upgrade_deployment", "delay": LONG, "count": 1}
    )
    cls = interrupted(AsmUpgradeDeploymentOperator, "after")
    dr = run_dag(_upgrade_dag(f"ua_running_{deferrable}", service, cls, deferrable=deferrable))
    assert task_states(dr) == {"upgrade": "success"}, FAILURES.get("upgrade")
    assert requests_seen(asm_emulator, upgrades) == 1
    result = xcom_value(dr, "upgrade")
    assert result["status"] == "Succeeded" and result["by_previous_try"] is True
    assert result["label"] == "r2" and result["upgrade_in_progress"] is False  # waited until it ended
    dep = client.get_deployment_by_slot(service, "production")
    assert dep.label == "r2" and dep.upgrade_status is None and not dep.locked


def test_a_retry_reports_the_upgrade_its_interrupted_try_finished(client: Any, asm_emulator: Any) -> None:
    """(b) The request left and the upgrade already ended: success with the previous try's facts, and
    no second upgrade (which would walk every domain again)."""
    service = _service(client)
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    cls = interrupted(AsmUpgradeDeploymentOperator, "after_done")
    dr = run_dag(_upgrade_dag("ua_done", service, cls))
    assert task_states(dr) == {"upgrade": "success"}, FAILURES.get("upgrade")
    assert requests_seen(asm_emulator, upgrades) == 1
    result = xcom_value(dr, "upgrade")
    assert result["status"] == "Succeeded" and result["by_previous_try"] is True
    assert result["deployment_name"] == "r1" and result["label"] == "r2"


def test_a_retry_whose_interrupted_try_never_sent_sends_the_upgrade(client: Any, asm_emulator: Any) -> None:
    """(c) The try died before the request left: the deployment is as it was, the retry sends it.
    (A guard: this passed before the fix too; adoption must not swallow an upgrade never sent.)"""
    service = _service(client)
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    dr = run_dag(_upgrade_dag("ua_never", service, interrupted(AsmUpgradeDeploymentOperator, "before")))
    assert task_states(dr) == {"upgrade": "success"}, FAILURES.get("upgrade")
    assert requests_seen(asm_emulator, upgrades) == 1
    result = xcom_value(dr, "upgrade")
    assert result["status"] == "Succeeded" and result["by_previous_try"] is False
    assert result["request_id"]  # the retry's own request
    assert client.get_deployment_by_slot(service, "production").label == "r2"


def _someone_elses_upgrade(mode: str = "Auto", label: str = "hotfix") -> Callable[[Any], None]:
    def start(op_client: Any) -> None:
        dep = op_client.get_deployment_by_slot(SERVICE[0], "production")
        op_client.upgrade_deployment(
            SERVICE[0],
            dep.name,
            mode,
            PACKAGE.format(v="hotfix"),
            (CONFIG / "r2.cscfg").read_text(),
            label,
            False,
        )

    return start


SERVICE: list[str] = []


@pytest.mark.parametrize("when", ["before", "after_done"], ids=["running", "finished"])
def test_a_retry_does_not_adopt_someone_elses_upgrade(client: Any, asm_emulator: Any, when: str) -> None:
    """Between the tries another upgrade (label "hotfix") started, or the try's own upgrade finished
    and another one followed: not this task's, so the retry fails clearly and sends nothing."""
    from airflow_sm_provider.client.errors import ConflictError

    service = _service(client)
    SERVICE[:] = [service]
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    asm_emulator.add_faults(
        {"action": "long_operation", "operation": "upgrade_deployment", "delay": LONG, "count": 1}
    )
    cls = interrupted(AsmUpgradeDeploymentOperator, when, between=_someone_elses_upgrade())
    dr = run_dag(_upgrade_dag(f"ua_other_{when}", service, cls, retries=1))
    assert task_states(dr) == {"upgrade": "failed"}
    sent = 1 if when == "before" else 2  # someone else's (and the interrupted try's own)
    assert requests_seen(asm_emulator, upgrades) == sent  # the retry sent nothing
    err = FAILURES["upgrade"]
    assert isinstance(err, ConflictError), repr(err)
    text = str(err)
    assert "not this task's" in text and "deployment_label: requested 'r2', found 'hotfix'" in text
    assert "new DAG run" in text  # clearing keeps the task state store: the way out is named
    assert "not sending" in text


def test_a_retry_does_not_adopt_an_upgrade_of_another_mode(client: Any, asm_emulator: Any) -> None:
    """The interrupted try asked for an Auto upgrade; a Manual one of the same build runs: not adopted."""
    from airflow_sm_provider.client.errors import ConflictError

    service = _service(client)
    SERVICE[:] = [service]
    cls = interrupted(AsmUpgradeDeploymentOperator, "before", between=_someone_elses_upgrade("Manual", "r2"))
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    dr = run_dag(_upgrade_dag("ua_other_mode", service, cls))
    assert task_states(dr) == {"upgrade": "failed"}
    assert requests_seen(asm_emulator, upgrades) == 1
    err = FAILURES["upgrade"]
    assert isinstance(err, ConflictError) and "mode: requested 'Auto', found 'Manual'" in str(err), repr(err)


def test_a_retry_does_not_adopt_an_upgrade_its_interrupted_try_asked_with_another_package(
    client: Any, asm_emulator: Any
) -> None:
    """Get Deployment shows no package URL: the retry compares it with what the interrupted try asked
    for (kept with the mark). A package templated per try differs: not adopted, nothing sent."""
    from airflow_sm_provider.client.errors import ConflictError

    service = _service(client)
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    asm_emulator.add_faults(
        {"action": "long_operation", "operation": "upgrade_deployment", "delay": LONG, "count": 1}
    )
    cls = interrupted(AsmUpgradeDeploymentOperator, "after")
    dag = _upgrade_dag("ua_other_pkg", service, cls, package_url=PACKAGE.format(v="{{ ti.try_number }}"))
    dr = run_dag(dag)
    assert task_states(dr) == {"upgrade": "failed"}
    assert requests_seen(asm_emulator, upgrades) == 1
    err = FAILURES["upgrade"]
    assert isinstance(err, ConflictError), repr(err)
    assert (
        f"package_url: requested {PACKAGE.format(v=2)!r}, that try asked for {PACKAGE.format(v=1)!r}"
        in str(err)
    )


# --- Walk Upgrade Domain ---------------------------------------------------------------------------------
def _manual_upgrade(client: Any, service: str, walked: int = 0) -> None:
    """Start a Manual upgrade to r2 and walk its first ``walked`` domains."""
    client.upgrade_deployment(
        service, "r1", "Manual", PACKAGE.format(v="r2"), (CONFIG / "r2.cscfg").read_text(), "r2", False
    ).wait(timeout=60, poll_interval=0.05)
    for domain in range(walked):
        client.walk_upgrade_domain(service, "r1", domain).wait(timeout=60, poll_interval=0.05)


def _walk_dag(dag_id: str, service: str, cls: type, domain: int, **kwargs: Any) -> Any:
    from airflow.sdk import DAG

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        cls(
            task_id="walk",
            service_name=service,
            deployment_slot="production",
            upgrade_domain=domain,
            **{**RETRY, **kwargs},
        )
    return dag


def test_a_walk_retry_waits_for_the_walk_its_interrupted_try_started(client: Any, asm_emulator: Any) -> None:
    """(a) The walk of domain 0 still runs (``During``): the retry waits for it instead of answering
    "AlreadyWalked" at once (the next walk would then hit the locked deployment)."""
    service = _service(client)
    _manual_upgrade(client, service)
    walks = request_counter(asm_emulator, "walk_upgrade_domain")
    asm_emulator.add_faults(
        {"action": "long_operation", "operation": "walk_upgrade_domain", "delay": LONG, "count": 1}
    )
    dr = run_dag(_walk_dag("ua_walk_running", service, interrupted(AsmWalkUpgradeDomainOperator, "after"), 0))
    assert task_states(dr) == {"walk": "success"}, FAILURES.get("walk")
    assert requests_seen(asm_emulator, walks) == 1
    result = xcom_value(dr, "walk")
    assert result["status"] == "Succeeded" and result["by_previous_try"] is True
    assert (result["current_upgrade_domain"], result["current_upgrade_domain_state"]) == (1, "Before")
    assert not client.get_deployment_by_slot(service, "production").locked


def test_a_walk_retry_reports_the_last_walk_its_interrupted_try_finished(
    client: Any, asm_emulator: Any
) -> None:
    """(b) The walk of the last domain ended the upgrade (no UpgradeStatus any more): success, not a
    second walk that ASM refuses (no upgrade in progress)."""
    service = _service(client)
    _manual_upgrade(client, service, walked=2)
    walks = request_counter(asm_emulator, "walk_upgrade_domain")
    cls = interrupted(AsmWalkUpgradeDomainOperator, "after_done")
    dr = run_dag(_walk_dag("ua_walk_last", service, cls, 2))
    assert task_states(dr) == {"walk": "success"}, FAILURES.get("walk")
    assert requests_seen(asm_emulator, walks) == 1
    result = xcom_value(dr, "walk")
    assert result["status"] == "Succeeded" and result["by_previous_try"] is True
    assert result["upgrade_in_progress"] is False and result["label"] == "r2"


# --- Rollback ----------------------------------------------------------------------------------------------
def _rollback_dag(dag_id: str, service: str, cls: type, **kwargs: Any) -> Any:
    from airflow.sdk import DAG

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        cls(task_id="rollback", service_name=service, deployment_slot="production", **{**RETRY, **kwargs})
    return dag


@pytest.mark.parametrize("when", ["after", "after_done"], ids=["running", "finished"])
def test_a_rollback_retry_adopts_the_rollback_its_interrupted_try_sent(
    client: Any, asm_emulator: Any, when: str
) -> None:
    """(a) the rollback still walks domain 0 back: the retry waits (a second one is ASM's 409);
    (b) it ended: success with the previous try's facts, not "NothingToRollBack" (or, with
    ``if_missing="fail"``, a failure)."""
    service = _service(client)
    _manual_upgrade(client, service, walked=1)
    rollbacks = request_counter(asm_emulator, "rollback_update_or_upgrade")
    asm_emulator.add_faults(
        {"action": "long_operation", "operation": "rollback_update_or_upgrade", "delay": LONG, "count": 1}
    )
    cls = interrupted(AsmRollbackUpgradeOperator, when)
    dr = run_dag(_rollback_dag(f"ua_rollback_{when}", service, cls, if_missing="fail"))
    assert task_states(dr) == {"rollback": "success"}, FAILURES.get("rollback")
    assert requests_seen(asm_emulator, rollbacks) == 1
    result = xcom_value(dr, "rollback")
    assert result["status"] == "Succeeded" and result["by_previous_try"] is True
    assert result["label"] == "r1" and result["upgrade_in_progress"] is False
