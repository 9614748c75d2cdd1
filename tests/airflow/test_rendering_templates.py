"""Every templated argument of every operator and sensor, rendered to a string as Airflow does.

Airflow renders templated fields to *strings* (``{{ params.delete_vhd }}`` with the param False is
``"False"``). Each case below builds its operator with EVERY field of ``template_fields`` given as
``"{{ params.<field> }}"``, runs it in a real DAG (``dag.test``) against the emulator over mutual
TLS, and checks what reached the emulator: the resources afterwards, and request counters (fault
rules that match a method and path but never fire, so the emulator counts matching requests). The
headline: a templated ``"False"`` never deletes anything (``comp=media`` is the ASM switch that
also deletes disks and VHD blobs, or every deployment of a cloud service).

This file imports nothing new of the provider on purpose: it runs unchanged against older code
(that is how it was shown to fail before the strict reading existed).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from harness import (
    CSCFG,
    PACKAGE_URL,
    START,
    clear_faults,
    legacy_sms,
    run_dag,
    start_storage_create,
    task_states,
    unique,
)
from test_blue_green_support import deploy, make_client, new_service, slots

from airflow_sm_provider.operators.affinity_group import (
    AsmCreateAffinityGroupOperator,
    AsmDeleteAffinityGroupOperator,
)
from airflow_sm_provider.operators.cloud_service import (
    AsmCreateCloudServiceOperator,
    AsmDeleteCloudServiceOperator,
    AsmUpdateCloudServiceOperator,
)
from airflow_sm_provider.operators.deployment import (
    AsmChangeDeploymentConfigurationOperator,
    AsmCreateDeploymentOperator,
    AsmDeleteDeploymentOperator,
    AsmUpdateDeploymentStatusOperator,
)
from airflow_sm_provider.operators.os_image import AsmAddOsImageOperator, AsmDeleteOsImageOperator
from airflow_sm_provider.operators.storage import (
    AsmCreateStorageAccountOperator,
    AsmDeleteStorageAccountOperator,
)
from airflow_sm_provider.operators.swap import AsmSwapDeploymentOperator
from airflow_sm_provider.operators.virtual_machine import (
    AsmCreateVirtualMachineOperator,
    AsmDeleteVirtualMachineOperator,
)
from airflow_sm_provider.sensors.deployment import AsmDeploymentReadySensor
from airflow_sm_provider.sensors.operation import AsmOperationSensor

#: Arguments every ASM operator / sensor has; given to each case (templated where the class says so).
COMMON = {"asm_conn_id": "asm_default", "poll_interval": 0.05, "timeout": 120}
SENSOR_COMMON = {"asm_conn_id": "asm_default", "poke_interval": 0.05, "timeout": 120}


@dataclass
class World:
    """What a case may use: the emulator endpoint, a client, and request counters."""

    endpoint: dict[str, Any]
    client: Any
    counters: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, method: str, path: str) -> None:
        """Count requests ``method`` whose target matches the regex ``path`` (a never-firing rule)."""
        import requests

        rule = {"action": "slow", "delay": 0, "count": 0, "method": method, "path": path}
        with requests.Session() as session:
            session.trust_env = False
            resp = session.post(
                self.endpoint["admin_url"].rstrip("/") + "/faults",
                json=rule,
                verify=self.endpoint["ca_cert"],
                headers={"X-Emulator-Admin-Token": self.endpoint.get("admin_token", "")},
                timeout=10,
            )
        resp.raise_for_status()
        self.counters[name] = resp.json()["added"][0]["id"]

    def requests(self, name: str) -> int:
        import requests

        with requests.Session() as session:
            session.trust_env = False
            resp = session.get(
                self.endpoint["admin_url"].rstrip("/") + "/faults",
                verify=self.endpoint["ca_cert"],
                headers={"X-Emulator-Admin-Token": self.endpoint.get("admin_token", "")},
                timeout=10,
            )
        resp.raise_for_status()
        rule_id = self.counters[name]
        return int(next(r for r in resp.json()["rules"] if r["id"] == rule_id)["matched"])


@dataclass
class Case:
    """One operator run: ``arrange`` prepares the emulator and returns a value for every argument."""

    id: str
    cls: type
    arrange: Callable[[World], dict[str, Any]]
    check: Callable[[World, dict[str, Any], str], None]


def _exists(fetch: Callable[..., Any], *args: Any) -> bool:
    from airflow_sm_provider.client.errors import NotFoundError

    try:
        fetch(*args)
    except NotFoundError:
        return False
    return True


def _cscfg(count: int = 1) -> str:
    return CSCFG.format(count=count, health="healthy")


def _service_with_deployment(w: World, slot: str = "staging") -> tuple[str, str]:
    service = new_service(w.client)
    name = unique("dep")
    deploy(w.client, service, slot, name)
    return service, name


def _image(w: World) -> str:
    name = unique("img")
    w.client.add_os_image(
        "label", "https://imgstore.blob.core.windows.net/vhds/base.vhd", name, "Linux"
    ).wait(timeout=60, poll_interval=0.05)
    return name


def _vm(w: World) -> str:
    image, service = _image(w), unique("vm")
    sms = legacy_sms(w.endpoint)
    sms.create_hosted_service(service, "test", location="West US")
    from azure.servicemanagement import LinuxConfigurationSet, OSVirtualHardDisk

    config = LinuxConfigurationSet(service, "azureuser", "S3cret-Passw0rd!", False)
    disk = OSVirtualHardDisk(image, f"https://vmstore.blob.core.windows.net/vhds/{service}.vhd")
    result = sms.create_virtual_machine_deployment(
        service, service, "production", service, service, config, disk, role_size="Small"
    )
    import time

    from airflow_sm_provider.client.polling import Probe, Schedule, operation_condition, run_sync

    done = run_sync(
        Probe("create vm", operation_condition, lambda: w.client.get_operation_status(result.request_id)),
        deadline=time.time() + 60,
        schedule=Schedule(0.05),
    )
    assert done.ok, done.message
    return service


# --------------------------------------------------------------------------- the cases
def _affinity_create(w: World) -> dict[str, Any]:
    return {
        "name": unique("ag"),
        "location": "West US",
        "group_label": "lbl",
        "description": "",
        "if_exists": "fail",
    }


def _affinity_create_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    group = w.client.get_affinity_group_properties(v["name"])
    assert group.label == "lbl" and group.location == "West US"


def _affinity_delete(w: World) -> dict[str, Any]:
    name = unique("ag")
    w.client.create_affinity_group(name, name, "West US").wait(timeout=60, poll_interval=0.05)
    return {"name": name, "if_missing": "fail"}


def _affinity_delete_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    assert not _exists(w.client.get_affinity_group_properties, v["name"])


def _service_create(w: World) -> dict[str, Any]:
    return {
        "service_name": unique("svc"),
        "service_label": "lbl",
        "description": "made from strings",
        "location": "West US",
        "affinity_group": "",  # an optional argument rendered empty: not given
        "extended_properties": {"env": "test"},
        "if_exists": "fail",
    }


def _service_create_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    props = w.client.get_hosted_service_properties(v["service_name"]).hosted_service_properties
    assert props.label == "lbl" and props.location == "West US" and not props.affinity_group
    assert props.extended_properties.get("env") == "test"


def _service_update(w: World) -> dict[str, Any]:
    service = new_service(w.client)
    return {
        "service_name": service,
        "service_label": "new label",
        "description": None,
        "extended_properties": {"owner": "render-test"},
    }


def _service_update_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    props = w.client.get_hosted_service_properties(v["service_name"]).hosted_service_properties
    assert props.label == "new label" and props.description == "test"  # "None" left it unchanged
    assert props.extended_properties.get("owner") == "render-test"


def _service_delete(delete_deployments: bool) -> Callable[[World], dict[str, Any]]:
    def arrange(w: World) -> dict[str, Any]:
        service, name = _service_with_deployment(w)
        w.count("any_delete", "DELETE", rf"/services/hostedservices/{service}(\?|$|/)")
        w.count("media", "DELETE", rf"/services/hostedservices/{service}\?.*comp=media")
        return {
            "service_name": service,
            "delete_deployments": delete_deployments,
            "if_missing": "fail",
            "_deployment": name,
        }

    return arrange


def _service_delete_false_check(w: World, v: dict[str, Any], state: str) -> None:
    # "False" with deployments present: refused before any request, nothing deleted.
    assert w.requests("media") == 0 and w.requests("any_delete") == 0
    assert slots(w.client, v["service_name"])["staging"] == v["_deployment"]
    assert state == "failed"


def _service_delete_true_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success" and w.requests("media") == 1
    assert not _exists(w.client.get_hosted_service_properties, v["service_name"])


def _deployment_create(start: bool) -> Callable[[World], dict[str, Any]]:
    def arrange(w: World) -> dict[str, Any]:
        return {
            "service_name": new_service(w.client),
            "deployment_slot": "staging",
            "deployment_name": unique("dep"),
            "package_url": PACKAGE_URL,
            "configuration": _cscfg(),
            "deployment_label": "",
            "start_deployment": start,
            "treat_warnings_as_error": False,
            "extended_properties": {"build": "42"},
            "if_exists": "fail",
        }

    return arrange


def _deployment_create_check(start: bool) -> Callable[[World, dict[str, Any], str], None]:
    def check(w: World, v: dict[str, Any], state: str) -> None:
        assert state == "success"
        dep = w.client.get_deployment_by_name(v["service_name"], v["deployment_name"])
        assert dep.label == v["deployment_name"]  # "" rendered: the label defaults to the name
        assert dep.extended_properties.get("build") == "42"
        # start_deployment="False" must not start the role instances.
        assert (dep.status != "Suspended") is start, dep.status

    return check


def _change_configuration(w: World) -> dict[str, Any]:
    service, name = _service_with_deployment(w)
    return {
        "service_name": service,
        "deployment_name": "",
        "deployment_slot": "Staging",
        "configuration": _cscfg(count=3),
        "treat_warnings_as_error": False,
        "mode": "Auto",
        "_deployment": name,
    }


def _change_configuration_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    config = w.client.get_deployment_by_name(v["service_name"], v["_deployment"]).configuration
    text = config if "<" in config else base64.b64decode(config).decode()
    assert 'count="3"' in text


def _update_status(w: World) -> dict[str, Any]:
    service, name = _service_with_deployment(w)
    return {"service_name": service, "deployment_name": name, "deployment_slot": None, "status": "Suspended"}


def _update_status_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    assert w.client.get_deployment_by_name(v["service_name"], v["deployment_name"]).status == "Suspended"


def _deployment_delete(delete_vhd: bool) -> Callable[[World], dict[str, Any]]:
    def arrange(w: World) -> dict[str, Any]:
        service, name = _service_with_deployment(w)
        w.count("delete", "DELETE", rf"/deployments/{name}(\?|$)")
        w.count("media", "DELETE", rf"/deployments/{name}\?.*comp=media")
        return {
            "service_name": service,
            "deployment_name": "",
            "deployment_slot": "staging",
            "delete_vhd": delete_vhd,
            "if_missing": "fail",
        }

    return arrange


def _deployment_delete_check(delete_vhd: bool) -> Callable[[World, dict[str, Any], str], None]:
    def check(w: World, v: dict[str, Any], state: str) -> None:
        assert w.requests("media") == int(delete_vhd), "comp=media (delete disks and VHDs) sent"
        assert state == "success" and w.requests("delete") == 1
        assert slots(w.client, v["service_name"])["staging"] is None

    return check


def _image_add(w: World) -> dict[str, Any]:
    return {
        "name": unique("img"),
        "image_label": "my image",
        "os": "Linux",
        "if_exists": "fail",
        "media_link": "https://imgstore.blob.core.windows.net/vhds/new.vhd",
    }


def _image_add_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    assert w.client.get_os_image(v["name"]).label == "my image"


def _image_delete(w: World) -> dict[str, Any]:
    name = _image(w)
    w.count("delete", "DELETE", rf"/services/images/{name}(\?|$)")
    w.count("media", "DELETE", rf"/services/images/{name}\?.*comp=media")
    return {"name": name, "delete_vhd": False, "if_missing": "fail"}


def _image_delete_check(w: World, v: dict[str, Any], state: str) -> None:
    assert w.requests("media") == 0, "comp=media (delete the VHD blob) sent for delete_vhd='False'"
    assert state == "success" and w.requests("delete") == 1
    assert not _exists(w.client.get_os_image, v["name"])


def _storage_create(w: World) -> dict[str, Any]:
    return {
        "service_name": unique("st"),
        "account_label": "lbl",
        "description": "",
        "location": "West US",
        "affinity_group": "None",
        "account_type": "Standard_LRS",
        "extended_properties": {"a": "b"},
        "if_exists": "fail",
    }


def _storage_create_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    props = w.client.get_storage_account_properties(v["service_name"]).storage_service_properties
    assert props.account_type == "Standard_LRS" and props.label == "lbl" and not props.affinity_group


def _storage_delete(w: World) -> dict[str, Any]:
    name = unique("st")
    w.client.create_storage_account(name, "d", name, location="West US").wait(timeout=60, poll_interval=0.05)
    return {"service_name": name, "if_missing": "fail"}


def _storage_delete_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    assert not _exists(w.client.get_storage_account_properties, v["service_name"])


def _swap(w: World) -> dict[str, Any]:
    service = new_service(w.client)
    deploy(w.client, service, "staging", "v1")
    w.client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    deploy(w.client, service, "staging", "v2")
    return {"service_name": service, "source_deployment": "v2", "production": "v1"}


def _swap_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    assert slots(w.client, v["service_name"]) == {"production": "v2", "staging": "v1"}


def _vm_create(w: World) -> dict[str, Any]:
    service = unique("vm")
    return {
        "service_name": service,
        "location": "West US",
        "affinity_group": "",
        "deployment_name": "",
        "role_name": None,
        "deployment_slot": "production",
        "deployment_label": "",
        "os_type": "Linux",
        "host_name": "",
        "admin_username": "azureuser",
        "admin_password": "S3cret-Passw0rd!",
        "disable_ssh_password_authentication": False,
        "source_image_name": _image(w),
        "media_link": f"https://vmstore.blob.core.windows.net/vhds/{service}.vhd",
        "role_size": "Small",
        "endpoints": [{"name": "ssh", "protocol": "tcp", "port": 22, "local_port": 22}],
        "if_exists": "fail",
    }


def _vm_create_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    dep = w.client.get_deployment_by_name(v["service_name"], v["service_name"])
    assert [r.role_name for r in dep.role_list] == [v["service_name"]]


def _vm_delete(delete: bool) -> Callable[[World], dict[str, Any]]:
    def arrange(w: World) -> dict[str, Any]:
        service = _vm(w)
        w.count("media", "DELETE", rf"/services/hostedservices/{service}[/?].*comp=media")
        w.count("service", "DELETE", rf"/services/hostedservices/{service}(\?|$)")
        return {
            "service_name": service,
            "delete_disks": delete,
            "delete_service": delete,
            "if_missing": "fail",
        }

    return arrange


def _vm_delete_check(delete: bool) -> Callable[[World, dict[str, Any], str], None]:
    def check(w: World, v: dict[str, Any], state: str) -> None:
        assert w.requests("media") == int(delete), "comp=media (delete disks and VHDs) sent"
        assert w.requests("service") == int(delete), "the cloud service was deleted"
        assert state == "success"
        assert _exists(w.client.get_hosted_service_properties, v["service_name"]) is not delete
        if not delete:
            assert slots(w.client, v["service_name"])["production"] is None

    return check


def _operation_sensor(w: World) -> dict[str, Any]:
    return {"request_id": start_storage_create(w.endpoint)}


def _deployment_sensor(w: World) -> dict[str, Any]:
    service, name = _service_with_deployment(w)
    return {"service_name": service, "deployment_slot": "", "deployment_name": name}


def _sensor_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"


CASES = [
    Case("affinity_create", AsmCreateAffinityGroupOperator, _affinity_create, _affinity_create_check),
    Case("affinity_delete", AsmDeleteAffinityGroupOperator, _affinity_delete, _affinity_delete_check),
    Case("service_create", AsmCreateCloudServiceOperator, _service_create, _service_create_check),
    Case("service_update", AsmUpdateCloudServiceOperator, _service_update, _service_update_check),
    Case(
        "delete_deployments_false",
        AsmDeleteCloudServiceOperator,
        _service_delete(False),
        _service_delete_false_check,
    ),
    Case(
        "delete_deployments_true",
        AsmDeleteCloudServiceOperator,
        _service_delete(True),
        _service_delete_true_check,
    ),
    Case(
        "start_deployment_false",
        AsmCreateDeploymentOperator,
        _deployment_create(False),
        _deployment_create_check(False),
    ),
    Case(
        "start_deployment_true",
        AsmCreateDeploymentOperator,
        _deployment_create(True),
        _deployment_create_check(True),
    ),
    Case(
        "change_configuration",
        AsmChangeDeploymentConfigurationOperator,
        _change_configuration,
        _change_configuration_check,
    ),
    Case("update_status", AsmUpdateDeploymentStatusOperator, _update_status, _update_status_check),
    Case(
        "delete_vhd_false",
        AsmDeleteDeploymentOperator,
        _deployment_delete(False),
        _deployment_delete_check(False),
    ),
    Case(
        "delete_vhd_true",
        AsmDeleteDeploymentOperator,
        _deployment_delete(True),
        _deployment_delete_check(True),
    ),
    Case("image_add", AsmAddOsImageOperator, _image_add, _image_add_check),
    Case("image_delete_vhd_false", AsmDeleteOsImageOperator, _image_delete, _image_delete_check),
    Case("storage_create", AsmCreateStorageAccountOperator, _storage_create, _storage_create_check),
    Case("storage_delete", AsmDeleteStorageAccountOperator, _storage_delete, _storage_delete_check),
    Case("swap", AsmSwapDeploymentOperator, _swap, _swap_check),
    Case("vm_create", AsmCreateVirtualMachineOperator, _vm_create, _vm_create_check),
    Case("delete_disks_false", AsmDeleteVirtualMachineOperator, _vm_delete(False), _vm_delete_check(False)),
    Case("delete_disks_true", AsmDeleteVirtualMachineOperator, _vm_delete(True), _vm_delete_check(True)),
    Case("operation_sensor", AsmOperationSensor, _operation_sensor, _sensor_check),
    Case("deployment_sensor", AsmDeploymentReadySensor, _deployment_sensor, _sensor_check),
]


@pytest.fixture
def world(asm_endpoint: dict[str, Any], asm_conn_id: str) -> Iterator[World]:
    clear_faults(asm_endpoint)
    with make_client(asm_endpoint) as client:
        yield World(asm_endpoint, client)
    clear_faults(asm_endpoint)


def _template(name: str) -> str:
    return "{{ params." + name + " }}"


def build_kwargs(cls: type, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(constructor kwargs, DAG params): every templated field as ``{{ params.<field> }}``."""
    from airflow.sdk import BaseSensorOperator

    common = SENSOR_COMMON if issubclass(cls, BaseSensorOperator) else COMMON
    values = {**common, **{k: v for k, v in values.items() if not k.startswith("_")}}
    missing = set(cls.template_fields) - set(values)  # type: ignore[attr-defined]
    assert not missing, f"{cls.__name__}: no value for templated field(s) {sorted(missing)}"
    kwargs: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for name, value in values.items():
        if name in cls.template_fields:  # type: ignore[attr-defined]
            kwargs[name] = _template(name)
            params[name] = value
        else:
            kwargs[name] = value
    return kwargs, params


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_templated_field_rendered_as_a_string(case: Case, world: World) -> None:
    from airflow.sdk import DAG

    values = case.arrange(world)
    kwargs, params = build_kwargs(case.cls, values)
    with DAG(f"render_{case.id}", schedule=None, start_date=START, catchup=False, params=params) as dag:
        case.cls(task_id="op", retries=0, **kwargs)
    dr = run_dag(dag)
    case.check(world, values, str(task_states(dr)["op"]))


def test_a_word_that_is_not_a_boolean_fails_before_any_request(world: World) -> None:
    from airflow.sdk import DAG

    values = _deployment_delete(False)(world)
    values["delete_vhd"] = "maybe"
    kwargs, params = build_kwargs(AsmDeleteDeploymentOperator, values)
    with DAG("render_not_a_boolean", schedule=None, start_date=START, catchup=False, params=params) as dag:
        AsmDeleteDeploymentOperator(task_id="op", retries=0, **kwargs)
    dr = run_dag(dag)
    assert task_states(dr)["op"] == "failed"
    assert world.requests("delete") == 0 and world.requests("media") == 0


#: The irreversible switches: (case, its boolean arguments). Only these are templated here, the way
#: a DAG author writes ``delete_vhd="{{ params.delete_vhd }}"`` beside plain static arguments.
DELETE_SWITCHES = [
    ("delete_vhd_false", ("delete_vhd",)),
    ("image_delete_vhd_false", ("delete_vhd",)),
    ("delete_deployments_false", ("delete_deployments",)),
    ("delete_disks_false", ("delete_disks", "delete_service")),
]


@pytest.mark.parametrize(("case_id", "switches"), DELETE_SWITCHES, ids=[c for c, _ in DELETE_SWITCHES])
def test_a_templated_false_never_deletes(case_id: str, switches: tuple[str, ...], world: World) -> None:
    from airflow.sdk import DAG

    case = next(c for c in CASES if c.id == case_id)
    values = case.arrange(world)
    kwargs = {k: v for k, v in values.items() if not k.startswith("_") and v not in ("", None)}
    params = {name: kwargs.pop(name) for name in switches}
    assert set(params.values()) == {False}
    kwargs.update({name: _template(name) for name in switches})
    dag_id = f"render_switch_{case_id}"
    with DAG(dag_id, schedule=None, start_date=START, catchup=False, params=params) as dag:
        case.cls(task_id="op", retries=0, poll_interval=0.05, **kwargs)
    dr = run_dag(dag)
    case.check(world, values, str(task_states(dr)["op"]))
