"""Authentication, version header, content types, routing and the response shape of ServiceApp."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from service_helpers import (
    ATOM,
    OTHER_CERT,
    OTHER_SUB,
    SUB,
    Harness,
    b64,
    error_code,
    error_message,
    parse,
    text,
    xml_body,
)

from airflow_sm_provider import protocol as p


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


@pytest.mark.parametrize("cert", [None, b"unknown-cert", OTHER_CERT], ids=["missing", "unknown", "other-sub"])
def test_certificate_problems_are_403_forbidden(h: Harness, cert: bytes | None) -> None:
    got = h.call("GET", "", cert=cert)
    assert got.status == 403
    assert error_code(got) == p.ERR_FORBIDDEN
    assert error_message(got) == p.MSG_FORBIDDEN
    assert re.fullmatch(r"[0-9a-f]{32}", got.headers[p.HEADER_REQUEST_ID])


def test_other_subscription_works_with_its_own_cert(h: Harness) -> None:
    got = h.call("GET", "", sub=OTHER_SUB, cert=OTHER_CERT)
    assert got.status == 200
    assert text(parse(got.body), "SubscriptionID") == OTHER_SUB


@pytest.mark.parametrize("version", [None, "1999-01-01", "garbage"])
def test_missing_or_bad_version_header(h: Harness, version: str | None) -> None:
    got = h.call("GET", "/services/hostedservices", version=version)
    assert got.status == 400
    assert error_code(got) == p.ERR_MISSING_VERSION


def test_every_response_has_asm_headers(h: Harness) -> None:
    for got in (h.call("GET", ""), h.call("GET", "/nope/nothing"), h.call("GET", "", cert=None)):
        assert re.fullmatch(r"[0-9a-f]{32}", got.headers["x-ms-request-id"])
        assert got.headers["x-ms-servedbyregion"]
        assert got.headers["Cache-Control"] == "no-cache"
        assert "Microsoft-HTTPAPI/2.0" in got.headers["Server"]
        assert got.headers["Content-Type"] == p.RESPONSE_CONTENT_TYPE


def test_xml_shape_no_declaration_namespaces_nil(h: Harness) -> None:
    got = h.call("GET", "/services/hostedservices/operations/isavailable/freename")
    body = got.body.decode()
    assert not body.startswith("<?xml")
    assert body.startswith('<AvailabilityResponse xmlns="http://schemas.microsoft.com/windowsazure"')
    assert 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance"' in body
    assert "<Result>true</Result>" in body
    assert '<Reason i:nil="true"/>' in body
    assert "\n" not in body


def test_both_content_types_accepted(h: Harness) -> None:
    assert h.create_service("svc-a").status == 201
    body = xml_body("CreateHostedService", {"ServiceName": "svc-b", "Label": b64("b"), "Location": "West US"})
    got = h.call("POST", "/services/hostedservices", body, content_type=ATOM)
    assert got.status == 201


@pytest.mark.parametrize("body", [b"<CreateHostedService><ServiceName>x", b"not xml", b""])
def test_malformed_xml_is_400_invalid_xml(h: Harness, body: bytes) -> None:
    got = h.call("POST", "/services/hostedservices", body)
    assert got.status == 400
    assert error_code(got) == p.ERR_INVALID_XML


def test_entities_and_dtds_are_refused(h: Harness) -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<CreateHostedService><ServiceName>&e;</ServiceName></CreateHostedService>"
    )
    got = h.call("POST", "/services/hostedservices", evil)
    assert got.status == 400
    assert error_code(got) == p.ERR_INVALID_XML


def test_paths_case_insensitive_and_trailing_slash(h: Harness) -> None:
    h.create_service()
    h.create_deployment()
    assert h.call("GET", "/Services/HostedServices/MYSVC/DeploymentSlots/Production").status == 200
    status = xml_body("UpdateDeploymentStatus", {"Status": "Running"})
    h.finish()
    assert h.call("POST", "/services/hostedservices/mysvc/deployments/v1/?comp=status", status).status == 202
    h.finish()
    assert h.call("POST", "/services/hostedservices/mysvc/deployments/v1?comp=status", status).status == 202


def test_isavailable_routes_before_operation_status(h: Harness) -> None:
    assert h.app.route_name(_req("GET", f"/{SUB}/services/hostedservices/operations/isavailable/x")) == (
        "check_hosted_service_name_availability"
    )
    assert h.app.route_name(_req("GET", f"/{SUB}/operations/abc")) == "get_operation_status"
    body = b"<ShutdownRolesOperation><OperationType>ShutdownRolesOperation</OperationType>"
    path = f"/{SUB}/services/hostedservices/s/deployments/d/roles/Operations"
    assert h.app.route_name(_req("POST", path, body)) == "shutdown_roles"


ROLE_OPS = f"/{SUB}/services/hostedservices/s/deployments/d/roleinstances/vm1/Operations"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        # Microsoft's Go SDK (virtualmachineimage.Capture) leaves OperationType empty: the root names it.
        (b'<CaptureRoleAsVMImageOperation xmlns="x"><OperationType></OperationType>', "capture_vm_image"),
        (b"<?xml version='1.0'?>\n<CaptureRoleAsVMImageOperation><OperationType/>", "capture_vm_image"),
        (b"<a:RestartRoleOperation xmlns:a='x'><a:VMImageName>v</a:VMImageName>", "restart_role"),
        (b"<StartRoleOperation><OperationType>ShutdownRoleOperation</OperationType>", "shutdown_role"),
        (
            b"<StartRoleOperation><OperationType>FormatDisksOperation</OperationType>",
            "unknown_operation_type",
        ),
        (b"<FormatDisksOperation></FormatDisksOperation>", "unknown_operation_type"),
        (b"", "start_role"),  # no XML at all: the route's default, as before
    ],
)
def test_role_operation_kind_from_operation_type_else_root(h: Harness, body: bytes, kind: str) -> None:
    assert h.app.route_name(_req("POST", ROLE_OPS, body)) == kind


def test_unknown_role_operation_type_is_400_not_another_operation(h: Harness) -> None:
    body = b"<StartRoleOperation><OperationType>FormatDisksOperation</OperationType></StartRoleOperation>"
    got = h.call("POST", "/services/hostedservices/s/deployments/d/roleinstances/vm1/Operations", body)
    assert got.status == 400
    assert error_code(got) == p.ERR_BAD_REQUEST


def test_unknown_path_404_and_wrong_verb_400(h: Harness) -> None:
    got = h.call("GET", "/services/nothing")
    assert got.status == 404
    assert error_code(got) == p.ERR_NOT_FOUND
    got = h.call("PATCH", "/services/hostedservices")
    assert got.status == 400
    assert error_code(got) == p.ERR_INVALID_VERB


def test_unknown_operation_id_is_404(h: Harness) -> None:
    got = h.call("GET", "/operations/0123456789abcdef0123456789abcdef")
    assert got.status == 404
    assert error_code(got) == p.ERR_NOT_FOUND


def test_subscription_and_catalogues(h: Harness) -> None:
    sub = parse(h.call("GET", "").body)
    assert text(sub, "SubscriptionStatus") == "Active"
    assert text(sub, "MaxCoreCount") == "20"
    locations = h.call("GET", "/locations").body.decode()
    assert "<Name>West US</Name>" in locations and "<StorageAccountType>Standard_LRS" in locations
    os_list = h.call("GET", "/operatingsystems").body.decode()
    assert f"<FamilyLabel>{b64('Windows Server 2012 R2')}</FamilyLabel>" in os_list
    families = h.call("GET", "/operatingsystemfamilies")
    assert families.status == 200 and b"<OperatingSystemFamily>" in families.body
    assert h.call("GET", "/rolesizes").status == 200


def test_public_image_count_is_configurable(tmp_path: Path) -> None:
    h = Harness(tmp_path, public_images=1000)
    body = h.call("GET", "/services/images").body
    assert body.count(b"<OSImage>") == 1000
    assert b"<Category>Public</Category>" in body


def _req(method: str, path: str, body: bytes = b""):  # type: ignore[no-untyped-def]
    from airflow_sm_provider.emulator.http import Request

    return Request(method, path, {"x-ms-version": "2014-10-01"}, body, None, "h")
