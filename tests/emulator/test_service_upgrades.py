"""In-place upgrades by upgrade domain: counts, UpgradeStatus over time, walks, rollback, locks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from service_helpers import NS, Harness, b64, children, error_code, parse, text, xml_body

from airflow_sm_provider import protocol as p

SVC = "/services/hostedservices/mysvc"
DEP = f"{SVC}/deployments/v1"
PKG2 = "https://acct.blob.core.windows.net/pkgs/app-v2.cspkg"


def config(
    roles: dict[str, int] | None = None, *, domains: int | None = 3, settings: dict[str, str] | None = None
) -> str:
    """A .cscfg whose first role carries the emulator settings."""
    roles = roles or {"WebRole1": 3}
    all_settings = dict(settings or {})
    if domains is not None:
        all_settings["Emulator.UpgradeDomainCount"] = str(domains)
    parts = []
    for i, (name, count) in enumerate(roles.items()):
        inner = (
            "".join(f'<Setting name="{k}" value="{v}"/>' for k, v in all_settings.items()) if i == 0 else ""
        )
        parts.append(
            f'<Role name="{name}"><Instances count="{count}"/>'
            f"<ConfigurationSettings>{inner}</ConfigurationSettings></Role>"
        )
    return (
        '<ServiceConfiguration serviceName="mysvc" osFamily="4" osVersion="*" '
        'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">'
        + "".join(parts)
        + "</ServiceConfiguration>"
    )


def deploy(h: Harness, cfg: str) -> None:
    fields = {
        "Name": "v1",
        "PackageUrl": "https://acct.blob.core.windows.net/pkgs/app.cspkg",
        "Label": b64("v1"),
        "Configuration": b64(cfg),
        "StartDeployment": "true",
    }
    got = h.call("POST", f"{SVC}/deploymentslots/production", xml_body("CreateDeployment", fields))
    assert got.status == 202, got.body
    h.finish()


def upgrade_body(mode: str, cfg: str, *, role: str | None = None, label: str = "v2") -> str:
    fields = {"Mode": mode, "PackageUrl": PKG2, "Configuration": b64(cfg), "Label": b64(label)}
    if role:
        fields["RoleToUpgrade"] = role
    fields["Force"] = "false"
    return xml_body("UpgradeDeployment", fields)


def walk(h: Harness, domain: int | str) -> object:
    return h.call(
        "POST",
        f"{DEP}/?comp=walkupgradedomain",
        xml_body("WalkUpgradeDomain", {"UpgradeDomain": str(domain)}),
    )


def rollback(h: Harness, mode: str = "Auto") -> object:
    body = xml_body("RollbackUpdateOrUpgrade", {"Mode": mode, "Force": "false"})
    return h.call("POST", f"{DEP}/?comp=rollback", body)


def upgrade_status(h: Harness) -> tuple[str, str, str] | None:
    dep = h.deployment()
    box = children(dep, "UpgradeStatus")
    if not box:
        return None
    return (
        text(box[0], "UpgradeType") or "",
        text(box[0], "CurrentUpgradeDomain") or "",
        text(box[0], "CurrentUpgradeDomainState") or "",
    )


def by_domain(h: Harness) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    box = children(h.deployment(), "RoleInstanceList")[0]
    for inst in children(box, "RoleInstance"):
        out.setdefault(int(text(inst, "InstanceUpgradeDomain") or 0), set()).add(
            text(inst, "InstanceStatus") or ""
        )
    return out


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = Harness(tmp_path)
    harness.create_service()
    deploy(harness, config())
    return harness


def test_upgrade_domain_count_from_setting_and_instances_spread(h: Harness) -> None:
    dep = h.deployment()
    assert text(dep, "UpgradeDomainCount") == "3"
    box = children(dep, "RoleInstanceList")[0]
    assert [text(i, "InstanceUpgradeDomain") for i in children(box, "RoleInstance")] == ["0", "1", "2"]
    assert not children(dep, "UpgradeStatus") and text(dep, "RollbackAllowed") == "false"


def test_default_domain_count_is_instances_up_to_five(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.create_service()
    deploy(h, config({"Web": 7}, domains=None))
    dep = h.deployment()
    assert text(dep, "UpgradeDomainCount") == "5"
    box = children(dep, "RoleInstanceList")[0]
    assert [text(i, "InstanceUpgradeDomain") for i in children(box, "RoleInstance")] == list("0123401")


def test_manual_upgrade_walks_one_domain_at_a_time(h: Harness) -> None:
    got = h.call(
        "POST",
        f"{DEP}/?comp=upgrade",
        upgrade_body("Manual", config(settings={"Emulator.Health": "healthy"})),
    )
    assert got.status == 202
    assert text(h.deployment(), "Locked") == "true"  # the upgrade's own operation holds the lock
    assert upgrade_status(h) == ("Manual", "0", "Before")
    h.advance(6)
    assert text(h.op_status(got), "Status") == "Succeeded"
    dep = h.deployment()
    assert text(dep, "Locked") == "false" and text(dep, "RollbackAllowed") == "true"
    assert json.loads(h.app_get("/cloudapp/mysvc/").body)["package_url"] == PKG2
    assert text(dep, "Label") == b64("v2")
    names = [c.tag.split("}")[1] for c in dep]
    assert names.index("UpgradeStatus") == names.index("RoleInstanceList") + 1
    assert names.index("UpgradeDomainCount") == names.index("UpgradeStatus") + 1

    first = walk(h, 0)
    assert first.status == 202  # type: ignore[attr-defined]
    assert upgrade_status(h) == ("Manual", "0", "During")
    assert text(h.deployment(), "Locked") == "true"
    h.advance(10)
    assert by_domain(h) == {0: {"BusyRole"}, 1: {"ReadyRole"}, 2: {"ReadyRole"}}
    assert walk(h, 1).status == 409  # type: ignore[attr-defined]  # locked while domain 0 is walked
    h.advance(21)
    assert text(h.op_status(first), "Status") == "Succeeded"  # type: ignore[arg-type]
    assert upgrade_status(h) == ("Manual", "1", "Before")
    h.advance(11)
    assert by_domain(h) == {0: {"ReadyRole"}, 1: {"ReadyRole"}, 2: {"ReadyRole"}}

    assert walk(h, 2).status == 400  # type: ignore[attr-defined]  # not the next domain
    assert walk(h, 1).status == 202  # type: ignore[attr-defined]
    h.advance(31)
    assert walk(h, 2).status == 202  # type: ignore[attr-defined]
    assert upgrade_status(h) == ("Manual", "2", "During")
    h.advance(31)
    assert upgrade_status(h) is None  # the last domain is walked: the upgrade is over
    dep = h.deployment()
    assert text(dep, "RollbackAllowed") == "false" and text(dep, "Locked") == "false"
    assert walk(h, 0).status == 400  # type: ignore[attr-defined]  # no upgrade in progress
    assert rollback(h).status == 400  # type: ignore[attr-defined]  # over: nothing to roll back


def test_auto_upgrade_walks_every_domain_inside_one_locked_operation(h: Harness) -> None:
    got = h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Auto", config()))
    assert got.status == 202
    seen = []
    for _ in range(9):
        status = upgrade_status(h)
        seen.append(status)
        assert text(h.deployment(), "Locked") == "true"
        h.advance(10)
    assert seen[0] == ("Auto", "0", "During") and seen[3] == ("Auto", "1", "During")
    assert seen[6] == ("Auto", "2", "During")
    h.advance(1)
    assert text(h.op_status(got), "Status") == "Succeeded"
    assert upgrade_status(h) is None and text(h.deployment(), "Locked") == "false"


def test_simultaneous_upgrade_restarts_every_domain_at_once(h: Harness) -> None:
    got = h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Simultaneous", config()))
    assert got.status == 202
    h.advance(10)
    assert upgrade_status(h) == ("Simultaneous", "0", "During")
    assert by_domain(h) == {0: {"BusyRole"}, 1: {"BusyRole"}, 2: {"BusyRole"}}
    h.advance(21)
    assert text(h.op_status(got), "Status") == "Succeeded" and upgrade_status(h) is None


def test_domain_fault_makes_only_a_walked_domain_unhealthy(h: Harness) -> None:
    bad = config(settings={"Emulator.UpgradeDomain.2.Health": "unhealthy"})
    assert h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Manual", bad)).status == 202
    h.advance(6)
    for domain in (0, 1):
        assert walk(h, domain).status == 202  # type: ignore[attr-defined]
        h.advance(45)
        assert h.app_get("/cloudapp/mysvc/health").status == 200  # domains 0 and 1 are fine
    assert walk(h, 2).status == 202  # type: ignore[attr-defined]
    h.advance(45)
    assert by_domain(h)[2] == {"ReadyRole"}
    assert h.app_get("/cloudapp/mysvc/health").status == 503
    assert h.app_get("/cloudapp/mysvc/any/path").status == 503


def test_domain_fail_start_ends_failed_starting_role(h: Harness) -> None:
    bad = config(settings={"Emulator.UpgradeDomain.1.Health": "fail-start"})
    h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Manual", bad))
    h.advance(6)
    walk(h, 0)
    h.advance(45)
    walk(h, 1)
    h.advance(45)
    assert by_domain(h) == {0: {"ReadyRole"}, 1: {"FailedStartingRole"}, 2: {"ReadyRole"}}


def test_rollback_manual_upgrade_returns_walked_domains_only(h: Harness) -> None:
    bad = config(settings={"Emulator.UpgradeDomain.1.Health": "unhealthy"})
    h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Manual", bad, label="v2"))
    h.advance(6)
    walk(h, 0)
    h.advance(45)
    walk(h, 1)
    h.advance(45)
    assert h.app_get("/cloudapp/mysvc/health").status == 503
    got = rollback(h, "Auto")
    assert got.status == 202  # type: ignore[attr-defined]
    assert upgrade_status(h) == ("Auto", "0", "During")
    dep = h.deployment()
    assert text(dep, "Label") == b64("v1") and text(dep, "RollbackAllowed") == "false"
    assert text(dep, "Locked") == "true"
    assert rollback(h).status == 409  # type: ignore[attr-defined]
    h.advance(10)
    assert by_domain(h) == {0: {"BusyRole"}, 1: {"ReadyRole"}, 2: {"ReadyRole"}}
    h.advance(100)
    assert text(h.op_status(got), "Status") == "Succeeded"  # type: ignore[arg-type]
    assert upgrade_status(h) is None
    assert h.app_get("/cloudapp/mysvc/health").status == 200
    assert by_domain(h) == {0: {"ReadyRole"}, 1: {"ReadyRole"}, 2: {"ReadyRole"}}


def test_rollback_interrupts_a_running_auto_upgrade(h: Harness) -> None:
    got = h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Auto", config()))
    h.advance(35)  # domain 0 done, domain 1 being walked
    assert upgrade_status(h) == ("Auto", "1", "During")
    back = rollback(h, "Manual")
    assert back.status == 202  # type: ignore[attr-defined]
    op = h.op_status(got)
    assert text(op, "Status") == "Failed" and text(op, "Error/Code") == p.ERR_CONFLICT
    assert upgrade_status(h) == ("Manual", "0", "Before")  # walk domains 0 and 1 back, not 2
    h.advance(6)
    assert walk(h, 2).status == 400  # type: ignore[attr-defined]
    walk(h, 0)
    h.advance(31)
    assert upgrade_status(h) == ("Manual", "1", "Before")
    walk(h, 1)
    h.advance(31)
    assert upgrade_status(h) is None


def test_upgrade_rules(h: Harness) -> None:
    assert rollback(h).status == 400  # type: ignore[attr-defined]
    assert error_code(walk(h, 0)) == p.ERR_BAD_REQUEST  # type: ignore[arg-type]
    assert h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Sideways", config())).status == 400
    assert (
        h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Auto", config(), role="NoSuchRole")).status
        == 400
    )
    assert (
        h.call("POST", f"{SVC}/deployments/nope/?comp=upgrade", upgrade_body("Auto", config())).status == 404
    )
    assert h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Manual", config())).status == 202
    h.advance(6)
    # An upgrade waiting for walks blocks every other change of the deployment.
    assert h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Auto", config())).status == 409
    cfg = xml_body("ChangeConfiguration", {"Configuration": b64(config())})
    assert h.call("POST", f"{DEP}/?comp=config", cfg).status == 409
    status = f'<UpdateDeploymentStatus xmlns="{NS}"><Status>Suspended</Status></UpdateDeploymentStatus>'
    assert h.call("POST", f"{DEP}/?comp=status", status).status == 409
    assert walk(h, "x").status == 400  # type: ignore[attr-defined]


def test_role_to_upgrade_walks_only_that_role(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.create_service()
    deploy(h, config({"Web": 2, "Worker": 2}, domains=2))
    h.call(
        "POST",
        f"{DEP}/?comp=upgrade",
        upgrade_body("Manual", config({"Web": 2, "Worker": 2}, domains=2), role="Web"),
    )
    h.advance(6)
    walk(h, 0)
    h.advance(10)
    box = children(h.deployment(), "RoleInstanceList")[0]
    states = {text(i, "InstanceName"): text(i, "InstanceStatus") for i in children(box, "RoleInstance")}
    assert states == {
        "Web_IN_0": "BusyRole",
        "Web_IN_1": "ReadyRole",
        "Worker_IN_0": "ReadyRole",
        "Worker_IN_1": "ReadyRole",
    }


def test_manual_configuration_change_is_walked_like_an_upgrade(h: Harness) -> None:
    body = (
        f'<ChangeConfiguration xmlns="{NS}"><Configuration>{b64(config())}</Configuration>'
        "<TreatWarningsAsError>false</TreatWarningsAsError><Mode>Manual</Mode></ChangeConfiguration>"
    )
    assert h.call("POST", f"{DEP}/?comp=config", body).status == 202
    h.advance(6)
    assert upgrade_status(h) == ("Manual", "0", "Before")
    assert parse(h.call("GET", DEP).body) is not None


def test_upgrade_state_survives_a_restart(h: Harness) -> None:
    h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Manual", config()))
    h.advance(6)
    walk(h, 0)
    h.advance(5)
    h.reopen()
    assert upgrade_status(h) == ("Manual", "0", "During")
    h.advance(40)
    h.reopen()
    assert upgrade_status(h) == ("Manual", "1", "Before")


def test_a_walk_made_to_fail_walks_nothing(h: Harness) -> None:
    h.call("POST", f"{DEP}/?comp=upgrade", upgrade_body("Manual", config()))
    h.advance(6)
    body = xml_body("WalkUpgradeDomain", {"UpgradeDomain": "0"})
    got = h.call("POST", f"{DEP}/?comp=walkupgradedomain", body, fail=p.ERR_INTERNAL)
    assert got.status == 202
    h.advance(31)
    assert text(h.op_status(got), "Status") == "Failed"
    assert upgrade_status(h) == ("Manual", "0", "Before")  # still to walk
    assert by_domain(h) == {0: {"ReadyRole"}, 1: {"ReadyRole"}, 2: {"ReadyRole"}}
