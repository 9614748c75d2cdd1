"""The old SDK's non-operation behaviour: constructor fallbacks, wait_for_operation_status,
perform_* escape hatches, with_filter, from_endpoint, and transport injection (sync and async)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from legacy_wire import RID, SUB, CaptureTransport

from airflow_sm_provider.client import (
    AsyncServiceManagementClient,
    CertificateError,
    InvalidInputError,
    OperationFailedError,
    ServiceManagementClient,
)
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse
from airflow_sm_provider.protocol import NS


def _op(status: str, error: bool = False) -> bytes:
    err = "<Error><Code>BadThing</Code><Message>it broke</Message></Error>" if error else ""
    return f'<Operation xmlns="{NS}"><ID>{RID}</ID><Status>{status}</Status>{err}</Operation>'.encode()


class Scripted(CaptureTransport):
    def __init__(self, bodies: list[bytes]) -> None:
        super().__init__()
        self.bodies = bodies

    def send(self, request: ApiRequest) -> ApiResponse:
        self.sent.append(request)
        return ApiResponse(200, {}, self.bodies.pop(0), RID)


def test_subscription_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AZURE_MANAGEMENT_SUBSCRIPTIONID", SUB)
    with caplog.at_level("INFO", logger="airflow_sm_provider.client.compat"):
        assert ServiceManagementClient(transport=CaptureTransport()).subscription_id == SUB
    assert "subscription from AZURE_MANAGEMENT_SUBSCRIPTIONID" in caplog.text and SUB not in caplog.text


def test_an_explicit_empty_subscription_is_not_replaced_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_MANAGEMENT_SUBSCRIPTIONID", SUB)
    with pytest.raises(InvalidInputError):
        ServiceManagementClient("", transport=CaptureTransport())


def test_certificate_from_the_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    monkeypatch.setenv("AZURE_MANAGEMENT_CERTFILE", str(missing))
    with pytest.raises(Exception, match=r"nope\.pem"):
        ServiceManagementClient(SUB)


def test_missing_certificate_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_MANAGEMENT_CERTFILE", raising=False)
    with pytest.raises(InvalidInputError, match="AZURE_MANAGEMENT_CERTFILE"):
        ServiceManagementClient(SUB)


def test_wait_for_operation_status_returns_when_succeeded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    t = Scripted([_op("InProgress"), _op("Succeeded")])
    progress: list[float] = []
    done: list[float] = []
    op = ServiceManagementClient(SUB, transport=t).wait_for_operation_status(
        RID, progress_callback=progress.append, success_callback=done.append
    )
    assert op.status == "Succeeded" and len(progress) == 1 and len(done) == 1 and len(t.sent) == 2


def test_wait_for_operation_status_default_failure_callback_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    t = Scripted([_op("Failed", error=True)])
    with pytest.raises(OperationFailedError) as err:
        ServiceManagementClient(SUB, transport=t).wait_for_operation_status(RID)
    assert err.value.result.error.code == "BadThing"


def test_wait_for_operation_status_without_callback_returns_the_failed_operation() -> None:
    t = Scripted([_op("Failed", error=True)])
    op = ServiceManagementClient(SUB, transport=t).wait_for_operation_status(RID, failure_callback=None)
    assert op.status == "Failed"


def test_wait_for_operation_status_times_out_after_timeout_over_interval_plus_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    t = Scripted([_op("InProgress")] * 7)
    seen: list[Any] = []
    op = ServiceManagementClient(SUB, transport=t).wait_for_operation_status(
        RID,
        timeout=30,
        sleep_interval=5,
        progress_callback=None,
        failure_callback=lambda e, x: seen.append(x),
    )
    assert op.status == "InProgress" and len(t.sent) == 7 and "Timed out" in seen[0].message


def test_perform_get_takes_the_old_absolute_path() -> None:
    t = CaptureTransport(body=b"<x/>")
    resp = ServiceManagementClient(SUB, transport=t).perform_get(f"/{SUB}/services/hostedservices")
    assert t.sent[0].path == "/services/hostedservices" and resp.status == 200
    ServiceManagementClient(SUB, transport=t).perform_post(f"/{SUB}/services/hostedservices/s", "<Swap/>")
    assert t.sent[1].body == b"<Swap/>" and t.sent[1].idempotent is False


@pytest.mark.parametrize(
    "path", [f"/{SUB}/services/../x", f"/{SUB}/services/%2e%2e/x", "services", f"/{SUB}/a#b"]
)
def test_perform_refuses_dot_segments_and_fragments(path: str) -> None:
    t = CaptureTransport()
    with pytest.raises(InvalidInputError):
        ServiceManagementClient(SUB, transport=t).perform_delete(path)
    assert t.sent == []


def test_with_filter_sees_every_request() -> None:
    t = CaptureTransport(body=b"")
    seen: list[str] = []

    def log(request: ApiRequest, nxt: Any) -> ApiResponse:
        seen.append(request.path)
        return nxt(request)

    filtered = ServiceManagementClient(SUB, transport=t).with_filter(log)
    filtered.delete_deployment("svc", "v1")
    assert seen == ["/services/hostedservices/svc/deployments/v1"] and len(t.sent) == 1


def test_from_endpoint_reads_endpoint_json(tmp_path: Path) -> None:
    ep = tmp_path / "endpoint.json"
    ep.write_text(
        json.dumps({"subscription_id": SUB, "host": "127.0.0.1:1", "client_pem": "x", "ca_cert": "y"})
    )
    client = ServiceManagementClient.from_endpoint(ep, transport=CaptureTransport())
    assert client.subscription_id == SUB
    ep.write_text("{}")
    with pytest.raises(InvalidInputError, match=r"endpoint\.json"):
        ServiceManagementClient.from_endpoint(ep, transport=CaptureTransport())


def test_async_client_takes_an_injected_transport() -> None:
    class AsyncCapture:
        def __init__(self) -> None:
            self.sent: list[ApiRequest] = []

        async def send(self, request: ApiRequest) -> ApiResponse:
            self.sent.append(request)
            return ApiResponse(202, {}, b"", RID)

    async def main() -> Any:
        t = AsyncCapture()
        client = AsyncServiceManagementClient(SUB, transport=t)
        handle = await client.walk_upgrade_domain("svc", "v1", 1)
        return t, handle

    t, handle = asyncio.run(main())
    assert handle.request_id == RID and t.sent[0].path.endswith("/deployments/v1/?comp=walkupgradedomain")
    with pytest.raises(TypeError, match="await"):
        handle.wait()


def test_get_certificate_from_publish_settings_writes_an_owner_only_pem(tmp_path: Path, kit: Any) -> None:
    import test_credentials
    from test_credentials import SUB_A, _publishsettings

    test_credentials.K = kit

    from airflow_sm_provider.client import get_certificate_from_publish_settings, load_credentials

    settings = tmp_path / "my.publishsettings"
    settings.write_text(_publishsettings(SUB_A))
    out = tmp_path / "cert.pem"
    assert get_certificate_from_publish_settings(settings, out) == SUB_A
    assert out.stat().st_mode & 0o077 == 0
    assert b"PRIVATE KEY" in out.read_bytes()
    assert load_credentials(str(out)).thumbprint


def test_request_session_cert_pair_is_read_from_its_files() -> None:
    """requests' ``(cert, key)`` pair is loaded (test_session_cert_pair.py runs it over mutual
    TLS); a pair whose files are missing is refused naming the file, before any request."""

    class Session:
        cert = ("c.pem", "k.pem")
        verify = True
        proxies: dict[str, str] = {}

    with pytest.raises(CertificateError, match=r"certificate file 'c\.pem' does not exist"):
        ServiceManagementClient(SUB, request_session=Session())
    Session.cert = ("c.pem", "k.pem", "extra")  # type: ignore[assignment]
    with pytest.raises(CertificateError, match=r"\(certificate path, key path\)"):
        ServiceManagementClient(SUB, request_session=Session())


def test_request_session_gives_certificate_and_ca(pki: Any) -> None:
    class Session:
        cert = str(pki.client_pem)
        verify = str(pki.ca_pem)
        proxies = {"https": "http://proxy.example:3128"}

    client = ServiceManagementClient(SUB, request_session=Session(), host="127.0.0.1:1")
    try:
        assert client.credentials is not None and client._transport_kwargs["ca_bundle"] == str(pki.ca_pem)
        assert client._transport_kwargs["proxies"] == {"https": "http://proxy.example:3128"}
    finally:
        client.close()


def test_set_proxy_rebuilds_the_transport(pki: Any) -> None:
    client = ServiceManagementClient(SUB, str(pki.client_pem), "127.0.0.1:1", ca_bundle=str(pki.ca_pem))
    try:
        before = client._transport
        client.set_proxy("proxy.example", 3128, "me", "p@ss")
        assert client._transport is not before
        assert client._transport_kwargs["proxies"] == {"https": "http://me:p%40ss@proxy.example:3128"}
    finally:
        client.close()


def test_host_and_its_ca_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """No ``host`` argument: AZURE_MANAGEMENT_HOST and its CA bundle are used, and the log says so."""
    monkeypatch.setenv("AZURE_MANAGEMENT_HOST", "127.0.0.1:8443")
    monkeypatch.setenv("AZURE_MANAGEMENT_CA_BUNDLE", "/etc/emulator-ca.pem")
    with caplog.at_level("INFO", logger="airflow_sm_provider.client.compat"):
        sync = ServiceManagementClient(SUB, transport=CaptureTransport())
    assert sync._transport_kwargs["host"] == "127.0.0.1:8443"
    assert sync._transport_kwargs["ca_bundle"] == "/etc/emulator-ca.pem"
    assert "AZURE_MANAGEMENT_HOST" in caplog.text and "AZURE_MANAGEMENT_CA_BUNDLE" in caplog.text


@pytest.mark.parametrize("host", ["management.core.windows.net", "china"])
def test_an_explicit_host_never_reads_the_environment(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv("AZURE_MANAGEMENT_HOST", "127.0.0.1:8443")
    monkeypatch.setenv("AZURE_MANAGEMENT_CA_BUNDLE", "/etc/emulator-ca.pem")
    client = ServiceManagementClient(SUB, host=host, transport=CaptureTransport())
    assert client._transport_kwargs["host"] == host and client._transport_kwargs["ca_bundle"] is None


def test_the_ca_variable_alone_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CA bundle variable belongs to the host variable: alone it must not alter public trust."""
    monkeypatch.delenv("AZURE_MANAGEMENT_HOST", raising=False)
    monkeypatch.setenv("AZURE_MANAGEMENT_CA_BUNDLE", "/etc/emulator-ca.pem")
    client = ServiceManagementClient(SUB, transport=CaptureTransport())
    assert client._transport_kwargs["host"] == "management.core.windows.net"
    assert client._transport_kwargs["ca_bundle"] is None


def test_an_explicit_ca_bundle_wins_over_the_environments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_MANAGEMENT_HOST", "127.0.0.1:8443")
    monkeypatch.setenv("AZURE_MANAGEMENT_CA_BUNDLE", "/etc/emulator-ca.pem")
    client = ServiceManagementClient(SUB, ca_bundle="/etc/mine.pem", transport=CaptureTransport())
    assert client._transport_kwargs["ca_bundle"] == "/etc/mine.pem"


def test_the_positional_order_is_the_old_sdks() -> None:
    """``ServiceManagementService(sub, cert, host, request_session, timeout)`` means what it did."""
    import inspect

    from azure.servicemanagement import ServiceManagementService as Old

    def positional(cls: type) -> list[str]:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        return [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]

    old = positional(Old)
    assert old == ["subscription_id", "cert_file", "host", "request_session", "timeout"]
    # the 2nd is ``certificate`` here (it also takes a PEM text or Credentials); ``cert_file=`` still works
    expected = ["subscription_id", "certificate", *old[2:]]
    assert positional(ServiceManagementClient) == expected
    assert positional(AsyncServiceManagementClient) == expected


def test_a_positional_session_and_timeout_reach_the_emulator(asm_emulator: Any) -> None:
    import requests

    ep = asm_emulator.endpoint
    session = requests.Session()
    session.cert, session.verify = ep["client_pem"], ep["ca_cert"]
    with ServiceManagementClient(ep["subscription_id"], None, ep["host"], session, 12.5) as sms:
        kwargs = sms._transport_kwargs
        assert kwargs["timeout"] == 12.5 and kwargs["ca_bundle"] == ep["ca_cert"]
        assert any(location.name for location in sms.list_locations())


@pytest.mark.parametrize("where", ["text", "path"])
def test_a_ca_bundle_in_the_session_slot_is_refused_by_name(pki: Any, where: str) -> None:
    ca = str(pki.ca_pem) if where == "text" else Path(pki.ca_pem)
    sent = CaptureTransport()
    with pytest.raises(InvalidInputError, match="ca_bundle=") as caught:
        ServiceManagementClient(SUB, str(pki.client_pem), "127.0.0.1:1", ca, transport=sent)  # type: ignore[arg-type]
    assert caught.value.field == "request_session" and sent.sent == []


def test_the_old_async_error_with_an_operation_status_prints_the_message_as_given() -> None:
    """The old SDK raised ``AzureAsyncOperationHttpError(message, result.status, result)``:
    the status there is the operation's ("Failed"), not an HTTP status; it is kept, as the old
    SDK kept it, and ``str()`` does not call it an HTTP status."""
    import azure.servicemanagement as old_sdk

    from airflow_sm_provider.client import AzureAsyncOperationHttpError, Operation

    op = Operation(id="x", status="Failed")
    ours = AzureAsyncOperationHttpError("Asynchronous operation did not succeed.", "Failed", op)
    old = old_sdk.AzureAsyncOperationHttpError("Asynchronous operation did not succeed.", "Failed", op)
    assert str(ours) == str(old) == "Asynchronous operation did not succeed."
    assert ours.status_code == old.status_code == "Failed" and ours.result is op


def test_a_handle_from_parse_response_for_async_op_says_how_to_wait() -> None:
    from airflow_sm_provider.client import parse_response_for_async_op

    handle = parse_response_for_async_op(ApiResponse(202, {}, b"", RID))
    assert handle is not None and handle.request_id == RID
    with pytest.raises(TypeError, match=r"parse_response_for_async_op\): call sms.wait_for_operation_status"):
        handle.wait()


def test_a_call_answered_at_once_waits_to_an_operation_without_error() -> None:
    """``if op.error:`` means failure: a handle the service completed at once holds no error."""
    from airflow_sm_provider.client.handle import OperationHandle

    op = OperationHandle(None, "create_affinity_group", "g", 201).wait()
    assert op.status == "Succeeded" and op.error is None


@pytest.mark.parametrize("session", ["mock", "subclass", False])
def test_session_like_objects_are_read_as_sessions(pki: Any, session: Any) -> None:
    from unittest import mock

    import requests

    class Quiet(requests.Session):
        def __init__(self) -> None:  # does not call super().__init__: no verify attribute
            pass

    if session == "mock":
        session = mock.Mock(spec=requests.Session)
    elif session == "subclass":
        session = Quiet()
    client = ServiceManagementClient(SUB, str(pki.client_pem), "127.0.0.1:1", session, 5)
    client.close()
