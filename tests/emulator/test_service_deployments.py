"""Deployments: slots, operations over time, locking, swap, configuration changes, failures, XML order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from service_helpers import (
    Harness,
    b64,
    children,
    cscfg,
    error_code,
    error_message,
    instances,
    names,
    parse,
    text,
    xml_body,
)

from airflow_sm_provider import protocol as p

SVC = "/services/hostedservices/mysvc"


def test_create_deployment_202_operation_in_progress_then_succeeded(h: Harness) -> None:
    got = h.create_deployment(slot="production")
    assert got.status == 202 and got.body == b""
    rid = got.headers["x-ms-request-id"]
    op = h.op_status(got)
    assert text(op, "ID") == f"{rid[:8]}-{rid[8:12]}-{rid[12:16]}-{rid[16:20]}-{rid[20:]}"
    assert text(op, "Status") == "InProgress"
    assert names(op) == ["ID", "Status"]  # no HttpStatusCode while InProgress
    h.advance(51)
    assert text(h.op_status(got), "Status") == "InProgress"
    h.advance(2)
    op = h.op_status(got)
    assert names(op) == ["ID", "Status", "HttpStatusCode"]
    assert text(op, "Status") == "Succeeded" and text(op, "HttpStatusCode") == "200"


def test_speed_divides_durations(tmp_path: Path) -> None:
    h = Harness(tmp_path, speed=20)
    h.create_service()
    got = h.create_deployment()
    h.advance(52 / 20 + 0.01)
    assert text(h.op_status(got), "Status") == "Succeeded"


def test_get_deployment_shape_and_element_order(h: Harness) -> None:
    h.create_deployment(slot="production", roles={"WebRole1": 2})
    dep = h.deployment(slot="PRODUCTION")
    assert names(dep) == [
        "Name",
        "DeploymentSlot",
        "PrivateID",
        "Status",
        "Label",
        "Url",
        "Configuration",
        "RoleInstanceList",
        "UpgradeDomainCount",
        "RoleList",
        "SdkVersion",
        "Locked",
        "RollbackAllowed",
        "CreatedTime",
        "LastModifiedTime",
        "ExtendedProperties",
        "VirtualIPs",
        "LoadBalancers",
    ]
    assert text(dep, "DeploymentSlot") == "Production"
    assert re.fullmatch(r"[0-9a-f]{32}", text(dep, "PrivateID") or "")
    assert text(dep, "Label") == b64("v1")
    assert text(dep, "Configuration") == b64(cscfg({"WebRole1": 2}))
    assert text(dep, "Url") == "https://127.0.0.1:8443/cloudapp/mysvc/"
    assert text(dep, "Locked") == "true"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text(dep, "CreatedTime") or "")
    inst = children(children(dep, "RoleInstanceList")[0], "RoleInstance")[0]
    assert names(inst) == [
        "RoleName",
        "InstanceName",
        "InstanceStatus",
        "InstanceUpgradeDomain",
        "InstanceFaultDomain",
        "InstanceSize",
        "InstanceStateDetails",
        "IpAddress",
        "PowerState",
    ]
    h.finish()
    assert text(h.deployment(), "Locked") == "false"


def test_instance_life_cycle_running(h: Harness) -> None:
    h.create_deployment(roles={"WebRole1": 2, "Worker": 1})
    seen = []
    for _ in range(20):
        states = {s for _, s, _ in instances(h.deployment())}
        assert len(states) == 1
        seen.append(states.pop())
        h.advance(5)
    walk = [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s]
    assert walk == ["CreatingVM", "StartingVM", "CreatingRole", "StartingRole", "ReadyRole"]
    assert [n for n, _, _ in instances(h.deployment())] == ["WebRole1_IN_0", "WebRole1_IN_1", "Worker_IN_0"]
    assert {pw for _, _, pw in instances(h.deployment())} == {"Started"}


def test_not_started_deployment_is_suspended_with_stopped_vms(h: Harness) -> None:
    h.create_deployment(start=False)
    dep = h.deployment()
    assert text(dep, "Status") == "Suspended"
    assert instances(dep) == [("WebRole1_IN_0", "CreatingVM", "Stopped")]
    h.finish()
    assert instances(h.deployment()) == [("WebRole1_IN_0", "StoppedVM", "Stopped")]


def test_update_status_walks_instances(h: Harness) -> None:
    h.create_deployment(start=False)
    h.finish()
    body = xml_body("UpdateDeploymentStatus", {"Status": "Running"})
    got = h.call("POST", f"{SVC}/deployments/v1/?comp=status", body)
    assert got.status == 202
    assert text(h.deployment(), "Status") == "RunningTransitioning"
    h.advance(5)
    assert text(h.op_status(got), "Status") == "Succeeded"
    assert text(h.deployment(), "Status") == "Running"
    h.finish()
    assert instances(h.deployment())[0][1:] == ("ReadyRole", "Started")
    got = h.call(
        "POST",
        f"{SVC}/deployments/v1/?comp=status",
        xml_body("UpdateDeploymentStatus", {"Status": "Suspended"}),
    )
    h.finish()
    assert text(h.deployment(), "Status") == "Suspended"
    assert instances(h.deployment())[0][1:] == ("StoppedVM", "Stopped")
    bad = h.call(
        "POST", f"{SVC}/deployments/v1/?comp=status", xml_body("UpdateDeploymentStatus", {"Status": "Paused"})
    )
    assert bad.status == 400


def test_occupied_slot_409(h: Harness) -> None:
    h.create_deployment(slot="production", name="v1")
    got = h.create_deployment(slot="Production", name="v2")
    assert got.status == 409 and error_code(got) == p.ERR_CONFLICT
    assert error_message(got) == "The specified deployment slot Production is occupied."
    assert h.create_deployment(slot="staging", name="v2").status == 202
    assert text(h.deployment(slot="staging"), "DeploymentSlot") == "Staging"


def test_exclusive_access_while_operation_runs(h: Harness) -> None:
    h.create_deployment()
    status = xml_body("UpdateDeploymentStatus", {"Status": "Suspended"})
    for method, path, body in [
        ("POST", f"{SVC}/deployments/v1/?comp=status", status),
        ("DELETE", f"{SVC}/deployments/v1", ""),
        (
            "POST",
            f"{SVC}/deployments/v1/?comp=config",
            xml_body("ChangeConfiguration", {"Configuration": b64(cscfg())}),
        ),
    ]:
        got = h.call(method, path, body)
        assert got.status == 409, path
        assert p.is_exclusive_access_conflict(got.status, error_code(got), error_message(got))
        assert error_message(got) == p.MSG_EXCLUSIVE_ACCESS
    h.advance(52)
    assert h.call("POST", f"{SVC}/deployments/v1/?comp=status", status).status == 202


def test_delete_deployment_202_then_404(h: Harness) -> None:
    h.create_deployment()
    h.finish()
    got = h.call("DELETE", f"{SVC}/deployments/v1")
    assert got.status == 202
    assert text(h.deployment(), "Status") == "Deleting"
    h.advance(6)
    assert text(h.op_status(got), "Status") == "Succeeded"
    missing = h.call("GET", f"{SVC}/deployments/v1")
    assert missing.status == 404 and error_message(missing) == p.MSG_DEPLOYMENT_NOT_FOUND
    assert h.call("DELETE", SVC).status == 200


def test_invalid_configuration_400(h: Harness) -> None:
    for bad in ["not base64!!", b64("not xml at all"), b64("<Other/>")]:
        body = xml_body(
            "CreateDeployment",
            {"Name": "v1", "PackageUrl": "https://x/p", "Label": b64("v1"), "Configuration": bad},
        )
        got = h.call("POST", f"{SVC}/deploymentslots/production", body)
        assert got.status == 400 and error_code(got) == p.ERR_BAD_REQUEST, bad


def test_change_configuration_adds_and_removes_instances(h: Harness) -> None:
    h.create_deployment(roles={"Web": 2})
    h.finish()
    body = xml_body("ChangeConfiguration", {"Configuration": b64(cscfg({"Web": 3})), "Mode": "Auto"})
    got = h.call("POST", f"{SVC}/deployments/v1/?comp=config", body)
    assert got.status == 202
    states = instances(h.deployment())
    assert [s for _, s, _ in states] == ["ReadyRole", "ReadyRole", "CreatingVM"]
    h.finish()
    assert [s for _, s, _ in instances(h.deployment())] == ["ReadyRole"] * 3
    body = xml_body("ChangeConfiguration", {"Configuration": b64(cscfg({"Web": 1}))})
    h.call("POST", f"{SVC}/deploymentslots/production/?comp=config", body)
    h.finish()
    assert [n for n, _, _ in instances(h.deployment())] == ["Web_IN_0"]
    assert text(h.deployment(), "Configuration") == b64(cscfg({"Web": 1}))


def test_failed_operation_shape_and_rollback(h: Harness) -> None:
    got = h.create_deployment(fail=p.ERR_INTERNAL)
    assert got.status == 202
    assert text(h.op_status(got), "Status") == "InProgress"
    h.finish()
    op = h.op_status(got)
    assert names(op) == ["ID", "Status", "HttpStatusCode", "Error"]
    assert text(op, "Status") == "Failed" and text(op, "HttpStatusCode") == "500"
    assert text(op, "Error/Code") == p.ERR_INTERNAL and text(op, "Error/Message") == p.MSG_INTERNAL
    assert h.call("GET", f"{SVC}/deploymentslots/production").status == 404
    h.create_deployment()
    h.finish()
    status = xml_body("UpdateDeploymentStatus", {"Status": "Suspended"})
    got = h.call("POST", f"{SVC}/deployments/v1/?comp=status", status, fail=p.ERR_CONFLICT)
    h.finish()
    assert text(h.op_status(got), "HttpStatusCode") == "409"
    assert text(h.deployment(), "Status") == "Running"


def test_failed_operation_carries_the_fault_rules_message(h: Harness) -> None:
    h.create_deployment()
    h.finish()
    status = xml_body("UpdateDeploymentStatus", {"Status": "Suspended"})
    got = h.call(
        "POST", f"{SVC}/deployments/v1/?comp=status", status, fail="Boom", fail_message="custom words"
    )
    h.finish()
    op = h.op_status(got)
    assert text(op, "Error/Code") == "Boom" and text(op, "Error/Message") == "custom words"


def test_long_operation_holds_the_lock_for_its_real_seconds(h: Harness) -> None:
    h.create_deployment()
    h.finish()
    status = xml_body("UpdateDeploymentStatus", {"Status": "Suspended"})
    got = h.call("POST", f"{SVC}/deployments/v1/?comp=status", status, operation_seconds=500.0)
    h.advance(400)  # far longer than the kind's normal duration at this speed
    assert text(h.op_status(got), "Status") == "InProgress"
    assert text(h.deployment(), "Locked") == "true"
    h.advance(101)
    assert text(h.op_status(got), "Status") == "Succeeded"
    assert text(h.deployment(), "Locked") == "false"


def test_embed_detail_lists_deployments(h: Harness) -> None:
    h.create_deployment()
    svc = parse(h.call("GET", f"{SVC}?embed-detail=true").body)
    deps = children(children(svc, "Deployments")[0], "Deployment")
    assert [text(d, "Name") for d in deps] == ["v1"]
    assert children(parse(h.call("GET", f"{SVC}?embed-detail=false").body), "Deployments") == []


# --- swap --------------------------------------------------------------------------------------
def _swap(h: Harness, production: str | None, source: str, nil: bool = False):  # type: ignore[no-untyped-def]
    fields = {}
    if production is not None:
        fields["Production"] = production
    fields["SourceDeployment"] = source
    body = xml_body("Swap", fields)
    if nil:
        body = body.replace("<SourceDeployment>", '<Production i:nil="true"/><SourceDeployment>')
    return h.call("POST", SVC, body)


def test_swap_exchanges_slots_and_urls(h: Harness) -> None:
    h.create_deployment(slot="production", name="v1")
    h.create_deployment(slot="staging", name="v2")
    staging_url = text(h.deployment(slot="staging"), "Url")
    h.finish()
    got = _swap(h, "v1", "v2")
    assert got.status == 202
    assert text(h.deployment(slot="production"), "Name") == "v2"
    assert text(h.deployment(slot="production"), "Locked") == "true"
    blocked = h.call("DELETE", f"{SVC}/deployments/v1")
    assert blocked.status == 409 and error_message(blocked) == p.MSG_EXCLUSIVE_ACCESS
    h.finish()
    assert text(h.op_status(got), "Status") == "Succeeded"
    assert text(h.deployment(slot="staging"), "Name") == "v1"
    assert text(h.deployment(slot="production"), "Url") == "https://127.0.0.1:8443/cloudapp/mysvc/"
    assert text(h.deployment(slot="staging"), "Url") != staging_url


@pytest.mark.parametrize("variant", ["absent", "empty", "nil"])
def test_swap_with_empty_production_moves(h: Harness, variant: str) -> None:
    h.create_deployment(slot="staging", name="v2")
    h.finish()
    got = _swap(h, {"absent": None, "empty": "", "nil": None}[variant], "v2", nil=variant == "nil")
    assert got.status == 202
    assert text(h.deployment(slot="production"), "Name") == "v2"
    assert h.call("GET", f"{SVC}/deploymentslots/staging").status == 404


def test_swap_mismatched_names_409(h: Harness) -> None:
    h.create_deployment(slot="production", name="v1")
    h.create_deployment(slot="staging", name="v2")
    h.finish()
    for production, source in [("v2", "v1"), ("vX", "v2"), ("v1", "vX"), (None, "v2")]:
        got = _swap(h, production, source)
        assert got.status == 409 and error_code(got) == p.ERR_CONFLICT, (production, source)


def test_swap_with_empty_staging_409(h: Harness) -> None:
    h.create_deployment(slot="production", name="v1")
    h.finish()
    got = _swap(h, "v1", "v2")
    assert got.status == 409 and error_code(got) == p.ERR_CONFLICT
