"""The old SDK's non-operation methods against the live emulator over mutual TLS.

``test_operations_emulator.py`` runs every entry of the operation table; these are the public
methods that are not table entries (``perform_*``, ``with_filter``, ``wait_for_operation_status``
and its default callbacks). Each call's answer is checked, not just that it returned.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_sm_provider.client import ServiceManagementClient
from airflow_sm_provider.client.errors import NotFoundError
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse

NS = "http://schemas.microsoft.com/windowsazure"
CFG = (
    '<ServiceConfiguration serviceName="{svc}" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/'
    'ServiceConfiguration"><Role name="WebRole1"><Instances count="1"/></Role></ServiceConfiguration>'
)
PKG = "https://account.blob.core.windows.net/packages/app.cspkg"


@pytest.fixture
def sms(asm_emulator: Any) -> Iterator[ServiceManagementClient]:
    with ServiceManagementClient.from_endpoint(asm_emulator.endpoint) as client:
        yield client


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _service(sms: ServiceManagementClient) -> tuple[str, str]:
    """A hosted service made through ``perform_post``; returns (name, its old-SDK style path)."""
    name = f"compat{uuid.uuid4().hex[:10]}"
    body = (
        f'<CreateHostedService xmlns="{NS}"><ServiceName>{name}</ServiceName><Label>{_b64(name)}</Label>'
        "<Location>West US</Location></CreateHostedService>"
    )
    resp = sms.perform_post(f"/{sms.subscription_id}/services/hostedservices", body)
    assert resp.status == 201
    return name, f"/{sms.subscription_id}/services/hostedservices/{name}"


def test_perform_get_put_post_delete(sms: ServiceManagementClient) -> None:
    name, path = _service(sms)
    got = sms.perform_get(path)
    assert got.status == 200 and f"<ServiceName>{name}</ServiceName>".encode() in got.body

    update = f'<UpdateHostedService xmlns="{NS}"><Label>{_b64("relabelled")}</Label></UpdateHostedService>'
    assert sms.perform_put(path, update).status == 200
    assert sms.get_hosted_service_properties(name).hosted_service_properties.label == "relabelled"

    gone = sms.perform_delete(path)
    assert gone.status in (200, 202)
    if gone.request_id:
        sms.wait_for_operation_status(
            gone.request_id, timeout=60, sleep_interval=0.05, progress_callback=None, success_callback=None
        )
    with pytest.raises(NotFoundError):
        sms.get_hosted_service_properties(name)


def test_with_filter_and_wait_for_operation_status(
    sms: ServiceManagementClient, capsys: pytest.CaptureFixture[str]
) -> None:
    name, _ = _service(sms)
    seen: list[str] = []

    def log(request: ApiRequest, send: Callable[[ApiRequest], ApiResponse]) -> ApiResponse:
        seen.append(f"{request.method} {request.path}")
        return send(request)

    filtered = sms.with_filter(log)
    handle = filtered.create_deployment(name, "production", "v1", PKG, "v1", CFG.format(svc=name), True)
    assert handle.request_id
    # The old SDK's defaults: dots while waiting, a newline when done; the result is the Operation.
    op = filtered.wait_for_operation_status(handle.request_id, timeout=60, sleep_interval=0.05)
    assert op.status == "Succeeded" and op.id.replace("-", "") == handle.request_id.replace("-", "")
    assert capsys.readouterr().out.endswith("\n")
    assert seen[0] == f"POST /services/hostedservices/{name}/deploymentslots/production"
    assert any(line.startswith("GET /operations/") for line in seen)
    assert sms.get_deployment_by_name(name, "v1").status in ("Running", "Starting")
    sms.delete_deployment(name, "v1").wait(timeout=60, poll_interval=0.05)
    sms.delete_hosted_service(name).wait(timeout=60, poll_interval=0.05)


def test_wait_for_operation_status_failure_callback_raises(
    sms: ServiceManagementClient, asm_emulator: Any
) -> None:
    name, _ = _service(sms)
    asm_emulator.add_faults({"action": "fail_operation", "operation": "create_deployment", "count": 1})
    try:
        handle = sms.create_deployment(name, "staging", "v1", PKG, "v1", CFG.format(svc=name))
        from airflow_sm_provider.client.errors import OperationFailedError

        with pytest.raises(OperationFailedError):
            sms.wait_for_operation_status(
                handle.request_id or "", timeout=60, sleep_interval=0.05, progress_callback=None
            )
    finally:
        asm_emulator.clear_faults()
    sms.delete_hosted_service(name, complete=True).wait(timeout=60, poll_interval=0.05)
