"""The audit's client findings (issue 11 item 6), each refused (or accepted) before any request.

Every test here failed before its fix: bad input now gets ``InvalidInputError`` naming the field
and the fix, and nothing is sent; what the real service accepted is accepted.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import pytest
from legacy_wire import CFG_XML, SUB, CaptureTransport

from airflow_sm_provider.client import InvalidInputError, InvalidResponseError, ServiceManagementClient

PKG = "https://acct.blob.core.windows.net/pkg/app.cspkg"


def client(**kwargs: Any) -> tuple[ServiceManagementClient, CaptureTransport]:
    transport = CaptureTransport(**kwargs)
    return ServiceManagementClient(SUB, transport=transport), transport


def refused(call: Any, field: str, transport: CaptureTransport) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as err:
        call()
    assert err.value.field == field
    assert transport.sent == [], "refused input must not be sent"
    return err.value


@pytest.mark.parametrize("timeout", [math.nan, math.inf, -1.0, 0])
def test_nan_or_infinite_timeouts_are_refused(timeout: float) -> None:
    with pytest.raises(InvalidInputError) as err:
        ServiceManagementClient(SUB, transport=CaptureTransport(), timeout=timeout)
    assert err.value.field == "timeout"


@pytest.mark.parametrize("timeout", [math.nan, math.inf])
def test_handle_wait_refuses_nan_timeouts(timeout: float) -> None:
    sms, _ = client()
    handle = sms.delete_deployment("svc", "v1")
    with pytest.raises(InvalidInputError):
        handle.wait(timeout=timeout)


@pytest.mark.parametrize("version", ["2014-10-01\r\nX-Evil: 1", "2014-10-01\n", "latest"])
def test_crlf_in_x_ms_version_is_refused(version: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        ServiceManagementClient(SUB, transport=CaptureTransport(), x_ms_version=version)
    assert err.value.field == "x_ms_version"


@pytest.mark.parametrize("text", ["a\x01b", "bell\x07", "nul\x00"])
def test_control_characters_in_text_fields_are_refused(text: str) -> None:
    sms, t = client()
    refused(lambda: sms.create_hosted_service("svc", text, location="West US"), "label", t)
    refused(lambda: sms.create_hosted_service("svc", "l", text, "West US"), "description", t)


def test_whitespace_only_location_is_refused() -> None:
    sms, t = client()
    refused(lambda: sms.create_hosted_service("svc", "l", None, "   "), "location", t)
    refused(lambda: sms.create_affinity_group("ag", "l", " \t "), "location", t)
    refused(lambda: sms.create_storage_account("acct1", None, "l", location="  "), "location", t)


@pytest.mark.parametrize("cfg", ["<ServiceConfiguration><Role>", "<a></b>", b"<ServiceConfiguration"])
def test_not_well_formed_cscfg_is_refused(cfg: str | bytes) -> None:
    sms, t = client()
    err = refused(lambda: sms.change_deployment_configuration("svc", "v1", cfg), "configuration", t)
    assert "well-formed" in err.message


def test_not_well_formed_cscfg_in_base64_is_refused() -> None:
    sms, t = client()
    bad = base64.b64encode(b"<ServiceConfiguration><Role>").decode()
    refused(lambda: sms.upgrade_deployment("svc", "v1", "Auto", PKG, bad, "l", False), "configuration", t)


def test_swap_with_identical_names_is_refused() -> None:
    sms, t = client()
    err = refused(lambda: sms.swap_deployment("svc", "v1", "V1"), "source_deployment", t)
    assert "production=None" in err.message


def test_line_wrapped_base64_is_accepted_and_sent_unwrapped() -> None:
    doc = CFG_XML.replace("<Role ", "<!-- " + "padding " * 20 + "--><Role ")
    raw = base64.b64encode(doc.encode()).decode()
    wrapped = "\r\n".join(raw[i : i + 76] for i in range(0, len(raw), 76))  # .NET InsertLineBreaks
    sms, t = client()
    sms.change_deployment_configuration("svc", "v1", wrapped)
    assert raw.encode() in (t.sent[0].body or b"")
    cert = base64.b64encode(b"x" * 200).decode()
    sms.add_service_certificate(
        "svc", "\n".join(cert[i : i + 64] for i in range(0, len(cert), 64)), "pfx", "pw"
    )
    assert cert.encode() in (t.sent[1].body or b"")


def test_http_package_urls_are_accepted() -> None:
    """The real service accepted an http:// package URL (2015 recording): never be stricter."""
    sms, t = client()
    sms.create_deployment(
        "svc", "staging", "v1", "http://acct.blob.core.windows.net/p/app.cspkg", "l", CFG_XML
    )
    sms.upgrade_deployment(
        "svc", "v1", "Auto", "http://acct.blob.core.windows.net/p/a.cspkg", CFG_XML, "l", True
    )
    assert len(t.sent) == 2 and b"<PackageUrl>http://" in (t.sent[0].body or b"")


def test_202_without_request_id_is_an_error_not_a_fake_success() -> None:
    sms, t = client(status=202, request_id=None)
    with pytest.raises(InvalidResponseError) as err:
        sms.upgrade_deployment("svc", "v1", "Auto", PKG, CFG_XML, "l", True)
    assert "x-ms-request-id" in str(err.value) and len(t.sent) == 1


def test_synchronous_200_without_request_id_is_a_completed_handle() -> None:
    sms, _ = client(status=200, request_id=None)
    handle = sms.update_hosted_service("svc", "new label")
    assert handle.request_id is None and handle.wait().status == "Succeeded"


@pytest.mark.parametrize("sub", ["sub#frag", "sub?x=1", "00000000-0000-0000-0000-00000000000"])
def test_hash_or_question_mark_in_subscription_is_refused(sub: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        ServiceManagementClient(sub, transport=CaptureTransport())
    assert err.value.field == "subscription_id"


@pytest.mark.parametrize(
    ("cfg", "looks"),
    [
        ("this is not xml at all", "plain text"),
        ("this is not xml", "plain text"),  # letters only, 12 of them: valid base64 of binary garbage
        ("abcd", "decodes to binary data"),
        ("configs/Service Configuration.cscg", "file name"),  # a path typo with a space
        ("C:\\deploy\\ServiceConfiguration.Cloud.cscfg", "file name"),
        (b"this is not xml", "plain text"),
    ],
)
def test_text_that_is_neither_cscfg_xml_nor_its_base64_says_so_and_what_to_pass(
    cfg: str | bytes, looks: str
) -> None:
    """Plain text or a file path was told it "is base64 but does not decode to XML" (verification run)."""
    sms, t = client()
    err = refused(lambda: sms.change_deployment_configuration("svc", "v1", cfg), "configuration", t)
    assert "does not decode to XML" not in err.message and "is base64" not in err.message
    assert "neither .cscfg XML" in err.message and "nor base64 of .cscfg XML" in err.message
    assert looks in err.message, err.message
    assert "the .cscfg file's XML text" in err.message and "ending in .cscfg" in err.message
    text = cfg.decode() if isinstance(cfg, bytes) else cfg
    assert text not in err.message and text not in repr(err)  # what it looks like, never what it is


def test_base64_of_xml_and_plain_xml_stay_accepted() -> None:
    """Whatever the old SDK sent that the service took (base64 of the .cscfg), and the XML itself."""
    sms, t = client()
    for cfg in (CFG_XML, CFG_XML.encode(), "\ufeff" + CFG_XML, base64.b64encode(CFG_XML.encode()).decode()):
        sms.change_deployment_configuration("svc", "v1", cfg)
    assert [base64.b64encode(CFG_XML.encode()).decode().encode() in (r.body or b"") for r in t.sent[:2]] == [
        True,
        True,
    ]
    assert len(t.sent) == 4


class _Answering:
    """A transport whose every answer is ``body`` with status 200."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def send(self, request: Any) -> Any:
        from airflow_sm_provider.client.transport import ApiResponse

        return ApiResponse(200, {"x-ms-request-id": "r1"}, self.body, "r1")


#: A truncated keys answer: the first bytes hold a key (found by the key-rotation operator's tests).
_CUT_KEYS = (
    b'<StorageService xmlns="http://schemas.microsoft.com/windowsazure"><StorageServiceKeys>'
    b"<Primary>S3CRETKEYS3CRETKEY=="
)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_storage_account_keys("acct1"),
        lambda c: c.regenerate_storage_account_keys("acct1", "Primary"),
    ],
)
def test_a_malformed_keys_answer_is_not_quoted(call: Any) -> None:
    client = ServiceManagementClient(SUB, transport=_Answering(_CUT_KEYS))
    with pytest.raises(InvalidResponseError) as raised:
        call(client)
    assert "S3CRETKEY" not in str(raised.value) and "S3CRETKEY" not in repr(raised.value)
    assert "not well-formed" in str(raised.value) and "holds secrets" in str(raised.value)


def test_other_malformed_answers_are_still_quoted() -> None:
    body = b'<StorageService xmlns="http://schemas.microsoft.com/windowsazure"><ServiceName>acct1'
    client = ServiceManagementClient(SUB, transport=_Answering(body))
    with pytest.raises(InvalidResponseError, match="it starts with"):
        client.get_storage_account_properties("acct1")
