"""Every public operation of the old ``ServiceManagementService`` (0.20.8) reaches an emulator handler.

The old client is pointed at a recording session: each method's real request (verb, path, query,
body) is captured as the SDK builds it, then routed by the emulator. No request may be unroutable
(404) or routed to an operation the emulator does not implement. Behaviour is tested elsewhere;
this test fails the day the SDK grows (or the emulator loses) an operation.
"""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import urlsplit

import pytest
from azure.servicemanagement import (
    CaptureRoleAsVMImage,
    LinuxConfigurationSet,
    OSImage,
    OSVirtualHardDisk,
    ServiceManagementService,
)
from legacy_helpers import generalized_linux_image

from airflow_sm_provider.emulator import routes
from airflow_sm_provider.emulator.handlers import load
from airflow_sm_provider.emulator.handlers.common import HANDLERS

SUB = "11111111-2222-3333-4444-555555555555"
#: Not ASM operations of this API: the generic escape hatches, the blocking wait, client settings.
NOT_OPERATIONS = {
    "perform_get",
    "perform_put",
    "perform_post",
    "perform_delete",
    "wait_for_operation_status",
    "with_filter",
    "set_proxy",
    "should_use_requests",
    "get_certificate_from_publish_settings",
}


class _Recorded(Exception):
    pass


class _Response:
    status_code = 200
    headers = {"x-ms-request-id": "0" * 32}
    content = b""
    reason = "OK"


class RecordingSession:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bytes]] = []
        self.headers: dict[str, str] = {}

    def request(self, method: str, url: str, data: Any = None, headers: Any = None, **_: Any) -> _Response:
        body = data.encode() if isinstance(data, str) else (data or b"")
        self.seen.append((method, url, body))
        raise _Recorded


def _value(name: str) -> Any:
    image = generalized_linux_image("img", "img", "d", "https://a.blob.core.windows.net/v/x.vhd")
    special: dict[str, Any] = {
        "system_config": LinuxConfigurationSet("h", "u", "p", True),
        "os_virtual_hard_disk": OSVirtualHardDisk("img", "https://a.blob.core.windows.net/v/x.vhd"),
        "vm_image": image,
        "options": CaptureRoleAsVMImage("Generalized", "img", "img"),
        "os_image": OSImage(),
        "role_names": ["vm1"],
        "role_instance_names": ["r_IN_0"],
        "regions": ["West US"],
        "lun": 0,
        "upgrade_domain": 0,
        "force": False,
        "complete": False,
        "embed_detail": False,
        "delete_vhd": False,
        "has_operating_system": False,
        "status": "Running",
        "deployment_slot": "production",
        "post_capture_action": "Delete",
        "key_type": "Primary",
        "permission": "Private",
    }
    return special.get(name, "x")


def _methods() -> list[str]:
    names = []
    for name, fn in inspect.getmembers(ServiceManagementService, inspect.isfunction):
        if not name.startswith(("_", "wait_for_operation_status")) and name not in NOT_OPERATIONS:
            names.append(name)
    return names


@pytest.mark.parametrize("method", _methods())
def test_every_old_sdk_operation_is_routed_to_a_handler(method: str) -> None:
    load()
    session = RecordingSession()
    sms = ServiceManagementService(SUB, host="127.0.0.1:1", request_session=session)
    fn = getattr(sms, method)
    params = [p for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty]
    args = {p.name: _value(p.name) for p in params}
    if method in ("create_storage_account", "create_hosted_service", "create_reserved_ip_address"):
        args["location"] = "West US"
    if method == "add_service_certificate":
        args["password"] = "x"
    if method == "update_disk":
        args["label"] = "x"
    with pytest.raises(_Recorded):  # the recording session ends every call once it has the request
        fn(**args)
    assert session.seen, f"{method} sent no request"
    verb, url, body = session.seen[-1]
    parts = urlsplit(url)
    query = {k.lower(): v for k, _, v in (q.partition("=") for q in parts.query.split("&") if q)}
    route = routes.match(verb.upper(), parts.path, query, body)
    assert route is not None, f"{method}: {verb} {parts.path} is not routed"
    assert route.kind != routes.INVALID_VERB, f"{method}: {verb} not valid on {parts.path}"
    assert route.kind in HANDLERS, f"{method} -> {route.kind} has no handler"


def test_the_surface_is_the_whole_old_class() -> None:
    assert len(_methods()) >= 95  # 107 public names minus the escape hatches and client settings
