"""The guarded rolling upgrade's starting state, its rollback's end state and its role check, end to end.

A rolling upgrade judges each walked domain by the health check; the default check answers for the
whole deployment (the emulator answers with the worst of the ready instances, as a load-balanced
probe that hits every instance would). So a deployment that already fails that check before the
upgrade must be found before any request: refused by default, upgraded as a hotfix with
``allow_unhealthy_start=True`` without blaming a healthy walked domain for the domains not walked
yet. A rollback that leaves production unhealthy is ``rolled_back_unhealthy``, not ``rolled_back``
(the guarded swap's outcome). A ``role_to_upgrade`` the deployment does not have is refused before
the upgrade request. Real Airflow ``dag.test`` against the emulator; requests counted by it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from harness import START, run_dag, task_states, xcom_value
from test_blue_green_support import CONFIG, PACKAGE, deploy, make_client, new_service
from test_operators_helpers import FAILURES, record_failure, request_counter, requests_seen

FAST: dict[str, Any] = {"poll_interval": 0.1, "health_interval": 0.1, "bake_interval": 0.2}
HEALTHY = '<Setting name="Emulator.Health" value="healthy" />'


@pytest.fixture
def client(asm_endpoint: dict[str, Any], asm_conn_id: str) -> Iterator[Any]:
    with make_client(asm_endpoint) as c:
        yield c


def _config(name: str, health: str = "healthy", extra: str = "") -> str:
    """``example_dags/config/<name>`` with its deployment-wide health set to ``health`` (+ settings)."""
    text = (CONFIG / name).read_text()
    assert HEALTHY in text
    return text.replace(HEALTHY, f'<Setting name="Emulator.Health" value="{health}" />{extra}')


def _service(client: Any, health: str = "healthy") -> str:
    """Production r1 (three upgrade domains), healthy or already failing its health check."""
    service = new_service(client, prefix="rs")
    deploy(client, service, "production", "r1", config=_config("r1.cscfg", health))
    return service


def _upgrade_dag(dag_id: str, service: str, config: str, cls: Any = None, **kwargs: Any) -> Any:
    from airflow.sdk import DAG

    from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        (cls or AsmGuardedRollingUpgradeOperator)(
            task_id="rolling_upgrade",
            service_name=service,
            package_url=PACKAGE.format(v="r2"),
            configuration=config,
            deployment_label="r2",
            domain_bake_seconds=0.5,
            on_failure_callback=record_failure,
            **{"deferrable": True, **FAST, **kwargs},
        )
    return dag


def _events(report: dict[str, Any], step: str) -> list[tuple[str, str]]:
    return [(e["lane"], e["outcome"]) for e in report["events"] if e["step"] == step]


@pytest.mark.parametrize("deferrable", [True, False])
def test_an_unhealthy_start_is_refused_before_any_request(
    client: Any, asm_emulator: Any, deferrable: bool
) -> None:
    """The tester's repro: production already answers 503; a healthy .cscfg to fix it must not be
    walked into domain 0, blamed for domains 1 and 2 and rolled back: refused, nothing sent (the
    check waits in the triggerer or in the worker: the same step)."""
    service = _service(client, health="unhealthy")
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    rollbacks = request_counter(asm_emulator, "rollback_update_or_upgrade")
    dr = run_dag(
        _upgrade_dag(f"rs_refused_{deferrable}", service, _config("r2.cscfg"), deferrable=deferrable)
    )
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "failed"
    assert report["outcome"] == "refused" and report["upgrade_outcome"] == "refused"
    assert "already fails its health check before the upgrade" in report["message"]
    assert "allow_unhealthy_start=True" in report["message"] and "503" in report["message"]
    assert report["start_health"]["ok"] is False
    assert requests_seen(asm_emulator, upgrades) == 0 and requests_seen(asm_emulator, rollbacks) == 0
    assert _events(report, "pre_upgrade_health") == [("deployment", "failed")]
    assert "allow_unhealthy_start=True" in str(FAILURES["rolling_upgrade"])
    assert client.get_deployment_by_slot(service, "production").label == "r1"


def test_a_per_domain_health_url_checks_every_domain_before_the_upgrade(
    client: Any, asm_emulator: Any
) -> None:
    """A ``health_url`` naming ``{upgrade_domain}`` (a per-domain monitoring URL; here a path the
    emulator answers per domain) is checked for every domain before the upgrade: domain 1 failing
    it is an unhealthy start too, refused with the domain's check named."""
    service = new_service(client, prefix="rs")
    unhealthy_1 = '\n      <Setting name="Emulator.Health.ud1/health" value="unhealthy" />'
    deploy(client, service, "production", "r1", config=_config("r1.cscfg", extra=unhealthy_1))
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    dag = _upgrade_dag(
        "rs_per_domain", service, _config("r2.cscfg"), health_url="{deployment_url}ud{upgrade_domain}/health"
    )
    dr = run_dag(dag)
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "failed" and report["upgrade_outcome"] == "refused"
    assert requests_seen(asm_emulator, upgrades) == 0
    steps = [(c["name"], c["ok"]) for c in report["checks"] if c["name"].startswith("pre_upgrade")]
    assert steps == [("pre_upgrade_health_0", True), ("pre_upgrade_health_1", False)]
    assert "/ud1/health" in report["start_health"]["detail"]
    assert "its own health URL" in report["message"] and "allow_unhealthy_start=True" in report["message"]


def test_a_healthy_start_is_recorded_before_the_upgrade(client: Any, asm_emulator: Any) -> None:
    service = _service(client)
    dr = run_dag(_upgrade_dag("rs_healthy", service, _config("r2.cscfg")))
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "success", (task_states(dr), report and report.get("message"))
    assert report["start_health"] == {"ok": True, "detail": "healthy before the upgrade"}
    first = [e["step"] for e in report["events"] if e["lane"] == "deployment"][:3]
    assert first == ["gate", "pre_upgrade_health", "upgrade_start"]


def test_allow_unhealthy_start_repairs_production_without_blaming_a_healthy_domain(
    client: Any, asm_emulator: Any
) -> None:
    """With ``allow_unhealthy_start=True`` domains 0 and 1 are judged by their own instances (the
    whole-deployment check still sees the old, unhealthy domains) and the check judges the
    deployment once domain 2 is walked: the fix goes live."""
    service = _service(client, health="unhealthy")
    walks = request_counter(asm_emulator, "walk_upgrade_domain")
    rollbacks = request_counter(asm_emulator, "rollback_update_or_upgrade")
    dr = run_dag(_upgrade_dag("rs_hotfix", service, _config("r2.cscfg"), allow_unhealthy_start=True))
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "success", (task_states(dr), report and report.get("message"))
    assert report["outcome"] == "released" and report["upgrade_outcome"] == "upgraded"
    assert [(d["domain"], d["ok"]) for d in report["domains"]] == [(0, True), (1, True), (2, True)]
    assert report["start_health"]["ok"] is False
    assert requests_seen(asm_emulator, walks) == 3 and requests_seen(asm_emulator, rollbacks) == 0
    assert _events(report, "domain_health") == [
        ("domain 0", "skipped"),
        ("domain 1", "skipped"),
        ("domain 2", "ok"),
    ]
    assert ("domain 2", "ok") in _events(report, "domain_bake")
    dep = client.get_deployment_by_slot(service, "production")
    assert dep.label == "r2" and dep.upgrade_status is None


def test_a_hotfix_that_does_not_fix_production_fails_after_the_last_domain(
    client: Any, asm_emulator: Any
) -> None:
    """Allowed to start unhealthy, a build that is unhealthy too is found once every domain runs it;
    ASM no longer allows a rollback then: ``failed``, saying production needs attention."""
    service = _service(client, health="unhealthy")
    bad = _config("r2.cscfg", "unhealthy")  # templated, as the example DAG's param: "True" once rendered
    dr = run_dag(_upgrade_dag("rs_nofix", service, bad, allow_unhealthy_start="{{ 1 == 1 }}"))
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "failed"
    assert report["outcome"] == "failed" and report["upgrade_outcome"] == "failed"
    assert [(d["domain"], d["ok"]) for d in report["domains"]] == [(0, True), (1, True), (2, False)]
    assert "still fails it with every upgrade domain on the new build" in report["message"]
    assert "production needs attention" in report["message"]


UNHEALTHY_AFTER_ROLLBACK: list[Any] = []


def _outage_during_rollback_class() -> type:
    from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator

    class OutageDuringRollback(AsmGuardedRollingUpgradeOperator):
        """Production's application goes down (a dependency outage) while the upgrade rolls back."""

        def phase_rollback(self, event: Any) -> Any:
            emulator = UNHEALTHY_AFTER_ROLLBACK[0]
            emulator.set_health(self.service_name, "unhealthy")
            return super().phase_rollback(event)

    return OutageDuringRollback


def test_a_rollback_that_leaves_production_unhealthy_is_rolled_back_unhealthy(
    client: Any, asm_emulator: Any
) -> None:
    """Domain 1 fails and the upgrade is rolled back, but production then fails ``restored_health``:
    the outcome says so (``rolled_back_unhealthy``, a failed release), as the guarded swap does."""
    from airflow_sm_provider.release_report import format_timeline

    UNHEALTHY_AFTER_ROLLBACK[:] = [asm_emulator]
    service = _service(client)
    rollbacks = request_counter(asm_emulator, "rollback_update_or_upgrade")
    dag = _upgrade_dag(
        "rs_rb_unhealthy", service, _config("r2-bad-domain-1.cscfg"), cls=_outage_during_rollback_class()
    )
    dr = run_dag(dag)
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "failed"
    assert requests_seen(asm_emulator, rollbacks) == 1
    assert report["upgrade_outcome"] == "rolled_back_unhealthy" and report["outcome"] == "failed"
    assert report["rolled_back"] is True
    assert "did not pass restored_health" in report["message"]
    assert "production needs attention" in report["message"]
    assert ("deployment", "failed") in _events(report, "restored_health")
    assert format_timeline(report).startswith(f"rolling_upgrade of {service}: failed")
    assert "rolled_back_unhealthy" in str(FAILURES["rolling_upgrade"])


def test_a_rollback_after_an_unhealthy_start_says_production_was_unhealthy_before(
    client: Any, asm_emulator: Any
) -> None:
    """The tester's second finding: started unhealthy (allowed), domain 1's instances fail to start,
    the rollback restores the old, unhealthy build: ``rolled_back_unhealthy``, not ``rolled_back``."""
    service = _service(client, health="unhealthy")
    bad = _config(
        "r2.cscfg", extra='\n      <Setting name="Emulator.UpgradeDomain.1.Health" value="fail-start" />'
    )
    dr = run_dag(_upgrade_dag("rs_rb_before", service, bad, allow_unhealthy_start=True))
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "failed"
    assert [(d["domain"], d["ok"]) for d in report["domains"]] == [(0, True), (1, False)]
    assert report["upgrade_outcome"] == "rolled_back_unhealthy" and report["rolled_back"] is True
    assert "it already failed its health check before the upgrade" in report["message"]
    assert client.get_deployment_by_slot(service, "production").label == "r1"


def test_a_role_to_upgrade_typo_is_refused_before_the_upgrade_request(client: Any, asm_emulator: Any) -> None:
    from airflow_sm_provider.client.errors import InvalidInputError

    service = _service(client)
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    dr = run_dag(_upgrade_dag("rs_role", service, _config("r2.cscfg"), role_to_upgrade="WebRole1"))
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "failed"
    assert requests_seen(asm_emulator, upgrades) == 0
    err = FAILURES["rolling_upgrade"]
    assert isinstance(err, InvalidInputError) and err.field == "role_to_upgrade"
    assert "no role 'WebRole1'" in str(err) and "'WebRole', 'WorkerRole'" in str(err)
    assert report["upgrade_outcome"] == "refused" and "role_to_upgrade" in report["message"]
    assert _events(report, "gate")[-1] == ("deployment", "failed")


def _plain_upgrade_dag(dag_id: str, service: str, cls: Any, **kwargs: Any) -> Any:
    """``AsmUpgradeDeploymentOperator`` (or ``cls``) upgrading production to r2, Manual, with the
    ``role_to_upgrade`` typo ``WorkerRol``."""
    from airflow.sdk import DAG

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        cls(
            task_id="upgrade",
            service_name=service,
            deployment_slot="production",
            package_url=PACKAGE.format(v="r2"),
            configuration=_config("r2.cscfg"),
            deployment_label="r2",
            mode="Manual",
            role_to_upgrade="WorkerRol",
            poll_interval=0.1,
            on_failure_callback=record_failure,
            **kwargs,
        )
    return dag


def test_the_plain_upgrade_operator_refuses_a_role_to_upgrade_typo(client: Any, asm_emulator: Any) -> None:
    from airflow_sm_provider.client.errors import InvalidInputError
    from airflow_sm_provider.operators.upgrade import AsmUpgradeDeploymentOperator

    service = _service(client)
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    dr = run_dag(_plain_upgrade_dag("rs_plain_role", service, AsmUpgradeDeploymentOperator))
    assert dr.state == "failed"
    assert requests_seen(asm_emulator, upgrades) == 0
    err = FAILURES["upgrade"]
    assert isinstance(err, InvalidInputError) and err.field == "role_to_upgrade"
    assert "did you mean 'WorkerRole'?" in str(err)


# --- a wait that broke (the trigger raised: no step outcome at all) is not a health verdict -------------
BROKEN_WAIT = {
    "status": "failed",
    "message": "SealedHeadersError: the health headers were sealed with another management certificate",
    "error_type": "SealedHeadersError",
    "steps": [],
}


def _phase_op(**kwargs: Any) -> Any:
    """The guarded rolling upgrade past its gate (deployment dep1, three domains), to feed a phase."""
    from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator
    from airflow_sm_provider.release_report import ReleaseRecorder

    op = AsmGuardedRollingUpgradeOperator(
        task_id="rolling_upgrade",
        service_name="svc",
        package_url=PACKAGE.format(v="r2"),
        configuration=_config("r2.cscfg"),
        deployment_label="r2",
        health_url="https://x.example/health",
        **kwargs,
    )
    op.final_inputs()
    op.state = {"deployment_name": "dep1", "domain_count": 3}
    op.recorder = ReleaseRecorder(op.strategy, "svc", report=op.new_report())
    return op


@pytest.mark.parametrize("allow", [False, True], ids=["default", "allow_unhealthy_start"])
def test_a_broken_pre_upgrade_health_wait_is_not_an_unhealthy_start(allow: bool) -> None:
    """The reviewer's finding: the health wait before the upgrade broke (no check ran): not "already
    fails its health check" (default) nor a hotfix that skips per-domain health (allowed): a
    retryable end that says the starting health could not be judged, nothing sent."""
    from airflow_sm_provider.operators._release import Done

    op = _phase_op(allow_unhealthy_start=allow)
    done = op.phase_baseline({**BROKEN_WAIT, "phase": "baseline"})
    assert isinstance(done, Done) and done.final is False
    assert done.message.startswith("could not judge the starting health: SealedHeadersError")
    assert "no upgrade was sent" in done.message
    assert "already fails" not in done.message and "allow_unhealthy_start" not in done.message
    assert op.state["upgrade_outcome"] == "failed" and "unhealthy_start" not in op.state
    assert op.report["start_health"]["ok"] is None
    assert [c["ok"] for c in op.report["checks"] if c["name"] == "pre_upgrade_health"] == [False]


def test_a_broken_wait_after_the_rollback_is_not_a_clean_rollback() -> None:
    """The rollback was requested but its wait broke: restored_ready / restored_health never ran,
    so the outcome is ``rolled_back_unverified`` (a failed release), not ``rolled_back``."""
    op = _phase_op()
    op.state.update(failed_domain=1, rollback_request_id="rb1")
    done = op.phase_rolled_back({**BROKEN_WAIT, "message": "ConnectError: triggerer lost ASM"})
    assert done.outcome == "failed" and done.final is True
    assert op.state["upgrade_outcome"] == "rolled_back_unverified"
    assert "could not be verified" in done.message and "ConnectError" in done.message
    assert op.report["rolled_back"] is False  # the rollback operation was never seen to succeed
    ok_rollback = [{"name": "rollback", "ok": True, "message": "Succeeded", "at": "t", "target": "rb1"}]
    op = _phase_op()
    op.state.update(failed_domain=1, rollback_request_id="rb1")
    op.phase_rolled_back({**BROKEN_WAIT, "steps": ok_rollback})
    assert op.state["upgrade_outcome"] == "rolled_back_unverified" and op.report["rolled_back"] is True


ADOPTED: list[bool] = []


def test_a_role_to_upgrade_typo_leaves_no_submitting_mark_for_the_retry(
    client: Any, asm_emulator: Any
) -> None:
    """The reviewer's finding: the role was checked inside ``submit``, after the "submitting" mark
    was stored, so every retry believed an upgrade request might have left and adopted it. Checked
    before the mark: each try starts fresh (``adopt`` False), and no request is sent."""
    from datetime import timedelta

    from airflow_sm_provider.operators.upgrade import AsmUpgradeDeploymentOperator

    class Recording(AsmUpgradeDeploymentOperator):
        def check_existing(self, client: Any, *, adopt: bool) -> Any:
            ADOPTED.append(adopt)
            return super().check_existing(client, adopt=adopt)

    ADOPTED.clear()
    service = _service(client)
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    dr = run_dag(
        _plain_upgrade_dag("rs_plain_role_retry", service, Recording, retries=2, retry_delay=timedelta(0))
    )
    assert dr.state == "failed"
    assert requests_seen(asm_emulator, upgrades) == 0
    assert ADOPTED == [False, False, False]
    assert "did you mean 'WorkerRole'?" in str(FAILURES["upgrade"])


@pytest.mark.parametrize(
    ("reason", "message"),
    [("slot_changed", "the slot holds dep2, not dep1"), ("slot_empty", "the production slot is empty")],
)
@pytest.mark.parametrize("allow", [False, True], ids=["default", "allow_unhealthy_start"])
def test_a_deployment_gone_from_its_slot_before_the_upgrade_is_no_unhealthy_start(
    allow: bool, reason: str, message: str
) -> None:
    """The pre-upgrade health step fails without probing when the slot no longer holds the
    deployment (a swap or a delete since the start): not "already fails its health check", and with
    ``allow_unhealthy_start`` never an upgrade sent by name to a deployment that left the slot."""
    from airflow_sm_provider.operators._release import Done

    op = _phase_op(allow_unhealthy_start=allow)
    step = {"name": "pre_upgrade_health", "kind": "health", "ok": False, "outcome": "failed"}
    event = {
        "status": "failed",
        "message": message,
        "phase": "baseline",
        "steps": [{**step, "message": message, "reason": reason, "at": "2026-12-01T00:00:00.000+00:00"}],
    }
    done = op.phase_baseline(event)
    assert isinstance(done, Done), done
    assert done.final is False and "no upgrade was sent" in done.message and message in done.message
    assert "already fails" not in done.message and "unhealthy_start" not in op.state
    assert op.state["upgrade_outcome"] == "refused"
