"""Deployment applications: any path answers, per-path health from the .cscfg and at run time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from service_helpers import Harness, b64, xml_body

from airflow_sm_provider.emulator.sessions import admin_session

SVC = "/services/hostedservices/mysvc"


def cfg(settings: dict[str, str], instances: int = 2) -> str:
    inner = "".join(f'<Setting name="{k}" value="{v}"/>' for k, v in settings.items())
    return (
        '<ServiceConfiguration serviceName="mysvc" osFamily="4" osVersion="*" '
        'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">'
        f'<Role name="Web"><Instances count="{instances}"/><ConfigurationSettings>{inner}'
        "</ConfigurationSettings></Role></ServiceConfiguration>"
    )


def deploy(h: Harness, settings: dict[str, str], slot: str = "production", name: str = "v1") -> int:
    fields = {
        "Name": name,
        "PackageUrl": "https://acct.blob.core.windows.net/pkgs/app.cspkg",
        "Label": b64(name),
        "Configuration": b64(cfg(settings)),
        "StartDeployment": "true",
    }
    got = h.call("POST", f"{SVC}/deploymentslots/{slot}", xml_body("CreateDeployment", fields))
    h.finish()
    return got.status


def test_any_path_answers_and_per_path_settings(h: Harness) -> None:
    settings = {
        "Emulator.Health.api/status": "unhealthy",
        "Emulator.Health./deep/ready/": "500",
        "Emulator.Health.static/*": "404",
    }
    assert deploy(h, settings) == 202
    assert h.app_get("/cloudapp/mysvc/health").status == 200
    assert h.app_get("/cloudapp/mysvc/anything/else").status == 200
    assert h.app_get("/cloudapp/mysvc/api/status").status == 503
    assert h.app_get("/cloudapp/mysvc/API/Status/").status == 503  # paths compare like IIS did
    assert h.app_get("/cloudapp/mysvc/deep/ready").status == 500
    assert h.app_get("/cloudapp/mysvc/static/css/site.css").status == 404
    assert h.app_get("/cloudapp/mysvc/").status == 200  # the root keeps its JSON description


def test_default_health_applies_to_every_path(h: Harness) -> None:
    deploy(h, {"Emulator.Health": "unhealthy", "Emulator.Health.ping": "healthy"})
    assert h.app_get("/cloudapp/mysvc/health").status == 503
    assert h.app_get("/cloudapp/mysvc/api/x").status == 503
    assert h.app_get("/cloudapp/mysvc/ping").status == 200


def test_bad_settings_are_400(h: Harness) -> None:
    assert deploy(h, {"Emulator.Health.x": "fail-start"}) == 400
    assert deploy(h, {"Emulator.Health.x": "sometimes"}) == 400
    assert deploy(h, {"Emulator.UpgradeDomainCount": "0"}) == 400


def test_run_time_overrides_win_and_are_removed(h: Harness) -> None:
    deploy(h, {})
    deploy(h, {}, slot="staging", name="v2")
    rules = h.app.health_rules
    got = rules("POST", {"service": "mysvc", "path": "api/status", "health": "503"})
    assert got["deployment"] == "v1" and got["health_overrides"] == [
        {"path": "api/status", "upgrade_domain": None, "health": "503"}
    ]
    assert h.app_get("/cloudapp/mysvc/api/status").status == 503
    assert h.app_get("/cloudapp/mysvc/health").status == 200
    rules("POST", {"service": "mysvc", "health": "unhealthy", "upgrade_domain": 1})
    assert h.app_get("/cloudapp/mysvc/health").status == 503  # instance Web_IN_1 is in domain 1
    rules("POST", {"service": "mysvc", "slot": "staging", "health": "unhealthy"})
    assert rules("GET", {"service": "mysvc", "deployment": "v2"})["slot"] == "Staging"
    rules("DELETE", {"service": "mysvc", "upgrade_domain": 1})
    assert h.app_get("/cloudapp/mysvc/health").status == 200
    rules("DELETE", {})
    assert h.app_get("/cloudapp/mysvc/api/status").status == 200
    with pytest.raises(LookupError):
        rules("POST", {"service": "nosuch", "health": "unhealthy"})
    with pytest.raises(ValueError, match="health must be"):
        rules("POST", {"service": "mysvc", "health": "maybe"})
    with pytest.raises(ValueError, match="unknown"):
        rules("POST", {"service": "mysvc", "health": "healthy", "colour": "red"})


def test_admin_health_endpoint_over_https(asm_emulator_factory: Callable[..., Any]) -> None:
    emu = asm_emulator_factory(speed=1000)
    harness_free = admin_session(emu.endpoint)
    base = emu.endpoint["admin_url"]
    missing = harness_free.post(base + "health", json={"service": "ghost", "health": "unhealthy"})
    assert missing.status_code == 404 and "ghost" in missing.json()["error"]
    assert harness_free.post(base + "health", json={"health": "unhealthy"}).status_code == 400
    assert harness_free.delete(base + "health").json() == {"cleared": True}
    harness_free.close()
