"""State survives the process: kill -9 mid-operation, restart on the same dir, everything is still there
and the in-flight operation still completes. Uses the real service logic through the CLI process."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("airflow_sm_provider.emulator.service", reason="service logic not present yet")
from azure.servicemanagement import ServiceManagementService

from airflow_sm_provider.emulator.sessions import legacy_session

CSCFG = base64.b64encode(
    b'<ServiceConfiguration serviceName="durable" osFamily="4" osVersion="*">'
    b'<Role name="Web"><Instances count="2"/></Role></ServiceConfiguration>'
).decode()
PACKAGE_URL = "https://mystorage.blob.core.windows.net/packages/app.cspkg"


def _client(endpoint: dict[str, str]) -> ServiceManagementService:
    return ServiceManagementService(
        endpoint["subscription_id"], host=endpoint["host"], request_session=legacy_session(endpoint)
    )


def test_kill_9_during_create_deployment_then_restart(asm_emulator_factory: Callable[..., Any]) -> None:
    # speed 20: create deployment takes ~2.6 s, so it is certainly InProgress when we kill.
    first = asm_emulator_factory(subprocess=True, speed=20)
    sms = _client(first.endpoint)
    sms.create_hosted_service("durable", "durable", "survives kill -9", "West US")
    result = sms.create_deployment("durable", "staging", "v1", PACKAGE_URL, "v1", CSCFG)
    assert sms.get_operation_status(result.request_id).status == "InProgress"
    assert sms.get_deployment_by_name("durable", "v1").locked is True

    first.kill()  # SIGKILL: no shutdown code runs

    second = asm_emulator_factory(subprocess=True, speed=20, state_dir=first.state_dir)
    assert second.endpoint["subscription_id"] == first.endpoint["subscription_id"]
    assert second.endpoint["thumbprint"] == first.endpoint["thumbprint"]
    sms = _client(second.endpoint)
    assert (
        sms.get_hosted_service_properties("durable").hosted_service_properties.description
        == "survives kill -9"
    )
    dep = sms.get_deployment_by_slot("durable", "staging")
    assert dep.name == "v1" and len(dep.role_instance_list) == 2
    op = sms.wait_for_operation_status(
        result.request_id, timeout=60, sleep_interval=0.1, progress_callback=None, success_callback=None
    )
    assert op.status == "Succeeded"
    assert sms.get_deployment_by_name("durable", "v1").locked is False
    assert second.terminate() == 0


def test_clean_restart_in_process_keeps_state(asm_emulator_factory: Callable[..., Any]) -> None:
    first = asm_emulator_factory(speed=1000)
    _client(first.endpoint).create_affinity_group("keep", "keep", "West US", "kept")
    first.stop()
    second = asm_emulator_factory(speed=1000, state_dir=first.state_dir)
    groups = {g.name: g.description for g in _client(second.endpoint).list_affinity_groups()}
    assert groups["keep"] == "kept"
