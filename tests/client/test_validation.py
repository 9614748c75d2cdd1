"""Inputs are validated before any request: each error names the argument and nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_sm_provider.client import InvalidInputError, ServiceManagementClient
from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.models import LinuxConfigurationSet, OSVirtualHardDisk
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse

CFG = "<ServiceConfiguration/>"
URL = "https://a.blob.core.windows.net/p/p.cspkg"


class RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[ApiRequest] = []

    def send(self, request: ApiRequest) -> ApiResponse:
        self.sent.append(request)
        if request.method == "GET":
            return ApiResponse(
                200, {}, b'<Deployment xmlns="http://schemas.microsoft.com/windowsazure"/>', "1" * 32
            )
        return ApiResponse(202, {}, b"", "0" * 32)

    def close(self) -> None:
        pass


@pytest.fixture
def client() -> Any:
    sms = object.__new__(ServiceManagementClient)
    sms._transport = RecordingTransport()  # type: ignore[assignment]
    sms.subscription_id = "sub"
    sms._owns_credentials = False
    return sms


LINUX = LinuxConfigurationSet("h", "u", "p", True)
DISK = OSVirtualHardDisk("img", "https://a/v.vhd")

CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("create_hosted_service", ("bad_name!", "l"), {"location": "West US"}, "service_name"),
    ("create_hosted_service", ("-svc", "l"), {"location": "West US"}, "service_name"),
    ("create_hosted_service", ("svc", "x" * 101), {"location": "West US"}, "label"),
    ("create_hosted_service", ("svc", "l", "d" * 1025, "West US"), {}, "description"),
    ("create_hosted_service", ("svc", "l"), {}, "location"),
    ("create_hosted_service", ("svc", "l", None, "West US", "ag"), {}, "location"),
    ("create_hosted_service", ("svc", "l", None, "West US", None, {"1bad": "v"}), {}, "extended_properties"),
    (
        "create_hosted_service",
        ("svc", "l", None, "West US", None, {"ok": "v" * 256}),
        {},
        "extended_properties",
    ),
    (
        "create_hosted_service",
        ("svc", "l", None, "West US", None, {f"k{i}": "v" for i in range(51)}),
        {},
        "extended_properties",
    ),
    ("create_deployment", ("svc", "prod", "v1", URL, "l", CFG), {}, "deployment_slot"),
    (
        "create_deployment",
        ("svc", "production", "v1", "ftp://insecure/p.cspkg", "l", CFG),
        {},
        "package_url",
    ),
    ("create_deployment", ("svc", "production", "v1", URL, "l", "not base64 !!"), {}, "configuration"),
    ("create_deployment", ("svc", "production", "v1", URL, "l", "aGVsbG8="), {}, "configuration"),
    ("create_deployment", ("svc", "production", "", URL, "l", CFG), {}, "name"),
    ("update_deployment_status", ("svc", "v1", "Stopped"), {}, "status"),
    ("change_deployment_configuration", ("svc", "v1", CFG), {"mode": "Fast"}, "mode"),
    ("swap_deployment", ("svc", "v1", ""), {}, "source_deployment"),
    ("delete_deployment", ("svc", "a/b"), {}, "deployment_name"),
    ("create_storage_account", ("My-Account", "d", "l"), {"location": "West US"}, "service_name"),
    ("create_storage_account", ("ab", "d", "l"), {"location": "West US"}, "service_name"),
    (
        "create_storage_account",
        ("acct", "d", "l"),
        {"location": "West US", "account_type": "Gold"},
        "account_type",
    ),
    ("create_affinity_group", ("ag", "l", ""), {}, "location"),
    ("add_os_image", ("l", "https://a/b.vhd", "img", "BeOS"), {}, "os"),
    ("shutdown_role", ("svc", "dep", "vm"), {"post_shutdown_action": "Off"}, "post_shutdown_action"),
    (
        "create_virtual_machine_deployment",
        ("svc", "dep", "production", "l", "vm", LINUX, DISK),
        {"role_size": "Small!"},
        "role_size",
    ),
    (
        "create_virtual_machine_deployment",
        ("svc", "dep", "production", "l", "vm", "linux", DISK),
        {},
        "system_config",
    ),
    ("get_operation_status", ("not-an-id",), {}, "request_id"),
    ("get_deployment_by_slot", ("svc", "blue"), {}, "deployment_slot"),
    ("get_hosted_service_properties", ("",), {}, "service_name"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "field"), CASES)
def test_invalid_input_names_the_field_and_sends_nothing(
    client: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        getattr(client, method)(*args, **kwargs)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert len(info.value.message) > 20  # says the rule and the fix
    assert client._transport.sent == []


def test_valid_inputs_are_sent_as_given(client: Any) -> None:
    handle = client.create_deployment("svc", "PRODUCTION", "v1", URL, "l", CFG)
    assert client._transport.sent[0].path.endswith("/deploymentslots/PRODUCTION")
    assert handle.request_id == "0" * 32 and handle.kind == "create_deployment" and handle.status_code == 202
    client.get_deployment_by_slot("svc", "Staging")
    assert client._transport.sent[1].path.endswith("/deploymentslots/Staging")


def test_synchronous_calls_have_no_request_id(client: Any) -> None:
    assert client.create_affinity_group("ag", "l", "West US").request_id is None
    assert client.update_hosted_service("svc", "l").request_id is None
    assert client.create_affinity_group("ag", "l", "West US").wait().status == "Succeeded"


def test_configuration_forms() -> None:
    assert v.configuration(CFG) == v.configuration(CFG.encode()) == v.configuration(v.configuration(CFG))


def test_dns_label_and_storage_rules() -> None:
    assert v.service_name("my-svc1") == "my-svc1"
    for bad in ("1svc", "svc-", "s_vc", "a" * 64, ""):
        with pytest.raises(InvalidInputError):
            v.service_name(bad)
    assert v.storage_name("abc123") == "abc123"
    with pytest.raises(InvalidInputError, match="lowercase"):
        v.storage_name("a" * 25)


def test_a_control_character_is_located_not_echoed() -> None:
    """The text may be a secret (a service certificate's password): the error says where, not what."""
    from airflow_sm_provider.client import validation as v

    with pytest.raises(InvalidInputError) as info:
        v.text("s3cr\x01etP@ss", "password")
    assert info.value.field == "password" and "position 4" in str(info.value)
    assert "s3cr" not in str(info.value) and "P@ss" not in str(info.value)
