"""Guarded rolling upgrades and the other release actions, end to end against the emulator over mTLS.

A two-role service with three upgrade domains (``example_dags/config/r1.cscfg``) is upgraded in place
domain by domain, deferred through ``dag.test`` (the triggers run inline). ``r2-bad-domain-1.cscfg``
makes upgrade domain 1 answer 503 once it runs the new build: the operator must stop there, roll back
and leave domains never walked untouched. Requests are counted by the emulator itself.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from harness import START, run_dag, task_states, xcom_value
from test_blue_green_support import CONFIG, PACKAGE, deploy, make_client, new_service
from test_operators_helpers import request_counter, requests_seen

FAST: dict[str, Any] = {"poll_interval": 0.1, "health_interval": 0.1, "bake_interval": 0.2}


@pytest.fixture
def client(asm_endpoint: dict[str, Any], asm_conn_id: str) -> Iterator[Any]:
    with make_client(asm_endpoint) as c:
        yield c


def _service(client: Any) -> str:
    service = new_service(client, prefix="ru")
    deploy(client, service, "production", "r1", "r1.cscfg")
    return service


def _upgrade_dag(dag_id: str, service: str, cscfg: str, **kwargs: Any) -> Any:
    from airflow.sdk import DAG

    from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        AsmGuardedRollingUpgradeOperator(
            task_id="rolling_upgrade",
            service_name=service,
            package_url=PACKAGE.format(v="r2"),
            configuration=(CONFIG / cscfg).read_text(),
            deployment_label="r2",
            domain_bake_seconds=0.5,
            deferrable=True,
            **FAST,
            **kwargs,
        )
    return dag


def test_guarded_rolling_upgrade_walks_every_domain(client: Any, asm_emulator: Any) -> None:
    from airflow_sm_provider.release_report import ordered_lanes, report_problems

    service = _service(client)
    walks = request_counter(asm_emulator, "walk_upgrade_domain")
    dr = run_dag(_upgrade_dag("ru_ok", service, "r2.cscfg"))
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "success", (task_states(dr), report and report.get("message"))
    assert report_problems(report) == []
    assert report["strategy"] == "rolling_upgrade" and report["outcome"] == "released"
    assert report["upgrade_outcome"] == "upgraded" and report["upgrade_domain_count"] == 3
    assert [d["domain"] for d in report["domains"]] == [0, 1, 2] and all(d["ok"] for d in report["domains"])
    assert requests_seen(asm_emulator, walks) == 3
    assert {"domain 0", "domain 1", "domain 2"} <= set(ordered_lanes(report))
    steps = {e["step"] for e in report["events"]}
    assert {"upgrade_start", "walk", "domain_ready", "domain_health", "domain_bake", "sample"} <= steps
    dep = client.get_deployment_by_slot(service, "production")
    assert dep.label == "r2" and dep.upgrade_status is None
    after = report["after"]["production"]
    assert (
        after["label"] == "r2"
        and after["url"] == dep.url
        and set(after["instances_by_domain"]) == {"0", "1", "2"}
    )
    assert report["before"]["production"]["label"] == "r1"


def test_a_failing_domain_is_rolled_back_and_later_domains_never_walked(
    client: Any, asm_emulator: Any
) -> None:
    service = _service(client)
    walks = request_counter(asm_emulator, "walk_upgrade_domain")
    rollbacks = request_counter(asm_emulator, "rollback_update_or_upgrade")
    dr = run_dag(_upgrade_dag("ru_bad", service, "r2-bad-domain-1.cscfg"))
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "failed"
    assert report["outcome"] == "rolled_back" and report["rolled_back"]
    assert [(d["domain"], d["ok"]) for d in report["domains"]] == [(0, True), (1, False)]
    assert requests_seen(asm_emulator, walks) == 2  # domain 2 was never walked
    assert requests_seen(asm_emulator, rollbacks) == 1
    assert any(e["step"] == "rollback" and e["outcome"] == "ok" for e in report["events"])
    dep = client.get_deployment_by_slot(service, "production")
    assert dep.label == "r1" and dep.upgrade_status is None  # back on the previous build


def test_upgrade_refused_over_an_empty_slot(client: Any) -> None:
    service = new_service(client, prefix="ru")
    dr = run_dag(_upgrade_dag("ru_empty", service, "r2.cscfg"))
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "failed" and report["outcome"] == "refused" and "slot is empty" in report["message"]


def test_plain_upgrade_walk_and_rollback_operators(client: Any, asm_emulator: Any) -> None:
    from airflow.sdk import DAG

    from airflow_sm_provider.operators.upgrade import (
        AsmRollbackUpgradeOperator,
        AsmUpgradeDeploymentOperator,
        AsmWalkUpgradeDomainOperator,
    )

    service = _service(client)
    walks = request_counter(asm_emulator, "walk_upgrade_domain")
    common = {"service_name": service, "deployment_slot": "production", "poll_interval": 0.1}
    with DAG("ru_plain", schedule=None, start_date=START, catchup=False) as dag:
        upgrade = AsmUpgradeDeploymentOperator(
            task_id="upgrade",
            package_url=PACKAGE.format(v="r2"),
            configuration=(CONFIG / "r2.cscfg").read_text(),
            deployment_label="r2",
            mode="Manual",
            deferrable=True,
            **common,
        )
        walk0 = AsmWalkUpgradeDomainOperator(task_id="walk0", upgrade_domain=0, **common)
        walk0_again = AsmWalkUpgradeDomainOperator(task_id="walk0_again", upgrade_domain=0, **common)
        rollback = AsmRollbackUpgradeOperator(task_id="rollback", **common)
        nothing = AsmRollbackUpgradeOperator(task_id="nothing_to_roll_back", **common)
        upgrade >> walk0 >> walk0_again >> rollback >> nothing
    dr = run_dag(dag)
    assert task_states(dr) == dict.fromkeys(
        ("upgrade", "walk0", "walk0_again", "rollback", "nothing_to_roll_back"), "success"
    )
    assert xcom_value(dr, "upgrade")["upgrade_in_progress"] is True
    assert xcom_value(dr, "walk0_again")["status"] == "AlreadyWalked"
    assert requests_seen(asm_emulator, walks) == 1
    assert xcom_value(dr, "nothing_to_roll_back")["status"] == "NothingToRollBack"
    assert client.get_deployment_by_slot(service, "production").label == "r1"


def test_role_instance_operators(client: Any, asm_emulator: Any) -> None:
    from airflow.sdk import DAG

    from airflow_sm_provider.operators.role_instances import (
        AsmDeleteRoleInstancesOperator,
        AsmRebootRoleInstanceOperator,
    )

    service = _service(client)
    common = {"service_name": service, "deployment_slot": "production", "poll_interval": 0.1}
    reboots = request_counter(asm_emulator, "reboot_role_instance")
    with DAG("ru_instances", schedule=None, start_date=START, catchup=False) as dag:
        reboot = AsmRebootRoleInstanceOperator.partial(task_id="reboot", deferrable=True, **common).expand(
            role_instance_name=["WebRole_IN_0", "WebRole_IN_1"]
        )
        missing = AsmRebootRoleInstanceOperator(
            task_id="reboot_missing", role_instance_name="WebRole_IN_9", if_missing="ignore", **common
        )
        delete = AsmDeleteRoleInstancesOperator(
            task_id="delete",
            role_instance_names=["WorkerRole_IN_2", "WorkerRole_IN_7"],
            if_missing="ignore",
            **common,
        )
        reboot >> missing >> delete
    dr = run_dag(dag)
    assert set(task_states(dr).values()) == {"success"}, task_states(dr)
    assert requests_seen(asm_emulator, reboots) == 2
    assert xcom_value(dr, "reboot_missing")["status"] == "Absent"
    names = {i.instance_name for i in client.get_deployment_by_slot(service, "production").role_instance_list}
    assert "WorkerRole_IN_2" not in names and "WorkerRole_IN_1" in names


def _pfx(password: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from testpki import make_cert, rsa_key

    key = rsa_key()
    cert = make_cert(key, "ru.example.com")
    blob = pkcs12.serialize_key_and_certificates(
        b"ru", key, cert, None, serialization.BestAvailableEncryption(password.encode())
    )
    return base64.b64encode(blob).decode()


def test_service_certificate_operators_are_idempotent(client: Any, asm_emulator: Any) -> None:
    from airflow.sdk import DAG

    from airflow_sm_provider.operators.certificates import (
        AsmAddServiceCertificateOperator,
        AsmDeleteServiceCertificateOperator,
    )

    service = new_service(client, prefix="ru")
    data = _pfx("pw-s3cret")
    adds = request_counter(asm_emulator, "add_service_certificate")
    with DAG("ru_certs", schedule=None, start_date=START, catchup=False) as dag:
        first = AsmAddServiceCertificateOperator(
            task_id="add",
            service_name=service,
            data=data,
            password="pw-s3cret",
            poll_interval=0.1,
            deferrable=True,
        )
        again = AsmAddServiceCertificateOperator(
            task_id="add_again", service_name=service, data=data, password="pw-s3cret", poll_interval=0.1
        )
        delete = AsmDeleteServiceCertificateOperator(
            task_id="delete",
            service_name=service,
            thumbprint="{{ ti.xcom_pull(task_ids='add')['thumbprint'] }}",
            poll_interval=0.1,
        )
        gone = AsmDeleteServiceCertificateOperator(
            task_id="delete_again",
            service_name=service,
            thumbprint="{{ ti.xcom_pull(task_ids='add')['thumbprint'] }}",
            poll_interval=0.1,
        )
        first >> again >> delete >> gone
    dr = run_dag(dag)
    assert set(task_states(dr).values()) == {"success"}, task_states(dr)
    added = xcom_value(dr, "add")
    assert added["status"] == "Succeeded" and len(added["thumbprint"]) == 40
    assert xcom_value(dr, "add_again")["status"] == "Exists"
    assert requests_seen(asm_emulator, adds) == 1
    assert xcom_value(dr, "delete_again")["status"] == "Absent"
    assert "pw-s3cret" not in repr(added) and data not in repr(added)
    assert client.list_service_certificates(service) == []


def test_example_dag_uploads_the_certificate_once_and_upgrades(
    client: Any, asm_emulator: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    """``example_dags/rolling_upgrade.py`` as shipped: certificate uploaded if missing, then the
    guarded rolling upgrade; a second run finds the certificate and sends no second upload."""
    from test_blue_green_support import example_dag

    pfx = tmp_path / "service.pfx"
    pfx.write_bytes(base64.b64decode(_pfx("pfx-pass")))
    monkeypatch.setenv("AIRFLOW_VAR_ASM_SERVICE_CERTIFICATE_PASSWORD", "pfx-pass")
    dag = example_dag("rolling_upgrade", "rolling_upgrade")
    service = _service(client)
    adds = request_counter(asm_emulator, "add_service_certificate")
    conf = {
        "service_name": service,
        "package_url": PACKAGE.format(v="r2"),
        "cscfg": "r2.cscfg",
        "label": "r2",
        "certificate_path": str(pfx),
        "domain_bake_seconds": 0,
        "poll_interval": 0.1,
        "deployment_slot": "production",
        "require_approval": False,
        "asm_conn_id": "asm_default",
    }
    dr = run_dag(dag, run_conf=conf)
    assert dr.state == "success", task_states(dr)
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert report["outcome"] == "released" and len(report["domains"]) == 3
    assert len(client.list_service_certificates(service)) == 1
    dr2 = run_dag(dag, run_conf={**conf, "label": "r2-again"})
    assert xcom_value(dr2, "upload_certificate")["status"] == "Exists"
    assert requests_seen(asm_emulator, adds) == 1


WALK_TRIES: list[int] = []


def _crash_after_walk_class() -> type:
    from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator

    class CrashAfterWalk(AsmGuardedRollingUpgradeOperator):
        """The worker dies right after sending the walk of domain 1 (first try only)."""

        def after_walk(self, domain: int) -> None:
            if domain == 1 and self.context["ti"].try_number == 1:
                WALK_TRIES.append(1)
                raise RuntimeError("simulated worker crash right after walking domain 1")

    return CrashAfterWalk


def test_a_crash_after_a_walk_resumes_without_walking_twice(client: Any, asm_emulator: Any) -> None:
    from datetime import timedelta

    from airflow.sdk import DAG

    WALK_TRIES.clear()
    service = _service(client)
    walks = request_counter(asm_emulator, "walk_upgrade_domain")
    upgrades = request_counter(asm_emulator, "upgrade_deployment")
    with DAG("ru_crash", schedule=None, start_date=START, catchup=False) as dag:
        _crash_after_walk_class()(
            task_id="rolling_upgrade",
            service_name=service,
            package_url=PACKAGE.format(v="r2"),
            configuration=(CONFIG / "r2.cscfg").read_text(),
            deployment_label="r2",
            domain_bake_seconds=0,
            deferrable=True,
            retries=1,
            retry_delay=timedelta(0),
            **FAST,
        )
    dr = run_dag(dag)
    report = xcom_value(dr, "rolling_upgrade", "release_report")
    assert dr.state == "success", task_states(dr)
    assert WALK_TRIES == [1]  # the crash happened
    assert requests_seen(asm_emulator, walks) == 3 and requests_seen(asm_emulator, upgrades) == 1
    assert report["outcome"] == "released" and any(e["step"] == "resume" for e in report["events"])
    assert client.get_deployment_by_slot(service, "production").label == "r2"
