"""Every templated argument of every operator and sensor, rendered to a string as Airflow does.

Airflow renders templated fields to *strings* (``{{ params.delete_vhd }}`` with the param False is
``"False"``). Each case below builds its operator with EVERY field of ``template_fields`` given as
``"{{ params.<field> }}"``, runs it in a real DAG (``dag.test``) against the emulator over mutual
TLS, and checks what reached the emulator: the resources afterwards, and request counters (fault
rules that match a method and path but never fire, so the emulator counts matching requests). The
headline: a templated ``"False"`` never deletes anything (``comp=media`` is the ASM switch that
also deletes disks and VHD blobs, or every deployment of a cloud service).

The release operators (guarded swap, guarded rolling upgrade, upgrade / walk / rollback, role
instances, roles, service certificates) run here too, with tiny bake windows: a templated
``"False"`` for ``rollback`` releases (never the swap-back mode) and a templated ``"False"`` for
``require_approval`` runs without asking, a templated ``"True"`` asks (answered through Airflow's
HITL API, ``hitl.py``) and waits for the answer.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
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
from hitl import answering
from test_blue_green_support import CONFIG, PACKAGE, deploy, make_client, new_service, slots
from test_rolling_upgrade import _pfx

from airflow_sm_provider.emulator.pytest_plugin import admin_session
from airflow_sm_provider.operators.affinity_group import (
    AsmCreateAffinityGroupOperator,
    AsmDeleteAffinityGroupOperator,
    AsmUpdateAffinityGroupOperator,
)
from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator
from airflow_sm_provider.operators.certificates import (
    AsmAddServiceCertificateOperator,
    AsmDeleteServiceCertificateOperator,
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
from airflow_sm_provider.operators.disk import AsmDeleteDiskOperator
from airflow_sm_provider.operators.os_image import AsmAddOsImageOperator, AsmDeleteOsImageOperator
from airflow_sm_provider.operators.reserved_ip import (
    AsmAssociateReservedIpOperator,
    AsmCreateReservedIpOperator,
    AsmDeleteReservedIpOperator,
    AsmDisassociateReservedIpOperator,
)
from airflow_sm_provider.operators.role_instances import (
    AsmDeleteRoleInstancesOperator,
    AsmRebootRoleInstanceOperator,
    AsmRebuildRoleInstanceOperator,
    AsmReimageRoleInstanceOperator,
    AsmShutdownRoleOperator,
    AsmStartRoleOperator,
)
from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator
from airflow_sm_provider.operators.storage import (
    AsmCreateStorageAccountOperator,
    AsmDeleteStorageAccountOperator,
    AsmRegenerateStorageKeysOperator,
    AsmUpdateStorageAccountOperator,
)
from airflow_sm_provider.operators.swap import AsmSwapDeploymentOperator
from airflow_sm_provider.operators.upgrade import (
    AsmRollbackUpgradeOperator,
    AsmUpgradeDeploymentOperator,
    AsmWalkUpgradeDomainOperator,
)
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
    """What a case may use: the emulator endpoint, a client, request counters, a scratch folder
    and, for ``check``, the finished DAG run (release operators report through XCom)."""

    endpoint: dict[str, Any]
    client: Any
    tmp: Path
    counters: dict[str, int] = field(default_factory=dict)
    dag_run: Any = None

    def count(self, name: str, method: str, path: str) -> None:
        """Count requests ``method`` whose target matches the regex ``path`` (a never-firing rule)."""
        rule = {"action": "slow", "delay": 0, "count": 0, "method": method, "path": path}
        with admin_session(self.endpoint) as session:
            resp = session.post(self.endpoint["admin_url"].rstrip("/") + "/faults", json=rule, timeout=10)
        resp.raise_for_status()
        self.counters[name] = resp.json()["added"][0]["id"]

    def count_operation(self, name: str, operation: str) -> None:
        """Count requests of the emulator's ``operation`` (e.g. ``walk_upgrade_domain``)."""
        rule = {"action": "slow", "delay": 0, "count": 0, "operation": operation}
        with admin_session(self.endpoint) as session:
            resp = session.post(self.endpoint["admin_url"].rstrip("/") + "/faults", json=rule, timeout=10)
        resp.raise_for_status()
        self.counters[name] = resp.json()["added"][0]["id"]

    def report(self) -> dict[str, Any]:
        """The release report the operator pushed (XCom ``release_report``)."""
        from harness import xcom_value

        report = xcom_value(self.dag_run, "op", "release_report")
        assert isinstance(report, dict), report
        return report

    def requests(self, name: str) -> int:
        with admin_session(self.endpoint) as session:
            resp = session.get(self.endpoint["admin_url"].rstrip("/") + "/faults", timeout=10)
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
    #: The answers to the approval requests the run makes, through Airflow's HITL API (hitl.py).
    answers: tuple[str, ...] = ()


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

    probe = Probe("create VM", operation_condition, lambda: w.client.get_operation_status(result.request_id))
    done = run_sync(probe, deadline=time.time() + 60, schedule=Schedule(0.05))
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
            # Name and slot: "only if staging holds it" (a blank name would be refused: a guard).
            "deployment_name": name,
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


def _affinity_update(w: World) -> dict[str, Any]:
    name = unique("ag")
    w.client.create_affinity_group(name, "old", "West US", "kept").wait(timeout=60, poll_interval=0.05)
    return {"name": name, "group_label": "new", "description": ""}


def _affinity_update_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    group = w.client.get_affinity_group_properties(v["name"])
    assert (group.label, group.description) == ("new", "kept")  # "" rendered: the description kept


def _storage_account(w: World) -> str:
    name = unique("st")
    w.client.create_storage_account(name, "kept", name, location="West US", account_type="Standard_LRS").wait(
        timeout=60, poll_interval=0.05
    )
    return name


def _storage_update(w: World) -> dict[str, Any]:
    return {
        "service_name": _storage_account(w),
        "account_label": "new label",
        "description": "None",
        "account_type": "",
        "geo_replication_enabled": "",
        "extended_properties": {"owner": "render-test"},
    }


def _storage_update_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    acct = w.client.get_storage_account_properties(v["service_name"])
    props = acct.storage_service_properties
    assert (props.label, props.description, props.account_type) == ("new label", "kept", "Standard_LRS")
    assert acct.extended_properties.get("owner") == "render-test"


def _storage_keys(w: World) -> dict[str, Any]:
    name = _storage_account(w)
    keys = w.client.get_storage_account_keys(name).storage_service_keys
    return {"service_name": name, "key_type": "Primary", "_before": (keys.primary, keys.secondary)}


def _storage_keys_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    keys = w.client.get_storage_account_keys(v["service_name"]).storage_service_keys
    assert keys.primary != v["_before"][0] and keys.secondary == v["_before"][1]


def _reserved_ip(w: World) -> str:
    name = unique("ip")
    w.client.create_reserved_ip_address(name, None, "West US").wait(timeout=60, poll_interval=0.05)
    return name


def _ip_create(w: World) -> dict[str, Any]:
    return {"name": unique("ip"), "location": "West US", "ip_label": "", "if_exists": "fail"}


def _ip_create_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    ip = w.client.get_reserved_ip_address(v["name"])
    assert ip.location == "West US" and ip.label == ""  # "" rendered: no label


def _ip_delete(w: World) -> dict[str, Any]:
    return {"name": _reserved_ip(w), "if_missing": "fail"}


def _ip_delete_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    assert not _exists(w.client.get_reserved_ip_address, v["name"])


def _ip_associate(w: World) -> dict[str, Any]:
    service, name = _service_with_deployment(w)
    return {
        "name": _reserved_ip(w),
        "service_name": service,
        "deployment_name": name,
        "deployment_slot": None,  # rendered "None": by name (the slot is the alternative)
        "virtual_ip_name": "",
    }


def _ip_associate_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    ip = w.client.get_reserved_ip_address(v["name"])
    assert ip.in_use and ip.deployment_name == v["deployment_name"]


def _ip_disassociate(w: World) -> dict[str, Any]:
    values = _ip_associate(w)
    w.client.associate_reserved_ip_address(
        values["name"], values["service_name"], values["deployment_name"]
    ).wait(timeout=60, poll_interval=0.05)
    return {**values, "virtual_ip_name": "None"}


def _ip_disassociate_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    assert not w.client.get_reserved_ip_address(v["name"]).in_use


def _disk_delete(delete_vhd: bool) -> Callable[[World], dict[str, Any]]:
    def arrange(w: World) -> dict[str, Any]:
        name = unique("disk")
        w.client.add_disk(
            False, "lbl", f"https://vmstore.blob.core.windows.net/vhds/{name}.vhd", name, "Linux"
        )
        w.count("delete", "DELETE", rf"/services/disks/{name}(\?|$)")
        w.count("media", "DELETE", rf"/services/disks/{name}\?.*comp=media")
        return {"disk_name": name, "delete_vhd": delete_vhd, "if_missing": "fail"}

    return arrange


def _disk_delete_check(delete_vhd: bool) -> Callable[[World, dict[str, Any], str], None]:
    def check(w: World, v: dict[str, Any], state: str) -> None:
        assert w.requests("media") == int(delete_vhd), "comp=media (delete the VHD blob)"
        assert state == "success" and w.requests("delete") == 1
        assert not _exists(w.client.get_disk, v["disk_name"])

    return check


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


# --------------------------------------------------------------------------- release operators
#: Tiny health probing and bake windows: each release case takes seconds.
FAST_HEALTH = {"health_interval": 0.1, "bake_interval": 0.1, "health_headers": {"X-Probe": "render"}}


def _two_slots(w: World) -> str:
    """Production v1, staging v2 (``v2.cscfg``): ready for a guarded swap."""
    service = new_service(w.client)
    deploy(w.client, service, "staging", "v1")
    w.client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    deploy(w.client, service, "staging", "v2", "v2.cscfg")
    return service


def _guarded_swap(*, approval: bool) -> Callable[[World], dict[str, Any]]:
    def arrange(w: World) -> dict[str, Any]:
        service = _two_slots(w)
        w.count_operation("swap", "swap_deployment")
        return {
            "service_name": service,
            "expected_new_deployment": "v2",
            # Safety arguments (guards): given as templates, they must render to a value.
            "health_url": "{deployment_url}health",
            "health_path": "health",
            "health_body_contains": "OK",
            "expected_status": [200, 204],  # rendered: the text "[200, 204]"
            "bake_seconds": 0.3,
            "rollback": False,
            "require_approval": approval,
            "deferrable": True,
            **FAST_HEALTH,
        }

    return arrange


def _guarded_swap_rollback_false_check(w: World, v: dict[str, Any], state: str) -> None:
    # rollback="False" is a release (v2 promoted), never the manual swap-back mode; no approval asked.
    report = w.report()
    assert state == "success", report.get("message")
    assert report["mode"] == "release" and report["outcome"] == "released"
    assert not report.get("approval") and w.requests("swap") == 1
    assert slots(w.client, v["service_name"]) == {"production": "v2", "staging": "v1"}


def _guarded_swap_approval_true_check(w: World, v: dict[str, Any], state: str) -> None:
    # require_approval="True" asks (and waits for the answer) before the one swap.
    report = w.report()
    assert state == "success", report.get("message")
    assert report["approval"]["approved"] is True and w.requests("swap") == 1
    steps = [e["step"] for e in report["events"]]
    assert steps.index("approval") < steps.index("flip")
    assert slots(w.client, v["service_name"]) == {"production": "v2", "staging": "v1"}


def _release_r1(w: World) -> str:
    """A two-role deployment ``r1`` with several instances in three upgrade domains, in production."""
    service = new_service(w.client, prefix="rn")
    deploy(w.client, service, "production", "r1", "r1.cscfg")
    return service


def _rolling_upgrade(*, approval: bool) -> Callable[[World], dict[str, Any]]:
    def arrange(w: World) -> dict[str, Any]:
        service = _release_r1(w)
        w.count_operation("walk", "walk_upgrade_domain")
        return {
            "service_name": service,
            "deployment_slot": "production",
            "package_url": PACKAGE.format(v="r2"),
            "configuration": (CONFIG / "r2.cscfg").read_text(),
            "configuration_path": None,  # rendered "None": not given
            "deployment_label": "r2",
            # Safety arguments (guards): given as templates, they must render to a value.
            "role_to_upgrade": "WebRole",
            "domain_bake_seconds": 0.2,
            "health_url": "{deployment_url}health",
            "expected_status": 200,
            "health_body_contains": "OK",
            "require_approval": approval,
            "allow_unhealthy_start": approval,  # production is healthy: the same release either way
            "deferrable": True,
            **FAST_HEALTH,
        }

    return arrange


def _rolling_upgrade_approval_false_check(w: World, v: dict[str, Any], state: str) -> None:
    report = w.report()
    assert state == "success", report.get("message")
    assert report["outcome"] == "released" and not report.get("approval")
    assert w.requests("walk") == 3
    assert w.client.get_deployment_by_slot(v["service_name"], "production").label == "r2"


def _rolling_upgrade_approval_true_check(w: World, v: dict[str, Any], state: str) -> None:
    # require_approval="True" asks before each domain after the first: two answers for three domains.
    report = w.report()
    assert state == "success", report.get("message")
    assert report["outcome"] == "released" and report["approval"]["approved"] is True
    assert [c["name"] for c in report["checks"] if c["name"].endswith("_approval")] == [
        "domain_1_approval",
        "domain_2_approval",
    ]
    assert w.requests("walk") == 3


def _upgrade(w: World) -> dict[str, Any]:
    service = _release_r1(w)
    return {
        "service_name": service,
        "deployment_name": "",
        "deployment_slot": "production",
        "package_url": PACKAGE.format(v="r2"),
        "configuration": (CONFIG / "r2.cscfg").read_text(),
        "configuration_path": "",
        "deployment_label": "r2",
        "mode": "Manual",
        "role_to_upgrade": "WebRole",  # a guard: a template of it must render to a role
        "force": False,
    }


def _upgrade_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    dep = w.client.get_deployment_by_slot(v["service_name"], "production")
    assert dep.upgrade_status is not None  # Manual: waiting for domain 0 to be walked


def _manual_upgrade(w: World) -> str:
    service = _release_r1(w)
    config = (CONFIG / "r2.cscfg").read_text()
    w.client.upgrade_deployment(service, "r1", "Manual", PACKAGE.format(v="r2"), config, "r2", False).wait(
        timeout=60, poll_interval=0.05
    )
    return service


def _walk(w: World) -> dict[str, Any]:
    service = _manual_upgrade(w)
    w.count_operation("walk", "walk_upgrade_domain")
    return {"service_name": service, "deployment_name": "r1", "deployment_slot": "", "upgrade_domain": 0}


def _walk_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success" and w.requests("walk") == 1  # "0" is domain 0, walked once


def _rollback_upgrade(w: World) -> dict[str, Any]:
    service = _manual_upgrade(w)
    return {
        "service_name": service,
        "deployment_name": None,
        "deployment_slot": "production",
        "mode": "Auto",
        "force": False,
    }


def _rollback_upgrade_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    dep = w.client.get_deployment_by_slot(v["service_name"], "production")
    assert dep.label == "r1" and dep.upgrade_status is None


def _role_instance(operation: str) -> Callable[[World], dict[str, Any]]:
    def arrange(w: World) -> dict[str, Any]:
        service = _release_r1(w)
        w.count_operation("action", operation)
        return {
            "service_name": service,
            "deployment_name": "",
            "deployment_slot": "production",
            "role_instance_name": "WebRole_IN_1",
            "if_missing": "fail",
        }

    return arrange


def _role_instance_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success" and w.requests("action") == 1


def _delete_instances(w: World) -> dict[str, Any]:
    service = _release_r1(w)
    return {
        "service_name": service,
        "deployment_name": "r1",
        "deployment_slot": None,
        "role_instance_names": ["WorkerRole_IN_2"],  # rendered: "['WorkerRole_IN_2']"
        "if_missing": "fail",
    }


def _delete_instances_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    dep = w.client.get_deployment_by_slot(v["service_name"], "production")
    names = {i.instance_name for i in dep.role_instance_list}
    assert "WorkerRole_IN_2" not in names and {"WorkerRole_IN_1", "WebRole_IN_0"} <= names


def _power_states(w: World, service: str) -> set[str]:
    dep = w.client.get_deployment_by_name(service, service)
    return {str(i.power_state) for i in dep.role_instance_list}


def _shutdown_role(w: World) -> dict[str, Any]:
    service = _vm(w)
    return {
        "service_name": service,
        "deployment_name": service,
        "deployment_slot": "",
        "role_name": service,
        "post_shutdown_action": "StoppedDeallocated",
    }


def _shutdown_role_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    assert _power_states(w, v["service_name"]) <= {"Stopped", "Stopping"}


def _start_role(w: World) -> dict[str, Any]:
    service = _vm(w)
    w.client.shutdown_role(service, service, service, "Stopped").wait(timeout=60, poll_interval=0.05)
    return {
        "service_name": service,
        "deployment_name": "",
        "deployment_slot": "production",
        "role_name": service,
    }


def _start_role_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    assert _power_states(w, v["service_name"]) <= {"Started", "Starting"}


CERT_PASSWORD = "render-pfx-pw"


def _add_certificate(w: World) -> dict[str, Any]:
    path = w.tmp / "service.pfx"
    path.write_bytes(base64.b64decode(_pfx(CERT_PASSWORD)))
    return {
        "service_name": new_service(w.client, prefix="rc"),
        "certificate_path": str(path),
        "password": CERT_PASSWORD,  # not templated (a rendered template is shown in the UI)
    }


def _add_certificate_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    [cert] = w.client.list_service_certificates(v["service_name"])
    assert len(cert.thumbprint) == 40


def _delete_certificate(w: World) -> dict[str, Any]:
    service = new_service(w.client, prefix="rc")
    w.client.add_service_certificate(service, _pfx(CERT_PASSWORD), "pfx", CERT_PASSWORD).wait(
        timeout=60, poll_interval=0.05
    )
    [cert] = w.client.list_service_certificates(service)
    return {"service_name": service, "thumbprint": cert.thumbprint}


def _delete_certificate_check(w: World, v: dict[str, Any], state: str) -> None:
    assert state == "success"
    assert w.client.list_service_certificates(v["service_name"]) == []


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
    Case("storage_update", AsmUpdateStorageAccountOperator, _storage_update, _storage_update_check),
    Case("storage_keys", AsmRegenerateStorageKeysOperator, _storage_keys, _storage_keys_check),
    Case("affinity_update", AsmUpdateAffinityGroupOperator, _affinity_update, _affinity_update_check),
    Case("reserved_ip_create", AsmCreateReservedIpOperator, _ip_create, _ip_create_check),
    Case("reserved_ip_delete", AsmDeleteReservedIpOperator, _ip_delete, _ip_delete_check),
    Case("reserved_ip_associate", AsmAssociateReservedIpOperator, _ip_associate, _ip_associate_check),
    Case(
        "reserved_ip_disassociate",
        AsmDisassociateReservedIpOperator,
        _ip_disassociate,
        _ip_disassociate_check,
    ),
    Case("disk_delete_vhd_false", AsmDeleteDiskOperator, _disk_delete(False), _disk_delete_check(False)),
    Case("disk_delete_vhd_true", AsmDeleteDiskOperator, _disk_delete(True), _disk_delete_check(True)),
    Case("vm_create", AsmCreateVirtualMachineOperator, _vm_create, _vm_create_check),
    Case("delete_disks_false", AsmDeleteVirtualMachineOperator, _vm_delete(False), _vm_delete_check(False)),
    Case("delete_disks_true", AsmDeleteVirtualMachineOperator, _vm_delete(True), _vm_delete_check(True)),
    Case("operation_sensor", AsmOperationSensor, _operation_sensor, _sensor_check),
    Case("deployment_sensor", AsmDeploymentReadySensor, _deployment_sensor, _sensor_check),
    Case(
        "guarded_swap_rollback_false",
        AsmGuardedSwapOperator,
        _guarded_swap(approval=False),
        _guarded_swap_rollback_false_check,
    ),
    Case(
        "rolling_upgrade_approval_false",
        AsmGuardedRollingUpgradeOperator,
        _rolling_upgrade(approval=False),
        _rolling_upgrade_approval_false_check,
    ),
    Case(
        "guarded_swap_approval_true",
        AsmGuardedSwapOperator,
        _guarded_swap(approval=True),
        _guarded_swap_approval_true_check,
        answers=("Approve",),
    ),
    Case(
        "rolling_upgrade_approval_true",
        AsmGuardedRollingUpgradeOperator,
        _rolling_upgrade(approval=True),
        _rolling_upgrade_approval_true_check,
        answers=("Approve", "Approve"),
    ),
    Case("upgrade", AsmUpgradeDeploymentOperator, _upgrade, _upgrade_check),
    Case("walk_upgrade_domain", AsmWalkUpgradeDomainOperator, _walk, _walk_check),
    Case("rollback_upgrade", AsmRollbackUpgradeOperator, _rollback_upgrade, _rollback_upgrade_check),
    Case(
        "reboot_instance",
        AsmRebootRoleInstanceOperator,
        _role_instance("reboot_role_instance"),
        _role_instance_check,
    ),
    Case(
        "reimage_instance",
        AsmReimageRoleInstanceOperator,
        _role_instance("reimage_role_instance"),
        _role_instance_check,
    ),
    Case(
        "rebuild_instance",
        AsmRebuildRoleInstanceOperator,
        _role_instance("rebuild_role_instance"),
        _role_instance_check,
    ),
    Case("delete_instances", AsmDeleteRoleInstancesOperator, _delete_instances, _delete_instances_check),
    Case("shutdown_role", AsmShutdownRoleOperator, _shutdown_role, _shutdown_role_check),
    Case("start_role", AsmStartRoleOperator, _start_role, _start_role_check),
    Case("add_certificate", AsmAddServiceCertificateOperator, _add_certificate, _add_certificate_check),
    Case(
        "delete_certificate",
        AsmDeleteServiceCertificateOperator,
        _delete_certificate,
        _delete_certificate_check,
    ),
]


@pytest.fixture
def world(asm_endpoint: dict[str, Any], asm_conn_id: str, tmp_path: Path) -> Iterator[World]:
    clear_faults(asm_endpoint)
    with make_client(asm_endpoint) as client:
        yield World(asm_endpoint, client, tmp_path)
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
def test_every_templated_field_rendered_as_a_string(
    case: Case, world: World, request: pytest.FixtureRequest
) -> None:
    from airflow.sdk import DAG

    values = case.arrange(world)
    kwargs, params = build_kwargs(case.cls, values)
    dag_id = f"render_{case.id}"
    with DAG(dag_id, schedule=None, start_date=START, catchup=False, params=params) as dag:
        case.cls(task_id="op", retries=0, **kwargs)
    if case.answers:
        with answering(request.getfixturevalue("hitl_api"), case.answers) as given:
            world.dag_run = dr = run_dag(dag)
        given.check(len(case.answers))
    else:
        world.dag_run = dr = run_dag(dag)
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
    ("disk_delete_vhd_false", ("delete_vhd",)),
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
